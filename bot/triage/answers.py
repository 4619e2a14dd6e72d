"""What the runner has told the bot, as the cause engine reads it.

The answer slots are not a Python list: the fixed ones (figures from the core questions
and the fact extractor) are declared here, and every follow-up question in
``bot/knowledge/questions.yml`` declares its own slot, kind and values. A slot is a
``number``, a ``text`` (one value) or a ``list`` (values that add up over the
conversation).

Pure Python: no Rasa imports; the knowledge files are read lazily, never at import.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from bot import strict_yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
QUESTIONS_PATH = KNOWLEDGE / "questions.yml"

NUMBER, TEXT, LIST = "number", "text", "list"

# Slots filled by the core questions and the fact extractor (bot/triage/parsing.py,
# bot/triage/facts.py). Kinds only; which values a text or list slot can take is read
# from the vocabulary and the questions (bot/triage/producible.py).
FIXED_SLOTS: dict[str, str] = {
    "weekly_distance_km": NUMBER,
    "previous_weekly_distance_km": NUMBER,
    "distance_increase_pct": NUMBER,  # the whole change, over increase_weeks when known
    "increase_weeks": NUMBER,  # the time span of that change, in weeks
    "weekly_increase_pct": NUMBER,  # derived: the average change per week
    "runs_per_week": NUMBER,
    "sleep_hours": NUMBER,
    "shoe_distance_km": NUMBER,
    "shoe_age_months": NUMBER,
    "symptom_weeks": NUMBER,  # how long the legs have felt like this
    "diet_factors": LIST,
    "volunteered_causes": LIST,
    "symptoms": LIST,
    "conditions_hints": LIST,
}
# The Rasa slot holding the answers to follow-up questions whose slot is not a domain slot.
FOLLOWUP_SLOT = "followup_answers"
# Singular entity names accepted by from_slots and merged into their list slot.
LIST_ALIASES = {
    "diet_factors": "diet_factor",
    "volunteered_causes": "volunteered_cause",
    "symptoms": "symptom",
    "conditions_hints": "conditions_hint",
}
PCT_SLOTS = frozenset({"distance_increase_pct", "weekly_increase_pct"})
KM_SLOTS = frozenset({"weekly_distance_km", "previous_weekly_distance_km", "shoe_distance_km"})
DAYS_PER_WEEK = 7.0


# Plausible ranges of the core figures; a value outside is a misreading, not a fact (used
# by the form's answers and by facts volunteered anywhere in a message).
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "weekly_distance_km": (0.0, 400.0),
    "distance_increase_pct": (-100.0, 1000.0),
    "sleep_hours": (0.0, 16.0),
    "shoe_distance_km": (0.0, 5000.0),
}


def _raw_questions() -> list[Mapping[str, Any]]:
    try:
        data = strict_yaml.load(QUESTIONS_PATH.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{QUESTIONS_PATH}: cannot read: {exc}") from exc
    questions = (data or {}).get("questions") if isinstance(data, Mapping) else None
    if not isinstance(questions, list):
        raise ValueError(f"{QUESTIONS_PATH}: 'questions' must be a list")
    return [q for q in questions if isinstance(q, Mapping)]


@lru_cache(maxsize=1)
def slot_kinds() -> dict[str, str]:
    """Every answer slot the engine knows, with its kind (fixed ones, then the questions')."""
    kinds = dict(FIXED_SLOTS)
    for question in _raw_questions():
        slot, kind = question.get("slot"), question.get("kind")
        if not isinstance(slot, str) or kind not in (TEXT, LIST):
            raise ValueError(
                f"{QUESTIONS_PATH}: question {question.get('id')!r}: needs 'slot' and a "
                f"'kind' of text or list")
        known = kinds.get(slot)
        if known is not None and known != kind:
            raise ValueError(f"{QUESTIONS_PATH}: slot {slot!r} is a {known} slot, not {kind}")
        kinds[slot] = kind
    return kinds


def _to_number(name: str, value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number):
        return None
    if name in PCT_SLOTS:
        return number if number > -100.0 else None
    if number < 0:
        return None
    if name == "sleep_hours" and number > 24:
        return None
    return number


def to_ids(*values: Any) -> tuple[str, ...]:
    """Ids from lists, tuples, sets or comma-separated strings, normalised, in order."""
    items: list[str] = []
    for value in values:
        if isinstance(value, str):
            candidates: list[Any] = value.split(",")
        elif isinstance(value, (set, frozenset)):
            candidates = sorted(value, key=str)
        elif isinstance(value, (list, tuple)):
            candidates = list(value)
        else:
            continue
        for candidate in candidates:
            if not isinstance(candidate, str):
                continue
            item = "_".join(candidate.strip().lower().replace("-", " ").split())
            if item and item not in items:
                items.append(item)
    return tuple(items)


def _to_text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return "_".join(value.strip().lower().split())


def weekly_rate(total_pct: float, weeks: float | None) -> float:
    """The average change per week that compounds to ``total_pct`` over ``weeks``.

    Going from 20 to 30 km over 8 weeks is +50% in all but about +5% a week."""
    if weeks is None or weeks <= 1:
        return total_pct
    return ((1.0 + total_pct / 100.0) ** (1.0 / weeks) - 1.0) * 100.0


class RunnerAnswers:
    """What the runner has told us: distances in km, hours, 67.0 = 67 %, weeks, months.

    Built with keyword arguments named after the answer slots. Unknown names are
    refused; unusable values are dropped. ``distance_increase_pct`` is derived from the
    two weekly distances when not given; ``weekly_increase_pct`` from the change and its
    span (``increase_weeks``). Read values as attributes: a text or number slot with no
    answer is None, a list slot (). ``words`` is what the runner wrote, for the learned
    cause opinion; it is not an answer and takes no part in equality.
    """

    __slots__ = ("_values", "words")

    def __init__(self, words: str = "", **values: Any) -> None:
        object.__setattr__(self, "words", words if isinstance(words, str) else "")
        kinds = slot_kinds()
        unknown = sorted(set(values) - set(kinds))
        if unknown:
            raise TypeError(f"unknown answer slot(s): {', '.join(unknown)}")
        from bot.triage.producible import known_values

        possible = known_values()
        clean: dict[str, Any] = {}
        for name, value in values.items():
            kind = kinds[name]
            if kind == NUMBER:
                number = _to_number(name, value)
                if number is not None:
                    clean[name] = number
            elif kind == LIST:
                # values nothing can produce are dropped ("pizza" is no diet factor)
                ids = tuple(i for i in to_ids(value) if name not in possible
                            or i in possible[name])
                if ids:
                    clean[name] = ids
            else:
                text = _to_text(value)
                if text is not None and (name not in possible or text in possible[name]):
                    clean[name] = text
        weekly, previous = clean.get("weekly_distance_km"), clean.get("previous_weekly_distance_km")
        if "distance_increase_pct" not in clean and weekly is not None and previous:
            clean["distance_increase_pct"] = (weekly - previous) / previous * 100.0
        if "distance_increase_pct" in clean:
            clean["weekly_increase_pct"] = weekly_rate(
                clean["distance_increase_pct"], clean.get("increase_weeks"))
        object.__setattr__(self, "_values", clean)

    def __getattr__(self, name: str) -> Any:
        kinds = slot_kinds()
        if name not in kinds:
            raise AttributeError(name)
        default: Any = () if kinds[name] == LIST else None
        return self._values.get(name, default)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RunnerAnswers is read-only; use with_values()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunnerAnswers) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"RunnerAnswers({inner})"

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._values.items())

    def known(self) -> dict[str, Any]:
        """The slots with an answer, and their values."""
        return dict(self._values)

    def with_words(self, words: str) -> RunnerAnswers:
        """The same answers with what the runner wrote (read by the learned cause
        opinion: bot/dialogue/runner_words.py gathers it from the conversation)."""
        copy = RunnerAnswers.__new__(RunnerAnswers)
        object.__setattr__(copy, "_values", dict(self._values))
        object.__setattr__(copy, "words", words if isinstance(words, str) else "")
        return copy

    def without_words(self) -> RunnerAnswers:
        """The same answers without the runner's words (the rules' view alone)."""
        return self.with_words("") if self.words else self

    def with_values(self, **updates: Any) -> RunnerAnswers:
        """A copy with some slots replaced (list values are added to, not replaced)."""
        values = {k: v for k, v in self._values.items() if k != "weekly_increase_pct"}
        kinds = slot_kinds()
        for name, value in updates.items():
            if kinds.get(name) == LIST:
                values[name] = to_ids(values.get(name, ()), value)
            else:
                values[name] = value
        if "distance_increase_pct" not in updates and (
                "weekly_distance_km" in updates or "previous_weekly_distance_km" in updates):
            values.pop("distance_increase_pct", None)
        return RunnerAnswers(words=self.words, **values)

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any] | None) -> RunnerAnswers:
        """Answers from tracker slots, ignoring anything unusable.

        Numbers may be ints, floats or numeric strings ("12.5", "67%"); lists may be
        lists, tuples, sets or a comma-separated string. Singular entity names
        (``diet_factor``, ...) are merged into their list slot; follow-up answers kept in
        the ``followup_answers`` dict slot are read like any other slot.
        """
        if not isinstance(slots, Mapping):
            slots = {}
        followups = slots.get(FOLLOWUP_SLOT)
        followups = followups if isinstance(followups, Mapping) else {}
        kwargs: dict[str, Any] = {}
        for name, kind in slot_kinds().items():
            if name == "weekly_increase_pct":
                continue  # always derived
            value = slots.get(name)
            if value is None or value == []:
                value = followups.get(name)
            if kind == LIST:
                kwargs[name] = to_ids(value, slots.get(LIST_ALIASES.get(name, "")))
            else:
                kwargs[name] = value
        return cls(**kwargs)
