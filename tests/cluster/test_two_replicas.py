"""Two real Rasa replicas (each with its own action server) sharing one PostgreSQL
tracker store and one Redis lock store receive messages for the same conversations
at the same moment, round after round: every conversation must keep every event,
in order, none lost and none written twice.

Set CLUSTER_COMPARE_RASA=1 to also run the same scenario on Rasa's own
``type: redis`` lock store and print what it loses (not asserted: the race is timing
dependent; the deterministic demonstration is in test_lock_store.py)."""

from __future__ import annotations

import json
import os
import secrets
import threading
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa

from bot.servers import RunningBot, running_bot

ROUNDS = 30
CONVERSATIONS = 5
MESSAGES = [
    "my legs feel heavy after my runs",
    "hello",
    "about 30 km a week",
    "steady",
    "7 hours",
    "I eat normally",
    "around 400 km on my shoes",
    "thanks",
]


def post(bot: RunningBot, sender: str, text: str, probe: str) -> int:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"probe": probe}}).encode()
    request = urllib.request.Request(f"{bot.url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        json.loads(response.read())
        return response.status


def tracker_events(bot: RunningBot, sender: str) -> List[Dict[str, Any]]:
    url = f"{bot.url}/conversations/{sender}/tracker?include_events=ALL&token={bot.token}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())["events"]


def problems_in(events: List[Dict[str, Any]], sent: List[str]) -> List[str]:
    """What is wrong with one conversation's events, given the probes sent in order."""
    found: List[str] = []
    probes = [(e.get("metadata") or {}).get("probe") for e in events if e["event"] == "user"]
    counts = Counter(probes)
    lost = [p for p in sent if counts[p] == 0]
    doubled = [p for p, n in counts.items() if n > 1]
    if lost:
        found.append(f"lost {len(lost)} user messages: {lost[:5]}")
    if doubled:
        found.append(f"{len(doubled)} user messages stored more than once: {doubled[:5]}")
    rounds = [int(p.split("-")[1][1:]) for p in probes if p]
    if rounds != sorted(rounds):
        found.append("user messages out of round order")
    # Each turn is whole: the bot's turn after every message ends with action_listen
    # before the next message (no interleaved turns).
    last_user = None
    for index, event in enumerate(events):
        if event["event"] == "user":
            if last_user is not None and not any(
                    e["event"] == "action" and e.get("name") == "action_listen"
                    for e in events[last_user + 1:index]):
                found.append(f"turn of event {last_user} interleaved with the next message")
            last_user = index
    seen = Counter(json.dumps(e, sort_keys=True) for e in events)
    repeated = [e for e, n in seen.items() if n > 1]
    if repeated:
        found.append(f"{len(repeated)} events stored twice")
    return found


def run_scenario(replicas: List[RunningBot], tag: str) -> Dict[str, Any]:
    senders = [f"{tag}-{i}-{secrets.token_hex(4)}" for i in range(CONVERSATIONS)]
    sent: Dict[str, List[str]] = {s: [] for s in senders}
    statuses: Counter = Counter()
    jobs = CONVERSATIONS * len(replicas)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for round_number in range(ROUNDS):
            barrier = threading.Barrier(jobs, timeout=30)

            def send(sender: str, replica: int, text: str, probe: str,
                     barrier: threading.Barrier = barrier) -> int:
                barrier.wait()  # all messages of the round leave at the same moment
                return post(replicas[replica], sender, text, probe)

            futures = []
            for c, sender in enumerate(senders):
                for r in range(len(replicas)):
                    probe = f"c{c}-r{round_number}-{'ab'[r]}"
                    sent[sender].append(probe)
                    text = MESSAGES[(round_number * 2 + r) % len(MESSAGES)]
                    futures.append(pool.submit(send, sender, r, text, probe))
            for future in futures:
                statuses[future.result()] += 1
    report: Dict[str, Any] = {"statuses": dict(statuses), "problems": {}, "events": 0,
                              "user_events": 0}
    for sender in senders:
        events = tracker_events(replicas[0], sender)
        report["events"] += len(events)
        report["user_events"] += sum(e["event"] == "user" for e in events)
        # The other replica reads the same conversation from the shared store.
        assert len(tracker_events(replicas[1], sender)) == len(events)
        problems = problems_in(events, sent[sender])
        if problems:
            report["problems"][sender] = problems
    report["senders"] = senders
    return report


def start_replicas(stack: ExitStack, tmp: Path, database_url: str, lock_store: dict,
                   token: str) -> List[RunningBot]:
    return [stack.enter_context(running_bot(tmp / name, token=token,
                                            tracker_store_url=database_url,
                                            lock_store=lock_store))
            for name in ("a", "b")]


def count_rows(database_url: str, senders: List[str]) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT count(*) FROM events WHERE sender_id = ANY(:s)"), {"s": senders}).scalar()
    engine.dispose()
    return int(rows)


STORES = {
    "atomic": "bot.cluster.lock_store.AtomicRedisLockStore",
    "rasa": "redis",
}


@pytest.mark.parametrize("store", ["atomic", pytest.param("rasa", marks=pytest.mark.skipif(
    not os.environ.get("CLUSTER_COMPARE_RASA"), reason="set CLUSTER_COMPARE_RASA=1"))])
def test_two_replicas_keep_every_event_of_concurrent_messages(
    store: str, tmp_path: Path, redis_port: int, postgres_server: str,
    capsys: pytest.CaptureFixture,
) -> None:
    from tests.storage.conftest import new_postgres_database

    database_url = new_postgres_database(postgres_server)
    lock_store = {"type": STORES[store], "url": "127.0.0.1", "port": redis_port, "db": 3,
                  "key_prefix": store}
    with ExitStack() as stack:
        replicas = start_replicas(stack, tmp_path, database_url, lock_store,
                                  secrets.token_hex(16))
        report = run_scenario(replicas, store)
    rows = count_rows(database_url, report["senders"])
    with capsys.disabled():
        print(f"\n[{store} lock store] {ROUNDS} rounds x {len(replicas)} concurrent messages x "
              f"{CONVERSATIONS} conversations: HTTP {report['statuses']}, "
              f"{report['user_events']} user events of {ROUNDS * 2 * CONVERSATIONS} sent, "
              f"{report['events']} events checked ({rows} rows), "
              f"conversations with problems: {len(report['problems'])} "
              f"{json.dumps(report['problems'])[:800]}")
    if store == "atomic":
        assert report["statuses"] == {200: ROUNDS * 2 * CONVERSATIONS}
        assert report["problems"] == {}
        assert report["user_events"] == ROUNDS * 2 * CONVERSATIONS
        assert rows == report["events"]
