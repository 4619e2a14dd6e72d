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
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator

import pytest

from bot.servers import ROOT, free_port


def port_block(size: int) -> int:
    """A base port whose next `size` ports are free."""
    for _ in range(50):
        base = free_port()
        if base + size >= 65535:
            continue
        try:
            for offset in range(1, size + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port block")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Dict[str, str]]:
    # Not under pytest's 0700 temp root: PostgreSQL runs as `postgres` when we are root.
    directory = Path(tempfile.mkdtemp(prefix="heavylegs-cluster-"))
    directory.chmod(0o755)
    env = dict(os.environ, CLUSTER_DIR=str(directory), RASA_REPLICAS="2", ACTION_REPLICAS="2",
               CLUSTER_PORT=str(free_port()), CLUSTER_ACTIONS_PORT=str(free_port()),
               CLUSTER_PG_PORT=str(free_port()), CLUSTER_REDIS_PORT=str(free_port()),
               CLUSTER_WEB_PORT=str(free_port()), RASA_BASE_PORT=str(port_block(2)),
               ACTIONS_BASE_PORT=str(port_block(2)))
    try:
        result = subprocess.run([str(ROOT / "scripts/cluster_up.sh")], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        secrets_env = dict(line.split("=", 1) for line in
                           (directory / "secrets.env").read_text().split())
        yield {"url": f"http://127.0.0.1:{env['CLUSTER_PORT']}", "dir": str(directory),
               "token": secrets_env["RASA_AUTH_TOKEN"], **env}
    finally:
        down = subprocess.run([str(ROOT / "scripts/cluster_down.sh")], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
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
    return Counter(address for address in re.findall(rf"{marker}.*upstream=(\S+)", log)
                   if address != "-")  # "-": answered by nginx itself


def test_rest_through_nginx_reaches_the_action_servers_and_both_replicas(cluster) -> None:
    sender = f"cluster-{secrets.token_hex(4)}"
    status, headers, body = request(f"{cluster['url']}/webhooks/rest/webhook",
                                    {"sender": sender, "message": "my legs feel heavy"})
    assert status == 200
    texts = " ".join(m.get("text", "") for m in json.loads(body))
    assert "not responding" not in texts and texts
    assert "heavylegs_route=" in headers.get("Set-Cookie", "")
    for _ in range(16):  # no cookie: spread over the replicas
        request(f"{cluster['url']}/webhooks/rest/webhook?probe=spread",
                {"sender": sender, "message": "hello"})
    assert len(upstreams(cluster, "probe=spread")) == 2
    # With the cookie, every request goes to one replica.
    cookie = "heavylegs_route=" + secrets.token_hex(16)
    for _ in range(8):
        status, headers, _ = request(f"{cluster['url']}/webhooks/rest/webhook?probe=sticky",
                                     {"sender": sender, "message": "hello"}, cookie)
        assert status == 200 and "Set-Cookie" not in headers
    assert len(upstreams(cluster, "probe=sticky")) == 1
    # The conversation is whole in the shared tracker store, whichever replica answers.
    status, _, body = request(f"{cluster['url']}/conversations/{sender}/tracker"
                              f"?token={cluster['token']}")
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
            await client.emit("user_uttered", {
                "message": "my legs feel heavy", "session_id": confirmed["session_id"],
                "session_token": confirmed["session_token"]})

        await client.connect(cluster["url"], transports=["polling"],
                             headers={"Origin": cluster["url"]}, wait_timeout=20)
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
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: {cluster['url']}\r\nCookie: {cookie}\r\n\r\n").encode())
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
        assert rest[0] == 0x81 and rest[2:2 + rest[1]] == b"3probe"
