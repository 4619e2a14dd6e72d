"""Hostile and odd input through Telegram, Slack and the chat page's socket.io channel.

Against real servers: one Rasa server and action server for the module, with
Telegram and Slack pointed at the local fake APIs (tests/channels/fakes.py) and
the socket.io channel of credentials.yml, talked to by a real python-socketio
client. Every case gets a clear answer (received by the fake API or the socket)
or a 4xx, never a 500, a crash or a hang; the conversation keeps its slots
across all of them, and Rasa keeps running (bot/security/input.py,
bot/channels/, bot/web/channel.py, docs/security.md).
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest

from bot.security.input import (
    BAD_SESSION_REPLY,
    CLIPPED_NOTE,
    EMPTY_REPLY,
    NO_WORDS_REPLY,
    NOT_ENGLISH_REPLY,
    UNREADABLE_REPLY,
)
from bot.security.session_ids import is_web_id
from bot.text_limits import MAX_MESSAGE_CHARS
from tests.channels.conftest import (
    Bot,
    SlackUser,
    TelegramUser,
    get,
    running_fakes,
    start_channel_bot,
)
from tests.robustness.chat_client import ChatPage, raw_socket

pytestmark = pytest.mark.servers

KEPT = ("weekly_distance_km", "escalation_level", "red_flags", "symptoms")
OPENING = "my legs have felt really heavy on my runs for the last two weeks"
LONG = "I have chest pain and my legs feel heavy. " + "blah " * 4000

# The same texts on every channel: (message, the bot's direct answer).
DIRECT: Dict[str, Tuple[str, str]] = {
    "empty message": ("", EMPTY_REPLY),
    "whitespace message": ("  \n\t  ", EMPTY_REPLY),
    "emoji only": ("🦵😩🏃‍♀️", NO_WORDS_REPLY),
    "punctuation only": ("?!...", NO_WORDS_REPLY),
    "another script": ("у меня тяжёлые ноги", NOT_ENGLISH_REPLY),
    "lone surrogate only": ("\ud800", NO_WORDS_REPLY),
    "control characters only": ("\u0000\u0007\u001b", EMPTY_REPLY),
}
# Odd text that reaches the model and must get a (non-empty) answer.
ODD = [
    "<script>alert('x')</script><b>my legs</b> feel heavy",
    "my legs\u0000 feel\u0007 heavy\u001b[31m",
    "my legs \ud800 feel heavy",
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("channel-input")


@pytest.fixture(scope="module")
def bot(workdir: Path) -> Iterator[Bot]:
    with running_fakes() as (telegram, slack), \
            start_channel_bot(workdir, telegram, slack) as running:
        yield running


def snapshot(bot: Bot, sender: str) -> Tuple[int, Dict[str, Any]]:
    tracker = bot.tracker(sender)
    return len(tracker["events"]), tracker["slots"]


def assert_alive(bot: Bot) -> None:
    assert get(f"{bot.running.url}/status?token={bot.running.token}").status == 200


def in_the_form(bot: Bot, say: Callable[[str], Any], sender: str) -> str:
    """Bring ``sender`` into the form with a weekly distance given."""
    say(OPENING)
    say("about 40 km")
    slots = bot.tracker(sender)["slots"]
    assert slots["weekly_distance_km"] == 40.0, slots
    assert slots["requested_slot"] == "distance_increase_pct"
    return sender


def carry_on(bot: Bot, say: Callable[[str], Any], sender: str) -> None:
    """The conversation continues after the bad input, with its answers kept."""
    slots = bot.tracker(sender)["slots"]
    assert slots["weekly_distance_km"] == 40.0 and slots["requested_slot"] is not None
    say("5 or 6 hours" if slots["requested_slot"] == "sleep_hours" else "steady")
    after = bot.tracker(sender)["slots"]
    assert after["weekly_distance_km"] == 40.0
    assert after != slots  # the answer was taken
    assert_alive(bot)


# =========================================================================== Telegram


@pytest.fixture(scope="module")
def tg_runner(bot: Bot) -> TelegramUser:
    user = TelegramUser(bot)
    in_the_form(bot, user.say, user.sender)
    return user


@pytest.mark.parametrize("name", list(DIRECT))
def test_telegram_direct_answers_leave_the_conversation_alone(
    bot: Bot, tg_runner: TelegramUser, name: str
) -> None:
    text, reply = DIRECT[name]
    before = snapshot(bot, tg_runner.sender)
    since = bot.telegram.mark()
    response = tg_runner.send(tg_runner.message_update(text))
    assert response.status == 200 and response.json()["ok"] is True
    assert bot.telegram.sent_texts(tg_runner.chat_id, since) == [reply]
    assert snapshot(bot, tg_runner.sender) == before


def _tg_update(user: TelegramUser, **changes: Any) -> Dict[str, Any]:
    update = user.message_update("my legs feel heavy")
    message = update["message"]
    for key, value in changes.items():
        if key == "chat_id":
            message["chat"]["id"] = value
        else:
            message[key] = value
    return update


TG_REFUSED: Dict[str, Tuple[Callable[[TelegramUser], bytes], int, str]] = {
    "invalid UTF-8": (lambda u: json.dumps(_tg_update(u)).encode().replace(
        b"heavy", b"he\xff\xfevy"), 400, "UTF-8"),
    "not JSON": (lambda u: b"my legs feel heavy", 400, "not JSON"),
    "empty body": (lambda u: b"", 400, "empty"),
    "JSON array": (lambda u: b"[1, 2]", 400, "object"),
    "JSON null": (lambda u: b"null", 400, "object"),
    "number text": (lambda u: json.dumps(_tg_update(u, text=42)).encode(), 400, "string"),
    "object text": (lambda u: json.dumps(_tg_update(u, text={"a": 1})).encode(), 400,
                    "string"),
    "string chat id": (lambda u: json.dumps(_tg_update(u, chat_id="x")).encode(), 400,
                       "integer"),
    "lone surrogate chat id": (lambda u: json.dumps(_tg_update(u, chat_id="\ud800")).encode(),
                               400, "integer"),
    "10,000-character chat id": (lambda u: json.dumps(
        _tg_update(u, chat_id="1" * 10_000)).encode(), 400, "integer"),
    "300-digit chat id": (lambda u: json.dumps(_tg_update(u, chat_id=int("9" * 300))).encode(),
                          400, "longer than"),
    "1 MB body": (lambda u: json.dumps(_tg_update(u, text="a" * 1_000_000)).encode(), 413,
                  "larger than"),
}


@pytest.mark.parametrize("name", list(TG_REFUSED))
def test_telegram_unreadable_updates_get_4xx_and_change_nothing(
    bot: Bot, tg_runner: TelegramUser, name: str
) -> None:
    build, status, expected = TG_REFUSED[name]
    before = snapshot(bot, tg_runner.sender)
    since = bot.telegram.mark()
    start = time.monotonic()
    response = tg_runner.send(None, raw=build(tg_runner))
    assert response.status == status, (response.status, response.body[:300])
    assert time.monotonic() - start < 30
    assert response.json()["ok"] is False and expected in response.json()["error"]
    assert not bot.telegram.calls_to("sendMessage", since)
    assert snapshot(bot, tg_runner.sender) == before


@pytest.mark.parametrize("text", ODD)
def test_telegram_odd_text_is_answered_as_plain_text(bot: Bot, text: str) -> None:
    user = TelegramUser(bot)
    since = bot.telegram.mark()
    answers = user.say(text)
    assert answers, "an empty answer is not a clear answer"
    sent = bot.telegram.calls_to("sendMessage", since, chat_id=user.chat_id)
    assert all("parse_mode" not in call.params for call in sent)  # never markup
    user_events = [e for e in bot.tracker(user.sender)["events"] if e["event"] == "user"]
    assert "\ud800" not in user_events[-1]["text"] and "\u0000" not in user_events[-1]["text"]


def test_telegram_long_message_is_cut_and_the_runner_told(bot: Bot) -> None:
    user = TelegramUser(bot)
    answers = user.say(LONG)
    assert any("emergency number" in text for text in answers)
    assert answers[-1] == CLIPPED_NOTE
    stored = [e for e in bot.tracker(user.sender)["events"] if e["event"] == "user"]
    assert len(stored[-1]["text"]) <= MAX_MESSAGE_CHARS


def test_telegram_double_spaces_and_line_breaks_do_not_hide_a_warning_sign(bot: Bot) -> None:
    user = TelegramUser(bot)
    answers = user.say("I've  got  chest\tpain\nafter  my  run")
    assert any("emergency number" in text for text in answers)
    assert bot.tracker(user.sender)["slots"]["escalation_level"] == "emergency"


def test_telegram_conversation_carries_on_after_all_of_it(
    bot: Bot, tg_runner: TelegramUser
) -> None:
    carry_on(bot, tg_runner.say, tg_runner.sender)


# =========================================================================== Slack

QUIET_S = 1.5


@pytest.fixture(scope="module")
def slack_runner(bot: Bot) -> SlackUser:
    user = SlackUser(bot)
    in_the_form(bot, user.say, user.user_id)
    return user


@pytest.mark.parametrize("name", list(DIRECT))
def test_slack_direct_answers_leave_the_conversation_alone(
    bot: Bot, slack_runner: SlackUser, name: str
) -> None:
    text, reply = DIRECT[name]
    before = snapshot(bot, slack_runner.user_id)
    since = bot.slack.mark()
    response = slack_runner.send_event(slack_runner.event_body(text))
    assert response.status == 200 and response.json()["ok"] is True
    bot.slack.wait_for("chat.postMessage", since, channel=slack_runner.channel, timeout=15)
    time.sleep(QUIET_S)
    assert bot.slack.posted_texts(slack_runner.channel, since) == [reply]
    assert snapshot(bot, slack_runner.user_id) == before


def test_slack_message_without_text_is_answered_like_an_empty_one(
    bot: Bot, slack_runner: SlackUser
) -> None:
    body = slack_runner.event_body("", subtype="file_share")
    del body["event"]["text"]
    before = snapshot(bot, slack_runner.user_id)
    since = bot.slack.mark()
    assert slack_runner.send_event(body).status == 200
    bot.slack.wait_for("chat.postMessage", since, channel=slack_runner.channel, timeout=15)
    assert bot.slack.posted_texts(slack_runner.channel, since) == [EMPTY_REPLY]
    assert snapshot(bot, slack_runner.user_id) == before


def _slack_body(runner: SlackUser, **event: Any) -> Dict[str, Any]:
    body = runner.event_body("my legs feel heavy")
    body["event"].update(event)
    return body


SLACK_REFUSED: Dict[str, Tuple[Callable[[SlackUser], bytes], int, str]] = {
    "invalid UTF-8": (lambda u: json.dumps(_slack_body(u)).encode().replace(
        b"heavy", b"he\xff\xfevy"), 400, "UTF-8"),
    "not JSON": (lambda u: b"my legs feel heavy", 400, "not JSON"),
    "empty body": (lambda u: b"", 400, "empty"),
    "JSON array": (lambda u: b"[]", 400, "object"),
    "JSON null": (lambda u: b"null", 400, "object"),
    "number text": (lambda u: json.dumps(_slack_body(u, text=42)).encode(), 400, "'text'"),
    "list text": (lambda u: json.dumps(_slack_body(u, text=["hi"])).encode(), 400, "'text'"),
    "missing user": (lambda u: json.dumps(_slack_body(u, user=None)).encode(), 400,
                     "'user' is missing"),
    "number user": (lambda u: json.dumps(_slack_body(u, user=5)).encode(), 400,
                    "'user' must be a string"),
    "lone surrogate user": (lambda u: json.dumps(_slack_body(u, user="U\udc00")).encode(), 400,
                            "Unicode"),
    "10,000-character user": (lambda u: json.dumps(_slack_body(u, user="U" * 10_000)).encode(),
                              400, "longer than"),
    "lone surrogate channel": (lambda u: json.dumps(
        _slack_body(u, channel="D\ud800")).encode(), 400, "Unicode"),
    "number thread": (lambda u: json.dumps(_slack_body(u, thread_ts=5)).encode(), 400,
                      "'thread_ts' must be a string"),
    "1 MB body": (lambda u: json.dumps(_slack_body(u, text="a" * 1_000_000)).encode(), 413,
                  "larger than"),
}


@pytest.mark.parametrize("name", list(SLACK_REFUSED))
def test_slack_unreadable_events_get_4xx_and_change_nothing(
    bot: Bot, slack_runner: SlackUser, name: str
) -> None:
    build, status, expected = SLACK_REFUSED[name]
    before = snapshot(bot, slack_runner.user_id)
    since = bot.slack.mark()
    response = slack_runner.send_raw(build(slack_runner))
    assert response.status == status, (response.status, response.body[:300])
    assert response.json()["ok"] is False and expected in response.json()["error"]
    time.sleep(0.5)
    assert not bot.slack.calls_to("chat.postMessage", since)
    assert snapshot(bot, slack_runner.user_id) == before


@pytest.mark.parametrize("text", ODD)
def test_slack_odd_text_is_answered_as_escaped_text(bot: Bot, text: str) -> None:
    user = SlackUser(bot)
    answers = user.say(text)
    assert answers, "an empty answer is not a clear answer"
    assert not any("<script" in answer or "<b>" in answer for answer in answers)
    user_events = [e for e in bot.tracker(user.user_id)["events"] if e["event"] == "user"]
    assert "\ud800" not in user_events[-1]["text"] and "\u0000" not in user_events[-1]["text"]


def test_slack_long_message_is_cut_and_the_runner_told(bot: Bot) -> None:
    user = SlackUser(bot)
    since = bot.slack.mark()
    user.say(LONG)
    bot.slack.wait_for("chat.postMessage", since, channel=user.channel, timeout=30,
                       where=lambda call: call.params.get("text") == CLIPPED_NOTE)
    texts = bot.slack.posted_texts(user.channel, since)
    assert any("emergency number" in text for text in texts)
    stored = [e for e in bot.tracker(user.user_id)["events"] if e["event"] == "user"]
    assert len(stored[-1]["text"]) <= MAX_MESSAGE_CHARS


def test_slack_double_spaces_and_line_breaks_do_not_hide_a_warning_sign(bot: Bot) -> None:
    user = SlackUser(bot)
    user.say("I've  got  chest\tpain\nafter  my  run")
    assert bot.tracker(user.user_id)["slots"]["escalation_level"] == "emergency"


def test_slack_conversation_carries_on_after_all_of_it(bot: Bot, slack_runner: SlackUser) -> None:
    carry_on(bot, slack_runner.say, slack_runner.user_id)


# =========================================================================== socket.io


@pytest.fixture(scope="module")
def page(bot: Bot) -> Iterator[ChatPage]:
    chat = ChatPage(bot.running.url).connect()
    try:
        yield chat
    finally:
        chat.close()


@pytest.fixture(scope="module")
def session(bot: Bot, page: ChatPage) -> str:
    session_id = secrets.token_hex(16)
    assert page.request_session(session_id) == session_id
    return in_the_form(bot, lambda text: page.say(text, session_id), session_id)


@pytest.mark.parametrize("name", list(DIRECT))
def test_socketio_direct_answers_leave_the_conversation_alone(
    bot: Bot, page: ChatPage, session: str, name: str
) -> None:
    text, reply = DIRECT[name]
    before = snapshot(bot, session)
    assert page.say(text, session, quiet=1.0) == [reply]
    assert snapshot(bot, session) == before


SIO_REFUSED: Dict[str, Tuple[Callable[[str], Any], str]] = {
    "no data": (lambda s: None, UNREADABLE_REPLY),
    "a string, not an object": (lambda s: "my legs feel heavy", UNREADABLE_REPLY),
    "a list, not an object": (lambda s: ["my legs feel heavy"], UNREADABLE_REPLY),
    "missing message": (lambda s: {"session_id": s}, UNREADABLE_REPLY),
    "number message": (lambda s: {"session_id": s, "message": 42}, UNREADABLE_REPLY),
    "object message": (lambda s: {"session_id": s, "message": {"a": 1}}, UNREADABLE_REPLY),
    "missing session_id": (lambda s: {"message": "my legs feel heavy"}, BAD_SESSION_REPLY),
    "number session_id": (lambda s: {"message": "hi", "session_id": 5}, BAD_SESSION_REPLY),
    "lone surrogate session_id": (lambda s: {"message": "hi", "session_id": s + "\ud800"},
                                  BAD_SESSION_REPLY),
    "control character session_id": (lambda s: {"message": "hi", "session_id": s + "\u0000"},
                                     BAD_SESSION_REPLY),
    "10,000-character session_id": (lambda s: {"message": "hi", "session_id": "s" * 10_000},
                                    BAD_SESSION_REPLY),
    "line separator session_id": (
        lambda s: {"message": "hi", "session_id": s + "\u2028ERROR forged"}, BAD_SESSION_REPLY),
    "right-to-left override session_id": (
        lambda s: {"message": "hi", "session_id": s + "\u202e"}, BAD_SESSION_REPLY),
}


@pytest.mark.parametrize("name", list(SIO_REFUSED))
def test_socketio_unreadable_messages_are_refused_with_a_bot_message(
    bot: Bot, page: ChatPage, session: str, name: str
) -> None:
    build, reply = SIO_REFUSED[name]
    before = snapshot(bot, session)
    since = page.mark()
    page.emit(build(session))
    assert page.texts_since(since, quiet=1.0) == [reply]
    assert page.connected
    assert snapshot(bot, session) == before


@pytest.mark.parametrize("session_id", ["\ud800", "x" * 10_000, 5, "a\nb", "a\u2028b"],
                         ids=["lone surrogate", "10,000 characters", "number", "line break",
                              "line separator"])
def test_socketio_session_request_with_an_unusable_id_gets_a_fresh_one(
    bot: Bot, session_id: Any
) -> None:
    chat = ChatPage(bot.running.url).connect()
    try:
        confirmed = chat.request_session(session_id)
        # A server-issued id: "web-" + 128 bits from secrets.token_hex(16), with its token.
        assert is_web_id(confirmed) and confirmed != session_id
        assert chat.tokens[confirmed]
        assert chat.say("hello", confirmed)  # the new conversation works
        assert bot.user_turns(confirmed) == 1
    finally:
        chat.close()
    assert_alive(bot)


# frame -> what the server does: answers with a bot message, closes that
# connection (not a socket.io packet), or ignores it (an event nobody handles).
RAW_FRAMES: Dict[str, Tuple[str, str]] = {
    "broken JSON": ('42["user_uttered", {"message": "hi", "session_id": ', "closed"),
    "not JSON": ("42not json at all", "closed"),
    "null": ("42null", "closed"),
    "20,000 characters of junk": ("4" + "x" * 20_000, "closed"),
    "a string, not an event": ('42"just a string"', "ignored"),
    "event without data": ('42["user_uttered"]', "answered"),
    "lone surrogate session_id": (
        '42["user_uttered", {"message": "hi", "session_id": "p\\udc00"}]', "answered"),
}


@pytest.mark.parametrize("name", list(RAW_FRAMES))
def test_socketio_raw_garbage_frames_leave_the_server_running(
    bot: Bot, session: str, name: str
) -> None:
    frame, outcome = RAW_FRAMES[name]
    before = snapshot(bot, session)
    replies = raw_socket(bot.running.url, [frame])
    assert replies[0].startswith("0{") and replies[1].startswith("40")  # it was connected
    # engine.io's close packet is "1"; then the websocket closes.
    closed = any(reply == "1" or reply.startswith("<") for reply in replies[2:])
    answered = any("bot_uttered" in reply for reply in replies[2:])
    assert (closed, answered) == {"closed": (True, False), "answered": (False, True),
                                  "ignored": (False, False)}[outcome], replies
    assert snapshot(bot, session) == before
    assert_alive(bot)


def test_socketio_odd_text_reaches_the_bot_as_text(bot: Bot, page: ChatPage) -> None:
    for text in ODD:
        session_id = secrets.token_hex(16)
        assert page.request_session(session_id) == session_id
        assert page.say(text, session_id), "an empty answer is not a clear answer"
        user_events = [e for e in bot.tracker(session_id)["events"] if e["event"] == "user"]
        assert "\ud800" not in user_events[-1]["text"]
        assert "\u0000" not in user_events[-1]["text"]


def test_socketio_long_message_is_cut_and_the_runner_told(bot: Bot, page: ChatPage) -> None:
    session_id = secrets.token_hex(16)
    assert page.request_session(session_id) == session_id
    texts = page.say(LONG, session_id, count=2)
    assert any("emergency number" in text for text in texts)
    assert texts[-1] == CLIPPED_NOTE
    stored = [e for e in bot.tracker(session_id)["events"] if e["event"] == "user"]
    assert len(stored[-1]["text"]) <= MAX_MESSAGE_CHARS


def test_socketio_double_spaces_and_line_breaks_do_not_hide_a_warning_sign(
    bot: Bot, page: ChatPage
) -> None:
    session_id = secrets.token_hex(16)
    assert page.request_session(session_id) == session_id
    page.say("I've  got  chest\tpain\nafter  my  run", session_id)
    assert bot.tracker(session_id)["slots"]["escalation_level"] == "emergency"


def test_socketio_conversation_carries_on_after_all_of_it(
    bot: Bot, page: ChatPage, session: str
) -> None:
    carry_on(bot, lambda text: page.say(text, session), session)


def test_no_uncaught_exception_in_rasas_log(bot: Bot, workdir: Path) -> None:
    """Nothing above reached Rasa, Sanic or socket.io as an uncaught exception
    (what used to become 500s, empty answers or silence on the page)."""
    assert_alive(bot)
    log = (workdir / "servers" / "rasa.log").read_text(errors="replace")
    assert "Traceback" not in log, log[log.find("Traceback") - 500:][:3000]
