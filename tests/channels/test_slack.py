"""The Slack channel against the real bot and a fake Web API, fed real Events API shapes."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tests.channels.conftest import SLACK_SIGNING_SECRET, Bot, SlackUser, get, slack_signature

pytestmark = pytest.mark.servers

QUIET_S = 3.0  # how long to watch for an answer that must not come


def test_startup_asks_who_the_bot_is(channel_bot: Bot) -> None:
    assert channel_bot.slack.calls_to("auth.test")[0].ok  # the first: the bot's startup
    assert SLACK_SIGNING_SECRET not in channel_bot.credentials_text
    assert "${SLACK_SIGNING_SECRET}" in channel_bot.credentials_text
    assert get(f"{channel_bot.running.url}/webhooks/slack/").json() == {"status": "ok"}


def test_conversation_with_buttons_reaches_the_explanation(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    opening = user.say("my legs have felt really heavy on my runs for the last two weeks")
    assert any("not a diagnosis" in text for text in opening)
    post = user.last_buttons_post()
    assert "as_user" not in post.params
    section, actions = post.params["blocks"]
    assert section["type"] == "section" and "week" in section["text"]["text"]
    assert actions["type"] == "actions"
    assert [(e["type"], e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("button", "Don't know", "don't know")]

    user.say("about 40 km")
    assert bot.tracker(user.user_id)["slots"]["weekly_distance_km"] == 40.0

    since = bot.slack.mark()
    payload, response, answers = user.click("Steady")
    assert response.body == b""
    update = bot.slack.wait_for("chat.update", since, channel=user.channel,
                                ts=payload["message"]["ts"])[0]
    blocks = update.params["blocks"]
    assert not [block for block in blocks if block["type"] == "actions"]  # buttons gone
    assert blocks[-1]["elements"][0]["text"] == "→ Steady"
    slots = bot.tracker(user.user_id)["slots"]
    assert slots["distance_increase_pct"] == 0.0
    assert slots["requested_slot"] == "sleep_hours"
    assert answers

    user.say("7 hours")
    user.click("Balanced")
    assert "balanced" in bot.tracker(user.user_id)["slots"]["diet_factors"]
    said = user.say("300 km")
    for _ in range(4):  # the follow-up questions, skipped with their own button
        if bot.tracker(user.user_id)["slots"]["requested_slot"] != "followup_answer":
            break
        _, _, said = user.click("Not sure")
    explanation = "\n".join(said)

    tracker = bot.tracker(user.user_id)
    assert tracker["slots"]["requested_slot"] is None
    assert tracker["slots"]["likely_causes"]
    assert tracker["slots"]["shoe_distance_km"] == 300.0
    assert "reasons" in explanation
    assert tracker["latest_input_channel"] == "slack"

    # The summary to keep, offered under the explanation, is posted as a message.
    _, _, summary = user.click("A summary to keep")
    summary_text = "\n".join(summary)
    assert "Summary of the heavy-legs assessment" in summary_text
    assert "shoes 300 km" in summary_text


def test_change_and_undo_an_answer(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    user.say("my legs feel heavy on my runs")
    user.say("about 40 km")
    user.click("Steady")
    said = user.say("undo")
    assert any('taken back your last answer' in text for text in said)
    assert bot.tracker(user.user_id)["slots"]["requested_slot"] == "distance_increase_pct"
    user.say("went from 30 to 40")
    said = user.say("change my weekly distance")
    assert any("redo your weekly distance" in text for text in said)
    user.say("50 km")
    slots = bot.tracker(user.user_id)["slots"]
    assert slots["weekly_distance_km"] == 50.0 and slots["requested_slot"] == "sleep_hours"


def test_warning_sign_posts_the_emergency_advice(slack_user: SlackUser) -> None:
    answers = slack_user.say("my calf is swollen and hot and I can't catch my breath")
    assert any("emergency" in text.lower() for text in answers), answers
    assert slack_user.bot.tracker(slack_user.user_id)["slots"]["escalation_level"] == "emergency"


def _assert_nothing_happens(user: SlackUser, since: int) -> None:
    time.sleep(QUIET_S)
    assert not user.bot.slack.calls_to("chat.postMessage", since, channel=user.channel)
    assert user.bot.user_turns(user.user_id) == 0


def test_bad_signature_is_refused(slack_user: SlackUser) -> None:
    since = slack_user.bot.slack.mark()
    body = json.dumps(slack_user.event_body("my legs feel heavy")).encode()
    timestamp = str(int(time.time()))
    forged = slack_signature(timestamp, body, secret="not-the-signing-secret")
    response = slack_user.send_raw(body, timestamp=timestamp, signature=forged)
    assert response.status == 401
    assert "does not match" in response.json()["error"]
    # A body changed after signing is refused too.
    signed = slack_signature(timestamp, body)
    tampered = body.replace(b"heavy", b"great")
    assert slack_user.send_raw(tampered, timestamp=timestamp, signature=signed).status == 401
    _assert_nothing_happens(slack_user, since)


def test_missing_signature_is_refused(slack_user: SlackUser) -> None:
    since = slack_user.bot.slack.mark()
    response = slack_user.send_event(slack_user.event_body("my legs feel heavy"), sign=False)
    assert response.status == 401
    assert "missing" in response.json()["error"]
    _assert_nothing_happens(slack_user, since)


@pytest.mark.parametrize("age_s", [6 * 60, -6 * 60, 3600])
def test_stale_timestamp_is_refused_even_when_correctly_signed(slack_user: SlackUser,
                                                                age_s: int) -> None:
    since = slack_user.bot.slack.mark()
    body = json.dumps(slack_user.event_body("my legs feel heavy")).encode()
    timestamp = str(int(time.time()) - age_s)
    response = slack_user.send_raw(body, timestamp=timestamp,
                                   signature=slack_signature(timestamp, body))
    assert response.status == 401
    assert "five minutes" in response.json()["error"]
    _assert_nothing_happens(slack_user, since)


def test_a_retry_is_acknowledged_but_not_answered_twice(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    body = user.event_body("my legs feel heavy after every run")
    since = bot.slack.mark()
    assert user.send_event(body).status == 200
    bot.wait_for_turns(user.user_id, 1)
    answered = bot.slack.posted_texts(user.channel, since)
    assert answered
    for number, reason in ((1, "http_timeout"), (2, "http_error")):
        retry = user.send_event(body, extra_headers={"X-Slack-Retry-Num": str(number),
                                                     "X-Slack-Retry-Reason": reason})
        assert retry.status == 200
        assert retry.headers.get("X-Slack-No-Retry") == "1"
    time.sleep(QUIET_S)
    assert bot.slack.posted_texts(user.channel, since) == answered
    assert bot.user_turns(user.user_id) == 1


def test_a_retry_of_an_event_that_never_arrived_is_answered_once(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    body = user.event_body("hello")
    headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    since = bot.slack.mark()
    assert user.send_event(body, extra_headers=headers).status == 200
    bot.wait_for_turns(user.user_id, 1)
    answered = bot.slack.posted_texts(user.channel, since)
    assert answered
    headers["X-Slack-Retry-Num"] = "2"
    assert user.send_event(body, extra_headers=headers).headers.get("X-Slack-No-Retry") == "1"
    time.sleep(QUIET_S)
    assert bot.slack.posted_texts(user.channel, since) == answered


def test_the_bots_own_and_other_bots_messages_are_ignored(slack_user: SlackUser) -> None:
    bot, user = slack_user.bot, slack_user
    since = bot.slack.mark()
    own_user = user.event_body("How far do you run in a typical week?", user=bot.slack.bot_user_id)
    with_bot_id = user.event_body("Hi! I help runners", bot_id=bot.slack.bot_id,
                                  app_id="A0HEAVYLEG")
    bot_message = user.event_body("my legs feel heavy", subtype="bot_message",
                                  bot_id="B0OTHERBOT")
    edited = user.event_body("my legs feel heavy", subtype="message_changed")
    # Without ``authorizations`` the bot still knows its user id (from auth.test).
    own_unlisted = user.event_body("Last one: roughly how much distance is on your shoes?",
                                   user=bot.slack.bot_user_id)
    del own_unlisted["authorizations"]
    for body in (own_user, with_bot_id, bot_message, edited, own_unlisted):
        response = user.send_event(body)
        assert response.status == 200, response.body
    time.sleep(QUIET_S)
    assert not bot.slack.calls_to("chat.postMessage", since, channel=user.channel)
    assert bot.user_turns(user.user_id) == 0
    assert bot.user_turns(bot.slack.bot_user_id) == 0


def test_json_with_a_charset_is_read(slack_user: SlackUser) -> None:
    turns = slack_user.bot.user_turns(slack_user.user_id)
    response = slack_user.send_event(slack_user.event_body("hello"),
                                     content_type="application/json; charset=utf-8")
    assert response.status == 200
    slack_user.bot.wait_for_turns(slack_user.user_id, turns + 1)


def test_url_verification_echoes_the_challenge(slack_user: SlackUser) -> None:
    body = {"token": "legacy-verification-token", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g",
            "type": "url_verification"}
    response = slack_user.send_event(body)
    assert response.status == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g"}
    assert slack_user.send_event(body, sign=False).status == 401


@pytest.mark.parametrize("body, content_type", [
    (b"not json", "application/json"),
    (b"[]", "application/json"),
    (b'{"type": "event_callback", "event": "x"}', "application/json"),
    (b"payload=not-json", "application/x-www-form-urlencoded"),
    (b"other=1", "application/x-www-form-urlencoded"),
])
def test_odd_bodies_get_400(slack_user: SlackUser, body: bytes, content_type: str) -> None:
    response = slack_user.send_raw(body, content_type=content_type)
    assert response.status == 400, response.body


def test_unknown_content_type_gets_415(slack_user: SlackUser) -> None:
    response = slack_user.send_raw(b"hello", content_type="text/plain")
    assert response.status == 415


def test_other_interactions_are_acknowledged(slack_user: SlackUser) -> None:
    payload = {"type": "shortcut", "callback_id": "x", "user": {"id": slack_user.user_id}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    response = slack_user.send_raw(body, content_type="application/x-www-form-urlencoded")
    assert response.status == 200


def test_a_mention_in_a_channel_is_answered_there_and_other_channel_talk_is_not(
    slack_user: SlackUser,
) -> None:
    bot, user = slack_user.bot, slack_user
    since = bot.slack.mark()
    chatter = user.event_body("anyone up for a run tomorrow?", channel="C0RUNCLUB",
                              channel_type="channel")
    assert user.send_event(chatter).status == 200
    mention = user.event_body(f"<@{bot.slack.bot_user_id}> hello", channel="C0RUNCLUB")
    mention["event"]["type"] = "app_mention"
    del mention["event"]["channel_type"]
    assert user.send_event(mention).status == 200
    bot.wait_for_turns(user.user_id, 1)
    assert bot.slack.posted_texts("C0RUNCLUB", since)
    events = bot.tracker(user.user_id)["events"]
    assert [event["text"] for event in events if event["event"] == "user"] == ["hello"]
