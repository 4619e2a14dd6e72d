"""Conversation ids that prove who you are (issue 12, point 4).

The conversation id used to be the only credential: on socket.io a
``session_request`` with another runner's id overheard their replies live and
"summary" returned their figures, and REST took any Content-Type, so a page of
another origin could post without a CORS preflight. Now the server issues the
chat page's ids with an HMAC token (bot/security/session_ids.py), socket.io
checks it on every ``session_request`` and message, REST requires the token for
chat-page ids and ``Content-Type: application/json`` for everything.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any, Dict, Iterator

import pytest

from bot.security import session_ids
from bot.security.input import SESSION_NOT_PROVEN_REPLY
from bot.security.session_ids import (
    TOKEN_HEADER,
    SessionSecretError,
    SessionSigner,
    is_web_id,
    new_web_id,
    signer_from_env,
)
from bot.servers import RunningBot
from tests.robustness.chat_client import ChatPage
from tests.robustness.conftest import get_json, post_raw, tracker_url

SECRET = b"a test secret that is long enough for the signer, 40+"


# ----------------------------------------------------------------- the signer itself


def test_an_issued_id_is_web_format_and_its_token_verifies() -> None:
    signer = SessionSigner(SECRET)
    session_id, token = signer.issue()
    assert is_web_id(session_id) and len(session_id) == 36
    assert signer.verify(session_id, token)
    assert new_web_id() != new_web_id()


def test_a_token_proves_only_its_own_id_and_only_with_the_secret() -> None:
    signer = SessionSigner(SECRET)
    mine, token = signer.issue()
    other, _ = signer.issue()
    assert not signer.verify(other, token)
    assert not SessionSigner(b"another secret, just as long as the first one").verify(mine, token)
    expiry, mac = token.split(".")
    assert not signer.verify(mine, f"{int(expiry) + 1}.{mac}")  # a later expiry, same mac
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    assert not signer.verify(mine, f"{expiry}.{flipped}")


@pytest.mark.parametrize("token", [None, "", 5, "abc", "1.2", "x" * 56, "9" * 13 + ".a"])
def test_anything_else_is_not_a_token(token: Any) -> None:
    assert not SessionSigner(SECRET).verify(new_web_id(), token)


def test_a_token_expires() -> None:
    now = [1_000_000.0]
    signer = SessionSigner(SECRET, ttl_seconds=3600, clock=lambda: now[0])
    session_id, token = signer.issue()
    now[0] += 3599
    assert signer.verify(session_id, token)
    now[0] += 2
    assert not signer.verify(session_id, token)
    assert signer.verify(session_id, signer.token_for(session_id))  # a renewed one


def test_odd_ids_never_verify_and_never_raise() -> None:
    signer = SessionSigner(SECRET)
    token = signer.token_for("web-" + "0" * 32)
    for odd in ("\ud800", None, 5, ["web-"], "web-" + "0" * 32 + "\u2028"):
        assert not signer.verify(odd, token)


@pytest.mark.parametrize("value, web", [
    ("web-" + "0123456789abcdef" * 2, True),
    ("web-" + "0123456789ABCDEF" * 2, False),
    ("0123456789abcdef" * 2, False),  # the old, unsigned format
    ("web-123", False),
    ("runner-1", False),
    (5, False),
])
def test_web_ids_are_recognisable(value: Any, web: bool) -> None:
    assert is_web_id(value) is web


def test_the_secret_comes_from_the_environment(monkeypatch, caplog) -> None:
    session_ids.reset_signer()
    try:
        monkeypatch.setenv("BOT_SESSION_SECRET", "short")
        with pytest.raises(SessionSecretError, match="at least 32"):
            signer_from_env()
        monkeypatch.setenv("BOT_SESSION_SECRET", SECRET.decode())
        monkeypatch.setenv("BOT_SESSION_TTL_DAYS", "2")
        signer = signer_from_env()
        assert signer.secret == SECRET and signer.ttl_seconds == 2 * 86400
        assert signer_from_env() is signer  # built once per process
        session_ids.reset_signer()
        monkeypatch.setenv("BOT_SESSION_TTL_DAYS", "forever")
        with pytest.raises(SessionSecretError, match="days"):
            signer_from_env()
        monkeypatch.delenv("BOT_SESSION_TTL_DAYS")
        monkeypatch.delenv("BOT_SESSION_SECRET")
        with caplog.at_level(logging.WARNING, logger="bot.security.session_ids"):
            assert len(signer_from_env().secret) >= 32  # random, for this process
        assert "BOT_SESSION_SECRET is not set" in caplog.text
    finally:
        session_ids.reset_signer()


# ----------------------------------------------------------------- the real servers


@pytest.fixture(scope="module")
def bot(plain_bot: RunningBot) -> RunningBot:
    return plain_bot


def webhook(bot: RunningBot) -> str:
    return f"{bot.url}/webhooks/rest/webhook"


def tracker(bot: RunningBot, sender: str) -> Dict[str, Any]:
    return get_json(tracker_url(bot.url, sender, bot.token))


def user_texts(bot: RunningBot, sender: str) -> list[str]:
    return [e["text"] for e in tracker(bot, sender)["events"] if e["event"] == "user"]


@pytest.fixture
def runner(bot: RunningBot) -> Iterator[tuple[ChatPage, str, str]]:
    """A runner on the chat page: a server-issued conversation with one turn in it."""
    page = ChatPage(bot.url).connect()
    try:
        conversation = page.request_session(None)
        assert is_web_id(conversation)
        token = page.tokens[conversation]
        assert page.say("my legs feel heavy after my runs", conversation)
        yield page, conversation, token
    finally:
        page.close()


@pytest.mark.servers
def test_rest_needs_a_json_content_type(bot: RunningBot) -> None:
    body = json.dumps({"sender": f"rest-{secrets.token_hex(4)}", "message": "hello"}).encode()
    # "": no type at all (urllib would otherwise add a form type itself).
    for content_type in ("", "text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/jsonx"):
        answer = post_raw(webhook(bot), body, headers={"Content-Type": content_type})
        assert answer.status == 415, (content_type, answer)
        assert "application/json" in answer.json()["error"]
    answer = post_raw(webhook(bot), body,
                      headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert answer.status == 200 and answer.texts()


@pytest.mark.servers
def test_rest_refuses_a_chat_page_id_without_its_token(bot: RunningBot, runner) -> None:
    page, conversation, token = runner
    before = user_texts(bot, conversation)
    heard = page.mark()
    body = json.dumps({"sender": conversation,
                       "message": "can I get a summary for my physio"}).encode()
    forged = SessionSigner(b"not the server's secret, but long enough").token_for(conversation)
    for headers in ({}, {TOKEN_HEADER: "garbage"}, {TOKEN_HEADER: forged},
                    {TOKEN_HEADER: page.token_for(new_web_id())}):
        answer = post_raw(webhook(bot), body, headers=headers)
        assert answer.status == 403, answer
        assert TOKEN_HEADER in answer.json()["error"]
        assert "summary" not in answer.body.decode().lower()
    # An empty message (answered without a turn) is refused just the same.
    empty = json.dumps({"sender": conversation, "message": ""}).encode()
    assert post_raw(webhook(bot), empty).status == 403
    assert user_texts(bot, conversation) == before
    time.sleep(1.0)
    assert page.mark() == heard  # the runner's page heard nothing
    # With the token, REST may carry on the same conversation.
    answer = post_raw(webhook(bot), json.dumps({"sender": conversation,
                                                "message": "about 30 km a week"}).encode(),
                      headers={TOKEN_HEADER: token})
    assert answer.status == 200 and answer.texts()
    assert user_texts(bot, conversation)[-1] == "about 30 km a week"


@pytest.mark.servers
def test_rest_ids_of_other_formats_need_no_token(bot: RunningBot) -> None:
    for sender in ("runner-1", "0123456789abcdef0123456789abcdef", "web-123"):
        answer = post_raw(webhook(bot), json.dumps({"sender": sender + secrets.token_hex(2),
                                                    "message": "hello"}).encode())
        assert answer.status == 200, (sender, answer)


@pytest.mark.servers
@pytest.mark.parametrize("token", ["none", "forged", "expired", "another id's"])
def test_socketio_another_runners_id_cannot_join_or_post(bot: RunningBot, runner,
                                                         token: str) -> None:
    victim, conversation, _ = runner
    before = user_texts(bot, conversation)
    heard = victim.mark()
    stranger = ChatPage(bot.url, secret="not the server's secret, but long enough").connect()
    try:
        offered = {
            "none": None,
            "forged": stranger.token_for(conversation),
            "expired": SessionSigner(bot.session_secret.encode()).token_for(
                conversation, expiry=int(time.time()) - 1),
            "another id's": ChatPage(bot.url).token_for(new_web_id()),
        }[token]
        # session_request: confirmed with a fresh conversation, not the one asked for.
        confirmed = stranger.request_session(conversation, token=offered)
        assert confirmed != conversation and is_web_id(confirmed)
        assert stranger.say("hello", confirmed)  # its own conversation works
        # user_uttered into the other conversation: refused, to that socket only.
        since = stranger.mark()
        stranger.emit({"message": "can I get a summary for my physio",
                       "session_id": conversation, "session_token": offered})
        assert stranger.texts_since(since, quiet=1.0) == [SESSION_NOT_PROVEN_REPLY]
    finally:
        stranger.close()
    assert user_texts(bot, conversation) == before
    assert victim.mark() == heard  # the runner heard nothing of it


@pytest.mark.servers
def test_socketio_the_token_lets_the_owner_back_in_and_is_never_stored(bot: RunningBot,
                                                                      runner) -> None:
    _, conversation, token = runner
    again = ChatPage(bot.url, secret="no secret: only the token the page kept").connect()
    try:
        assert again.request_session(conversation, token=token) == conversation
        renewed = again.tokens[conversation]
        assert SessionSigner(bot.session_secret.encode()).verify(conversation, renewed)
        texts = again.say("about 30 km a week", conversation)
        assert texts and SESSION_NOT_PROVEN_REPLY not in texts
    finally:
        again.close()
    stored = json.dumps(tracker(bot, conversation))
    assert token.split(".")[1] not in stored and renewed.split(".")[1] not in stored
    assert bot.rasa_log is not None
    log = bot.rasa_log.read_text(errors="replace")
    assert token.split(".")[1] not in log and conversation not in log
