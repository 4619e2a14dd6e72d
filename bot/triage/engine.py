"""The cause engine: ranks likely causes of heavy legs from a runner's answers.

The knowledge lives in ``bot/knowledge/causes.yml`` (clinician-reviewable; the
condition language is documented at the top of that file). This module only
loads and validates that file, scores each cause against a
:class:`RunnerAnswers`, and renders the chat messages: the explanation, and the
short plan in order ("what should I do first?").

Public API
    RunnerAnswers, RankedCause, Cause, Condition
    cause_ids() -> tuple[str, ...]
    load_causes(path=None) -> list[Cause]
    rank_causes(answers, limit=3) -> list[RankedCause]
    render_explanation(answers, ranked) -> str
    render_plan(answers, ranked) -> str

Pure Python (no Rasa); the files are read lazily on first use, never at import.
No cause id is written in Python: they are the ids of causes.yml.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot import strict_yaml
from bot.triage.answers import (
    KM_SLOTS,
    LIST,
    PCT_SLOTS,
    RunnerAnswers,
    slot_kinds,
)
from bot.triage.conditions import OPS, Condition, ConditionReader
from bot.triage.units import in_runner_units

DEFAULT_CAUSES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "causes.yml"

_CAUSE_KEYS = {
    "id", "title", "base_weight", "conditions", "requires_any", "lead_requires_any",
    "explanation", "explanation_when", "explanation_fallbacks", "explanation_without_figures",
    "advice", "see_professional_when", "first_step", "first_step_when",
    "first_step_without_figures", "sources", "references",
}
_TOP_KEYS = {
    "intro", "intro_generic", "closing", "general_advice", "plan_intro", "plan_closing",
    "see_professional_label", "default_causes", "cautions", "causes", "learned_opinion",
}
_OPINION_KEYS = {"examples", "also_reasonable_weight", "weight", "min_probability"}


def condition_reader(source: str) -> ConditionReader:
    """A condition reader for a knowledge file: known slots, and only values that the
    vocabulary or a question can produce."""
    from bot.triage.parsing import load_vocabulary
    from bot.triage.producible import producible_values

    return ConditionReader(source, slot_kinds(), producible_values(load_vocabulary()))


# ---------------------------------------------------------------------------
# Knowledge model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A sentence that may quote the runner's figures, used when ``when`` holds."""

    text: str
    when: tuple[Condition, ...] = ()
    placeholders: tuple[str, ...] = ()

    def fits(self, answers: RunnerAnswers, figures: Mapping[str, str]) -> bool:
        return all(name in figures for name in self.placeholders) and all(
            c.holds(answers) for c in self.when)


@dataclass(frozen=True)
class LearnedOpinion:
    """``learned_opinion:`` of causes.yml: the learned cause opinion's examples and how
    much its probabilities add to a cause's score (bot/triage/cause_opinion.py)."""

    examples: Path
    also_reasonable_weight: float
    weight: float
    min_probability: float

    def evidence(self, words: str) -> Mapping[str, float]:
        """``weight`` x (probability - ``min_probability``) for each cause above
        ``min_probability``: a flat opinion (every cause near 1 in 21) adds next to
        nothing; a confident one adds up to ``weight``."""
        if not words.strip():
            return {}
        return _evidence(self, words)


@lru_cache(maxsize=64)  # a turn's rankings share one; the words change each turn
def _evidence(settings: LearnedOpinion, words: str) -> Mapping[str, float]:
    from bot.triage.cause_opinion import fitted

    model = fitted(settings.examples, settings.also_reasonable_weight)
    floor = settings.min_probability
    return {cause: settings.weight * (p - floor)
            for cause, p in model.probabilities(words).items() if p > floor}


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    base_weight: float
    conditions: tuple[Condition, ...]
    explanations: tuple[Template, ...]
    explanation_without_figures: str
    advice: tuple[str, ...]
    see_professional_when: str
    first_steps: tuple[Template, ...]
    first_step_without_figures: str
    sources: tuple[int, ...]
    references: tuple[Reference, ...] = ()
    requires_any: tuple[Condition, ...] = ()
    lead_requires_any: tuple[Condition, ...] = ()
    default_rank: int | None = None

    def score(self, answers: RunnerAnswers, learned: float = 0.0) -> float:
        """The weights of the conditions that hold, plus ``learned`` (the learned cause
        opinion's evidence); 0 when ``requires_any`` does not hold."""
        if self.requires_any and not any(c.holds(answers) for c in self.requires_any):
            return 0.0
        return float(sum(c.weight for c in self.conditions if c.holds(answers))) + learned

    def can_lead(self, answers: RunnerAnswers) -> bool:
        return not self.lead_requires_any or any(c.holds(answers) for c in self.lead_requires_any)

    def explain(self, answers: RunnerAnswers) -> str:
        return _pick(self.explanations, self.explanation_without_figures, answers)

    def first_step(self, answers: RunnerAnswers) -> str:
        return _pick(self.first_steps, self.first_step_without_figures, answers)


