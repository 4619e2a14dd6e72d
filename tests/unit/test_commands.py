"""bot.nlu.commands: "start over" and friends are commands only as a whole message."""

from __future__ import annotations

import pytest

from bot.nlu.commands import command_intent, load_commands


@pytest.mark.parametrize("text", [
    "start over", "Start over!", "restart", "hmm, can we start over please",
    "actually, let's start again", "I want to start from scratch", "ok new conversation",
    "can we go back to the beginning?", "Reset", "sorry, start all over again pls",
])
def test_a_whole_message_that_is_a_command(text: str) -> None:
    assert command_intent(text) == "restart"


@pytest.mark.parametrize("text", [
    "my legs felt heavy when I started again after a break",
    "I had to start over after my injury in March",
    "restarted running in January, now 30 km a week",
    "start", "over", "again", "", "please", "my new shoes", "thanks",
    "I want to start running again without my legs feeling heavy " * 3,
])
def test_a_message_that_only_contains_the_words_is_not(text: str) -> None:
    assert command_intent(text) is None


def test_every_phrase_is_recognised_and_fillers_are_not_phrases() -> None:
    fillers, phrases = load_commands()
    for words in phrases:
        assert command_intent(" ".join(words)) == phrases[words]
    assert not any(len(words) == 1 and words[0] in fillers for words in phrases)
