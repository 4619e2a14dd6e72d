"""`make cluster` for real: scripts/cluster_up.sh with 2 Rasa replicas and 2 action
servers behind nginx, PostgreSQL and Redis, in a temporary CLUSTER_DIR on free ports;
then scripts/cluster_down.sh."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator

import pytest

from bot.servers import ROOT, free_port, port_block


@pytest.fixture(scope="module")
def cluster() -> Iterator[Dict[str, str]]:
    # Not under pytest's 0700 temp root: PostgreSQL runs as `postgres` when we are root.
    directory = Path(tempfile.mkdtemp(prefix="heavylegs-cluster-"))
    directory.chmod(0o755)
    env = dict(
        os.environ,
        CLUSTER_DIR=str(directory),
        RASA_REPLICAS="2",
        ACTION_REPLICAS="2",
        CLUSTER_PORT=str(free_port()),
        CLUSTER_ACTIONS_PORT=str(free_port()),
        CLUSTER_PG_PORT=str(free_port()),
        CLUSTER_REDIS_PORT=str(free_port()),
        CLUSTER_WEB_PORT=str(free_port()),
        RASA_BASE_PORT=str(port_block(2)),
        ACTIONS_BASE_PORT=str(port_block(2)),
        # short, so the failover test's conversation whose lock a killed replica
        # held goes on soon (Rasa's default is 60 s; turns take well under 2 s)
        TICKET_LOCK_LIFETIME="10",
    )
    try:
        result = subprocess.run(
            [str(ROOT / "scripts/cluster_up.sh")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        secrets_env = dict(
            line.split("=", 1) for line in (directory / "secrets.env").read_text().split()
        )
        yield {
            "url": f"http://127.0.0.1:{env['CLUSTER_PORT']}",
            "dir": str(directory),
            "token": secrets_env["RASA_AUTH_TOKEN"],
            **env,
        }
    finally:
        down = subprocess.run(
            [str(ROOT / "scripts/cluster_down.sh")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert down.returncode == 0, down.stdout + down.stderr
        assert not list((directory / "run").glob("*.pid"))
        shutil.rmtree(directory, ignore_errors=True)


def request(url: str, body: dict | None = None, cookie: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def upstreams(cluster: Dict[str, str], marker: str) -> Counter:
    log = (Path(cluster["dir"]) / "nginx/access.log").read_text()
    return Counter(
        address for address in re.findall(rf"{marker}.*upstream=(\S+)", log) if address != "-"
    )  # "-": answered by nginx itself


def test_rest_through_nginx_reaches_the_action_servers_and_both_replicas(cluster) -> None:
    sender = f"cluster-{secrets.token_hex(4)}"
    status, headers, body = request(
        f"{cluster['url']}/webhooks/rest/webhook",
        {"sender": sender, "message": "my legs feel heavy"},
    )
    assert status == 200
    texts = " ".join(m.get("text", "") for m in json.loads(body))
    assert "not responding" not in texts and texts
    assert "heavylegs_route=" in headers.get("Set-Cookie", "")
    for _ in range(16):  # no cookie: spread over the replicas
        request(
            f"{cluster['url']}/webhooks/rest/webhook?probe=spread",
            {"sender": sender, "message": "hello"},
        )
    assert len(upstreams(cluster, "probe=spread")) == 2
    # With the cookie, every request goes to one replica.
    cookie = "heavylegs_route=" + secrets.token_hex(16)
    for _ in range(8):
        status, headers, _ = request(
            f"{cluster['url']}/webhooks/rest/webhook?probe=sticky",
            {"sender": sender, "message": "hello"},
            cookie,
        )
        assert status == 200 and "Set-Cookie" not in headers
    assert len(upstreams(cluster, "probe=sticky")) == 1
    # The conversation is whole in the shared tracker store, whichever replica answers.
    status, _, body = request(
        f"{cluster['url']}/conversations/{sender}/tracker?token={cluster['token']}"
    )
    events = json.loads(body)["events"]
    assert status == 200 and sum(e["event"] == "user" for e in events) == 25
    # The API needs the token.
    assert request(f"{cluster['url']}/conversations/{sender}/tracker")[0] == 401


def test_set_webhook_is_denied_and_the_page_is_served(cluster) -> None:
    for body in (None, {}):
        assert request(f"{cluster['url']}/webhooks/telegram/set_webhook", body)[0] == 403
    status, _, page = request(f"{cluster['url']}/")
    assert status == 200 and b"<html" in page.lower()
    config = json.loads(request(f"{cluster['url']}/config.json")[2])
    assert config["socketUrl"] == cluster["url"]


def test_socketio_chat_through_nginx(cluster) -> None:
    """A socket.io conversation (long-polling) through nginx, sticky by cookie."""
    import aiohttp
    import socketio

    session_id = secrets.token_hex(16)
    received: list = []
    received_ids: list = []

    async def chat() -> None:
        # Like a browser: keep the route cookie nginx sets on the first request.
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        done = asyncio.Event()

        @client.on("bot_uttered")
        async def on_bot(message):  # noqa: ANN001
            received.append(message)
            done.set()

        @client.on("session_confirm")
        async def on_confirm(confirmed):  # noqa: ANN001
            # the server gives a signed id (bot/security/session_ids.py): talk with it
            received_ids.append(confirmed)
            await client.emit(
                "user_uttered",
                {
                    "message": "my legs feel heavy",
                    "session_id": confirmed["session_id"],
                    "session_token": confirmed["session_token"],
                },
            )

        await client.connect(
            cluster["url"],
            transports=["polling"],
            headers={"Origin": cluster["url"]},
            wait_timeout=20,
        )
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(done.wait(), 60)
        await client.disconnect()
        await http.close()

    asyncio.run(chat())
    assert received_ids and received_ids[0]["session_id"].startswith("web-")
    assert received and received[0].get("text")
    assert "session" not in received[0]["text"].lower()  # an answer, not a refusal
    # Every poll of this client (the first socket.io client here) went to one replica.
    assert len(upstreams(cluster, "/socket.io/")) == 1
    # The actions were called through nginx, round robin over both action servers.
    assert len(upstreams(cluster, "POST /webhook ")) == 2


def test_socketio_websocket_upgrade_through_nginx(cluster) -> None:
    cookie = "heavylegs_route=" + secrets.token_hex(16)
    status, _, body = request(f"{cluster['url']}/socket.io/?EIO=4&transport=polling", cookie=cookie)
    assert status == 200
    sid = json.loads(body.decode()[1:])["sid"]
    port = int(cluster["CLUSTER_PORT"])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {cluster['url']}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += sock.recv(4096)
        head, _, rest = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        # Engine.IO's upgrade probe over the websocket: "2probe" -> "3probe".
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"2probe"))
        sock.sendall(bytes([0x81, 0x80 | 6]) + mask + payload)
        while len(rest) < 8:
            rest += sock.recv(4096)
        assert rest[0] == 0x81 and rest[2 : 2 + rest[1]] == b"3probe"


def test_a_short_soak_has_no_errors(cluster, tmp_path: Path) -> None:
    """scripts/soak.py (make soak: 30 minutes) as a 45-second smoke run on this cluster."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/soak.py"),
            "--url",
            cluster["url"],
            "--cluster-dir",
            cluster["dir"],
            "--minutes",
            "0.75",
            "--rate",
            "8",
            "--sample",
            "3",
            "--smoke",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "soak.json").read_text())
    assert report["errors"] == 0 and report["turns"] >= 0.75 * 60 * 8 * 0.8
    # every process of the cluster was measured
    names = set(report["first"]["processes"])
    assert {
        "rasa1",
        "rasa2",
        "actions1",
        "actions2",
        "web",
        "redis",
        "postgres",
        "nginx-master",
        "watch",
    } <= names, names
    assert (tmp_path / "soak.md").exists()


