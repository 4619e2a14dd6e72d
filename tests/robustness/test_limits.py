"""Bounded resources and ids that cannot forge log lines (issue 12, points 4 and 5).

* Request bodies over Sanic's ``REQUEST_MAX_SIZE`` (1 MiB as the project starts
  Rasa) are refused with 413 from their Content-Length, before they are read
  (before: a 30 MB body was read whole, then refused), and a chunked body as
  soon as it passes the limit; a client that stalls in its headers is cut off
  after ``REQUEST_TIMEOUT`` (15 s, Sanic's default is 60 s).
* A per-conversation rate limit with a clear message (bot/security/rate_limit.py)
  on every channel's common path (bot/channels/turn_guard.py).
* Sender ids refuse line and paragraph separators and format characters, so an
  id cannot write what looks like a separate log line.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.turn_guard import guarded_turn
from bot.security import rate_limit
from bot.security.input import RATE_LIMITED_REPLY, BadRequest, check_sender
from bot.security.rate_limit import RateLimiter, limiter_from_env
from bot.servers import RASA_SANIC_SETTINGS, ROOT, RunningBot, running_bot
from tests.robustness.chat_client import ChatPage
from tests.robustness.conftest import get_json, post_raw, tracker_url

MAX_SIZE = int(RASA_SANIC_SETTINGS["SANIC_REQUEST_MAX_SIZE"])
THIRTY_MB = 30 * 1024 * 1024
FORGED = "2026-01-01 00:00:00 ERROR    rasa.core.processor  - FORGED by a sender id"


# ----------------------------------------------------------------- sender ids

@pytest.mark.parametrize("character", [
    "\u2028",  # LINE SEPARATOR (Zl)
    "\u2029",  # PARAGRAPH SEPARATOR (Zp)
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE (Cf)
    "\u200b",  # ZERO WIDTH SPACE (Cf)
    "\u200d",  # ZERO WIDTH JOINER (Cf)
    "\ufeff",  # BYTE ORDER MARK (Cf)
    "\u00ad",  # SOFT HYPHEN (Cf)
    "\u2066",  # LEFT-TO-RIGHT ISOLATE (Cf)
])
def test_sender_ids_refuse_separators_and_format_characters(character: str) -> None:
    with pytest.raises(BadRequest, match="separators or format characters"):
        check_sender(f"runner{character}1")


@pytest.mark.parametrize("sender", ["runner-1", "510000001", "web-" + "a" * 32,
                                    "U123ABC:D456", "José", "runner 1"])
def test_ordinary_sender_ids_are_kept(sender: str) -> None:
    assert check_sender(sender) == sender


def test_why_a_line_separator_could_forge_a_log_line() -> None:
    """Python (and many log viewers) break lines at U+2028: one record, two lines."""
    record = f"2026-01-01 00:00:00 WARNING  rasa.core.processor  - sender 'x\u2028{FORGED}'"
    assert record.splitlines()[1] == FORGED + "'"


# ----------------------------------------------------------------- the rate limit

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=3, per_second=0.5, clock=clock)
    assert [limiter.check("a").allowed for _ in range(3)] == [True] * 3
    refused = limiter.check("a")
    assert not refused.allowed and refused.first_refusal and refused.retry_after == 2.0
    again = limiter.check("a")
    assert not again.allowed and not again.first_refusal  # said once per spell
    assert limiter.check("b").allowed  # per conversation
    clock.now += 2.0
    assert limiter.check("a").allowed
    assert not limiter.check("a").allowed
    clock.now += 60
    assert [limiter.check("a").allowed for _ in range(4)] == [True, True, True, False]


def test_the_limiter_keeps_a_bounded_number_of_conversations() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=1, per_second=0.01, max_keys=100, clock=clock)
    for number in range(1000):
        limiter.check(f"sender-{number}")
    assert len(limiter) == 100
    assert not limiter.check("sender-999").allowed  # recent ones are kept


def test_the_limit_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("BOT_RATE_LIMIT_BURST", "5")
    monkeypatch.setenv("BOT_RATE_LIMIT_PER_SECOND", "0.25")
    limiter = limiter_from_env()
    assert (limiter.burst, limiter.per_second) == (5, 0.25)
    monkeypatch.setenv("BOT_RATE_LIMIT_BURST", "0")
    assert limiter_from_env().check("x").allowed and not limiter_from_env().enabled
    for name, value in (("BOT_RATE_LIMIT_BURST", "many"), ("BOT_RATE_LIMIT_BURST", "2.5"),
                        ("BOT_RATE_LIMIT_PER_SECOND", "0")):
        monkeypatch.setenv("BOT_RATE_LIMIT_BURST", "5")
        monkeypatch.setenv("BOT_RATE_LIMIT_PER_SECOND", "1")
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError):
            limiter_from_env()


@pytest.fixture
def strict_limit() -> Iterator[RateLimiter]:
    limiter = RateLimiter(burst=2, per_second=0.001)
    rate_limit.reset_rate_limiter(limiter)
    try:
        yield limiter
    finally:
        rate_limit.reset_rate_limiter()


@pytest.mark.parametrize("channel, every", [("telegram", False), ("slack", False),
                                            ("rest", True), ("socketio", True)])
def test_every_channel_refuses_turns_over_the_limit_with_the_safety_advice(
    strict_limit: RateLimiter, channel: str, every: bool
) -> None:
    """The common path of every channel (guarded_turn): over the limit, no turn runs.

    Telegram and Slack are told once per spell (each answer is an outbound API call);
    REST and the chat page get the answer for every refused message."""
    turns: List[str] = []

    async def on_new_message(message: UserMessage) -> None:
        turns.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "answer")

    async def conversation() -> List[Any]:
        output = CollectingOutputChannel()
        outcomes = []
        for number in range(5):
            message = UserMessage(f"message {number}", output, "runner-1",
                                  input_channel=channel)
            outcomes.append(await guarded_turn(on_new_message, message,
                                               notify_every_refusal=every))
        return [outcomes, [m["text"] for m in output.messages]]

    outcomes, texts = asyncio.run(conversation())
    assert turns == ["message 0", "message 1"]
    assert [o.rate_limited for o in outcomes] == [False, False, True, True, True]
    assert all(o.retry_after > 0 for o in outcomes[2:])
    assert texts[:2] == ["answer", "answer"]
    assert texts[2:] == [RATE_LIMITED_REPLY] * (3 if every else 1)
    assert "emergency number" in RATE_LIMITED_REPLY and "wait a few seconds" in RATE_LIMITED_REPLY


# ----------------------------------------------------------------- the real servers

@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    # A strict limit for this module: 3 messages at once, then one every 20 s.
    with running_bot(tmp_path_factory.mktemp("limits"), token=secrets.token_hex(16),
                     extra_env={"BOT_RATE_LIMIT_BURST": "3",
                                "BOT_RATE_LIMIT_PER_SECOND": "0.05"}) as running:
        yield running


def webhook(bot: RunningBot) -> str:
    return f"{bot.url}/webhooks/rest/webhook"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def status_of(reply: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    assert match, reply[:200]
    return int(match.group(1))


def send_big_body(bot: RunningBot, headers: str, chunks: Iterator[bytes]) -> dict:
    """Send the headers, then body chunks from another thread while reading the answer.

    Returns the answer, when it came (seconds after the headers were sent), how many
    body bytes had been sent by then and in all, and whether sending was cut off."""
    port = int(bot.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = {"bytes": 0, "cut": False, "at_answer": None}

    def pump() -> None:
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                sent["bytes"] += len(chunk)
        except OSError:
            sent["cut"] = True

    started = time.monotonic()
    sock.sendall(headers.encode())
    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    reply = b""
    try:
        while b"\r\n\r\n" not in reply:
            try:
                data = sock.recv(65536)
            except OSError:  # reset after the answer: keep what arrived
                break
            if not data:
                break
            reply += data
        sent["at_answer"] = sent["bytes"]
        seconds = time.monotonic() - started
    finally:
        sender.join(timeout=30)
        sock.close()
    return {"reply": reply, "seconds": seconds, **sent}


@pytest.mark.servers
def test_a_30_mb_body_is_refused_from_its_content_length_without_being_read(
    bot: RunningBot
) -> None:
    assert bot.rasa_pid is not None
    before = rss_kb(bot.rasa_pid)
    chunk = b"a" * 65536
    result = send_big_body(
        bot,
        f"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {THIRTY_MB}\r\n\r\n",
        (chunk for _ in range(THIRTY_MB // len(chunk))),
    )
    assert status_of(result["reply"]) == 413
    # The answer came at once, long before the body could have been sent (or read):
    # the server answered from the header, then closed the connection.
    assert result["seconds"] < 5, result
    assert result["at_answer"] < THIRTY_MB // 2, result
    assert result["cut"] or result["bytes"] < THIRTY_MB, result
    assert rss_kb(bot.rasa_pid) - before < 20_000  # KB: no 30 MB buffer
    assert get_json(f"{bot.url}/status?token={bot.token}")  # still serving


@pytest.mark.servers
def test_a_chunked_body_is_refused_once_it_passes_the_limit(bot: RunningBot) -> None:
    piece = b"a" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    result = send_big_body(
        bot,
        "POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        (chunk for _ in range(THIRTY_MB // len(piece))),
    )
    assert status_of(result["reply"]) == 413
    assert result["seconds"] < 10, result
    assert result["at_answer"] < THIRTY_MB // 2, result


@pytest.mark.servers
def test_a_body_under_the_limit_still_reaches_the_channel(bot: RunningBot) -> None:
    body = json.dumps({"sender": "limits-size", "message": "a" * (MAX_SIZE - 100)}).encode()
    assert MAX_SIZE - 100 < len(body) <= MAX_SIZE
    answer = post_raw(webhook(bot), body)
    assert answer.status == 413  # the channel's own limit (256 KiB), with its message
    assert "larger than 262144 bytes" in answer.json()["error"]


@pytest.mark.servers
def test_a_client_stalling_in_its_headers_is_cut_off(bot: RunningBot) -> None:
    timeout = int(RASA_SANIC_SETTINGS["SANIC_REQUEST_TIMEOUT"])
    port = int(bot.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout * 3) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        reply = b""
        while True:
            data = sock.recv(4096)
            if not data:
                break
            reply += data
        waited = time.monotonic() - started
    # Sanic checks its timeouts every REQUEST_TIMEOUT / 2 seconds.
    assert timeout <= waited < timeout * 1.6 + 2, waited
    assert reply == b"" or status_of(reply) == 408


@pytest.mark.servers
def test_rest_over_the_rate_limit_gets_429_and_the_turn_is_not_run(bot: RunningBot) -> None:
    sender = f"limits-{secrets.token_hex(4)}"
    texts = ["my legs feel heavy after my runs", "about 30 km a week", "steady",
             "I sleep about 7 hours", "I eat normally"]
    answers = [post_raw(webhook(bot), json.dumps({"sender": sender, "message": text}).encode())
               for text in texts]
    assert [a.status for a in answers[:3]] == [200, 200, 200]
    for answer in answers[3:]:
        assert answer.status == 429
        assert answer.json()["error"] == RATE_LIMITED_REPLY
        assert 1 <= int(answer_headers(bot, sender)["Retry-After"]) <= 20
    events = get_json(tracker_url(bot.url, sender, bot.token) + "&include_events=ALL")["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == texts[:3]
    # Another conversation is not held back.
    other = post_raw(webhook(bot), json.dumps({"sender": sender + "-b",
                                               "message": "hello"}).encode())
    assert other.status == 200


def answer_headers(bot: RunningBot, sender: str) -> dict:
    """The headers of one more (refused) answer for ``sender``."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        webhook(bot), data=json.dumps({"sender": sender, "message": "again"}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(response.headers)
    except urllib.error.HTTPError as error:
        assert error.code == 429
        return dict(error.headers)


