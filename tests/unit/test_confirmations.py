import pytest

from bot.dialogue.confirmations import read_confirmation


@pytest.mark.parametrize(
    "text",
    ["yes", "Yes!", "yeah a bit", "yep", "a little", "I think so", "sort of", "kinda",
     "no... well, a bit", "Y", "yes it is", "aye", "slightly, yes"],
)
def test_yes_including_hedged_yes(text: str) -> None:
    assert read_confirmation(text) == "yes"


@pytest.mark.parametrize(
    "text",
    ["no", "Nope", "nah", "not really", "not at all", "I don't think so", "no it isn't",
     "nope, no numbness", "never"],
)
def test_no(text: str) -> None:
    assert read_confirmation(text) == "no"


def test_words_decide_before_the_intent() -> None:
    assert read_confirmation("nope", intent="affirm") == "no"
    assert read_confirmation("yes", intent="deny") == "yes"


def test_intent_breaks_a_tie_when_no_word_matches() -> None:
    assert read_confirmation("hmm", intent=None) == "unclear"
    assert read_confirmation("go ahead", intent="affirm") == "yes"
    assert read_confirmation("pass on that", intent="deny") == "no"
