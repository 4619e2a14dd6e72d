"""The fakes refuse what the real platforms refuse, and the bot copes when they do.

The first part talks to the fake Telegram Bot API and the fake Slack Web API
directly over plain HTTP (fast, no Rasa): every refusal and answer shape listed
in tests/channels/FAKES.md, where each one's source is given. The second part
runs the bot's channel code against a refusing fake: in-process for the output
channels and the webhook registration, and through the real bot (``servers``)
for a blocked runner, an expired button query, a failed edit after a click and
flood control.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, Tuple

import pytest
from rasa.shared.exceptions import RasaException

from bot.channels.slack import SlackChannelOutput
from bot.channels.telegram import TelegramChannel, TelegramChannelOutput
from tests.channels.conftest import Bot, SlackUser, TelegramUser
from tests.channels.fakes import NOT_MODIFIED, QUERY_ID_INVALID, FakeSlack, FakeTelegram

TG_TOKEN = "123456:AAE-fake_refusals_test_token"
SLACK_TOKEN = "xoxb-1-2-fake-refusals"
OPENING = "my legs have felt really heavy on my runs for the last two weeks"
HTTPS_HOOK = "https://bot.example.org/webhooks/telegram/webhook"


def http(url: str, body: bytes | None, headers: Dict[str, str]
         ) -> Tuple[int, Dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def tg(fake: FakeTelegram, method: str, token: str = TG_TOKEN, **params: Any
       ) -> Tuple[int, Dict[str, Any]]:
    """Call the fake Bot API with a JSON body; return the HTTP status and the answer."""
    status, _, answer = http(f"{fake.url}/bot{token}/{method}", json.dumps(params).encode(),
                             {"Content-Type": "application/json"})
    assert answer["ok"] is (status == 200), answer
    if status != 200:
        assert answer["error_code"] == status
    return status, answer


def tg_error(fake: FakeTelegram, method: str, **params: Any) -> Tuple[int, str]:
    status, answer = tg(fake, method, **params)
    assert status != 200, answer
    return status, answer["description"]


def slack_call(fake: FakeSlack, method: str, content_type: str = "application/json; charset=utf-8",
               token: str | None = SLACK_TOKEN, **params: Any
               ) -> Tuple[int, Dict[str, str], Dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type.startswith("application/json"):
        body = json.dumps(params).encode()
    else:
        body = urllib.parse.urlencode(
            {key: json.dumps(value) if isinstance(value, (list, dict)) else value
             for key, value in params.items()}).encode()
    return http(f"{fake.api_url}{method}", body, headers)


def slack(fake: FakeSlack, method: str, **params: Any) -> Dict[str, Any]:
    status, _, answer = slack_call(fake, method, **params)
    assert status == 200
    return answer


def slack_error(fake: FakeSlack, method: str, **params: Any) -> str:
    answer = slack(fake, method, **params)
    assert answer["ok"] is False, answer
    return answer["error"]


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TG_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    fake = FakeSlack(SLACK_TOKEN).start()
    yield fake
    fake.stop()


def keyboard(*data: str) -> Dict[str, Any]:
    return {"inline_keyboard": [[{"text": f"Option {index}", "callback_data": value}
                                 for index, value in enumerate(data)]]}


# =========================================================================== Telegram: shapes

def test_telegram_getme_has_the_bot_flags_but_messages_carry_the_short_user(
    telegram: FakeTelegram,
) -> None:
    _, me = tg(telegram, "getMe")
    assert me["result"]["is_bot"] is True
    assert {"can_join_groups", "can_read_all_group_messages",
            "supports_inline_queries"} <= set(me["result"])
    _, sent = tg(telegram, "sendMessage", chat_id=42, text="  Hello runner\n\n",
                 reply_markup=keyboard("steady"))
    message = sent["result"]
    assert set(message["from"]) == {"id", "is_bot", "first_name", "username"}
    assert message["chat"] == {"id": 42, "first_name": "Runner", "username": "runner42",
                               "type": "private"}
    assert message["text"] == "Hello runner"  # stored trimmed
    assert message["reply_markup"] == keyboard("steady")
    assert isinstance(message["message_id"], int) and isinstance(message["date"], int)


def test_telegram_unknown_method_and_tokens(telegram: FakeTelegram) -> None:
    assert tg_error(telegram, "sendMessages", chat_id=1, text="x") == (
        404, "Not Found: method not found")
    status, answer = tg(telegram, "getMe", token="123456:AAE-someone_else")
    assert (status, answer["description"]) == (401, "Unauthorized")
    status, answer = tg(telegram, "getMe", token="not-a-token")
    assert (status, answer["description"]) == (404, "Not Found")


def test_telegram_flood_control_answers_429_with_retry_after(telegram: FakeTelegram) -> None:
    telegram.rate_limit("sendMessage", retry_after=3, times=1)
    status, answer = tg(telegram, "sendMessage", chat_id=1, text="hi")
    assert status == 429
    assert answer == {"ok": False, "error_code": 429,
                      "description": "Too Many Requests: retry after 3",
                      "parameters": {"retry_after": 3}}
    assert tg(telegram, "sendMessage", chat_id=1, text="hi")[0] == 200


# =========================================================================== Telegram: sendMessage

@pytest.mark.parametrize("params, description", [
    ({"chat_id": 1}, "Bad Request: message text is empty"),
    ({"chat_id": 1, "text": ""}, "Bad Request: message text is empty"),
    ({"chat_id": 1, "text": "  \n \n"}, "Bad Request: message must be non-empty"),
    ({"chat_id": 1, "text": "x" * 4097}, "Bad Request: message is too long"),
    ({"chat_id": 1, "text": "é" * 17000}, "Bad Request: text is too long"),
    ({"text": "hi"}, "Bad Request: chat_id is empty"),
    ({"chat_id": "@nobody", "text": "hi"}, "Bad Request: chat not found"),
    ({"chat_id": -1001234567890, "text": "hi"}, "Bad Request: chat not found"),
    ({"chat_id": 1, "text": "hi", "reply_markup": "{not json"},
     "Bad Request: can't parse reply keyboard markup JSON object"),
    ({"chat_id": 1, "text": "hi", "reply_markup": ["x"]},
     "Bad Request: object expected as reply markup"),
    ({"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [{"text": "x"}]}},
     'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
     'Arrays'),
    ({"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [["Yes"]]}},
     "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"),
    ({"chat_id": 1, "text": "hi", "reply_markup": keyboard("")},
     "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
     "inline keyboard"),
    ({"chat_id": 1, "text": "hi", "reply_markup": keyboard("x" * 65)},
     "Bad Request: BUTTON_DATA_INVALID"),
    ({"chat_id": 1, "text": "hi", "reply_markup": keyboard("é" * 33)},
     "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes in 33 characters
])
def test_telegram_send_message_refusals(telegram: FakeTelegram, params: Dict[str, Any],
                                        description: str) -> None:
    assert tg_error(telegram, "sendMessage", **params) == (400, description)


def test_telegram_length_is_counted_after_trimming(telegram: FakeTelegram) -> None:
    assert tg(telegram, "sendMessage", chat_id=1, text="x" * 4096)[0] == 200
    assert tg(telegram, "sendMessage", chat_id=1, text="\n  " + "x" * 4096 + "  \n")[0] == 200
    assert tg(telegram, "sendMessage", chat_id=1, text="é" * 4096)[0] == 200  # 8192 bytes
    assert tg(telegram, "sendMessage", chat_id=1, text="x", reply_markup=keyboard("é" * 32)
              )[0] == 200  # callback_data of exactly 64 bytes


def test_telegram_counts_characters_not_utf16_units_by_default(telegram: FakeTelegram) -> None:
    # Measured against the real API (FAKES.md): 4096 emoji outside the BMP pass, 4097 do not.
    assert tg(telegram, "sendMessage", chat_id=1, text="💪" * 4096)[0] == 200
    assert tg_error(telegram, "sendMessage", chat_id=1, text="💪" * 4097) == (
        400, "Bad Request: message is too long")


def test_telegram_can_count_utf16_units_for_the_worst_case() -> None:
    fake = FakeTelegram(TG_TOKEN, text_length_unit="utf16").start()
    try:
        assert tg(fake, "sendMessage", chat_id=1, text="💪" * 2048)[0] == 200
        assert tg_error(fake, "sendMessage", chat_id=1, text="💪" * 2049) == (
            400, "Bad Request: message is too long")
    finally:
        fake.stop()


@pytest.mark.parametrize("control, description", [
    ("block", "Forbidden: bot was blocked by the user"),
    ("never_started", "Forbidden: bot can't initiate conversation with a user"),
    ("deactivate", "Forbidden: user is deactivated"),
])
def test_telegram_runners_who_cannot_be_reached_get_403(telegram: FakeTelegram, control: str,
                                                        description: str) -> None:
    getattr(telegram, control)(777)
    assert tg_error(telegram, "sendMessage", chat_id=777, text="hi") == (403, description)
    assert tg(telegram, "sendMessage", chat_id=778, text="hi")[0] == 200
    refused = telegram.calls_to("sendMessage", chat_id=777)
    assert [(call.ok, call.result) for call in refused] == [(False, description)]


def test_telegram_forgotten_chat_is_not_found(telegram: FakeTelegram) -> None:
    telegram.forget_chat(555)
    assert tg_error(telegram, "sendMessage", chat_id=555, text="hi") == (
        400, "Bad Request: chat not found")


# =========================================================================== Telegram: editing

def test_telegram_edit_refusals_and_the_edited_shape(telegram: FakeTelegram) -> None:
    _, sent = tg(telegram, "sendMessage", chat_id=9, text="How steady was it?",
                 reply_markup=keyboard("steady", "more"))
    message_id = sent["result"]["message_id"]
    assert tg_error(telegram, "editMessageText", chat_id=9, message_id=message_id) == (
        400, "Bad Request: message text is empty")
    assert tg_error(telegram, "editMessageText", chat_id=9, text="x") == (
        400, "Bad Request: message identifier is not specified")
    assert tg_error(telegram, "editMessageText", text="x") == (
        400, "Bad Request: message identifier is not specified")
    assert tg_error(telegram, "editMessageText", chat_id=9, message_id=999_999, text="x") == (
        400, "Bad Request: message to edit not found")
    assert tg_error(telegram, "editMessageText", chat_id=10, message_id=message_id,
                    text="x") == (400, "Bad Request: message to edit not found")
    # The same text and the same keyboard: nothing to change.
    assert tg_error(telegram, "editMessageText", chat_id=9, message_id=message_id,
                    text="How steady was it?  ", reply_markup=keyboard("steady", "more")) == (
        400, f"Bad Request: {NOT_MODIFIED}")
    # The same text without the keyboard is a change (the keyboard goes).
    status, edited = tg(telegram, "editMessageText", chat_id=9, message_id=message_id,
                        text="How steady was it?")
    assert status == 200
    assert "reply_markup" not in edited["result"]
    assert isinstance(edited["result"]["edit_date"], int)
    assert edited["result"]["message_id"] == message_id
    assert tg_error(telegram, "editMessageText", chat_id=9, message_id=message_id,
                    text="How steady was it?") == (400, f"Bad Request: {NOT_MODIFIED}")


def test_telegram_reply_markup_edits(telegram: FakeTelegram) -> None:
    _, sent = tg(telegram, "sendMessage", chat_id=9, text="Pick", reply_markup=keyboard("a"))
    message_id = sent["result"]["message_id"]
    status, edited = tg(telegram, "editMessageReplyMarkup", chat_id=9, message_id=message_id)
    assert status == 200 and edited["result"]["text"] == "Pick"
    assert "reply_markup" not in edited["result"]
    assert tg_error(telegram, "editMessageReplyMarkup", chat_id=9, message_id=message_id) == (
        400, f"Bad Request: {NOT_MODIFIED}")
    assert tg_error(telegram, "editMessageReplyMarkup", chat_id=9, message_id=message_id,
                    reply_markup=keyboard("y" * 65)) == (400, "Bad Request: BUTTON_DATA_INVALID")


def test_telegram_a_runners_message_cannot_be_edited(telegram: FakeTelegram) -> None:
    theirs = telegram.user_message(9, "about 40 km")
    assert tg_error(telegram, "editMessageText", chat_id=9, message_id=theirs["message_id"],
                    text="x") == (400, "Bad Request: message can't be edited")


# =========================================================================== Telegram: callbacks

def test_telegram_answers_only_to_issued_callback_queries(telegram: FakeTelegram) -> None:
    message = tg(telegram, "sendMessage", chat_id=3, text="Pick", reply_markup=keyboard("a"))[1]
    update = telegram.callback_query_update(1, message["result"], "a")
    query_id = update["callback_query"]["id"]
    assert tg(telegram, "answerCallbackQuery", callback_query_id=query_id)[1]["result"] is True
    for made_up in ("1234567890", "", "not-a-number"):
        assert tg_error(telegram, "answerCallbackQuery", callback_query_id=made_up) == (
            400, f"Bad Request: {QUERY_ID_INVALID}")
    telegram.expire_callback_query(query_id)
    assert tg_error(telegram, "answerCallbackQuery", callback_query_id=query_id) == (
        400, f"Bad Request: {QUERY_ID_INVALID}")


def test_telegram_callback_queries_grow_too_old() -> None:
    fake = FakeTelegram(TG_TOKEN, callback_query_ttl_s=0.2).start()
    try:
        query_id = fake.issue_callback_query_id()
        time.sleep(0.3)
        assert tg_error(fake, "answerCallbackQuery", callback_query_id=query_id) == (
            400, f"Bad Request: {QUERY_ID_INVALID}")
    finally:
        fake.stop()


# =========================================================================== Telegram: webhook

@pytest.mark.parametrize("params, description", [
    ({"url": "http://bot.example.org/hook"},
     "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"),
    ({"url": "https://bot.example.org:8080/hook"},
     "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"),
    ({"url": "https://127.0.0.1/hook"}, "Bad Request: bad webhook: IP address 127.0.0.1 is "
     "reserved"),
    ({"url": "https://localhost:8443/hook"},
     "Bad Request: bad webhook: IP address 127.0.0.1 is reserved"),
    ({"url": "https://192.168.1.20:443/hook"},
     "Bad Request: bad webhook: IP address 192.168.1.20 is reserved"),
    ({"url": "https://[2001:db8::1]/hook"},
     "Bad Request: bad webhook: IPv6-only addresses are not allowed"),
    ({"url": "ftp://bot.example.org/hook"}, "Bad Request: invalid webhook URL specified"),
    ({"url": "https://:443/hook"}, "Bad Request: invalid webhook URL specified"),
    ({"url": "https://bot.example.org:99999/hook"}, "Bad Request: invalid webhook URL specified"),
    ({"url": HTTPS_HOOK, "secret_token": "has space"},
     "Bad Request: secret token contains unallowed characters"),
    ({"url": HTTPS_HOOK, "secret_token": "x" * 257}, "Bad Request: secret token is too long"),
])
def test_telegram_set_webhook_refusals(telegram: FakeTelegram, params: Dict[str, Any],
                                       description: str) -> None:
    assert tg_error(telegram, "setWebhook", **params) == (400, description)


@pytest.mark.parametrize("url", [HTTPS_HOOK, "https://bot.example.org:8443/hook",
                                 "https://bot.example.org:88/hook", "bot.example.org/hook",
                                 "https://93.184.216.34/hook"])
def test_telegram_set_webhook_accepts_https_on_the_allowed_ports(telegram: FakeTelegram,
                                                                  url: str) -> None:
    status, answer = tg(telegram, "setWebhook", url=url, secret_token="abc-DEF_123",
                        allowed_updates=["message", "callback_query"])
    assert (status, answer["result"], answer["description"]) == (200, True, "Webhook was set")
    info = tg(telegram, "getWebhookInfo")[1]["result"]
    assert info["url"] == url and info["allowed_updates"] == ["message", "callback_query"]
    assert info["has_custom_certificate"] is False and info["pending_update_count"] == 0


def test_telegram_set_webhook_is_limited_to_one_a_second(telegram: FakeTelegram) -> None:
    assert tg(telegram, "setWebhook", url=HTTPS_HOOK)[1]["description"] == "Webhook was set"
    status, answer = tg(telegram, "setWebhook", url=HTTPS_HOOK)
    assert status == 429 and answer["parameters"] == {"retry_after": 1}
    time.sleep(1.05)
    assert tg(telegram, "setWebhook", url=HTTPS_HOOK)[1]["description"] == \
        "Webhook is already set"
    assert tg(telegram, "deleteWebhook")[1]["description"] == "Webhook was deleted"
    assert tg(telegram, "deleteWebhook")[1]["description"] == "Webhook is already deleted"
    assert tg(telegram, "setWebhook", url="")[1]["description"] == "Webhook is already deleted"
    assert tg(telegram, "getWebhookInfo")[1]["result"] == {
        "url": "", "has_custom_certificate": False, "pending_update_count": 0}


def test_telegram_local_mode_accepts_a_local_http_webhook() -> None:
    fake = FakeTelegram(TG_TOKEN, local_mode=True).start()
    try:
        status, answer = tg(fake, "setWebhook", url="http://127.0.0.1:5005/webhooks/telegram")
        assert (status, answer["description"]) == (200, "Webhook was set")
    finally:
        fake.stop()


# =========================================================================== Slack: shapes

BOT_PROFILE_KEYS = {"id", "app_id", "user_id", "name", "icons", "deleted", "updated", "team_id"}


def test_slack_post_answers_in_the_shape_of_a_bot_token_post(slack_api: FakeSlack) -> None:
    answer = slack(slack_api, "chat.postMessage", channel="D0RUNNER1", text="5 &lt; 10 km")
    assert answer["ok"] is True and answer["channel"] == "D0RUNNER1"
    message = answer["message"]
    assert "subtype" not in message and "username" not in message
    assert message["type"] == "message" and message["ts"] == answer["ts"]
    assert (message["user"], message["bot_id"], message["app_id"], message["team"]) == (
        slack_api.bot_user_id, slack_api.bot_id, slack_api.app_id, slack_api.team_id)
    assert set(message["bot_profile"]) == BOT_PROFILE_KEYS
    assert message["bot_profile"]["id"] == slack_api.bot_id
    assert set(message["bot_profile"]["icons"]) == {"image_36", "image_48", "image_72"}
    [block] = message["blocks"]  # Slack adds the text as a rich_text block
    assert block["type"] == "rich_text" and block["block_id"]
    assert block["elements"] == [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "5 < 10 km"}]}]
    assert "warning" not in answer


def test_slack_post_with_blocks_keeps_them_with_ids_and_flags(slack_api: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "How steady?"}},
              {"type": "actions", "elements": [
                  {"type": "button", "action_id": "rasa_button_0",
                   "text": {"type": "plain_text", "text": "Steady"}, "value": "steady"}]}]
    message = slack(slack_api, "chat.postMessage", channel="D0RUNNER1", text="How steady?",
                    blocks=blocks)["message"]
    section, actions = message["blocks"]
    assert section["block_id"] and actions["block_id"]
    assert section["text"] == {"type": "plain_text", "text": "How steady?", "emoji": True}
    assert actions["elements"][0]["text"]["emoji"] is True
    assert actions["elements"][0]["action_id"] == "rasa_button_0"


def test_slack_posting_to_a_user_posts_in_the_dm(slack_api: FakeSlack) -> None:
    answer = slack(slack_api, "chat.postMessage", channel="U0RUNNER7", text="hi")
    assert answer["channel"] == "D0RUNNER7"


def test_slack_charset_warnings(slack_api: FakeSlack) -> None:
    _, _, answer = slack_call(slack_api, "chat.postMessage", content_type="application/json",
                              channel="D1", text="hi")
    assert answer["ok"] is True and answer["warning"] == "missing_charset"
    assert answer["response_metadata"] == {"warnings": ["missing_charset"]}
    _, _, answer = slack_call(slack_api, "chat.postMessage",
                              content_type="application/x-www-form-urlencoded; charset=utf-8",
                              channel="D1", text="hi")
    assert answer["warning"] == "superfluous_charset"
    _, _, answer = slack_call(slack_api, "chat.postMessage",
                              content_type="application/x-www-form-urlencoded",
                              channel="D1", text="hi")
    assert answer["ok"] is True and "warning" not in answer


def test_slack_rate_limit_is_http_429_with_retry_after(slack_api: FakeSlack) -> None:
    slack_api.rate_limit("chat.postMessage", retry_after=7, times=1)
    status, headers, answer = slack_call(slack_api, "chat.postMessage", channel="D1", text="hi")
    assert status == 429 and headers["Retry-After"] == "7"
    assert answer == {"ok": False, "error": "ratelimited"}
    assert slack(slack_api, "chat.postMessage", channel="D1", text="hi")["ok"] is True


def test_slack_auth_errors(slack_api: FakeSlack) -> None:
    assert slack_call(slack_api, "auth.test", token=None)[2]["error"] == "not_authed"
    assert slack_call(slack_api, "auth.test", token="xoxb-wrong")[2]["error"] == "invalid_auth"
    assert slack_error(slack_api, "chat.postMessages", channel="D1") == "unknown_method"


# =========================================================================== Slack: refusals

SECTION = {"type": "section", "text": {"type": "plain_text", "text": "x"}}


@pytest.mark.parametrize("params, error", [
    ({"text": "hi"}, "channel_not_found"),
    ({"channel": "general-chat", "text": "hi"}, "channel_not_found"),
    ({"channel": "D1"}, "no_text"),
    ({"channel": "D1", "text": ""}, "no_text"),
    ({"channel": "D1", "text": "x" * 4001}, "msg_too_long"),
    ({"channel": "D1", "text": "hi", "as_user": True}, "as_user_not_supported"),
    ({"channel": "D1", "text": "hi", "blocks": {"type": "section"}}, "invalid_blocks_format"),
    ({"channel": "D1", "text": "hi", "blocks": [{"type": "carousel"}]}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [SECTION] * 51}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [
        {"type": "actions", "elements": [{"type": "button", "value": "a", "text": {
            "type": "mrkdwn", "text": "*A*"}}]}]}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [
        {"type": "actions", "elements": [{"type": "button", "value": "a", "text": {
            "type": "plain_text", "text": "x" * 76}}]}]}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [{"type": "actions", "elements": [
        {"type": "button", "action_id": "same", "text": {"type": "plain_text", "text": "A"}},
        {"type": "button", "action_id": "same", "text": {"type": "plain_text", "text": "B"}},
    ]}]}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [{"type": "context", "elements": [
        {"type": "plain_text", "text": "x"}] * 11}]}, "invalid_blocks"),
    ({"channel": "D1", "text": "hi", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]},
     "invalid_blocks"),
])
def test_slack_post_message_refusals(slack_api: FakeSlack, params: Dict[str, Any],
                                     error: str) -> None:
    assert slack_error(slack_api, "chat.postMessage", **params) == error


def test_slack_invalid_blocks_say_where(slack_api: FakeSlack) -> None:
    answer = slack(slack_api, "chat.postMessage", channel="D1", text="hi", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert answer == {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": [
        "[ERROR] failed to match all allowed schemas [json-pointer:/blocks/0/text]",
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]}}


def test_slack_channel_states(slack_api: FakeSlack) -> None:
    slack_api.archive("C0OLDCLUB")
    slack_api.leave("C0OTHERS")
    slack_api.forget_channel("C0GONE")
    assert slack_error(slack_api, "chat.postMessage", channel="C0OLDCLUB", text="hi") == \
        "is_archived"
    assert slack_error(slack_api, "chat.postMessage", channel="C0OTHERS", text="hi") == \
        "not_in_channel"
    assert slack_error(slack_api, "chat.postMessage", channel="C0GONE", text="hi") == \
        "channel_not_found"
    assert slack(slack_api, "chat.postMessage", channel="C0RUNCLUB", text="hi")["ok"] is True


def test_slack_the_text_limit_can_be_set() -> None:
    fake = FakeSlack(SLACK_TOKEN, max_text_chars=40_000).start()
    try:
        assert slack(fake, "chat.postMessage", channel="D1", text="x" * 4001)["ok"] is True
        assert slack_error(fake, "chat.postMessage", channel="D1", text="x" * 40_001) == \
            "msg_too_long"
    finally:
        fake.stop()


# =========================================================================== Slack: chat.update

def _buttons_post(fake: FakeSlack, channel: str = "D0RUNNER1") -> Dict[str, Any]:
    return slack(fake, "chat.postMessage", channel=channel, text="How steady?", blocks=[
        {"type": "section", "text": {"type": "plain_text", "text": "How steady?"}},
        {"type": "actions", "elements": [{"type": "button", "action_id": "rasa_button_0",
                                          "text": {"type": "plain_text", "text": "Steady"},
                                          "value": "steady"}]}])


def test_slack_update_answers_in_the_real_shape(slack_api: FakeSlack) -> None:
    post = _buttons_post(slack_api)
    kept = [post["message"]["blocks"][0],
            {"type": "context", "elements": [{"type": "plain_text", "text": "→ Steady"}]}]
    answer = slack(slack_api, "chat.update", channel=post["channel"], ts=post["ts"],
                   text="How steady?", blocks=kept)
    assert answer["ok"] is True
    assert (answer["channel"], answer["ts"], answer["text"]) == (post["channel"], post["ts"],
                                                                "How steady?")
    message = answer["message"]
    assert message["text"] == "How steady?" and "subtype" not in message
    assert message["bot_id"] == slack_api.bot_id and message["user"] == slack_api.bot_user_id
    assert [block["type"] for block in message["blocks"]] == ["section", "context"]
    assert set(message["bot_profile"]) == BOT_PROFILE_KEYS
    # The update is kept: the same edit again still works, a text-only one keeps the blocks.
    again = slack(slack_api, "chat.update", channel=post["channel"], ts=post["ts"], text="!")
    assert [block["type"] for block in again["message"]["blocks"]] == ["section", "context"]


def test_slack_update_refusals(slack_api: FakeSlack) -> None:
    post = _buttons_post(slack_api)
    channel, ts = post["channel"], post["ts"]
    theirs = slack_api.user_message(channel, "U0RUNNER1", "about 40 km")
    assert slack_error(slack_api, "chat.update", channel=channel, ts="1700000000.000001",
                       text="x") == "message_not_found"
    assert slack_error(slack_api, "chat.update", channel="D0ELSEWHERE", ts=ts,
                       text="x") == "message_not_found"
    assert slack_error(slack_api, "chat.update", channel=channel, ts=theirs["ts"],
                       text="x") == "cant_update_message"
    assert slack_error(slack_api, "chat.update", channel="U0RUNNER1", ts=ts,
                       text="x") == "channel_not_found"  # a DM id is needed, not a user id
    assert slack_error(slack_api, "chat.update", channel=channel, ts=ts) == "no_text"
    assert slack_error(slack_api, "chat.update", channel=channel, ts=ts,
                       text="x" * 4001) == "msg_too_long"
    assert slack_error(slack_api, "chat.update", channel=channel, ts=ts, text="x",
                       blocks=[{"type": "section", "text": {"type": "plain_text",
                                                            "text": ""}}]) == "invalid_blocks"


def test_slack_update_of_a_rich_text_message_keeps_rich_text(slack_api: FakeSlack) -> None:
    post = slack(slack_api, "chat.postMessage", channel="D1", text="plain words")
    assert slack_error(slack_api, "chat.update", channel="D1", ts=post["ts"], text="x",
                       blocks=[SECTION]) == "block_mismatch"
    answer = slack(slack_api, "chat.update", channel="D1", ts=post["ts"], text="new words")
    assert answer["message"]["blocks"][0]["elements"][0]["elements"][0]["text"] == "new words"


def test_slack_update_in_an_archived_channel_or_after_the_edit_window() -> None:
    fake = FakeSlack(SLACK_TOKEN, edit_window_s=0.0).start()
    try:
        post = _buttons_post(fake, channel="C0CLUB")
        time.sleep(0.05)
        assert slack_error(fake, "chat.update", channel="C0CLUB", ts=post["ts"], text="x") == \
            "edit_window_closed"
        fake.archive("C0CLUB")
        assert slack_error(fake, "chat.update", channel="C0CLUB", ts=post["ts"], text="x") == \
            "is_inactive"
    finally:
        fake.stop()


# =========================================================================== the channel code
# in-process, against a refusing fake

def register(channel: TelegramChannel) -> None:
    async def run() -> None:
        try:
            await channel.register_webhook()
        finally:
            await channel.get_output_channel().close_session()

    asyncio.run(run())


TELEGRAM_CREDENTIALS = {"access_token": TG_TOKEN, "verify": "heavy_legs_test_bot",
                        "secret_token": "abc-DEF_123"}


@pytest.mark.parametrize("webhook_url, reason", [
    ("http://bot.example.org/webhooks/telegram/webhook", "an https url must be provided"),
    ("https://bot.example.org:8080/webhooks/telegram/webhook", "ports 80, 88, 443 or 8443"),
])
def test_a_webhook_url_telegram_refuses_stops_the_bot(telegram: FakeTelegram, webhook_url: str,
                                                     reason: str) -> None:
    channel = TelegramChannel.from_credentials({**TELEGRAM_CREDENTIALS,
                                                "webhook_url": webhook_url,
                                                "api_url": telegram.url})
    with pytest.raises(RasaException, match="refused setWebhook") as refused:
        register(channel)
    assert reason in str(refused.value).lower()
    assert not telegram.webhook["url"]


def test_a_webhook_on_port_8443_is_registered(telegram: FakeTelegram) -> None:
    url = "https://bot.example.org:8443/webhooks/telegram/webhook"
    register(TelegramChannel.from_credentials({**TELEGRAM_CREDENTIALS, "webhook_url": url,
                                               "api_url": telegram.url}))
    assert telegram.webhook["url"] == url
    assert telegram.calls_to("setWebhook")[-1].ok


@pytest.mark.parametrize("control, logged", [
    ("block", "bot was blocked by the user"),
    ("never_started", "bot can't initiate conversation with a user"),
    ("deactivate", "user is deactivated"),
])
def test_telegram_output_logs_an_unreachable_runner_without_the_text(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture, control: str, logged: str,
) -> None:
    getattr(telegram, control)(5)
    out = TelegramChannelOutput(TG_TOKEN, telegram.url)
    text = "Secret words about your legs " + secrets.token_hex(4)

    async def send() -> None:
        await out.send_text_message("5", text)
        await out.close_session()

    with caplog.at_level(logging.ERROR):
        asyncio.run(send())
    assert logged in caplog.text
    assert text not in caplog.text
    assert [call.ok for call in telegram.calls_to("sendMessage")] == [False]


@pytest.mark.parametrize("control, error", [("archive", "is_archived"),
                                            ("leave", "not_in_channel"),
                                            ("forget_channel", "channel_not_found")])
def test_slack_output_logs_a_refused_post(slack_api: FakeSlack, caplog: pytest.LogCaptureFixture,
                                          control: str, error: str) -> None:
    getattr(slack_api, control)("C0CLUB")
    out = SlackChannelOutput(SLACK_TOKEN, api_url=slack_api.api_url)
    with caplog.at_level(logging.ERROR):
        asyncio.run(out.send_text_message("C0CLUB", "hello"))
    assert error in caplog.text
    assert [call.result for call in slack_api.calls_to("chat.postMessage")] == [error]


def test_slack_show_choice_logs_a_refused_update(slack_api: FakeSlack,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    post = _buttons_post(slack_api)
    out = SlackChannelOutput(SLACK_TOKEN, api_url=slack_api.api_url)
    unknown = dict(post["message"], ts="1700000000.000001")
    with caplog.at_level(logging.WARNING):
        asyncio.run(out.show_choice(post["channel"], unknown, "Steady"))
        asyncio.run(out.show_choice(post["channel"], post["message"], "Steady"))
    assert "message_not_found" in caplog.text
    updates = slack_api.calls_to("chat.update")
    assert [(call.ok, call.result if not call.ok else "") for call in updates] == [
        (False, "message_not_found"), (True, "")]


# =========================================================================== through the real bot

def _log(bot: Bot) -> str:
    assert bot.rasa_log is not None
    return bot.rasa_log.read_text(errors="replace")


@pytest.mark.servers
def test_a_blocked_runner_is_handled_and_the_refusal_logged_without_the_text(
    telegram_user: TelegramUser,
) -> None:
    bot, user = telegram_user.bot, telegram_user
    bot.telegram.block(user.chat_id)
    since = bot.telegram.mark()
    response = user.send(user.message_update(OPENING))
    assert response.status == 200 and response.json() == {"ok": True}
    refused = bot.telegram.calls_to("sendMessage", since, chat_id=user.chat_id)
    assert refused, "the bot did not try to answer"
    assert {(call.ok, call.result) for call in refused} == {
        (False, "Forbidden: bot was blocked by the user")}
    assert bot.user_turns(user.sender) == 1  # the turn was saved
    log = _log(bot)
    assert "Telegram sendMessage refused: Forbidden: bot was blocked by the user" in log
    for call in refused:
        assert str(call.params["text"]) not in log
    # Unblocked, the runner gets answers again in the same conversation.
    bot.telegram.unblock(user.chat_id)
    assert user.say("about 40 km")
    assert bot.tracker(user.sender)["slots"]["weekly_distance_km"] == 40.0


def _to_the_steady_question(user: TelegramUser) -> Dict[str, Any]:
    user.say(OPENING)
    user.say("about 40 km")
    return user.last_keyboard_message()


def _data(message: Dict[str, Any], title: str) -> str:
    keys = [key for row in message["reply_markup"]["inline_keyboard"] for key in row]
    return next(key["callback_data"] for key in keys if key["text"] == title)


@pytest.mark.servers
def test_a_click_whose_query_is_too_old_still_counts(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    message = _to_the_steady_question(user)
    update = user.callback_update(message, _data(message, "Steady"))
    bot.telegram.expire_callback_query(update["callback_query"]["id"])
    since = bot.telegram.mark()
    response = user.send(update)
    assert response.status == 200 and response.json()["ok"] is True
    answer = bot.telegram.calls_to("answerCallbackQuery", since)
    assert [(call.ok, call.result) for call in answer] == [
        (False, f"Bad Request: {QUERY_ID_INVALID}")]
    assert bot.telegram.calls_to("editMessageText", since, chat_id=user.chat_id)[0].ok
    slots = bot.tracker(user.sender)["slots"]
    assert slots["distance_increase_pct"] == 0.0
    assert bot.telegram.sent_texts(user.chat_id, since)  # the next question
    assert "query is too old" in _log(bot).lower()


@pytest.mark.servers
def test_a_double_click_gets_message_not_modified_and_nothing_breaks(
    telegram_user: TelegramUser,
) -> None:
    """Two taps on the same button before the keyboard is gone (two callback queries)."""
    bot, user = telegram_user.bot, telegram_user
    message = _to_the_steady_question(user)
    data = _data(message, "Steady")
    first, second = user.callback_update(message, data), user.callback_update(message, data)
    since = bot.telegram.mark()
    assert user.send(first).status == 200
    response = user.send(second)
    assert response.status == 200 and response.json()["ok"] is True
    edits = bot.telegram.calls_to("editMessageText", since, chat_id=user.chat_id)
    assert edits[0].ok
    # A second edit of the same message (if the bot makes one) is "not modified".
    assert [call.result for call in edits[1:]] in ([], [f"Bad Request: {NOT_MODIFIED}"])
    assert all(call.ok for call in bot.telegram.calls_to("answerCallbackQuery", since))
    assert bot.tracker(user.sender)["slots"]["distance_increase_pct"] == 0.0
    assert user.say("7 hours")  # the conversation goes on


@pytest.mark.servers
def test_flood_control_on_a_send_is_waited_out(telegram_user: TelegramUser) -> None:
    bot, user = telegram_user.bot, telegram_user
    bot.telegram.rate_limit("sendMessage", retry_after=1, times=1)
    since = bot.telegram.mark()
    answers = user.say(OPENING)
    sends = bot.telegram.calls_to("sendMessage", since, chat_id=user.chat_id)
    assert (sends[0].ok, sends[0].result) == (False, "Too Many Requests: retry after 1")
    assert sends[1].ok and sends[1].params["text"] == sends[0].params["text"]
    assert answers[0] == sends[0].params["text"]


def _click_on(user: SlackUser, ts: str, title: str = "Steady") -> Tuple[int, str]:
    """Click ``title`` on the latest buttons, as if the message had the timestamp ``ts``."""
    turns = user.bot.user_turns(user.user_id)
    payload = user.block_actions_payload(user.last_buttons_post(), title)
    payload["message"] = dict(payload["message"], ts=ts)
    payload["container"]["message_ts"] = ts
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    response = user.send_raw(body, content_type="application/x-www-form-urlencoded")
    user.bot.wait_for_turns(user.user_id, turns + 1)
    return response.status, ts


@pytest.mark.servers
@pytest.mark.parametrize("whose", ["never posted", "the runner's"])
def test_a_failed_update_after_a_click_lets_the_conversation_go_on(slack_user: SlackUser,
                                                                    whose: str) -> None:
    bot, user = slack_user.bot, slack_user
    user.say(OPENING)
    user.say("about 40 km")
    if whose == "never posted":
        ts, error = f"{int(time.time()) - 60}.000001", "message_not_found"
    else:
        ts, error = bot.slack.user_message(user.channel, user.user_id, "x")["ts"], \
            "cant_update_message"
    since = bot.slack.mark()
    status, _ = _click_on(user, ts)
    assert status == 200
    update = bot.slack.wait_for("chat.update", since, channel=user.channel)[0]
    assert (update.ok, update.result) == (False, error)
    slots = bot.tracker(user.user_id)["slots"]
    assert slots["distance_increase_pct"] == 0.0
    assert slots["requested_slot"] == "sleep_hours"
    bot.slack.wait_for("chat.postMessage", since, channel=user.channel)  # the next question
    assert f"Slack chat.update of {ts} failed" in _log(bot)
    assert user.say("7 hours")


@pytest.mark.servers
def test_a_rate_limited_slack_post_is_sent_after_retry_after(slack_user: SlackUser) -> None:
    """A 429 from chat.postMessage is waited out (Retry-After) and the post sent again."""
    bot, user = slack_user.bot, slack_user
    bot.slack.rate_limit("chat.postMessage", retry_after=1, times=1)
    since = bot.slack.mark()
    texts = user.say(OPENING)
    refused = [call for call in bot.slack.calls_to("chat.postMessage", since) if not call.ok]
    assert refused and refused[0].result == "ratelimited"
    time.sleep(2)
    texts = bot.slack.posted_texts(user.channel, since)
    assert refused[0].params["text"] in texts