@pytest.mark.servers
def test_socketio_over_the_rate_limit_is_told_each_time(bot: RunningBot) -> None:
    page = ChatPage(bot.url).connect()
    try:
        conversation = page.request_session(None)
        for number in range(3):
            texts = page.say(f"hello {number}", conversation, quiet=0.5)
            assert RATE_LIMITED_REPLY not in texts
        for number in range(2):
            assert page.say(f"too fast {number}", conversation, quiet=0.8) == [
                RATE_LIMITED_REPLY]
    finally:
        page.close()


@pytest.mark.servers
def test_a_line_separator_in_an_id_cannot_forge_a_log_line(bot: RunningBot) -> None:
    sender = f"x\u2028{FORGED}"
    answer = post_raw(webhook(bot), json.dumps({"sender": sender, "message": "hi"}).encode())
    assert answer.status == 400 and "separators" in answer.json()["error"]
    page = ChatPage(bot.url).connect()
    try:
        assert page.request_session(sender) != sender  # a fresh conversation instead
        page.emit({"message": "hi", "session_id": sender})
        time.sleep(1.0)
    finally:
        page.close()
    assert bot.rasa_log is not None
    log = bot.rasa_log.read_text(errors="replace")
    assert "FORGED" not in log
    assert not any(line.startswith(FORGED[:20]) for line in log.splitlines())


