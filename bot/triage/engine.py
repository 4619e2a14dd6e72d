"""The cause engine: ranks likely causes of heavy legs from a runner's answers.

The knowledge lives in ``bot/knowledge/causes.yml`` (clinician-reviewable; the
condition language is documented at the top of that file). This module only
loads and validates that file, scores each cause against a
:class:`RunnerAnswers`, and renders the chat message.

Public API
    RunnerAnswers, RankedCause, Cause, Condition
    load_causes(path=None) -> list[Cause]
    rank_causes(answers, limit=3) -> list[RankedCause]
    render_explanation(answers, ranked) -> str

Pure Python (no Rasa); the file is read lazily on first use, never at import.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

DEFAULT_CAUSES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "causes.yml"

CAUSE_IDS: tuple[str, ...] = (
    "training_load",
    "sleep",
    "glycogen",
    "hydration",
    "iron",
    "shoes",
    "strength_training",
    "recovery",
    "form",
    "weight_change",
    "doms",
    "terrain",
    "stress",
    "circulation",
    "compartment_syndrome",
)

OPS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "contains", "missing")
_NUMERIC_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

SYMPTOM_TIMINGS = ("during", "after", "both")

_KM_FIELDS = frozenset({"weekly_distance_km", "previous_weekly_distance_km", "shoe_distance_km"})
_PCT_FIELDS = frozenset({"distance_increase_pct"})


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunnerAnswers:
    """What the runner has told us. Distances in km, hours as floats, 67.0 = 67 %.

    ``distance_increase_pct`` is derived from the two weekly distances when it
    is not given and the previous distance is above zero.
    """

    weekly_distance_km: float | None = None
    previous_weekly_distance_km: float | None = None
    distance_increase_pct: float | None = None
    runs_per_week: float | None = None
    sleep_hours: float | None = None
    shoe_distance_km: float | None = None
    shoe_age_months: float | None = None
    diet_factors: tuple[str, ...] = ()
    volunteered_causes: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    symptom_timing: str | None = None
    conditions_hints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in _LIST_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, _to_ids(value))
        if (
            self.distance_increase_pct is None
            and self.weekly_distance_km is not None
            and self.previous_weekly_distance_km is not None
            and self.previous_weekly_distance_km > 0
        ):
            pct = (
                (self.weekly_distance_km - self.previous_weekly_distance_km)
                / self.previous_weekly_distance_km
                * 100.0
            )
            object.__setattr__(self, "distance_increase_pct", pct)

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any] | None) -> RunnerAnswers:
        """Build answers from tracker slots, ignoring anything unusable.

        Numbers may be ints, floats or numeric strings ("12.5", "67%");
        lists may be lists, tuples, sets or a single (comma-separated) string.
        Singular entity names (``diet_factor``, ``volunteered_cause``,
        ``symptom``, ``conditions_hint``) are merged into their list slot.
        """
        if not isinstance(slots, Mapping):
            slots = {}
        kwargs: dict[str, Any] = {}
        for name in _NUMBER_FIELDS:
            kwargs[name] = _to_number(name, slots.get(name))
        for name, alias in _LIST_FIELDS.items():
            kwargs[name] = _to_ids(slots.get(name), slots.get(alias))
        timing = slots.get("symptom_timing")
        if isinstance(timing, str) and timing.strip().lower() in SYMPTOM_TIMINGS:
            kwargs["symptom_timing"] = timing.strip().lower()
        return cls(**kwargs)


_NUMBER_FIELDS: tuple[str, ...] = (
    "weekly_distance_km",
    "previous_weekly_distance_km",
    "distance_increase_pct",
    "runs_per_week",
    "sleep_hours",
    "shoe_distance_km",
    "shoe_age_months",
)
# list slot -> singular alias accepted by from_slots
_LIST_FIELDS: dict[str, str] = {
    "diet_factors": "diet_factor",
    "volunteered_causes": "volunteered_cause",
    "symptoms": "symptom",
    "conditions_hints": "conditions_hint",
}
_TEXT_FIELDS: tuple[str, ...] = ("symptom_timing",)

SLOT_KINDS: dict[str, str] = {
    **{name: "number" for name in _NUMBER_FIELDS},
    **{name: "list" for name in _LIST_FIELDS},
    **{name: "text" for name in _TEXT_FIELDS},
}


def _to_number(name: str, value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number):
        return None
    if name in _PCT_FIELDS:
        return number if number > -100.0 else None
    if number < 0:
        return None
    if name == "sleep_hours" and number > 24:
        return None
    return number


def _to_ids(*values: Any) -> tuple[str, ...]:
    items: list[str] = []
    for value in values:
        if isinstance(value, str):
            candidates: list[Any] = value.split(",")
        elif isinstance(value, (list, tuple, set, frozenset)):
            candidates = (
                sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
            )
        else:
            continue
        for candidate in candidates:
            if not isinstance(candidate, str):
                continue
            item = "_".join(candidate.strip().lower().replace("-", " ").split())
            if item and item not in items:
                items.append(item)
    return tuple(items)


# ---------------------------------------------------------------------------
# Knowledge model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One test on the answers; either ``slot op value`` or an ``all`` group."""

    slot: str | None = None
    op: str | None = None
    value: Any = None
    weight: float = 0.0
    parts: tuple[Condition, ...] = ()

    def holds(self, answers: RunnerAnswers) -> bool:
        if self.parts:
            return all(part.holds(answers) for part in self.parts)
        actual = getattr(answers, str(self.slot))
        if self.op == "missing":
            return actual is None or actual == ()
        if actual is None:
            return False
        if self.op in _NUMERIC_OPS:
            return bool(_NUMERIC_OPS[self.op](actual, self.value))
        if self.op == "==":
            return actual == self.value
        if self.op == "contains":
            return self.value in actual
        return False


