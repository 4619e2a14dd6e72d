"""The shape of ``bot/knowledge/answer_vocabulary.yml``, checked when it is loaded.

A misspelt key used to switch a feature off without a word ("negaton:" and negation
was gone); a phrase written "- # ft" is a YAML comment, so an empty item. Both now stop
the loader with the file and the key. Sections whose keys are labels (diet factors,
symptoms, condition hints, volunteered causes) may gain labels freely: the labels are
the values the rest of the bot reasons with (bot/triage/producible.py); sections whose
keys the code reads by name may only have those keys.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

# "(a|b c)": a choice between more than single words never matches (the matcher's
# choices are single tokens), so the phrase would silently do nothing
_MULTIWORD_CHOICE = re.compile(r"\([^)]*\s[^)]*\)")

PHRASES = "phrases"  # a list of phrases
LABELS = "labels"  # label -> list of phrases
NUMBERS = "numbers"  # name -> whole number
WORDS_TO_LABELS = "words_to_labels"  # label -> label

# top-level key -> shape; a mapping gives the fixed sub-keys and their shapes
SCHEMA: dict[str, Any] = {
    "version": "int",
    "clause_break_words": PHRASES,
    "negation": {"window_words": "int", "cues": PHRASES},
    "dont_know": {"anywhere": PHRASES, "whole_answer": PHRASES, "filler_words": PHRASES},
    "steady": {"phrases": PHRASES, "whole_answer": PHRASES},
    "direction": {"up": PHRASES, "down": PHRASES},
    "recency_markers": PHRASES,
    "diet": {"anywhere": LABELS, "answer_only": LABELS, "negated_as": WORDS_TO_LABELS},
    "volunteered_causes": LABELS,
    "symptoms": LABELS,
    "shoes": {"new": PHRASES, "new_vague": PHRASES, "old_vague": PHRASES,
              "future_cues": PHRASES},
    "fact_context": {"weekly": PHRASES, "mileage": PHRASES, "running": PHRASES,
                     "other_activity": PHRASES, "sleep": PHRASES, "shoes": PHRASES,
                     "shoe_pronouns": PHRASES},
    "condition_hints": LABELS,
    "answered_in_words": {slot: {"causes": PHRASES, "whole": PHRASES} for slot in (
        "weekly_distance_km", "distance_increase_pct", "sleep_hours", "diet_factors",
        "shoe_distance_km")},
    "dates": {"months": NUMBERS, "seasons": NUMBERS, "holidays": NUMBERS},
}


def _fail(source: str, where: str, message: str) -> ValueError:
    return ValueError(f"{source}: {where}: {message}")


def _phrases(value: Any, source: str, where: str) -> None:
    if not isinstance(value, list) or not value:
        raise _fail(source, where, "must be a non-empty list of phrases")
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not phrase.strip():
            raise _fail(source, f"{where}[{i}]", f"{phrase!r} is not a phrase (an empty "
                        "item, or a word YAML reads as true/false/a number: quote it; "
                        "\"- # ...\" is a comment)")
        if "#" in phrase:
            raise _fail(source, f"{where}[{i}]", "'#' is not phrase syntax; write digits "
                        "as choices, e.g. (2|3|4)")
        if _MULTIWORD_CHOICE.search(phrase):
            raise _fail(source, f"{where}[{i}]", f"{phrase!r}: a (a|b) choice is between "
                        "single words; write one phrase per wording")


def _check(value: Any, shape: Any, source: str, where: str) -> None:
    if isinstance(shape, dict):
        if not isinstance(value, Mapping):
            raise _fail(source, where, "must be a mapping")
        unknown = sorted(set(map(str, value)) - set(shape))
        if unknown:
            raise _fail(source, where, f"unknown key(s) {unknown} (known: "
                        f"{', '.join(shape)})")
        for key, sub in value.items():
            _check(sub, shape[str(key)], source, f"{where}.{key}")
    elif shape == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(source, where, "must be a whole number")
    elif shape == PHRASES:
        _phrases(value, source, where)
    elif shape == LABELS:
        if not isinstance(value, Mapping) or not value:
            raise _fail(source, where, "must map each label to its phrases")
        for label, phrases in value.items():
            if not isinstance(label, str) or label != label.lower() or " " in label:
                raise _fail(source, f"{where}.{label}", "labels are lower-case ids")
            _phrases(phrases, source, f"{where}.{label}")
    elif shape == NUMBERS:
        if not isinstance(value, Mapping) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
            raise _fail(source, where, "must map each name to a whole number")
    elif shape == WORDS_TO_LABELS:
        if not isinstance(value, Mapping) or not all(
                isinstance(v, str) for v in value.values()):
            raise _fail(source, where, "must map each label to another label")


def check_vocabulary(data: Any, source: str) -> None:
    """Raise ValueError (file, key, problem) unless ``data`` has the vocabulary's shape."""
    _check(data, SCHEMA, source, "top level")
    diet = data.get("diet") or {}
    labels = set(diet.get("anywhere") or {}) | set(diet.get("answer_only") or {})
    for key, target in (diet.get("negated_as") or {}).items():
        if key not in labels or target not in labels:
            raise _fail(source, f"diet.negated_as.{key}", "names diet labels that do not exist")
    causes = set(data.get("volunteered_causes") or {})
    for slot, entry in (data.get("answered_in_words") or {}).items():
        unknown = sorted(set((entry or {}).get("causes") or []) - causes)
        if unknown:
            raise _fail(source, f"answered_in_words.{slot}.causes",
                        f"{unknown} are not volunteered_causes labels")