# --- Failover (issue 17). These run last: they kill parts and restart them. ---


class Load:
    """Runners talking through nginx, one thread per conversation, each message unique."""

    OPENING = "my legs feel heavy on runs lately"
    STEPS = (
        "about 40 km a week, message {n}",
        "same as usual, message {n}",
        "7 hours most nights, message {n}",
        "normal food, message {n}",
        "legs still heavy, message {n}",
    )

    def __init__(self, url: str, runners: int, tag: str) -> None:
        import threading

        self.url, self.stop = url, threading.Event()
        self.log: Dict[str, list] = {
            f"{tag}-{i}-{secrets.token_hex(3)}": [] for i in range(runners)
        }
        self.threads = [threading.Thread(target=self._talk, args=(sender,)) for sender in self.log]

    def _talk(self, sender: str) -> None:
        import time

        n = 0
        while not self.stop.is_set():
            text = self.OPENING if n == 0 else self.STEPS[n % len(self.STEPS)].format(n=n)
            sent = time.monotonic()
            status, _, body = request(
                f"{self.url}/webhooks/rest/webhook?probe=load", {"sender": sender, "message": text}
            )
            answered = status == 200 and bool(json.loads(body))
            self.log[sender].append(
                {
                    "text": text,
                    "status": status,
                    "sent": sent,
                    "done": time.monotonic(),
                    "answered": answered,
                    "body": body[:300],
                }
            )
            n += 1
            time.sleep(0.05)

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def turns(self) -> list:
        return [turn for turns in self.log.values() for turn in turns]