@dataclass(frozen=True)
class ExplanationVariant:
    text: str
    when: tuple[Condition, ...] = ()
    placeholders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    base_weight: float
    conditions: tuple[Condition, ...]
    explanations: tuple[ExplanationVariant, ...]
    explanation_without_figures: str
    advice: tuple[str, ...]
    see_professional_when: str
    sources: tuple[int, ...]
    requires_any: tuple[Condition, ...] = ()
    lead_requires_any: tuple[Condition, ...] = ()
    default_rank: int | None = None

    def score(self, answers: RunnerAnswers) -> float:
        if self.requires_any and not any(c.holds(answers) for c in self.requires_any):
            return 0.0
        return float(sum(c.weight for c in self.conditions if c.holds(answers)))

    def can_lead(self, answers: RunnerAnswers) -> bool:
        return not self.lead_requires_any or any(c.holds(answers) for c in self.lead_requires_any)

    def explain(self, answers: RunnerAnswers) -> str:
        figures = _figures(answers)
        for variant in self.explanations:
            if all(name in figures for name in variant.placeholders) and all(
                c.holds(answers) for c in variant.when
            ):
                return variant.text.format(**figures)
        return self.explanation_without_figures


@dataclass(frozen=True)
class RankedCause:
    id: str
    title: str
    score: float
    explanation: str
    advice: tuple[str, ...]
    see_professional_when: str


@dataclass(frozen=True)
class _KnowledgeBase:
    causes: tuple[Cause, ...]
    intro: str
    intro_generic: str
    closing: str
    general_advice: str

    def by_id(self, cause_id: str) -> Cause | None:
        return next((c for c in self.causes if c.id == cause_id), None)

    @property
    def defaults(self) -> tuple[Cause, ...]:
        ranked = [c for c in self.causes if c.default_rank is not None]
        return tuple(sorted(ranked, key=lambda c: c.default_rank or 0))


# ---------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------


