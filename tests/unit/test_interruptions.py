"""While a question is open, a reply is an interruption only when it is one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.dialogue.interruptions import is_interruption

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "intent"), [
    ("a bit more than last year, gradually", "request_summary"),  # misread answers
    ("about the same, keep it steady", "forget_me"),
    ("good", "greet"),
    ("tired the rest of the day", "ask_what_to_do"),
    ("mostly in the evening", "goodbye"),
])
def test_a_misread_answer_is_not_an_interruption(text: str, intent: str) -> None:
    assert not is_interruption(text, intent)


@pytest.mark.parametrize(("text", "intent"), [
    ("why do you ask?", "ask_why"),
    ("can I get a summary for my physio", "request_summary"),
    ("delete my data", "forget_me"),
    ("thanks!", "thanks"),
    ("ok bye", "goodbye"),
])
def test_a_real_interruption_is_one(text: str, intent: str) -> None:
    assert is_interruption(text, intent)


def _examples(path: Path, intents: set[str]) -> list[tuple[str, str]]:
    found = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if item.get("intent") in intents:
            for line in item["examples"].splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip()[2:])
                if text:
                    found.append((text, item["intent"]))
    return found


def test_every_summary_and_forget_me_example_still_interrupts() -> None:
    """The training and hold-out examples of the two requests carry a word of the
    request, so they still interrupt a question."""
    examples = [*_examples(ROOT / "data" / "nlu" / "privacy.yml",
                           {"forget_me", "request_summary"}),
                *_examples(ROOT / "tests" / "nlu_holdout.yml",
                           {"forget_me", "request_summary"})]
    assert len(examples) > 80
    assert [e for e in examples if not is_interruption(*e)] == []