def _pick(templates: tuple[Template, ...], fallback: str, answers: RunnerAnswers) -> str:
    figures = _figures(answers)
    for template in templates:
        if template.fits(answers, figures):
            return template.text.format(**figures)
    return fallback


@dataclass(frozen=True)
class Caution:
    """A warning said under the causes when one of ``shown_when`` holds or one of
    ``with_causes`` is listed (e.g. about anti-inflammatory painkillers)."""

    id: str
    text: str
    shown_when: tuple[Condition, ...]
    with_causes: tuple[str, ...]

    def applies(self, answers: RunnerAnswers, listed: set[str]) -> bool:
        return bool(listed & set(self.with_causes)) or any(
            c.holds(answers) for c in self.shown_when)


@dataclass(frozen=True)
class RankedCause:
    id: str
    title: str
    score: float
    explanation: str
    advice: tuple[str, ...]
    see_professional_when: str
    first_step: str = ""


@dataclass(frozen=True)
class _KnowledgeBase:
    causes: tuple[Cause, ...]
    cautions: tuple[Caution, ...]
    texts: Mapping[str, str]
    opinion: LearnedOpinion | None = None

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
        self.reader = condition_reader(str(path))

    def fail(self, where: str, message: str) -> ValueError:
        return ValueError(f"{self.path}: {where}: {message}")

    def text(self, raw: Mapping[str, Any], key: str, where: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' must be a non-empty string")
        value = " ".join(value.split())
        if "{" in value or "}" in value:
            raise self.fail(where, f"'{key}' may not contain {{placeholders}} or braces")
        return value

    def conditions(self, raw: Any, where: str, *, weighted: bool = False,
                   required: bool = False) -> tuple[Condition, ...]:
        return self.reader.read_list(raw, where, weighted=weighted, required=required)

    def template(self, text: Any, when: Any, where: str) -> Template:
        if not isinstance(text, str) or not text.strip():
            raise self.fail(where, "the text must be a non-empty string")
        text = " ".join(text.split())
        names: list[str] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise self.fail(where, f"malformed placeholder in {text!r}: {exc}") from None
        kinds = slot_kinds()
        for literal, name, spec, conversion in parsed:
            if "{" in literal or "}" in literal:
                raise self.fail(where, "literal braces are not allowed")
            if name is None:
                continue
            if name not in kinds:
                raise self.fail(where, f"unknown placeholder {{{name}}} (allowed: "
                                f"{', '.join(kinds)})")
            if spec or conversion:
                raise self.fail(where, f"write {{{name}}} without a format; the engine "
                                "formats figures itself")
            names.append(name)
        return Template(text, self.conditions(when, f"{where}.when"),
                        tuple(dict.fromkeys(names)))

    def cause(self, raw: Any, index: int) -> Cause:
        where = f"causes[{index}]"
        if not isinstance(raw, Mapping):
            raise self.fail(where, "each cause must be a mapping")
        cause_id = raw.get("id")
        if not isinstance(cause_id, str) or not cause_id.replace("_", "").isalnum() or \
                cause_id != cause_id.lower():
            raise self.fail(where, f"'id' must be a lower-case id, got {cause_id!r}")
        where = f"cause {cause_id!r}"
        unknown = set(raw) - _CAUSE_KEYS
        if unknown:
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}")
        base_weight = self.reader.number(raw.get("base_weight"), where, "'base_weight'")
        if base_weight < 0:
            raise self.fail(where, "'base_weight' must not be negative")

        explanations = [self.template(raw.get("explanation"), raw.get("explanation_when"),
                                      f"{where}.explanation")]
        fallbacks = raw.get("explanation_fallbacks") or []
        if not isinstance(fallbacks, list):
            raise self.fail(where, "'explanation_fallbacks' must be a list of {text, when}")
        for i, fb in enumerate(fallbacks):
            fb_where = f"{where}.explanation_fallbacks[{i}]"
            if not isinstance(fb, Mapping) or set(fb) - {"text", "when"}:
                raise self.fail(fb_where, "each fallback is a mapping with 'text' and "
                                "optional 'when'")
            explanations.append(self.template(fb.get("text"), fb.get("when"), fb_where))

        advice_raw = raw.get("advice")
        if not isinstance(advice_raw, list) or not 2 <= len(advice_raw) <= 4:
            raise self.fail(where, "'advice' must be a list of 2 to 4 short strings")
        advice = tuple(self.text({"advice": a}, "advice", f"{where}.advice[{i}]")
                       for i, a in enumerate(advice_raw))

        sources = raw.get("sources") or []
        if not isinstance(sources, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sources):
            raise self.fail(where, "'sources' must be a list of seed numbers (0, 1, ...)")
        references = []
        for i, ref in enumerate(raw.get("references") or []):
            if not isinstance(ref, Mapping) or set(ref) != {"title", "url"} or not str(
                    ref.get("url", "")).startswith(("https://", "http://")):
                raise self.fail(f"{where}.references[{i}]", "each reference is {title, url}")
            references.append(Reference(str(ref["title"]), str(ref["url"])))
        if not sources and not references:
            raise self.fail(where, "give the facts' 'sources' (seed numbers) or 'references'")

        first_step = self.template(raw.get("first_step"), raw.get("first_step_when"),
                                   f"{where}.first_step")
        return Cause(
            id=cause_id,
            title=self.text(raw, "title", where),
            base_weight=base_weight,
            conditions=self.conditions(raw.get("conditions"), f"{where}.conditions",
                                       weighted=True, required=True),
            explanations=tuple(explanations),
            explanation_without_figures=self.text(raw, "explanation_without_figures", where),
            advice=advice,
            see_professional_when=self.text(raw, "see_professional_when", where),
            first_steps=(first_step,),
            first_step_without_figures=self.text(raw, "first_step_without_figures", where),
            sources=tuple(sources),
            references=tuple(references),
            requires_any=self.conditions(raw.get("requires_any"), f"{where}.requires_any"),
            lead_requires_any=self.conditions(raw.get("lead_requires_any"),
                                              f"{where}.lead_requires_any"),
        )

    def ids(self, raw: Any, where: str, known: set[str], *, required: bool) -> tuple[str, ...]:
        if raw is None and not required:
            return ()
        if not isinstance(raw, list) or (required and not raw) or any(
                i not in known for i in raw) or len(set(raw)) != len(raw):
            raise self.fail(where, f"must be a list of distinct cause ids, got {raw!r}")
        return tuple(raw)

    def knowledge(self, data: Any) -> _KnowledgeBase:
        if not isinstance(data, Mapping):
            raise self.fail("top level", "expected a mapping with 'causes', 'default_causes', "
                            "'intro', ...")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise self.fail("top level", f"unknown key(s) {sorted(unknown)}")
        raw_causes = data.get("causes")
        if not isinstance(raw_causes, list) or not raw_causes:
            raise self.fail("top level", "'causes' must be a non-empty list")
        causes = [self.cause(raw, i) for i, raw in enumerate(raw_causes)]
        ids = [c.id for c in causes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise self.fail("causes", f"duplicate cause id(s): {', '.join(duplicates)}")
        known = set(ids)
        # every cause a runner can name must exist, and conditions on named causes too
        from bot.triage.parsing import load_vocabulary

        named = {str(k) for k in (load_vocabulary().get("volunteered_causes") or {})}
        if named - known:
            raise self.fail("answer_vocabulary.yml volunteered_causes",
                            f"no cause with id(s) {sorted(named - known)}")
        defaults = self.ids(data.get("default_causes"), "default_causes", known, required=True)
        rank = {cause_id: n for n, cause_id in enumerate(defaults)}
        causes = [replace(c, default_rank=rank.get(c.id)) for c in causes]
        cautions = []
        for i, raw in enumerate(data.get("cautions") or []):
            where = f"cautions[{i}]"
            if not isinstance(raw, Mapping) or set(raw) - {"id", "text", "shown_when",
                                                           "with_causes"}:
                raise self.fail(where, "a caution has id, text, shown_when and/or with_causes")
            cautions.append(Caution(
                id=str(raw.get("id")), text=self.text(raw, "text", where),
                shown_when=self.conditions(raw.get("shown_when"), f"{where}.shown_when"),
                with_causes=self.ids(raw.get("with_causes"), f"{where}.with_causes", known,
                                     required=False)))
        texts = {key: self.text(data, key, "top level") for key in (
            "intro", "intro_generic", "closing", "general_advice", "plan_intro",
            "plan_closing", "see_professional_label")}
        return _KnowledgeBase(causes=tuple(causes), cautions=tuple(cautions), texts=texts,
                              opinion=self.opinion(data.get("learned_opinion"), known))

    def opinion(self, raw: Any, known: set[str]) -> LearnedOpinion | None:
        if raw is None:
            return None
        where = "learned_opinion"
        if not isinstance(raw, Mapping) or set(raw) != _OPINION_KEYS:
            raise self.fail(where, f"needs exactly the keys {sorted(_OPINION_KEYS)}")
        numbers = {}
        for key in ("also_reasonable_weight", "weight", "min_probability"):
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise self.fail(where, f"{key} must be a number >= 0")
            numbers[key] = float(value)
        root = Path(__file__).resolve().parents[2]
        examples = root / str(raw["examples"])
        if not examples.is_file():
            raise self.fail(where, f"examples: no file {raw['examples']}")
        try:
            stories = yaml.safe_load(examples.read_text(encoding="utf-8"))["stories"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise self.fail(where, f"examples: unreadable ({exc})") from exc
        labels = {str(s.get("expected_first")) for s in stories}
        labels |= {str(c) for s in stories for c in s.get("also_reasonable") or []}
        if labels - known:
            raise self.fail(where, f"examples name unknown cause id(s) {sorted(labels - known)}")
        return LearnedOpinion(examples=examples, **numbers)


def _load_knowledge(path: Path) -> _KnowledgeBase:
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the cause file: {exc}") from exc
    try:
        data = strict_yaml.load(raw_text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    return _Checker(path).knowledge(data)


@lru_cache(maxsize=1)
def _default_knowledge() -> _KnowledgeBase:
    return _load_knowledge(DEFAULT_CAUSES_PATH)


def learned_opinion_settings() -> LearnedOpinion | None:
    """``learned_opinion:`` of causes.yml, or None when the file has none."""
    return _default_knowledge().opinion


def general_advice() -> str:
    """What helps most runners, for a runner who hasn't answered any questions yet."""
    return _default_knowledge().texts["general_advice"]


def cause_ids() -> tuple[str, ...]:
    """The ids of the causes in causes.yml, in file order."""
    return tuple(c.id for c in _default_knowledge().causes)


def load_causes(path: Path | str | None = None) -> list[Cause]:
    """Load and validate the cause file (the default one is cached).

    Raises ValueError with the file, the entry and the problem when a cause uses an
    unknown key, op or slot, a value nothing can produce, or a placeholder that is not
    an answer slot.
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
        return value.replace("_", " ")
    if name in PCT_SLOTS:
        return f"{_round_half_up(value):.0f}"
    if name in KM_SLOTS and abs(value) >= 10:
        return f"{_round_half_up(value):.0f}"
    if name in ("increase_weeks", "symptom_weeks") and value >= 3:
        return f"{_round_half_up(value):.0f}"
    return _short_number(value)


def _figures(answers: RunnerAnswers) -> dict[str, str]:
    """Formatted figures for every answered slot (unanswered ones are absent)."""
    return {name: _format_figure(name, value) for name, value in answers.known().items()}


def _ranked(cause: Cause, score: float, answers: RunnerAnswers) -> RankedCause:
    return RankedCause(
        id=cause.id,
        title=cause.title,
        score=score,
        explanation=cause.explain(answers),
        advice=cause.advice,
        see_professional_when=cause.see_professional_when,
        first_step=cause.first_step(answers),
    )


def ranked_ids(answers: RunnerAnswers, limit: int = 3) -> list[str]:
    """The ids :func:`rank_causes` would list (cheap: no rendering)."""
    return [cause.id for _, cause in _order(answers)[:limit]]


def leader_scores(answers: RunnerAnswers) -> tuple[float, float]:
    """The first cause's score and its lead over the second (0 when nothing scores)."""
    order = _order(answers)
    first = order[0][0] if order else 0.0
    second = order[1][0] if len(order) > 1 else 0.0
    return first, first - second


def _order(answers: RunnerAnswers) -> list[tuple[float, Cause]]:
    kb = _default_knowledge()
    learned = kb.opinion.evidence(answers.words) if kb.opinion is not None else {}
    scored = [(cause.score(answers, learned.get(cause.id, 0.0)), cause) for cause in kb.causes]
    scored = [(s, c) for s, c in scored if s > 0]
    scored.sort(key=lambda sc: (-sc[0], -sc[1].base_weight, sc[1].id))
    if not scored:
        return [(0.0, c) for c in kb.defaults]
    if not scored[0][1].can_lead(answers):
        leader = next((i for i, (_, c) in enumerate(scored) if c.can_lead(answers)), None)
        if leader is not None:
            scored.insert(0, scored.pop(leader))
        else:
            present = {c.id for _, c in scored}
            fallback = next((c for c in kb.defaults if c.id not in present), None)
            if fallback is not None:
                scored.insert(0, (0.0, fallback))
    return scored


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
    return [_ranked(cause, score, answers) for score, cause in _order(answers)[:limit]]


def _cautions(answers: RunnerAnswers, ranked: list[RankedCause]) -> list[str]:
    listed = {r.id for r in ranked}
    return [c.text for c in _default_knowledge().cautions if c.applies(answers, listed)]


def explanation_parts(answers: RunnerAnswers, ranked: list[RankedCause],
                      unit: str | None = None) -> dict[str, Any]:
    """The explanation as parts: ``intro``, ``cards`` (one per cause: ``title``, ``why``
    in the runner's figures, ``advice`` list, ``see``: when to see someone, after
    ``see_label``), ``cautions`` and ``closing``. The chat page shows each cause as a
    card from these; :func:`render_explanation` writes the same parts as plain text.
    Distances are in the runner's ``unit`` ("mi" or "km", bot/triage/units.py)."""
    kb = _default_knowledge()
    if not ranked:
        return {"intro": "", "cards": [], "cautions": [], "see_label": "",
                "closing": in_runner_units(kb.texts["closing"], unit)}
    intro = kb.texts["intro"] if any(r.score > 0 for r in ranked) else kb.texts["intro_generic"]
    cards = []
    for item in ranked:
        explanation = item.explanation
        if "{" in explanation or "}" in explanation:
            cause = kb.by_id(item.id)
            explanation = cause.explain(answers) if cause else ""
        cards.append({
            "title": item.title,
            "why": in_runner_units(explanation, unit),
            "advice": [in_runner_units(tip, unit) for tip in item.advice],
            "see": in_runner_units(item.see_professional_when, unit),
        })
    return {"intro": intro, "cards": cards,
            "cautions": [in_runner_units(c, unit) for c in _cautions(answers, ranked)],
            "see_label": kb.texts["see_professional_label"],
            "closing": in_runner_units(kb.texts["closing"], unit)}


def render_explanation(answers: RunnerAnswers, ranked: list[RankedCause],
                       unit: str | None = None) -> str:
    """The chat message: intro, each cause with its advice and when to see someone,
    any caution that applies, one closing line.

    Plain text with "•" bullets and blank lines between blocks (for Telegram, Slack
    and screen readers; the chat page draws cards from :func:`explanation_parts`).
    """
    parts = explanation_parts(answers, ranked, unit)
    if not parts["cards"]:
        return parts["closing"]
    blocks = [parts["intro"]]
    for card in parts["cards"]:
        lines = [card["title"]]
        if card["why"]:
            lines.append(card["why"])
        lines.extend(f"• {tip}" for tip in card["advice"])
        lines.append(f"{parts['see_label']} {card['see']}")
        blocks.append("\n".join(lines))
    blocks.extend(parts["cautions"])
    blocks.append(parts["closing"])
    return "\n\n".join(blocks)


def render_plan(answers: RunnerAnswers, ranked: list[RankedCause],
                unit: str | None = None) -> str:
    """"What should I do first?": one step per listed cause, in order, in the runner's
    figures, then the cautions that apply and when to see someone."""
    kb = _default_knowledge()
    if not ranked:
        return kb.texts["general_advice"]
    steps = [f"{n}. {item.first_step}" for n, item in enumerate(ranked, start=1)]
    blocks = [kb.texts["plan_intro"], "\n".join(steps), *_cautions(answers, ranked),
              kb.texts["plan_closing"]]
    return in_runner_units("\n\n".join(blocks), unit)


def slot_kind(name: str) -> str | None:
    """number | text | list for an answer slot, None for an unknown name."""
    return slot_kinds().get(name)


def is_list_slot(name: str) -> bool:
    return slot_kinds().get(name) == LIST


__all__ = [
    "DEFAULT_CAUSES_PATH",
    "OPS",
    "Cause",
    "Condition",
    "RankedCause",
    "RunnerAnswers",
    "cause_ids",
    "condition_reader",
    "general_advice",
    "load_causes",
    "rank_causes",
    "leader_scores",
    "ranked_ids",
    "explanation_parts",
    "render_explanation",
    "render_plan",
]