class _Checker:
    """Turns the raw YAML into the knowledge model, with readable errors."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ValueError:
        return ValueError(f"{self.path}: {where}: {message}")

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, braces: bool = False) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' must be a non-empty string")
        value = " ".join(value.split())
        if not braces and ("{" in value or "}" in value):
            raise self.fail(where, f"'{key}' may not contain {{placeholders}} or braces")
        return value

    def number(self, value: Any, where: str, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"{what} must be a number, got {value!r}")
        return float(value)

    def condition(self, raw: Any, where: str, *, weighted: bool) -> Condition:
        if not isinstance(raw, Mapping):
            raise self.fail(where, f"a condition must be a mapping, got {raw!r}")
        allowed = {"slot", "op", "value", "all"} | ({"weight"} if weighted else set())
        unknown = set(raw) - allowed
        if unknown:
            hint = " (weights belong only in 'conditions')" if "weight" in unknown else ""
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}{hint}")
        weight = self.number(raw.get("weight"), where, "'weight'") if weighted else 0.0
        if "all" in raw:
            if {"slot", "op", "value"} & set(raw):
                raise self.fail(where, "an 'all' group cannot also have slot/op/value")
            parts_raw = raw["all"]
            if not isinstance(parts_raw, list) or not parts_raw:
                raise self.fail(where, "'all' must be a non-empty list of conditions")
            parts = tuple(
                self.condition(p, f"{where}.all[{i}]", weighted=False)
                for i, p in enumerate(parts_raw)
            )
            return Condition(weight=weight, parts=parts)

        slot, op, value = raw.get("slot"), raw.get("op"), raw.get("value")
        if slot not in SLOT_KINDS:
            raise self.fail(where, f"unknown slot {slot!r} (known: {', '.join(SLOT_KINDS)})")
        if op not in OPS:
            raise self.fail(where, f"unknown op {op!r} (known: {', '.join(OPS)})")
        kind = SLOT_KINDS[slot]
        if op == "missing":
            if value is not None:
                raise self.fail(where, "'missing' takes no value")
        elif op in _NUMERIC_OPS:
            if kind != "number":
                raise self.fail(where, f"op {op!r} needs a number slot; {slot!r} is a {kind} slot")
            value = self.number(value, where, "'value'")
        elif op == "==":
            if kind == "list":
                raise self.fail(where, f"use 'contains' with list slot {slot!r}")
            if kind == "number":
                value = self.number(value, where, "'value'")
            elif not isinstance(value, str) or not value:
                raise self.fail(where, f"'value' for {slot!r} must be text")
        elif op == "contains":
            if kind != "list":
                raise self.fail(where, f"'contains' needs a list slot; {slot!r} is a {kind} slot")
            if not isinstance(value, str) or not value:
                raise self.fail(where, "'value' for 'contains' must be an id (text)")
        return Condition(slot=slot, op=op, value=value, weight=weight)

    def conditions(
        self, raw: Any, where: str, *, weighted: bool, required: bool
    ) -> tuple[Condition, ...]:
        if raw is None and not required:
            return ()
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list of conditions")
        return tuple(
            self.condition(c, f"{where}[{i}]", weighted=weighted) for i, c in enumerate(raw)
        )

    def template(self, text: Any, where: str) -> ExplanationVariant:
        if not isinstance(text, str) or not text.strip():
            raise self.fail(where, "explanation text must be a non-empty string")
        text = " ".join(text.split())
        names: list[str] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise self.fail(where, f"malformed placeholder in {text!r}: {exc}") from None
        for literal, name, spec, conversion in parsed:
            if "{" in literal or "}" in literal:
                raise self.fail(where, "literal braces are not allowed in explanations")
            if name is None:
                continue
            if name not in SLOT_KINDS:
                raise self.fail(
                    where,
                    f"unknown placeholder {{{name}}} (allowed: {', '.join(SLOT_KINDS)})",
                )
            if spec or conversion:
                raise self.fail(
                    where,
                    f"write {{{name}}} without a format; the engine formats figures itself",
                )
            names.append(name)
        return ExplanationVariant(text=text, placeholders=tuple(dict.fromkeys(names)))

    def cause(self, raw: Any, index: int) -> Cause:
        where = f"causes[{index}]"
        if not isinstance(raw, Mapping):
            raise self.fail(where, "each cause must be a mapping")
        cause_id = raw.get("id")
        if cause_id not in CAUSE_IDS:
            raise self.fail(
                where, f"unknown cause id {cause_id!r} (expected one of: {', '.join(CAUSE_IDS)})"
            )
        where = f"cause {cause_id!r}"
        known = {
            "id",
            "title",
            "base_weight",
            "conditions",
            "requires_any",
            "lead_requires_any",
            "explanation",
            "explanation_when",
            "explanation_fallbacks",
            "explanation_without_figures",
            "advice",
            "see_professional_when",
            "sources",
        }
        unknown = set(raw) - known
        if unknown:
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}")

        base_weight = self.number(raw.get("base_weight"), where, "'base_weight'")
        if base_weight < 0:
            raise self.fail(where, "'base_weight' must not be negative")

        main = self.template(raw.get("explanation"), f"{where}.explanation")
        main = ExplanationVariant(
            text=main.text,
            placeholders=main.placeholders,
            when=self.conditions(
                raw.get("explanation_when"),
                f"{where}.explanation_when",
                weighted=False,
                required=False,
            ),
        )
        variants = [main]
        fallbacks = raw.get("explanation_fallbacks") or []
        if not isinstance(fallbacks, list):
            raise self.fail(where, "'explanation_fallbacks' must be a list of {text, when}")
        for i, fb in enumerate(fallbacks):
            fb_where = f"{where}.explanation_fallbacks[{i}]"
            if not isinstance(fb, Mapping) or set(fb) - {"text", "when"}:
                raise self.fail(
                    fb_where, "each fallback is a mapping with 'text' and optional 'when'"
                )
            variant = self.template(fb.get("text"), fb_where)
            when = self.conditions(
                fb.get("when"), f"{fb_where}.when", weighted=False, required=False
            )
            variants.append(ExplanationVariant(variant.text, when, variant.placeholders))

        advice_raw = raw.get("advice")
        if not isinstance(advice_raw, list) or not 2 <= len(advice_raw) <= 4:
            raise self.fail(where, "'advice' must be a list of 2 to 4 short strings")
        advice = tuple(
            self.text({"advice": a}, "advice", f"{where}.advice[{i}]")
            for i, a in enumerate(advice_raw)
        )

        sources = raw.get("sources")
        if (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sources)
        ):
            raise self.fail(where, "'sources' must be a non-empty list of seed numbers (0, 1, ...)")

        return Cause(
            id=cause_id,
            title=self.text(raw, "title", where),
            base_weight=base_weight,
            conditions=self.conditions(
                raw.get("conditions"), f"{where}.conditions", weighted=True, required=True
            ),
            explanations=tuple(variants),
            explanation_without_figures=self.text(raw, "explanation_without_figures", where),
            advice=advice,
            see_professional_when=self.text(raw, "see_professional_when", where),
            sources=tuple(sources),
            requires_any=self.conditions(
                raw.get("requires_any"), f"{where}.requires_any", weighted=False, required=False
            ),
            lead_requires_any=self.conditions(
                raw.get("lead_requires_any"),
                f"{where}.lead_requires_any",
                weighted=False,
                required=False,
            ),
        )

    def knowledge(self, data: Any) -> _KnowledgeBase:
        if not isinstance(data, Mapping):
            raise self.fail(
                "top level", "expected a mapping with 'causes', 'default_causes', 'intro', ..."
            )
        raw_causes = data.get("causes")
        if not isinstance(raw_causes, list):
            raise self.fail("top level", "'causes' must be a list")
        causes = [self.cause(raw, i) for i, raw in enumerate(raw_causes)]
        ids = [c.id for c in causes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise self.fail("causes", f"duplicate cause id(s): {', '.join(duplicates)}")
        missing = [i for i in CAUSE_IDS if i not in ids]
        if missing:
            raise self.fail("causes", f"missing cause id(s): {', '.join(missing)}")

        defaults = data.get("default_causes")
        if (
            not isinstance(defaults, list)
            or not defaults
            or any(d not in CAUSE_IDS for d in defaults)
            or len(set(defaults)) != len(defaults)
        ):
            raise self.fail(
                "default_causes",
                f"must be a non-empty list of distinct cause ids, got {defaults!r}",
            )
        rank = {cause_id: n for n, cause_id in enumerate(defaults)}
        causes = [replace(c, default_rank=rank.get(c.id)) for c in causes]
        return _KnowledgeBase(
            causes=tuple(causes),
            intro=self.text(data, "intro", "top level"),
            intro_generic=self.text(data, "intro_generic", "top level"),
            closing=self.text(data, "closing", "top level"),
            general_advice=self.text(data, "general_advice", "top level"),
        )


def _load_knowledge(path: Path) -> _KnowledgeBase:
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the cause file: {exc}") from exc
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    return _Checker(path).knowledge(data)


@lru_cache(maxsize=1)
def _default_knowledge() -> _KnowledgeBase:
    return _load_knowledge(DEFAULT_CAUSES_PATH)


def general_advice() -> str:
    """What helps most runners, for a runner who hasn't answered any questions yet."""
    return _default_knowledge().general_advice


