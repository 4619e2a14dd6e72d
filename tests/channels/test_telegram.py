"""The Telegram channel against the real bot and a fake Bot API, fed real update shapes."""

from __future__ import annotations

import pytest

from bot.dialogue.button_answers import split_token
from tests.channels.conftest import (
    TELEGRAM_NAME,
    TELEGRAM_SECRET,
    Bot,
    TelegramUser,
    get,
)

pytestmark = pytest.mark.servers


def test_startup_checks_the_token_and_registers_the_webhook_with_its_secret(
    channel_bot: Bot,
) -> None:
    telegram = channel_bot.telegram
    me = telegram.calls_to("getMe")
    assert me and me[0].result["username"] == TELEGRAM_NAME
    webhook = telegram.calls_to("setWebhook")
    assert webhook and webhook[0].ok  # the first: the bot's startup
    params = webhook[0].params
    assert params["url"] == channel_bot.env["TELEGRAM_WEBHOOK_URL"]
    assert params["secret_token"] == TELEGRAM_SECRET
    assert params["allowed_updates"] == ["message", "callback_query"]
    # No secret or token is written to the credentials file.
    assert TELEGRAM_SECRET not in channel_bot.credentials_text
    assert "${TELEGRAM_BOT_TOKEN}" in channel_bot.credentials_text
    assert get(f"{channel_bot.running.url}/webhooks/telegram/").json() == {"status": "ok"}


def test_conversation_with_buttons_reaches_the_explanation(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    opening = user.say("my legs have felt really heavy on my runs for the last two weeks")
    assert any("not a diagnosis" in text for text in opening)
    question = user.last_keyboard_message()
    keys = [key for row in question["reply_markup"]["inline_keyboard"] for key in row]
    # Each key carries the question's token (one answer per question) and the payload.
    dont_know = next(key for key in keys if key["text"] == "Don't know")
    assert split_token(dont_know["callback_data"])[1] == "don't know"
    assert split_token(dont_know["callback_data"])[0] is not None

    user.say("about 40 km")
    assert bot.tracker(user.sender)["slots"]["weekly_distance_km"] == 40.0

    since = bot.telegram.mark()
    update, answers = user.click("Steady")
    query_id = update["callback_query"]["id"]
    assert bot.telegram.calls_to("answerCallbackQuery", since, callback_query_id=query_id)
    edited = bot.telegram.calls_to("editMessageText", since, chat_id=user.chat_id)
    assert edited and edited[0].params["text"].endswith("→ Steady")
    assert "reply_markup" not in edited[0].params  # the keyboard is gone
    slots = bot.tracker(user.sender)["slots"]
    assert slots["distance_increase_pct"] == 0.0
    assert slots["requested_slot"] == "sleep_hours"
    assert answers  # the next question

    user.say("7 hours")
    assert bot.tracker(user.sender)["slots"]["sleep_hours"] == 7.0
    user.click("Balanced")
    assert "balanced" in bot.tracker(user.sender)["slots"]["diet_factors"]
    said = user.say("300 km")
    for _ in range(4):  # the follow-up questions, skipped with their own button
        if bot.tracker(user.sender)["slots"]["requested_slot"] != "followup_answer":
            break
        _, said = user.click("Not sure")
    explanation = "\n".join(said)

    tracker = bot.tracker(user.sender)
    slots = tracker["slots"]
    assert slots["requested_slot"] is None
    assert slots["likely_causes"]
    assert slots["shoe_distance_km"] == 300.0
    assert "reasons" in explanation  # the explanation reached the chat
    assert tracker["latest_input_channel"] == "telegram"

    # The summary to keep, offered under the explanation, arrives as a message.
    _, summary = user.click("A summary to keep")
    summary_text = "\n".join(summary)
    assert "Summary of the heavy-legs assessment" in summary_text
    assert "shoes 300 km" in summary_text


def test_change_and_undo_an_answer(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    user.say("my legs feel heavy on my runs")
    user.say("about 40 km")
    user.click("Steady")
    said = user.say("undo")
    assert any('taken back your last answer ("steady")' in text for text in said)
    assert bot.tracker(user.sender)["slots"]["requested_slot"] == "distance_increase_pct"
    user.say("went from 30 to 40")
    said = user.say("change my weekly distance")
    assert any("redo your weekly distance" in text for text in said)
    user.say("50 km")
    slots = bot.tracker(user.sender)["slots"]
    assert slots["weekly_distance_km"] == 50.0 and slots["requested_slot"] == "sleep_hours"
    said = user.say("start over")
    assert any("start over" in text for text in said)
    assert bot.tracker(user.sender)["slots"]["weekly_distance_km"] is None


def test_warning_sign_sends_the_emergency_advice_to_the_chat(telegram_user: TelegramUser) -> None:
    answers = telegram_user.say("my calf is swollen and hot and I can't catch my breath")
    assert any("emergency" in text.lower() for text in answers), answers
    slots = telegram_user.bot.tracker(telegram_user.sender)["slots"]
    assert slots["escalation_level"] == "emergency"
    assert "breathlessness" in slots["red_flags"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_SECRET + "x"])
def test_missing_or_wrong_secret_token_is_refused(telegram_user: TelegramUser,
                                                  secret: str | None) -> None:
    since = telegram_user.bot.telegram.mark()
    response = telegram_user.send(telegram_user.message_update("my legs feel heavy"),
                                  secret=secret)
    assert response.status == 403
    assert "Secret-Token" in response.json()["error"]
    assert not telegram_user.bot.telegram.calls_to("sendMessage", since)
    assert telegram_user.bot.user_turns(telegram_user.sender) == 0


def test_start_command_greets(telegram_user: TelegramUser) -> None:
    answers = telegram_user.say("/start")
    assert any(text.startswith("Hi!") for text in answers), answers


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"update"', b"{}",
                                 b'{"update_id": "1"}',
                                 b'{"update_id": 5, "message": "hi"}',
                                 b'{"update_id": 6, "message": {"text": "hi"}}',
                                 b'{"update_id": 7, "message": {"chat": {"id": "x"}}}',
                                 b'{"update_id": 8, "message": {"chat": {"id": 1}, "text": 3}}',
                                 b'{"update_id": 9, "callback_query": {"data": "steady"}}'])
