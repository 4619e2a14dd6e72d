"""Never silent, one answer per question, everything read: Telegram, Slack and socket.io.

The real bot (Rasa + action server) against the local fake Bot API and Web API,
fed the platforms' payload shapes; the chat page's socket.io spoken on the wire.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from typing import Any, Dict, List

import pytest

from bot.dialogue.button_answers import split_token
from tests.channels.conftest import Bot, SlackUser, TelegramUser
from tests.robustness.chat_client import ChatPage

pytestmark = pytest.mark.servers

UNCLEAR = ["qwerty asdf", "abc123", "asdfghjkl", "xyzzy plugh", "bonjour, j'ai mal aux jambes",
           "ich habe schwere Beine", "zzzz", "/menu", "/affirm", "lorem ipsum dolor"]
CHEST_PAIN = "I have chest pain"
APOLOGY = "didn't follow"
EMERGENCY = "emergency number"
STALE = "belongs to an earlier question"


def show(channel: str, said: str, replies: List[str]) -> None:
    """The turn as the runner saw it (pytest -s prints the transcript)."""
    print(f"[{channel}] RUNNER: {said}")
    for reply in replies:
        print(f"[{channel}] BOT: {reply}")


def assert_one_answer_each(replies: List[str]) -> None:
    assert replies, "no answer"
    assert len(replies) == len(set(replies)), f"a message repeated in one reply: {replies}"


# =========================================================================== Telegram


def test_telegram_unclear_messages_then_a_warning_sign(telegram_user: TelegramUser) -> None:
    for text in UNCLEAR:
        replies = telegram_user.say(text)
        show("telegram", text, replies)
        assert_one_answer_each(replies)
    answers = telegram_user.say(CHEST_PAIN)
    show("telegram", CHEST_PAIN, answers)
    assert any(EMERGENCY in text for text in answers), answers
    assert telegram_user.bot.tracker(telegram_user.sender)["slots"]["escalation_level"] == (
        "emergency")


def test_telegram_an_unknown_button_value_says_the_button_expired(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    user.say("my legs feel heavy")
    turns = bot.user_turns(user.sender)
    since = bot.telegram.mark()
    update = user.callback_update(user.last_keyboard_message(), "zz_unknown_value")
    assert user.send(update).status == 200
    answer = bot.telegram.calls_to("answerCallbackQuery", since)
    assert answer and "expired" in answer[0].params["text"]
    assert bot.user_turns(user.sender) == turns


def test_telegram_a_photo_caption_is_read_and_the_photo_noted(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    photo = [{"file_id": "AgACAgQAAxkBAAIB", "file_unique_id": "AQADx7Ex", "file_size": 1450,
              "width": 90, "height": 67}]
    since = bot.telegram.mark()
    update = user.message_update(photo=photo, caption=(
        "my calf is swollen and hot and I can't catch my breath"))
    assert user.send(update).status == 200
    texts = bot.telegram.sent_texts(user.chat_id, since)
    assert any(EMERGENCY in text for text in texts), texts
    assert "can't see the attachment" in texts[-1]
    assert bot.tracker(user.sender)["slots"]["escalation_level"] == "emergency"


def test_telegram_a_document_caption_is_read_too(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    document = {"file_name": "strava.gpx", "mime_type": "application/gpx+xml",
                "file_id": "BQACAgQAAxkBAAIC", "file_unique_id": "AgADzw", "file_size": 2048}
    since = bot.telegram.mark()
    assert user.send(user.message_update(document=document,
                                         caption="my legs feel heavy on every run")).status == 200
    texts = bot.telegram.sent_texts(user.chat_id, since)
    assert bot.tracker(user.sender)["slots"]["requested_slot"] == "weekly_distance_km"
    assert "can't see the attachment" in texts[-1]


def test_telegram_a_callback_from_an_inline_message_is_only_acknowledged(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    since = bot.telegram.mark()
    update = {"update_id": 990_100_000 + secrets.randbelow(10_000), "callback_query": {
        "id": str(secrets.randbits(60)), "from": user.person(),
        "inline_message_id": "AAAAAKr7AQBvR0dJUnD5e6k", "chat_instance": "-1180387641382337",
        "data": "yes"}}
    assert user.send(update).status == 200
    assert bot.telegram.calls_to("answerCallbackQuery", since,
                                 callback_query_id=update["callback_query"]["id"])
    assert not bot.telegram.calls_to("sendMessage", since)
    assert bot.user_turns(user.sender) == 0


def test_telegram_a_second_tap_on_the_same_keyboard_changes_nothing(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    user.say("my legs feel heavy")
    user.say("about 40 km")
    keyboard = user.last_keyboard_message()
    keys = {key["text"]: key["callback_data"]
            for row in keyboard["reply_markup"]["inline_keyboard"] for key in row}
    first = user.callback_update(keyboard, keys["Steady"])
    assert user.send(first).status == 200
    slots = bot.tracker(user.sender)["slots"]
    assert slots["requested_slot"] == "sleep_hours"
    since = bot.telegram.mark()
    second = user.callback_update(keyboard, keys["Don't know"])  # the same message again
    assert user.send(second).status == 200
    answer = bot.telegram.calls_to("answerCallbackQuery", since,
                                   callback_query_id=second["callback_query"]["id"])
    assert answer and answer[0].params["text"] == "Already answered."
    assert not bot.telegram.calls_to("sendMessage", since)
    assert bot.tracker(user.sender)["slots"] == slots


def test_telegram_a_stale_keyboard_says_so_instead_of_answering_the_current_question(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    user.say("my legs feel heavy")
    user.say("about 40 km")
    old = user.last_keyboard_message()  # "Has your weekly distance changed?"
    user.say("steady")  # typed: the bot moves on to sleep
    slots = bot.tracker(user.sender)["slots"]
    assert slots["requested_slot"] == "sleep_hours"
    keys = {key["text"]: key["callback_data"]
            for row in old["reply_markup"]["inline_keyboard"] for key in row}
    since = bot.telegram.mark()
    assert user.send(user.callback_update(old, keys["Don't know"])).status == 200
    texts = bot.telegram.sent_texts(user.chat_id, since)
    assert any(STALE in text for text in texts), texts
    after = bot.tracker(user.sender)["slots"]
    assert after["requested_slot"] == "sleep_hours"
    assert after["skipped_questions"] == slots["skipped_questions"]
    user.say("7 hours")  # the current question still takes its answer
    assert bot.tracker(user.sender)["slots"]["sleep_hours"] == 7.0


# =========================================================================== Slack


def click_body(payload: Dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_slack_unclear_messages_then_a_warning_sign(slack_user: SlackUser) -> None:
    for text in UNCLEAR:
        replies = slack_user.say(text)
        show("slack", text, replies)
        assert_one_answer_each(replies)
    answers = slack_user.say(CHEST_PAIN)
    show("slack", CHEST_PAIN, answers)
    assert any(EMERGENCY in text for text in answers), answers


def test_slack_a_double_click_is_answered_once(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    user.say("my legs feel heavy")
    user.say("about 40 km")
    post = user.last_buttons_post()
    first = user.block_actions_payload(post, "Steady")
    turns = bot.user_turns(user.user_id)
    assert user.send_raw(click_body(first),
                         content_type="application/x-www-form-urlencoded").status == 200
    bot.wait_for_turns(user.user_id, turns + 1)
    second = user.block_actions_payload(post, "Don't know")  # a new action_ts
    response = user.send_raw(click_body(second),
                             content_type="application/x-www-form-urlencoded")
    assert response.status == 200 and response.json()["ignored"] == "already answered"
    slots = bot.tracker(user.user_id)["slots"]
    assert slots["distance_increase_pct"] == 0.0 and slots["requested_slot"] == "sleep_hours"
    assert bot.user_turns(user.user_id) == turns + 1


def test_slack_a_button_without_a_question_token_says_it_expired(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    user.say("my legs feel heavy")
    payload = user.block_actions_payload(user.last_buttons_post(), "Don't know")
    payload["actions"][0]["action_id"] = "rasa_button_0"  # as an older version sent it
    payload["actions"][0]["value"] = "zz_unknown_value"
    turns = bot.user_turns(user.user_id)
    since = bot.slack.mark()
    response = user.send_raw(click_body(payload),
                             content_type="application/x-www-form-urlencoded")
    assert response.status == 200
    posted = bot.slack.wait_for("chat.postMessage", since, channel=user.channel)
    assert "expired" in posted[0].params["text"]
    assert bot.user_turns(user.user_id) == turns


def test_slack_a_stale_button_says_so(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    user.say("my legs feel heavy")
    user.say("about 40 km")
    old = user.last_buttons_post()
    user.say("steady")
    payload = user.block_actions_payload(old, "Don't know")
    token, _ = split_token(payload["actions"][0]["action_id"])
    assert token is not None
    turns = bot.user_turns(user.user_id)
    since = bot.slack.mark()
    assert user.send_raw(click_body(payload),
                         content_type="application/x-www-form-urlencoded").status == 200
    bot.wait_for_turns(user.user_id, turns + 1)
    texts = bot.slack.posted_texts(user.channel, since)
    assert any(STALE in text for text in texts), texts
    assert bot.tracker(user.user_id)["slots"]["requested_slot"] == "sleep_hours"


# =========================================================================== socket.io


def test_socketio_unclear_messages_then_a_warning_sign(channel_bot: Bot) -> None:
    page = ChatPage(channel_bot.running.url).connect()
    try:
        session = secrets.token_hex(16)
        assert page.request_session(session) == session
        for text in UNCLEAR:
            replies = page.say(text, session, quiet=0.6)
            show("socket.io", text, replies)
            assert_one_answer_each(replies)
        answers = page.say(CHEST_PAIN, session, count=2)
        show("socket.io", CHEST_PAIN, answers)
        assert any(EMERGENCY in text for text in answers), answers
    finally:
        page.close()


def test_socketio_a_stale_reply_button_says_so(channel_bot: Bot) -> None:
    page = ChatPage(channel_bot.running.url).connect()
    try:
        session = secrets.token_hex(16)
        page.request_session(session)
        page.say("my legs feel heavy", session, count=3)
        since = page.mark()
        page.say("about 40 km", session)
        question = next(m for m in page.received[since:] if m.get("quick_replies"))
        page.say("steady", session)
        since = page.mark()
        page.emit({"message": "don't know", "session_id": session,
                   "metadata": {"answer_to": question["question"]}})
        texts = page.texts_since(since)
        assert any(STALE in text for text in texts), texts
        slots = channel_bot.tracker(session)["slots"]
        assert slots["requested_slot"] == "sleep_hours"
    finally:
        page.close()