def load_causes(path: Path | str | None = None) -> list[Cause]:
    """Load and validate the cause file (the default one is cached).

    Raises ValueError with the file, the entry and the problem when the file
    does not hold exactly the 15 cause ids, uses an unknown op or slot, or
    uses a placeholder that is not a RunnerAnswers field.
    """
    if path is None:
        return list(_default_knowledge().causes)
    return list(_load_knowledge(Path(path)).causes)


# ---------------------------------------------------------------------------
# Ranking and rendering
# ---------------------------------------------------------------------------


def _round_half_up(value: float, digits: int = 0) -> float:
    factor = 10**digits
    return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)


def _short_number(value: float) -> str:
    """At most one decimal, and none when it is .0 (5.0 -> "5", 6.5 -> "6.5")."""
    text = f"{_round_half_up(value, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _format_figure(name: str, value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(item.replace("_", " ") for item in value)
    if isinstance(value, str):
        return value
    if name in _PCT_FIELDS:
        return f"{_round_half_up(value):.0f}"
    if name in _KM_FIELDS and abs(value) >= 10:
        return f"{_round_half_up(value):.0f}"
    return _short_number(value)


def _figures(answers: RunnerAnswers) -> dict[str, str]:
    """Formatted figures for every answered field (unanswered ones are absent)."""
    figures: dict[str, str] = {}
    for name in SLOT_KINDS:
        value = getattr(answers, name)
        if value is None or value == ():
            continue
        figures[name] = _format_figure(name, value)
    return figures


