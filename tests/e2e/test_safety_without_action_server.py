"""With the action server down, warning signs still get their advice."""

from __future__ import annotations

import pytest

from bot.servers import RunningBot, running_bot
from tests.e2e.conftest import Chat


@pytest.fixture(scope="module")
def bot_without_actions(tmp_path_factory: pytest.TempPathFactory):
    with running_bot(tmp_path_factory.mktemp("no_actions"), with_actions=False) as running:
        yield running


def test_emergency_advice_reaches_the_runner(bot_without_actions: RunningBot) -> None:
    chat = Chat(bot_without_actions)
    reply = chat.text("my legs feel heavy and I have chest pain")
    assert "emergency number" in reply
    assert "chest pain" in reply  # what was heard, from the domain response


def test_urgent_advice_reaches_the_runner_mid_conversation(bot_without_actions: RunningBot) -> None:
    chat = Chat(bot_without_actions)
    chat.say("hello")
    reply = chat.text("my right calf is swollen, red and hot")
    assert "today" in reply
