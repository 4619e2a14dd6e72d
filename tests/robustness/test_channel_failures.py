"""The action server down, through Telegram, Slack and the chat page's socket.io.

One Rasa server without an action server for the module (Telegram and Slack
pointed at the local fakes). Every channel tells the runner the step could not
be completed and what to do if symptoms get worse (bot/channels/turn_guard.py),
after the escalation advice, and Rasa keeps answering.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Iterator

import pytest

from bot.security.input import STEP_FAILED_NOTE
from tests.channels.conftest import (
    Bot,
    SlackUser,
    TelegramUser,
    get,
    running_fakes,
    start_channel_bot,
)
from tests.robustness.chat_client import ChatPage

pytestmark = pytest.mark.servers

OPENING = "my legs have felt really heavy on my runs for the last two weeks"
WARNING_SIGN = "my legs feel heavy and I have chest pain"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    workdir: Path = tmp_path_factory.mktemp("channels-down")
    with running_fakes() as (telegram, slack), \
            start_channel_bot(workdir, telegram, slack, with_actions=False) as running:
        yield running


def assert_told(texts: list[str]) -> None:
    assert texts and texts[-1] == STEP_FAILED_NOTE, texts
    assert "health professional" in texts[-1] and "emergency number" in texts[-1]


def test_telegram_runner_is_told_the_step_failed(bot: Bot) -> None:
    user = TelegramUser(bot)
    assert_told(user.say(OPENING))
    # The escalation still comes first, the note after.
    texts = user.say(WARNING_SIGN)
    assert_told(texts)
    assert any("emergency number" in text for text in texts[:-1])


def test_slack_runner_is_told_the_step_failed(bot: Bot) -> None:
    user = SlackUser(bot)
    since = bot.slack.mark()
    user.send_event(user.event_body(OPENING))
    bot.slack.wait_for("chat.postMessage", since, channel=user.channel, timeout=60,
                       where=lambda call: call.params.get("text") == STEP_FAILED_NOTE)
    time.sleep(1.0)
    assert_told(bot.slack.posted_texts(user.channel, since))


def test_socketio_runner_is_told_the_step_failed(bot: Bot) -> None:
    page = ChatPage(bot.running.url).connect()
    try:
        session_id = secrets.token_hex(16)
        assert page.request_session(session_id) == session_id
        assert_told(page.say(OPENING, session_id, count=2))
        texts = page.say(WARNING_SIGN, session_id, count=2)
        assert_told(texts)
        assert any("emergency number" in text for text in texts[:-1])
    finally:
        page.close()


def test_rasa_keeps_answering(bot: Bot) -> None:
    assert get(f"{bot.running.url}/status?token={bot.running.token}").status == 200
    assert TelegramUser(bot).say("hello")
