"""The channels' parts in-process: configuration checks, update reading, output to the fakes."""

from __future__ import annotations

import asyncio
import logging
from typing import Iterator

import pytest
from rasa.shared.exceptions import RasaException

from bot.channels.slack import SlackChannel, SlackChannelOutput, escape_mrkdwn
from bot.channels.telegram import (
    MalformedUpdate,
    TelegramChannel,
    TelegramChannelOutput,
    read_update,
    split_for_telegram,
    user_texts,
)
from bot.dialogue.button_answers import split_token
from bot.servers import free_port
from tests.channels.fakes import FakeSlack, FakeTelegram

TOKEN = "424242:AAE-unit_test_token"
GOOD_TELEGRAM = {"access_token": TOKEN, "verify": "heavy_legs_test_bot",
                 "webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
                 "secret_token": "abc-DEF_123"}
GOOD_SLACK = {"slack_token": "xoxb-1-2-3", "slack_signing_secret": "s3cr3t"}


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    fake = FakeSlack("xoxb-1-2-3").start()
    yield fake
    fake.stop()


# ------------------------------------------------------------------ configuration

@pytest.mark.parametrize("change, variable", [
    ({"secret_token": None}, "TELEGRAM_SECRET_TOKEN"),
    ({"secret_token": "has space"}, "TELEGRAM_SECRET_TOKEN"),
    ({"secret_token": "x" * 257}, "TELEGRAM_SECRET_TOKEN"),
    ({"access_token": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ({"webhook_url": "bot.example.org/hook"}, "TELEGRAM_WEBHOOK_URL"),
    ({"api_url": "ftp://x"}, "TELEGRAM_API_URL"),
])
def test_telegram_configuration_errors_name_the_variable(change: dict, variable: str) -> None:
    with pytest.raises(RasaException, match=variable):
        TelegramChannel.from_credentials({**GOOD_TELEGRAM, **change})


@pytest.mark.parametrize("change, variable", [
    ({"slack_signing_secret": ""}, "SLACK_SIGNING_SECRET"),
    ({"slack_token": "xapp-1-2"}, "SLACK_BOT_TOKEN"),
    ({"api_url": "slack.com/api"}, "SLACK_API_URL"),
])
def test_slack_configuration_errors_name_the_variable(change: dict, variable: str) -> None:
    with pytest.raises(RasaException, match=variable):
        SlackChannel.from_credentials({**GOOD_SLACK, **change})


def test_the_channels_keep_rasas_webhook_paths() -> None:
    assert TelegramChannel.from_credentials(GOOD_TELEGRAM).url_prefix() == "telegram"
    assert SlackChannel.from_credentials(GOOD_SLACK).url_prefix() == "slack"


# ------------------------------------------------------------------ reading updates

def test_commands_are_translated_and_slashes_never_reach_rasa_as_intents() -> None:
    assert user_texts("/start") == ["hi"]
    assert user_texts("/start deep-link") == ["hi"]
    assert user_texts("/help@heavy_legs_bot") == ["hi"]
    assert user_texts("/restart") == ["/restart", "hi"]
    assert user_texts('/inform{"weekly_distance_km": 900}') == ['inform{"weekly_distance_km": 900}']
    assert user_texts("  about 40 km ") == ["about 40 km"]
    assert user_texts("   ") == []


def test_updates_without_a_chat_or_with_odd_types_are_malformed() -> None:
    for update in ([], {"update_id": True}, {"update_id": 1, "message": []},
                   {"update_id": 1, "callback_query": {"id": 5}},
                   {"update_id": 1, "callback_query": {"id": "5", "data": 1}}):
        with pytest.raises(MalformedUpdate):
            read_update(update)


def test_a_callback_without_its_message_answers_the_user_who_clicked() -> None:
    incoming = read_update({"update_id": 1, "callback_query": {
        "id": "77", "from": {"id": 99, "is_bot": False, "first_name": "R"},
        "chat_instance": "1", "data": "steady"}})
    assert incoming is not None
    assert (incoming.chat_id, incoming.callback_data) == (99, "steady")


def test_long_text_is_cut_at_line_breaks_within_telegrams_limit() -> None:
    text = "\n".join(f"line {number} " + "x" * 90 for number in range(100))
    pieces = split_for_telegram(text)
    assert len(pieces) == 3
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "\n".join(pieces) == text


# ------------------------------------------------------------------ Telegram output

def test_long_payloads_get_a_short_callback_data_that_resolves(telegram_api: FakeTelegram
                                                               ) -> None:
    out = TelegramChannelOutput(TOKEN, telegram_api.url)
    payload = '/inform{"weekly_distance_km": 40, "note": "' + "é" * 40 + '"}'
    buttons = [{"title": "Forty", "payload": payload}, {"title": "Steady", "payload": "steady"}]

    async def send() -> None:
        await out.send_text_with_buttons("5", "Pick one " * 600, buttons)
        await out.close_session()

    asyncio.run(send())
    sent = telegram_api.calls_to("sendMessage")
    assert [call.ok for call in sent] == [True, True]  # text cut in two, keyboard on the last
    keyboard = sent[-1].params["reply_markup"]["inline_keyboard"]
    data = [key["callback_data"] for row in keyboard for key in row]
    # Each key names the question (bot.dialogue.button_answers) and its payload.
    token, short = split_token(data[1])
    assert token is not None and short == "steady"
    assert len(data[0].encode()) <= 64
    assert split_token(out.payload_for(data[0])) == (token, payload)
    assert out.payload_for("#p:unknown") is None


def test_a_refused_send_is_logged_not_raised(telegram_api: FakeTelegram,
                                             caplog: pytest.LogCaptureFixture) -> None:
    out = TelegramChannelOutput(TOKEN, telegram_api.url)

    async def send() -> None:
        await out.send_text_message("not-a-chat", "hello")
        await out.close_session()

    with caplog.at_level(logging.ERROR):
        asyncio.run(send())
    assert "chat not found" in caplog.text.lower()


def register(channel: TelegramChannel) -> None:
    async def run() -> None:
        try:
            await channel.register_webhook()
        finally:
            await channel.get_output_channel().close_session()

    asyncio.run(run())


def test_startup_registration_refuses_a_wrong_token_or_bot_name(telegram_api: FakeTelegram
                                                                ) -> None:
    wrong_token = {**GOOD_TELEGRAM, "access_token": "424242:other", "api_url": telegram_api.url}
    with pytest.raises(RasaException, match="refused the bot token"):
        register(TelegramChannel.from_credentials(wrong_token))
    wrong_name = {**GOOD_TELEGRAM, "verify": "someone_else_bot", "api_url": telegram_api.url}
    with pytest.raises(RasaException, match="TELEGRAM_BOT_NAME"):
        register(TelegramChannel.from_credentials(wrong_name))
    assert not telegram_api.calls_to("setWebhook")
    register(TelegramChannel.from_credentials({**GOOD_TELEGRAM, "api_url": telegram_api.url}))
    assert telegram_api.calls_to("setWebhook", secret_token="abc-DEF_123")


def test_startup_registration_survives_an_unreachable_api(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    offline = {**GOOD_TELEGRAM, "api_url": f"http://127.0.0.1:{free_port()}"}
    with caplog.at_level(logging.ERROR):
        register(TelegramChannel.from_credentials(offline))
    assert "could not set the webhook" in caplog.text


# ------------------------------------------------------------------ Slack output

def test_slack_text_is_escaped_and_too_many_buttons_become_a_list(slack_api: FakeSlack) -> None:
    out = SlackChannelOutput("xoxb-1-2-3", api_url=slack_api.api_url)
    many = [{"title": f"Option {number}", "payload": f"o{number}"} for number in range(30)]

    async def send() -> None:
        await out.send_text_message("D1", "5 < 10 & 10 > 5\n\nsecond paragraph")
        await out.send_text_with_buttons("D1", "Choose", many)

    asyncio.run(send())
    texts = slack_api.posted_texts("D1")
    assert texts[:2] == ["5 &lt; 10 &amp; 10 &gt; 5", "second paragraph"]
    assert texts[2].startswith("Choose\n• Option 0")
    assert all(call.ok and "as_user" not in call.params for call in slack_api.posts("D1"))
    assert escape_mrkdwn("<@U1>") == "&lt;@U1&gt;"


def identify(channel: SlackChannel) -> None:
    asyncio.run(channel.learn_identity())


def test_slack_startup_learns_its_identity_and_refuses_a_wrong_token(
    slack_api: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    channel = SlackChannel.from_credentials({**GOOD_SLACK, "api_url": slack_api.api_url})
    identify(channel)
    assert channel.own_user_ids == {slack_api.bot_user_id}
    assert channel.own_bot_ids == {slack_api.bot_id}
    wrong = {**GOOD_SLACK, "slack_token": "xoxb-wrong", "api_url": slack_api.api_url}
    with pytest.raises(RasaException, match="invalid_auth"):
        identify(SlackChannel.from_credentials(wrong))
    offline = {**GOOD_SLACK, "api_url": f"http://127.0.0.1:{free_port()}/api/"}
    with caplog.at_level(logging.ERROR):
        identify(SlackChannel.from_credentials(offline))
    assert "could not reach" in caplog.text