def stored_user_texts(cluster: Dict[str, str], sender: str) -> list:
    status, _, body = request(
        f"{cluster['url']}/conversations/{sender}/tracker?token={cluster['token']}"
    )
    assert status == 200, body[:300]
    return [e["text"] for e in json.loads(body)["events"] if e["event"] == "user"]


def assert_stored_once_in_order(cluster: Dict[str, str], load: Load) -> None:
    """Every answered message is in the tracker store exactly once, in the order sent."""
    for sender, turns in load.log.items():
        stored = stored_user_texts(cluster, sender)
        answered = [turn["text"] for turn in turns if turn["answered"]]
        assert len(stored) == len(set(stored)), f"{sender}: a message stored twice: {stored}"
        assert [text for text in stored if text in set(answered)] == answered, sender
        assert set(stored) <= {turn["text"] for turn in turns}, sender


def redis_client(cluster: Dict[str, str]):  # noqa: ANN201 - redis.Redis
    import redis

    password = dict(
        line.split("=", 1) for line in (Path(cluster["dir"]) / "secrets.env").read_text().split()
    )["REDIS_PASSWORD"]
    return redis.Redis(
        host="127.0.0.1", port=int(cluster["CLUSTER_REDIS_PORT"]), db=1, password=password
    )


def restart_missing(cluster: Dict[str, str]) -> None:
    """`make cluster` again: starts whatever is not running, leaves the rest."""
    env = {key: value for key, value in cluster.items() if key.isupper()}
    result = subprocess.run(
        [str(ROOT / "scripts/cluster_up.sh")],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def write_figures(name: str, figures: dict) -> None:
    out = ROOT / "results" / "failover"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfailover {name}: {json.dumps(figures)}")


def test_an_action_server_killed_under_load_is_not_noticed(cluster) -> None:
    import signal
    import time

    directory = Path(cluster["dir"])
    pid = int((directory / "run/actions1.pid").read_text())
    with Load(cluster["url"], 3, "act") as load:
        time.sleep(2)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(6)
    turns = load.turns()
    after = [turn for turn in turns if turn["sent"] > killed]
    assert after and all(turn["answered"] for turn in turns), [
        t for t in turns if not t["answered"]
    ]
    # Only a call the dead server was running is lost (nginx does not resend a POST that
    # reached a server: the action may have written): that turn says so in clear words;
    # every turn that started after the kill had its actions run by the other server.
    lost = [turn for turn in turns if b"not responding" in turn["body"]]
    assert all(turn["sent"] <= killed <= turn["done"] for turn in lost), (
        killed,
        lost,
        (directory / "nginx/error.log").read_text()[-3000:],
    )
    assert len(lost) <= len(load.log)
    assert_stored_once_in_order(cluster, load)
    write_figures(
        "action_server",
        {
            "turns_with_a_lost_action_call": len(lost),
            "sent": len(turns),
            "answered": sum(t["answered"] for t in turns),
            "sent_after_kill": len(after),
        },
    )
    restart_missing(cluster)


def test_a_rasa_replica_killed_under_load_fails_over_and_rejoins(cluster) -> None:
    import signal
    import threading
    import time

    directory = Path(cluster["dir"])
    pid = int((directory / "run/rasa1.pid").read_text())
    replica1 = f"127.0.0.1:{int(cluster['RASA_BASE_PORT']) + 1}"
    lifetime = float(cluster["TICKET_LOCK_LIFETIME"])
    held = f"held-{secrets.token_hex(4)}"
    in_flight: Dict[str, object] = {}

    def turn_on_replica1() -> None:  # a turn replica 1 is running when it dies
        try:
            in_flight["reply"] = request(
                f"http://{replica1}/webhooks/rest/webhook",
                {"sender": held, "message": Load.OPENING},
            )
        except (urllib.error.URLError, ConnectionError) as error:  # cut off mid-turn
            in_flight["reply"] = (0, {}, repr(error).encode())

    with Load(cluster["url"], 4, "fail") as load:
        time.sleep(3)
        speaker = threading.Thread(target=turn_on_replica1)
        speaker.start()
        # kill replica 1 while it holds that conversation's lock (its ticket is in Redis)
        locks = redis_client(cluster)
        deadline = time.monotonic() + 10
        while not locks.keys(f"*:lock:{held}") and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        # a new conversation (no lock anywhere) is answered at once by the other replica
        while True:
            status, _, body = request(
                f"{cluster['url']}/webhooks/rest/webhook?probe=new",
                {"sender": f"new-{secrets.token_hex(4)}", "message": Load.OPENING},
            )
            if status == 200:
                break
            assert time.monotonic() - killed < 30, (status, body[:300])
        new_answered = time.monotonic() - killed
        speaker.join(30)
        assert in_flight["reply"][0] != 200, "the turn ended before replica 1 was killed"
        locks.close()
        # the conversation whose lock replica 1 held goes on within the lock's lifetime
        started = time.monotonic()
        while True:
            status, _, body = request(
                f"{cluster['url']}/webhooks/rest/webhook",
                {"sender": held, "message": "about 30 km a week, after the crash"},
            )
            if status == 200 and json.loads(body):
                break
            assert time.monotonic() - started < lifetime + 30, (status, body[:300])
            time.sleep(0.5)
        held_resumed = time.monotonic() - started
        time.sleep(4)
    turns = load.turns()
    failed = [turn for turn in turns if not turn["answered"]]
    after = sorted((t for t in turns if t["sent"] >= killed), key=lambda t: t["done"])
    first_answer_after = next(t["done"] for t in after if t["answered"]) - killed
    # only turns that replica 1 was running when it died can fail (nginx does not resend a POST)
    assert len(failed) <= 4, failed
    assert new_answered < 5
    assert all(t["sent"] <= killed + 0.5 for t in failed), failed
    assert_stored_once_in_order(cluster, load)
    held_stored = stored_user_texts(cluster, held)
    assert held_stored.count("about 30 km a week, after the crash") == 1
    assert held_resumed < lifetime + 30
    watch_log = (directory / "logs/watch.log").read_text()
    assert f"{replica1} not ready: out of rotation" in watch_log

    # restarted, replica 1 rejoins once it is ready, and gets traffic again
    restart_missing(cluster)
    started = time.monotonic()
    while f"{replica1} ready: back in rotation" not in (directory / "logs/watch.log").read_text():
        assert time.monotonic() - started < 60, (directory / "logs/watch.log").read_text()
        time.sleep(0.5)
    rejoined = time.monotonic() - started
    for _ in range(16):
        request(
            f"{cluster['url']}/webhooks/rest/webhook?probe=rejoin",
            {"sender": f"rejoin-{secrets.token_hex(3)}", "message": "hello"},
        )
    assert len(upstreams(cluster, "probe=rejoin")) == 2
    write_figures(
        "rasa_replica",
        {
            "runners": len(load.log),
            "sent": len(turns),
            "answered": len(turns) - len(failed),
            "failed": len(failed),
            "failed_statuses": sorted({t["status"] for t in failed}),
            "seconds_to_first_answer_after_kill": round(first_answer_after, 2),
            "new_conversation_answered_after_kill_s": round(new_answered, 2),
            "held_lock_conversation_resumed_after_s": round(held_resumed, 2),
            "lock_lifetime_s": lifetime,
            "rejoined_s_after_cluster_up_returned": round(rejoined, 2),
        },
    )


def test_redis_away_and_back(cluster) -> None:
    import signal
    import time

    directory = Path(cluster["dir"])
    sender = f"redis-{secrets.token_hex(4)}"
    assert (
        request(
            f"{cluster['url']}/webhooks/rest/webhook", {"sender": sender, "message": Load.OPENING}
        )[0]
        == 200
    )
    os.kill(int((directory / "run/redis.pid").read_text()), signal.SIGKILL)
    time.sleep(0.5)
    status, _, body = request(
        f"{cluster['url']}/webhooks/rest/webhook",
        {"sender": sender, "message": "about 40 km a week"},
    )
    during = {"status": status, "body": body[:400].decode(errors="replace")}
    # readiness is worked out at most once a second (bot/channels/health.py): a result
    # from just before Redis went away may still be served for up to a second
    deadline = time.monotonic() + 5
    while True:
        ready = [
            request(f"http://127.0.0.1:{int(cluster['RASA_BASE_PORT']) + i}"
                    "/webhooks/health/ready")
            for i in (1, 2)
        ]
        if all(r[0] == 503 for r in ready) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    restart_missing(cluster)  # starts redis-server again (it keeps no data: locks are short-lived)
    started = time.monotonic()
    attempt = 0
    while True:  # a refused turn is not stored, so the runner just says it again
        attempt += 1
        status, _, body = request(
            f"{cluster['url']}/webhooks/rest/webhook",
            {"sender": sender, "message": f"about 40 km a week, again {attempt}"},
        )
        if status == 200 and b"went wrong" not in body:
            break
        assert time.monotonic() - started < 60, (status, body[:300])
        time.sleep(0.5)
    write_figures(
        "redis",
        {
            "while_away": during,
            "ready_while_away": [r[0] for r in ready],
            "answered_again_after_s": round(time.monotonic() - started, 2),
            "attempts_after_restart": attempt,
        },
    )
    # While Redis is away a turn cannot take its conversation's lock: the runner gets a
    # clear answer (never a 500 or silence) and readiness says 503 (lock_store).
    assert during["status"] != 500 and all(r[0] == 503 for r in ready)
    assert (
        b'"lock_store": "unavailable"' in ready[0][2]
        or b'"lock_store":"unavailable"' in ready[0][2]
    )
    stored = stored_user_texts(cluster, sender)
    # the refused turns left nothing behind; the answered one is stored once
    assert [text for text in stored if "again" in text] == [f"about 40 km a week, again {attempt}"]
    assert "about 40 km a week" not in stored  # the turn refused while Redis was away