def _ranked(cause: Cause, score: float, answers: RunnerAnswers) -> RankedCause:
    return RankedCause(
        id=cause.id,
        title=cause.title,
        score=score,
        explanation=cause.explain(answers),
        advice=cause.advice,
        see_professional_when=cause.see_professional_when,
    )


def rank_causes(answers: RunnerAnswers, limit: int = 3) -> list[RankedCause]:
    """The most likely causes, best first.

    Causes scoring above zero, highest first; ties go to the higher
    base_weight, then the id. A cause with ``lead_requires_any`` is never put
    first unless one of those conditions holds. When nothing scores, the
    file's ``default_causes`` are returned (score 0) with figure-free wording
    unless the runner's figures support the figure template.
    """
    if limit <= 0:
        return []
    kb = _default_knowledge()
    scored = [(cause.score(answers), cause) for cause in kb.causes]
    scored = [(s, c) for s, c in scored if s > 0]
    scored.sort(key=lambda sc: (-sc[0], -sc[1].base_weight, sc[1].id))

    if not scored:
        scored = [(0.0, c) for c in kb.defaults]
    elif not scored[0][1].can_lead(answers):
        leader = next((i for i, (_, c) in enumerate(scored) if c.can_lead(answers)), None)
        if leader is not None:
            scored.insert(0, scored.pop(leader))
        else:
            present = {c.id for _, c in scored}
            fallback = next((c for c in kb.defaults if c.id not in present), None)
            if fallback is not None:
                scored.insert(0, (0.0, fallback))

    return [_ranked(cause, score, answers) for score, cause in scored[:limit]]


def render_explanation(answers: RunnerAnswers, ranked: list[RankedCause]) -> str:
    """The chat message: intro, each cause with its advice, one closing line.

    Plain text with "•" bullets and blank lines between blocks.
    """
    kb = _default_knowledge()
    if not ranked:
        return kb.closing

    intro = kb.intro if any(r.score > 0 for r in ranked) else kb.intro_generic
    blocks = [intro]
    for item in ranked:
        explanation = item.explanation
        if "{" in explanation or "}" in explanation:
            cause = kb.by_id(item.id)
            explanation = cause.explain(answers) if cause else ""
        lines = [item.title]
        if explanation:
            lines.append(explanation)
        lines.extend(f"• {tip}" for tip in item.advice)
        blocks.append("\n".join(lines))
    blocks.append(kb.closing)
    return "\n\n".join(blocks)


__all__ = [
    "CAUSE_IDS",
    "DEFAULT_CAUSES_PATH",
    "OPS",
    "SLOT_KINDS",
    "Cause",
    "Condition",
    "RankedCause",
    "RunnerAnswers",
    "load_causes",
    "rank_causes",
    "render_explanation",
]
