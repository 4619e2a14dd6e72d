"""Deterministic reading of yes/no answers to the assistant's safety questions."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from bot import strict_yaml

VOCABULARY = Path(__file__).resolve().parent.parent / "knowledge" / "confirmations.yml"

Answer = Literal["yes", "no", "unclear"]


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], tuple[re.Pattern[str], ...]]:
    data = strict_yaml.load(VOCABULARY.read_text(encoding="utf-8"))

    def compile_words(words: list[str]) -> re.Pattern[str]:
        alternatives = sorted((re.escape(w.lower()) for w in words), key=len, reverse=True)
        return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")

    multiword_no = sorted((w for w in data["deny"] if " " in w.strip()), key=len, reverse=True)
    return (
        compile_words(data["affirm"]),
        compile_words(data["deny"]),
        tuple(compile_words([phrase]) for phrase in multiword_no),
    )


def read_confirmation(text: str, intent: str | None = None) -> Answer:
    """Classify a reply to a yes/no safety question.

    The words decide first (the intent classifier is only a tie-breaker), and a
    reply carrying both a yes and a no word ("no... well, a bit") counts as yes,
    because missing a warning sign costs more than a cautious referral.
    """
    lowered = text.lower().replace("’", "'")
    yes_pattern, no_pattern, no_phrases = _patterns()
    said_no = bool(no_pattern.search(lowered))
    remainder = lowered
    for phrase in no_phrases:  # longest first, so "don't think so" beats "i don't"
        remainder = phrase.sub(" ", remainder)
    said_yes = bool(yes_pattern.search(remainder))
    if said_yes:
        return "yes"
    if said_no:
        return "no"
    if intent == "affirm":
        return "yes"
    if intent == "deny":
        return "no"
    return "unclear"
