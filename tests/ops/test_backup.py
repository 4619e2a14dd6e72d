"""Backups taken in the middle of conversations restore into a new database, and the
conversations go on from where they were (SQLite and a real PostgreSQL server, real bots).

Also the readiness check against a database that goes away: /webhooks/health/ready says
503 "database unavailable" while PostgreSQL is stopped and 200 once it is back, and
/webhooks/health/live keeps answering 200 (a slow or lost database must not get a
replica restarted).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import sqlalchemy as sa

from bot.servers import ROOT, RunningBot, running_bot
from tests.e2e.conftest import Chat
from tests.storage.postgres import PostgresServer

TOKEN = "backup-test-token"
# An answer to each question a conversation can be waiting on at the backup.
ANSWERS = {
    "distance_increase_pct": "went up from 30 to 40 over the last month",
    "sleep_hours": "about 6 hours, it's broken",
    "diet_factors": "normal, plenty of pasta",
    "shoe_distance_km": "about 300 km on them",
}


def _start_together(stack: ExitStack, jobs: List[Tuple[Path, str]]) -> List[RunningBot]:
    """Start one bot per (workdir, database URL), their start-ups overlapping."""
    managers = [running_bot(workdir, token=TOKEN, tracker_store_url=url) for workdir, url in jobs]
    with ThreadPoolExecutor(len(managers)) as pool:
        bots = list(pool.map(lambda manager: manager.__enter__(), managers))
    for manager in managers:
        stack.push(manager.__exit__)
    return bots


def _get(url: str) -> Tuple[int, Dict[str, Any], float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, json.loads(reply.read()), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.monotonic() - started


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.storage.backup", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _event_count(url: str, sender: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer.running() as server:
        yield server


@pytest.fixture(scope="module")
def origins(
    pg: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dict[str, Tuple[RunningBot, str]]]:
    """One bot on a SQLite file and one on a PostgreSQL database: {kind: (bot, url)}."""
    work = tmp_path_factory.mktemp("backup-origins")
    urls = {"sqlite": f"sqlite:///{work / 'origin.db'}", "postgresql": pg.new_database()}
    with ExitStack() as stack:
        bots = _start_together(stack, [(work / kind, url) for kind, url in urls.items()])
        yield {kind: (bot, urls[kind]) for kind, bot in zip(urls, bots, strict=True)}


def test_readiness_follows_the_database_and_liveness_does_not(origins, pg: PostgresServer) -> None:
    bot, _ = origins["postgresql"]
    status, body, _ = _get(f"{bot.url}/webhooks/health/ready")
    assert status == 200 and body == {
        "ready": True,
        "checks": {"model": "ok", "database": "ok", "actions": "ok"},
    }
    pg.stop()
    try:
        time.sleep(1.1)  # past the readiness cache
        status, body, _ = _get(f"{bot.url}/webhooks/health/ready")
        assert status == 503 and body["ready"] is False
        assert body["checks"]["database"] == "unavailable" and body["checks"]["model"] == "ok"
        status, body, took = _get(f"{bot.url}/webhooks/health/live")
        assert status == 200 and body == {"live": True} and took < 1.0
    finally:
        pg.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body, _ = _get(f"{bot.url}/webhooks/health/ready")
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200, body
    # the SQLite bot was never affected
    assert _get(f"{origins['sqlite'][0].url}/webhooks/health/ready")[0] == 200


def test_a_backup_taken_mid_conversation_restores_and_the_conversations_continue(
    origins, pg: PostgresServer, tmp_path: Path
) -> None:
    chats: Dict[str, List[Chat]] = {}
    for kind, (bot, _) in origins.items():
        first, second = Chat(bot, f"bk-{kind}-1"), Chat(bot, f"bk-{kind}-2")
        first.say("my legs feel heavy on my runs lately")
        first.say("about 40 km a week")
        assert first.slot("requested_slot") == "distance_increase_pct"
        second.say("my legs have been achy and flat for two weeks")
        second.say("25 miles")
        second.say("same as always")
        assert second.slot("requested_slot") in ANSWERS
        chats[kind] = [first, second]
    before = {chat.sender: chat.tracker()["slots"] for pair in chats.values() for chat in pair}

    # Back up while another runner's conversation is being written.
    restored_urls: Dict[str, str] = {}
    for kind, (bot, url) in origins.items():
        busy = Chat(bot, f"bk-{kind}-busy")
        writer = threading.Thread(
            target=lambda c=busy: [
                c.say(t) for t in ("my legs are heavy", "30 km", "same", "7 hours")
            ]
        )
        writer.start()
        made = _cli("backup", "--url", url, "--dir", str(tmp_path / kind))
        writer.join(120)
        assert made.returncode == 0, made.stderr
        files = list((tmp_path / kind).glob("heavylegs-*"))
        assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
        target = (
            f"sqlite:///{tmp_path / 'restored.db'}"
            if kind == "sqlite"
            else f"{pg.url}/restored_{kind}"
        )
        done = _cli("restore", str(files[0]), "--url", target)
        assert done.returncode == 0, done.stderr
        again = _cli("restore", str(files[0]), "--url", target)
        assert again.returncode == 1 and "already holds conversations" in again.stderr
        for chat in chats[kind]:
            assert _event_count(target, chat.sender) == _event_count(url, chat.sender) > 0
        restored_urls[kind] = target

    with ExitStack() as stack:
        bots = _start_together(
            stack, [(tmp_path / f"bot-{kind}", restored_urls[kind]) for kind in origins]
        )
        for kind, bot in zip(origins, bots, strict=True):
            for old in chats[kind]:
                chat = Chat(bot, old.sender)
                # the restored conversation is where it was: same answers, same open question
                slots = chat.tracker()["slots"]
                assert slots == before[chat.sender], kind
                waiting = slots["requested_slot"]
                chat.say(ANSWERS[waiting])
                # ... and goes on: that answer taken, the next question is a new one
                after = chat.tracker()["slots"]
                assert after[waiting] is not None and after["requested_slot"] != waiting, kind
                assert after["weekly_distance_km"] == before[chat.sender]["weekly_distance_km"]
