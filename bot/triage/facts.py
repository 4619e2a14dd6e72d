"""Facts a runner volunteers anywhere in a free message (the bot asked nothing in particular).

Unlike :mod:`bot.triage.parsing`, nobody asked for a figure, so each one is attributed by
its context, clause by clause (clauses split on , ; . and "and"/"but"...):
"I run 50 km a week, sleep 6 hours and my shoes have 700 km on them" gives weekly distance
50, sleep 6 and shoe distance 700; a bare "10" or "ran a 10k yesterday" gives nothing.
Causes, diet factors, symptoms and their timing come from the phrase lists in
``bot/knowledge/answer_vocabulary.yml``, with negation ("I didn't do any weights").
Pure Python: no Rasa imports.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Sequence

from bot.text_limits import check_budget
from bot.triage.answers import PLAUSIBLE_RANGES
from bot.triage.followups import facts_in_message
from bot.triage.numbers import (
    AGE_UNITS,
    Clause,
    LinearPattern,
    Quantity,
    normalize,
    per_week,
    scan,
    to_km,
    to_months,
)
from bot.triage.parsing import _EXTRA_RUN_RE as EXTRA_RUN_RE
from bot.triage.parsing import _ORDINAL_RUN_RE as ORDINAL_RUN_RE
from bot.triage.parsing import (
    A_PERIOD_RE,
    EACH_AFTER_RE,
    MAX_SHOE_KM,
    MAX_SLEEP_HOURS,
    MAX_WEEKLY_KM,
    RUN_UNITS,
    Hit,
    PhraseMatcher,
    change_from_text,
    clauses_for,
    diet_hits,
    direction_of,
    find_labels,
    frequency,
    matcher,
    multiplies,
    one_distance_unit,
    one_period,
    recent_quantity,
    shoe_phrase_hits,
    sleep_from_clock,
    sleep_value,
    vocab,
)
from bot.triage.parsing import warm_up as parsing_warm_up

# Facts field -> entity name (ARCHITECTURE.md, "Entities produced by FactExtractor")
ENTITY_NAMES = {
    "weekly_distance_km": "weekly_distance_km",
    "previous_weekly_distance_km": "previous_weekly_distance_km",
    "distance_increase_pct": "distance_increase_pct",
    "increase_weeks": "increase_weeks",
    "runs_per_week": "runs_per_week",
    "sleep_hours": "sleep_hours",
    "shoe_distance_km": "shoe_distance_km",
    "shoe_age_months": "shoe_age_months",
    "diet_factors": "diet_factor",
    "volunteered_causes": "volunteered_cause",
    "symptoms": "symptom",
    "symptom_timing": "symptom_timing",
    "conditions_hints": "condition_hint",
}
# one entity for every follow-up answer said unprompted: value "slot=value"
FOLLOWUP_ENTITY = "followup_fact"
_LIST_FIELDS = ("diet_factors", "volunteered_causes", "symptoms", "conditions_hints")

Span = tuple[int, int]


@dataclass
class Facts:
    """What a message says about the runner. Figures are in km, hours, % and months."""

    weekly_distance_km: float | None = None
    previous_weekly_distance_km: float | None = None
    distance_increase_pct: float | None = None
    increase_weeks: float | None = None
    runs_per_week: float | None = None
    sleep_hours: float | None = None
    shoe_distance_km: float | None = None
    shoe_age_months: float | None = None
    diet_factors: list[str] = field(default_factory=list)
    volunteered_causes: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    symptom_timing: str | None = None
    conditions_hints: list[str] = field(default_factory=list)
    # answers to follow-up questions said unprompted (bot/knowledge/questions.yml):
    # slot -> value, or list of values for a list slot
    followups: dict[str, Any] = field(default_factory=dict)
    # character spans in the original text: one per scalar field, one per list item
    spans: dict[str, list[Span]] = field(default_factory=dict, repr=False, compare=False)

    def is_empty(self) -> bool:
        """True when the message volunteered nothing."""
        return not self.as_entities()

    def as_entities(self) -> list[dict[str, Any]]:
        """Rasa-style entity dicts: ``{"entity", "value", "start", "end"}``, one per list item."""
        entities: list[dict[str, Any]] = []
        for name, entity in ENTITY_NAMES.items():
            value = getattr(self, name)
            spans = self.spans.get(name, [])
            if name in _LIST_FIELDS:
                for i, item in enumerate(value):
                    start, end = spans[i] if i < len(spans) else (0, 0)
                    entities.append({"entity": entity, "value": item, "start": start, "end": end})
            elif value is not None:
                start, end = spans[0] if spans else (0, 0)
                entities.append({"entity": entity, "value": value, "start": start, "end": end})
        for slot, value in self.followups.items():
            for item in value if isinstance(value, list) else [value]:
                entities.append({"entity": FOLLOWUP_ENTITY, "value": f"{slot}={item}",
                                 "start": 0, "end": 0})
        return entities


# --------------------------------------------------------------------------- context


@cache
def _context_matcher(name: str) -> PhraseMatcher:
    return PhraseMatcher({name: vocab("fact_context", name) or []})


_AGO_RE = LinearPattern(r"\s+ago\b")


class _Context:
    """Which context words occur in which clause."""

    def __init__(self, text: str, clauses: list[Clause]) -> None:
        self.text = text
        self.clauses = clauses
        self._index = {clause: i for i, clause in enumerate(clauses)}
        self._hits: dict[str, list[Hit]] = {}
        self._starts: dict[str, list[int]] = {}

    def hits(self, name: str) -> list[Hit]:
        if name not in self._hits:
            found = _context_matcher(name).find(self.text)
            # "a week ago" is a date, not a rate
            self._hits[name] = [
                h for h in found if not _AGO_RE.match(self.text[h.end:h.end + 5])
            ]
            self._starts[name] = [h.start for h in self._hits[name]]  # in order
        return self._hits[name]

    def has(self, name: str, clause: Clause) -> bool:
        self.hits(name)
        starts = self._starts[name]
        i = bisect_left(starts, clause.start)
        return i < len(starts) and starts[i] < clause.end

    def previous_clause(self, clause: Clause) -> Clause | None:
        i = self._index[clause]
        return self.clauses[i - 1] if i > 0 else None

    def about_shoes(self, clause: Clause) -> bool:
        """The clause names shoes, or says "them/they" right after a clause that does
        ("my shoes? they have 300 km on them")."""
        if self.has("shoes", clause):
            return True
        previous = self.previous_clause(clause)
        return previous is not None and self.has("shoe_pronouns", clause) and self.has(
            "shoes", previous)


_EVENT_BEFORE_RE = LinearPattern(r"\b(?:a|an|my|the|that|this|his|her|our)\s+$")
_EVENT_AFTER_RE = LinearPattern(r"[\s-]*(?:race|run|parkrun|event|time\s+trial|pb|loop|route|in)\b")
_RUN_EVERY_DAY_RE = LinearPattern(
    r"\b(?:run|runs|running|ran|jog|jogging)\s+(?:\w+\s+)?(?:every\s+(?:single\s+)?day|daily|each\s+day)\b"
)
_BARE_WEEKLY_CTX_RE = LinearPattern(r"\b(?:mileage|milage|volume|weekly)\b")
_DISTANCE_WORDS_RE = LinearPattern(r"\b(?:mileage|milage|distance|volume)\b")


_IN_A_WEEK_AFTER_RE = LinearPattern(
    r"\s+in\s+(?:the\s+)?(?:last|past|a|one|this)\s+(?:7\s+days|week|wk)\b")


def _is_event_distance(text: str, q: Quantity) -> bool:
    """ "a 10k", "my 20 km long run", "the 5k race": one outing, not a weekly figure
    ("70 miles in the last 7 days" is the week's)."""
    if _IN_A_WEEK_AFTER_RE.match(text[q.end:q.end + 30]):
        return False
    before = text[max(0, q.start - 12):q.start]
    return bool(_EVENT_BEFORE_RE.search(before) or _EVENT_AFTER_RE.match(text[q.end:q.end + 20]))


_FROM_WORDS = ("from", "was", "were", "used")  # what _BEFORE_FROM_RE needs
_TO_WORDS = ("to", "now", "currently", "these", "at")  # what _BEFORE_TO_RE needs


def _may_count_runs_words(sub: str) -> bool:
    """What :func:`_may_count_runs` needs, read from the words alone (before scanning the
    clause for figures): a figure of runs needs a digit, "from 3 to 5 runs" needs "from",
    ">" (also of "->"), "up" or "down" (up/down to)."""
    if ORDINAL_RUN_RE.search(sub) is not None:
        return True
    digit = _DIGIT_RE.search(sub) is not None
    if digit and (any(w in sub for w in ("from", ">", "up", "down"))
                  or (any(w in sub for w in _FROM_WORDS) and any(w in sub for w in _TO_WORDS))):
        return True
    return (digit or EXTRA_RUN_RE.search(sub) is not None) and bool(matcher("direction").find(sub))


_DIGIT_RE = re.compile("[0-9]")  # Python's `re` on purpose: one character, no backtracking


def _may_count_runs(sub: str, qs: Sequence[Quantity]) -> bool:
    """False when ``change_from_text(sub, qs, ranges_as_change=False)`` cannot read a change
    of runs (its extras ``previous_runs_per_week``, ``added_runs`` or ``dropped_runs``): that
    takes "a fourth run", a "from 3 to 5 runs" figure, "was 3 runs... now 5", or runs added
    or dropped ("added a run", "2 more runs") with a direction word. Lets the fact extractor
    skip, cheaply, the clauses of a long message that have none of these."""
    if ORDINAL_RUN_RE.search(sub) is not None:
        return True
    run_figures = any(q.unit in RUN_UNITS for q in qs)
    if run_figures and any(q.is_from_to and q.unit in RUN_UNITS for q in qs):
        return True
    if run_figures and any(w in sub for w in _FROM_WORDS) and any(w in sub for w in _TO_WORDS):
        return True
    return (run_figures or EXTRA_RUN_RE.search(sub) is not None) and bool(
        matcher("direction").find(sub))


_NOUN_AFTER_RE = LinearPattern(r"\s*(?:of\s+)?([a-z]+)")
_HOURS_WORDS = frozenset({"a", "an", "per", "each", "every", "or", "ish", "hours", "hour",
                          "hrs", "hr", "h", "at", "last", "night", "nights", "and", "to", "max",
                          "tops", "maybe", "most", "on", "if", "in", "but", "so", "now"})


def _counts_a_thing(text: str, q: Quantity) -> bool:
    """ "a couple of beers the night before": the figure counts beers, not hours."""
    m = _NOUN_AFTER_RE.match(text[q.end:q.end + 30])
    return m is not None and m.group(1) not in _HOURS_WORDS


def _in(clause: Clause, qs: Sequence[Quantity], starts: Sequence[int]) -> list[Quantity]:
    """The quantities (in order, as scan() gives them; ``starts``: where they start) that
    start in the clause."""
    return list(qs[bisect_left(starts, clause.start):bisect_left(starts, clause.end)])


# --------------------------------------------------------------------------- extraction


# a figure said as an amount of change ("up about 5 km", "added 10k", "5 miles more")
_CHANGE_BEFORE_RE = re.compile(
    r"\b(?:up|down|increased?|increasing|raised|add(?:ed|ing)?|extra|another|plus|"
    r"dropped|cut|reduced?|upped|bumped(?:\s+up)?)\s+(?:it\s+)?(?:by\s+)?"
    r"(?:about\s+|around\s+|roughly\s+|approx\.?\s+|~\s*|an?\s+)?$", re.IGNORECASE)
_CHANGE_AFTER_RE = re.compile(r"\s*(?:more|less|extra|further)\b", re.IGNORECASE)


def _is_change_amount(t: str, q: Quantity) -> bool:
    return (_CHANGE_BEFORE_RE.search(t[max(0, q.start - 30):q.start]) is not None
            or _CHANGE_AFTER_RE.match(t[q.end:q.end + 12]) is not None)


# a clause that says nothing but a change of the figure before it
_CHANGE_ONLY_RE = re.compile(
    r"\s*(?:and\s+|but\s+|which\s+is\s+|that's\s+|thats\s+)?"
    r"(?:(?:up|down|increased|dropped|went\s+up|gone\s+up|came\s+down|built\s+up)\s+"
    r"(?:from|since|after)|(?:it\s+)?used\s+to\s+be|(?:it\s+)?was\s+(?:only\s+|just\s+)?)"
    r"\s*(?:about\s+|around\s+|roughly\s+|~\s*)?\d[\d.]*\s*(?:km|k|kms|miles?|mi)?"
    r"(?:\s+(?:a|per)\s+week)?(?:\s+(?:before|last\s+\w+|a\s+\w+\s+ago|\w+\s+weeks?\s+ago|"
    r"over\s+[\w ]{1,40}|in\s+[\w ]{1,40}))?\s*[.!]?\s*$", re.IGNORECASE)


class _Builder:
    def __init__(self, text: str) -> None:
        self.nt = normalize(text)
        self.nt.sub(A_PERIOD_RE, one_period)
        self.t = self.nt.text
        self.clauses = clauses_for(self.t)
        self.ctx = _Context(self.t, self.clauses)
        self.qs = scan(self.t)
        self.q_starts = [q.start for q in self.qs]
        self.facts = Facts()
        self._unit: str | None = None

    def continues_mileage(self, clause: Clause) -> bool:
        """ "30 miles a week, up from 20": a clause that is only a change ("up from 20",
        "it used to be 20") right after one that gives the weekly distance."""
        if clause.end - clause.start > 80:
            return False  # a change alone is short
        previous = self.ctx.previous_clause(clause)
        if previous is None or not self.ctx.has("mileage", previous):
            return False
        if _CHANGE_ONLY_RE.match(self.t[clause.start:clause.end]) is None:
            return False
        units = {q.unit for q in _in(previous, self.qs, self.q_starts)}
        # "3 times a week, up from 2" counts runs, not distance
        return bool(units & {"km", "mi"}) and not units & RUN_UNITS

    def unit_said(self) -> str | None:
        """The one distance unit of the message ("30 miles a week, up from 20": miles);
        worked out once per message."""
        if self._unit is None:
            self._unit = one_distance_unit(self.qs) or ""
        return self._unit or None

    def _set(self, name: str, value: Any, start: int, end: int, *, overwrite: bool = False) -> None:
        if getattr(self.facts, name) is not None and not overwrite:
            return
        setattr(self.facts, name, value)
        self.facts.spans[name] = [self.nt.original_span(start, end)]

    def _add(self, name: str, value: str, start: int, end: int) -> None:
        items: list[str] = getattr(self.facts, name)
        if value in items:
            return
        items.append(value)
        self.facts.spans.setdefault(name, []).append(self.nt.original_span(start, end))

    # ---- figures

    def runs(self) -> None:
        for clause in self.clauses:
            check_budget()
            qs = _in(clause, self.qs, self.q_starts)
            for q in qs:
                if q.period != "week" or q.unit not in ("times", "runs", "days"):
                    continue
                if q.unit != "runs" and self.ctx.has("other_activity", clause) and not \
                        self.ctx.has("running", clause):
                    continue
                if 0 < q.value <= 21:
                    self._set("runs_per_week", q.value, q.start, q.end)
                    return
        m = _RUN_EVERY_DAY_RE.search(self.t)
        if m:
            self._set("runs_per_week", 7.0, m.start(), m.end())

    def weekly_and_shoes(self) -> None:
        weekly: list[tuple[Quantity, float, Span]] = []
        for clause in self.clauses:
            check_budget()
            qs = _in(clause, self.qs, self.q_starts)
            freq = frequency([q for q in qs if q.period == "week"])
            previous = self.ctx.previous_clause(clause)
            earlier = None
            if freq is None and previous is not None:
                earlier = frequency(
                    [q for q in _in(previous, self.qs, self.q_starts) if q.period == "week"])
                if earlier is not None and any(
                        EACH_AFTER_RE.match(self.t[q.end:q.end + 20]) for q in qs):
                    freq = earlier  # "I do 3 runs a week, about 10k each"
            shoes = self.ctx.about_shoes(clause)
            for q in qs:
                if q.unit not in ("km", "mi") or q.is_from_to:
                    continue
                km = to_km(q.value, q.unit)
                if q.period in ("week", "day", "other_day", "month"):
                    weekly.append((q, per_week(km, q.period), (q.start, q.end)))
                elif freq is not None and multiplies(self.t, q, freq) and not shoes:
                    span = (min(q.start, freq.start), max(q.end, freq.end))
                    weekly.append((q, km * freq.value, span))
                elif shoes:
                    if 0 <= km <= MAX_SHOE_KM:
                        self._set("shoe_distance_km", round(km, 2), q.start, q.end)
                elif (self.ctx.has("weekly", clause) or earlier is not None) and \
                        not _is_event_distance(self.t, q):
                    # "... 30 km this week", "I run 4 times a week (around 30 miles)"
                    weekly.append((q, km, (q.start, q.end)))
            if not any(q.unit in ("km", "mi") for q in qs) and _BARE_WEEKLY_CTX_RE.search(
                    self.t[clause.start:clause.end]) and not self.ctx.has("sleep", clause):
                for q in qs:
                    if q.unit is None and q.b is None and q.period in (None, "week") and \
                            q.value >= 5:
                        weekly.append((q, q.value, (q.start, q.end)))
            if shoes:
                self._shoe_age(clause, qs)
        weekly = [item for item in weekly if 0 < item[1] <= MAX_WEEKLY_KM]
        while weekly:
            chosen = recent_quantity(self.t, [q for q, _, _ in weekly], self.clauses)
            if _is_change_amount(self.t, chosen):
                # "up about 5 km every other week": a change, not the week's distance
                weekly = [item for item in weekly if item[0] is not chosen]
                continue
            _, km, span = next(item for item in weekly if item[0] is chosen)
            self._set("weekly_distance_km", round(km, 2), *span)
            break

    def _shoe_age(self, clause: Clause, qs: Sequence[Quantity]) -> None:
        for q in qs:
            if q.unit in AGE_UNITS and q.period is None:
                months = to_months(q.value, q.unit)
                if months is not None:
                    self._set("shoe_age_months", round(months, 2), q.start, q.end)
                    return
        hits = [h for h in shoe_phrase_hits(self.t)
                if clause.start <= h.start < clause.end and not h.negated and h.label == "new"]
        if hits and not qs:
            hit = hits[0]
            self._set("shoe_age_months", 0.0, hit.start, hit.end)
            self._set("shoe_distance_km", 0.0, hit.start, hit.end)

    def change(self) -> None:
        from_runs = False
        for clause in self.clauses:
            check_budget()
            sub = self.t[clause.start:clause.end]
            about_mileage = self.ctx.has("mileage", clause) or self.continues_mileage(clause)
            if not about_mileage and not _may_count_runs_words(sub):
                continue  # change_from_text would find no change of runs here (below)
            qs = scan(sub)
            if not about_mileage and not _may_count_runs(sub, qs):
                continue
            result = change_from_text(sub, qs, self.facts.weekly_distance_km,
                                      self.facts.runs_per_week, ranges_as_change=False,
                                      default_unit=self.unit_said())
            extras = result.extras
            runs_based = "previous_runs_per_week" in extras or (
                "added_runs" in extras or "dropped_runs" in extras)
            if not (runs_based or about_mileage):
                continue
            start, end = clause.start + len(sub) - len(sub.lstrip()), clause.end
            if "distance_change_km" in extras and not runs_based and not \
                    self.ctx.has("weekly", clause) and not _DISTANCE_WORDS_RE.search(sub):
                continue  # "struggled 4 more miles" is part of one run, not the week's change
            if result.status == "ok" and isinstance(result.value, float):
                low, high = PLAUSIBLE_RANGES["distance_increase_pct"]
                if not low <= result.value <= high:
                    continue  # "20 miles more than I have ever done": a misreading
                if not runs_based and (not qs or result.value == 0.0) and \
                        direction_of(sub) is None and not self.ctx.has("weekly", clause):
                    # "same as always" about running in general says nothing about distance,
                    # nor does a steady word beside one outing ("30 miles round the levels",
                    # "a flat 10k")
                    if not _DISTANCE_WORDS_RE.search(sub):
                        continue
                self._set("distance_increase_pct", result.value, start, end,
                          overwrite=from_runs and not runs_based)
                from_runs = from_runs or runs_based
            if "increase_weeks" in extras and result.status == "ok":
                self._set("increase_weeks", extras["increase_weeks"], start, end)
            if "weekly_distance_km" in extras and 0 < extras["weekly_distance_km"] <= MAX_WEEKLY_KM:
                self._set("weekly_distance_km", extras["weekly_distance_km"], start, end)
            if "previous_weekly_distance_km" in extras:
                self._set("previous_weekly_distance_km", extras["previous_weekly_distance_km"],
                          start, end)
            if "runs_per_week" in extras:
                self._set("runs_per_week", extras["runs_per_week"], start, end)
            if self.facts.distance_increase_pct is not None and not from_runs:
                return

    def sleep(self) -> None:
        candidates: list[Quantity] = []
        for clause in self.clauses:
            check_budget()
            qs = _in(clause, self.qs, self.q_starts)
            sleepy = self.ctx.has("sleep", clause)
            timed = [q for q in qs if q.unit in ("h", "min") and (sleepy or q.period == "night")]
            if timed:
                candidates.extend(timed)
            elif sleepy and not any(q.unit is not None for q in qs):
                candidates.extend(
                    q for q in qs if q.unit is None and 0 < q.value <= MAX_SLEEP_HOURS
                    and not _counts_a_thing(self.t, q))
        hours: float | None = None
        span: tuple[int, int] | None = None
        if candidates:
            q = recent_quantity(self.t, candidates, self.clauses)
            hours, span = sleep_value(q), (q.start, q.end)
        else:
            clocks = [q for q in self.qs if q.unit == "clock"]
            hours = sleep_from_clock(self.t, clocks, strict=True)
            if hours is not None:
                span = (clocks[0].start, clocks[-1].end)
        if hours is not None and span is not None and 0 < hours <= MAX_SLEEP_HOURS:
            self._set("sleep_hours", round(hours, 2), *span)

    # ---- phrases

    def phrases(self) -> None:
        causes = find_labels(self.t, matcher("volunteered_causes"))
        for hit in causes:
            if not hit.negated:
                self._add("volunteered_causes", hit.label, hit.start, hit.end)
        for hit in diet_hits(self.t, answer=False):
            self._add("diet_factors", hit.label, hit.start, hit.end)
        blocked = [(h.start, h.end) for h in causes]
        for hit in find_labels(self.t, matcher("symptoms"), blocked=blocked):
            if not hit.negated:
                self._add("symptoms", hit.label, hit.start, hit.end)
        for hit in find_labels(self.t, matcher("condition_hints")):
            if not hit.negated:
                self._add("conditions_hints", hit.label, hit.start, hit.end)
        followups = facts_in_message(self.t)
        timing = followups.pop("symptom_timing", None)
        if timing is not None:
            self._set("symptom_timing", timing, 0, 0)
        self.facts.followups = followups

    def build(self) -> Facts:
        for step in (self.runs, self.weekly_and_shoes, self.change, self.sleep, self.phrases):
            check_budget()
            step()
        return self.facts


@cache
def warm_up() -> None:
    """Load the vocabulary and compile every pattern extraction uses now (once), so that
    no message's budget pays for it (the fact extractor calls it when it is loaded)."""
    parsing_warm_up()
    for path in (("volunteered_causes",), ("symptoms",), ("condition_hints",)):
        matcher(*path)
    for name in vocab("fact_context") or {}:
        _context_matcher(str(name))
    # the rest is built on first use (the follow-up questions' phrases, dates, clause
    # splitting): one message that touches every path builds it here, not in a turn
    extract_facts("My left calf has felt heavy and sore since March, gradually, only "
                  "during runs; I haven't been ill, I'm on a statin and 30 km a week "
                  "went up 10% for 3 weeks, 7 hours sleep, shoes 2 months old.")


def extract_facts(text: str) -> Facts:
    """Facts volunteered in a free message (see the module docstring)."""
    if not text or not text.strip():
        return Facts()
    return _Builder(text).build()