def test_malformed_updates_get_400(telegram_user: TelegramUser, raw: bytes) -> None:
    response = telegram_user.send(None, raw=raw)
    assert response.status == 400, (raw, response.status, response.body)
    assert response.json()["ok"] is False


def test_other_updates_are_acknowledged_and_ignored(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    since = bot.telegram.mark()
    edited = user.message_update("I run 50 km")
    edited["edited_message"] = edited.pop("message")
    group = user.message_update("my legs feel heavy")
    group["message"]["chat"] = {"id": -100123, "title": "Running club", "type": "supergroup"}
    member = {"update_id": 990_000_001, "my_chat_member": {
        "chat": {"id": user.chat_id, "type": "private"}, "from": user.person(),
        "date": 1700000000, "old_chat_member": {"status": "member", "user": {"id": 1}},
        "new_chat_member": {"status": "kicked", "user": {"id": 1}}}}
    for update in (edited, group, member):
        response = user.send(update)
        assert response.status == 200, response.body
        assert response.json()["ok"] is True
    assert not bot.telegram.calls_to("sendMessage", since)
    assert bot.user_turns(user.sender) == 0


def test_a_sticker_gets_a_text_only_note(telegram_user: TelegramUser) -> None:
    since = telegram_user.bot.telegram.mark()
    sticker = {"file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgAD", "width": 512,
               "height": 512, "is_animated": False, "is_video": False, "type": "regular"}
    response = telegram_user.send(telegram_user.message_update(sticker=sticker))
    assert response.status == 200
    texts = telegram_user.bot.telegram.sent_texts(telegram_user.chat_id, since)
    assert texts and "only read text" in texts[0]
    assert telegram_user.bot.user_turns(telegram_user.sender) == 0


def test_a_redelivered_update_is_answered_once(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    update = user.message_update("hello")
    since = bot.telegram.mark()
    assert user.send(update).status == 200
    first = bot.telegram.sent_texts(user.chat_id, since)
    assert first
    again = user.send(update)
    assert again.status == 200 and again.json()["ignored"] == "update already handled"
    assert bot.telegram.sent_texts(user.chat_id, since) == first
    assert bot.user_turns(user.sender) == 1


def test_a_button_from_another_message_than_the_keyboard_still_answers_the_query(
    telegram_user: TelegramUser,
) -> None:
    """A click on a message sent before a restart (long payload forgotten) only gets a note."""
    bot, user = telegram_user.bot, telegram_user
    user.say("legs like lead lately")
    message = user.last_keyboard_message()
    update = user.callback_update(message, "#p:0123456789abcdef01234567")
    since = bot.telegram.mark()
    assert user.send(update).status == 200
    answer = bot.telegram.calls_to("answerCallbackQuery", since)
    assert answer and "expired" in answer[0].params.get("text", "")
    assert not bot.telegram.calls_to("sendMessage", since)


def test_get_on_the_webhook_is_not_allowed(channel_bot: Bot) -> None:
    response = get(f"{channel_bot.running.url}/webhooks/telegram/webhook")
    assert response.status == 405
