"""Which values a text or list answer slot can actually take.

A condition in ``causes.yml`` or ``questions.yml`` that tests a value nothing can
produce would silently never hold, so the loaders refuse it. The values come from:

* ``bot/knowledge/answer_vocabulary.yml``: the labels of the diet, volunteered-cause,
  symptom and condition-hint phrase lists (the fact extractor and answer parsers emit
  exactly these labels);
* ``bot/knowledge/questions.yml``: each follow-up question's answer values.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from bot.triage.answers import QUESTIONS_PATH
from bot.triage.answers import _raw_questions as raw_questions

SKIP_ANSWER = "dont_know"  # a button's answer that skips the question, never a slot value


def _labels(section: Any) -> set[str]:
    return {str(k) for k in section} if isinstance(section, Mapping) else set()


def producible_values(vocabulary: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """slot -> the values something can produce, for every text and list slot."""
    diet = vocabulary.get("diet") or {}
    diet_values = _labels(diet.get("anywhere")) | _labels(diet.get("answer_only"))
    diet_values |= {str(v) for v in (diet.get("negated_as") or {}).values()}
    values: dict[str, set[str]] = {
        "diet_factors": diet_values,
        "volunteered_causes": _labels(vocabulary.get("volunteered_causes")),
        "symptoms": _labels(vocabulary.get("symptoms")),
        "conditions_hints": _labels(vocabulary.get("condition_hints")),
    }
    for question in raw_questions():
        slot = str(question.get("slot"))
        answers = question.get("answers")
        if not isinstance(answers, Mapping):
            raise ValueError(f"{QUESTIONS_PATH}: question {question.get('id')!r}: "
                             "'answers' must map each value to its phrases")
        values.setdefault(slot, set()).update(str(v) for v in answers if v != SKIP_ANSWER)
    return {slot: frozenset(found) for slot, found in values.items()}


@lru_cache(maxsize=1)
def known_values() -> dict[str, frozenset[str]]:
    """:func:`producible_values` of the project's vocabulary (read once)."""
    from bot.triage.parsing import load_vocabulary

    return producible_values(load_vocabulary())