# ----------------------------------------------------------------- everywhere Rasa starts

def test_every_way_the_project_starts_rasa_sets_the_sanic_limits_and_the_secret() -> None:
    places = {
        "scripts/run.sh": (ROOT / "scripts/run.sh").read_text(),
        "scripts/cluster_up.sh": (ROOT / "scripts/cluster_up.sh").read_text(),
        "deploy/docker/rasa.Dockerfile": (ROOT / "deploy/docker/rasa.Dockerfile").read_text(),
        "deploy/k8s/rasa.yaml": (ROOT / "deploy/k8s/rasa.yaml").read_text(),
    }
    for name, text in places.items():
        for key, value in RASA_SANIC_SETTINGS.items():
            assert re.search(rf"{key}[\s\S]{{0,80}}?\b{value}\b", text), (name, key)
        assert "BOT_SESSION_SECRET" in text, name
    # Only the Rasa server: the action server receives whole trackers from Rasa.
    actions = (ROOT / "deploy/docker/actions.Dockerfile").read_text()
    actions += (ROOT / "deploy/k8s/actions.yaml").read_text()
    assert "SANIC_REQUEST_MAX_SIZE" not in actions
    assert "BOT_SESSION_SECRET" in (ROOT / "deploy/k8s/secrets.yaml").read_text()
