"""Parsers for the runner's answers to the assessment form's questions.

The bot has just asked the question, so a figure needs no context to be attributed:
"40" answering "how far do you run a week?" is 40 km. Each parser returns a
:class:`Parsed` with ``status`` "ok" (``value`` is set, except where a docstring says
otherwise), "dont_know" (the runner said "don't know"/"skip" and gave no figure) or
"unparsed" (ask again; ``extras`` may still hold partial facts).

Vocabulary (diet phrases, "steady" phrases, "don't know" phrases, negation cues...) lives in
``bot/knowledge/answer_vocabulary.yml``; it is loaded on first use. Units and number words are
handled in :mod:`bot.triage.numbers`. Pure Python: no Rasa imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

import yaml

from bot.triage.numbers import (
    AGE_UNITS,
    DISTANCE_UNITS,
    NUM,
    WEEKS_PER_MONTH,
    Clause,
    Quantity,
    clause_of,
    clause_spans,
    normalize,
    per_week,
    scan,
    to_km,
    to_months,
)

Status = Literal["ok", "dont_know", "unparsed"]

VOCABULARY_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "answer_vocabulary.yml"

MAX_WEEKLY_KM = 400.0
MAX_SLEEP_HOURS = 14.0
MAX_SHOE_KM = 5000.0
RUN_UNITS = frozenset({"runs", "times", "days"})


@dataclass(frozen=True)
class Parsed:
    """The reading of one answer.

    ``value``: a float (km, %, hours) or a list of ids (diet), None when not found.
    ``status``: "ok" | "dont_know" | "unparsed".
    ``extras``: side facts, e.g. ``{"previous_weekly_distance_km": 20.0, "runs_per_week": 4.0}``.
    """

    value: float | list[str] | None = None
    status: Status = "unparsed"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the answer was read."""
        return self.status == "ok"


# =========================================================================== vocabulary


@lru_cache(maxsize=1)
def load_vocabulary() -> dict[str, Any]:
    """The answer vocabulary (``bot/knowledge/answer_vocabulary.yml``), read once."""
    with VOCABULARY_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{VOCABULARY_PATH} must hold a mapping")
    return data


def vocab(*path: str) -> Any:
    """A section of the vocabulary by its keys, e.g. ``vocab("diet", "negated_as")``."""
    node: Any = load_vocabulary()
    for key in path:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node


def _word_re(word: str) -> str:
    special = {
        "can't": r"(?:can'?t|can\s*not)",
        "won't": r"(?:won'?t|will\s+not)",
        "ain't": r"(?:ain'?t)",
    }
    if word in special:
        return special[word]
    if word.endswith("n't") and len(word) > 3:
        stem = re.escape(word[:-3])
        return rf"(?:{stem}n'?t|{stem}\s+not)"
    out = []
    for ch in word:
        if ch == "'":
            out.append("'?")
        elif ch == "-":
            out.append(r"[\s-]?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _token_re(token: str) -> str:
    if token.startswith("(") and token.endswith(")") and len(token) > 2:
        return "(?:" + "|".join(_word_re(alt) for alt in token[1:-1].split("|")) + ")"
    return _word_re(token)


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Regex for a vocabulary phrase (syntax described at the top of the YAML file)."""
    tokens = str(phrase).lower().split()
    if not tokens:
        raise ValueError("empty phrase")
    body = ""
    gaps = 0
    previous_was_word = False
    for i, token in enumerate(tokens):
        if token == "...":
            body += rf"(?P<gap{gaps}>(?:[\s-]+[\w'.%/-]+){{0,3}}?)[\s-]+"
            gaps += 1
            previous_was_word = False
            continue
        if previous_was_word:
            body += r"[\s-]*"
        body += _token_re(token)
        if i == len(tokens) - 1 and (token[-1].isalpha() or token.endswith(")")):
            body += "(?:s|es)?"
        previous_was_word = True
    return re.compile(rf"(?<![a-z0-9']){body}(?![a-z0-9])")


@dataclass(frozen=True)
class Hit:
    """A vocabulary phrase found in (normalised) text."""

    label: str
    start: int
    end: int
    gaps: tuple[tuple[int, int], ...] = ()
    negated: bool = False


class PhraseMatcher:
    """Finds labelled phrases; where matches overlap the longest wins."""

    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for label, items in phrases.items():
            for phrase in items or []:
                self._patterns.append((str(label), compile_phrase(str(phrase))))

    def find(self, text: str, blocked: Sequence[tuple[int, int]] = ()) -> list[Hit]:
        """Non-overlapping hits in ``text`` (not overlapping ``blocked`` spans), by position."""
        candidates: list[Hit] = []
        for label, pattern in self._patterns:
            for m in pattern.finditer(text):
                gaps = tuple(
                    m.span(name) for name in pattern.groupindex if name.startswith("gap")
                )
                candidates.append(Hit(label, m.start(), m.end(), gaps))
        candidates.sort(key=lambda h: (-(h.end - h.start), h.start))
        taken: list[Hit] = []
        spans = list(blocked)
        for hit in candidates:
            if any(hit.start < e and s < hit.end for s, e in spans):
                continue
            taken.append(hit)
            spans.append((hit.start, hit.end))
        return sorted(taken, key=lambda h: h.start)


@cache
def matcher(*path: str) -> PhraseMatcher:
    """A cached matcher over a vocabulary section.

    A section that is a list gives one label (its last key); a mapping gives one label per key.
    """
    section = vocab(*path)
    if isinstance(section, dict):
        return PhraseMatcher(section)
    return PhraseMatcher({path[-1]: section or []})


def _merged_matcher(*paths: tuple[str, ...]) -> PhraseMatcher:
    merged: dict[str, list[str]] = {}
    for path in paths:
        for label, items in (vocab(*path) or {}).items():
            merged.setdefault(str(label), []).extend(items or [])
    return PhraseMatcher(merged)


@cache
def diet_matcher(answer: bool) -> PhraseMatcher:
    """Diet phrases; with ``answer`` also the ones only valid as an answer ("normal")."""
    if answer:
        return _merged_matcher(("diet", "anywhere"), ("diet", "answer_only"))
    return _merged_matcher(("diet", "anywhere"))


def clauses_for(text: str) -> list[Clause]:
    """Clauses of normalised text, using the vocabulary's clause-break words."""
    return clause_spans(text, vocab("clause_break_words") or [])


def _words_between(text: str, start: int, end: int) -> int:
    return len(re.findall(r"[\w']+", text[start:end]))


def apply_negation(text: str, hits: list[Hit], protected: Sequence[Hit] = ()) -> list[Hit]:
    """``hits`` with ``negated`` set where a negation cue governs them.

    A cue counts when it is in the same clause, before the phrase, at most ``window_words``
    words away, and not inside another phrase (``hits`` or ``protected``); cues inside a
    phrase's "..." gap count too. An even number of cues cancels out ("not cutting carbs").
    """
    if not hits:
        return []
    window = int(vocab("negation", "window_words") or 3)
    clauses = clauses_for(text)
    cues = matcher("negation", "cues").find(text)
    others = [(h.start, h.end) for h in (*hits, *protected)]
    result = []
    for hit in hits:
        clause = clause_of(clauses, hit.start)
        c_start = clause.start if clause else 0
        count = 0
        for cue in cues:
            inside_gap = any(gs <= cue.start and cue.end <= ge for gs, ge in hit.gaps if gs >= 0)
            if inside_gap:
                count += 1
                continue
            if cue.start < c_start or cue.end > hit.start:
                continue
            if any(s <= cue.start and cue.end <= e for s, e in others):
                continue
            if _words_between(text, cue.end, hit.start) <= window:
                count += 1
        result.append(Hit(hit.label, hit.start, hit.end, hit.gaps, count % 2 == 1))
    return result


def is_negated_span(text: str, start: int, end: int) -> bool:
    """True when a negation cue governs ``text[start:end]`` ("haven't doubled")."""
    return apply_negation(text, [Hit("span", start, end)])[0].negated


def find_labels(
    text: str, m: PhraseMatcher, blocked: Sequence[tuple[int, int]] = (),
    protected: Sequence[Hit] = (),
) -> list[Hit]:
    """Hits of ``m`` in normalised ``text`` with negation applied (negated hits included)."""
    return apply_negation(text, m.find(text, blocked), protected)


def _unique(labels: Iterable[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        if label not in out:
            out.append(label)
    return out


# =========================================================================== don't know


def _dont_know_norm(text: str) -> bool:
    if matcher("dont_know", "anywhere").find(text):
        return True
    filler = {str(w).lower() for w in vocab("dont_know", "filler_words") or []}
    words = [w for w in re.sub(r"[^\w\s'/]", " ", text).split() if w not in filler]
    if not words:
        return False
    whole = {str(p).lower() for p in vocab("dont_know", "whole_answer") or []}
    return " ".join(words) in whole


def is_dont_know(text: str) -> bool:
    """True when the answer says "don't know", "no idea", "skip", "pass", "idk", ...

    "skip"/"pass"/"next" count only as (nearly) the whole answer, so "I skip breakfast" is not
    a skip.
    """
    return _dont_know_norm(normalize(text).text)


def _not_read(text: str, extras: dict[str, Any] | None = None) -> Parsed:
    status: Status = "dont_know" if _dont_know_norm(text) else "unparsed"
    return Parsed(None, status, dict(extras or {}))


# =========================================================================== shared helpers


def recent_quantity(
    text: str, qs: Sequence[Quantity], clauses: list[Clause] | None = None
) -> Quantity:
    """The figure to believe among several answers to one question.

    The last one in a clause with a recency marker ("this week", "lately", "now"...) if
    any ("usually 7 but 5 this week" -> 5), else the first one mentioned.
    """
    if len(qs) == 1:
        return qs[0]
    return latest_recent(text, qs, clauses) or qs[0]


def latest_recent(
    text: str, qs: Sequence[Quantity], clauses: list[Clause] | None = None
) -> Quantity | None:
    """The last figure in a clause with a recency marker, or None."""
    clauses = clauses if clauses is not None else clauses_for(text)
    markers = matcher("recency_markers").find(text)
    recent = []
    for q in qs:
        clause = clause_of(clauses, q.start)
        if clause and any(clause.start <= h.start < clause.end for h in markers):
            recent.append(q)
    return recent[-1] if recent else None


def frequency(qs: Sequence[Quantity]) -> Quantity | None:
    """The "N times/runs/days a week" figure, if any."""
    for q in qs:
        if q.unit in ("times", "runs") and q.period in (None, "week"):
            return q
        if q.unit == "days" and q.period == "week":
            return q
    return None


EACH_AFTER_RE = re.compile(r"^\s*(?:each|per\s+run|a\s+run|a\s+go|apiece|every\s+time)\b")
_PER_RUN_BETWEEN_RE = re.compile(
    r"^\s*(?:(?:runs?|jogs?|sessions?|outings?|each|at\s+a\s+time|about|around|roughly|maybe)\s*)*$"
)
_PER_RUN_AFTER_RE = re.compile(
    r"^\s*(?:(?:runs?|sessions?|outings?)\s+)?(?:a\s+week\s+)?(?:of|x|at|@)\b|^\s*x"
)


def multiplies(text: str, dist: Quantity, freq: Quantity) -> bool:
    """True when ``dist`` is a per-run distance done ``freq`` times.

    "8 miles 4 times a week", "5k three times a week", "3 runs of 10k", "3x10k" multiply;
    "4 times a week, about 40 km" and "30k over 4 runs" do not.
    """
    if dist.end <= freq.start:
        return bool(_PER_RUN_BETWEEN_RE.match(text[dist.end:freq.start]))
    between = text[freq.end:dist.start]
    if freq.unit == "times" and not between.strip():
        return True  # "3x10k", "3 x 10k"
    if EACH_AFTER_RE.match(text[dist.end:dist.end + 20]):
        return True  # "3 runs a week, about 10k each"
    return bool(_PER_RUN_AFTER_RE.match(between))


def weekly_km_from(text: str, dist: Quantity, freq: Quantity | None) -> tuple[float, float | None]:
    """Weekly km for a distance figure, with the runs per week used (if any)."""
    km = to_km(dist.value, dist.unit if dist.unit in DISTANCE_UNITS else None)
    runs = freq.value if freq else None
    if dist.period:
        return per_week(km, dist.period), runs
    if freq and multiplies(text, dist, freq):
        return km * freq.value, runs
    return km, runs


def _round(value: float, places: int = 2) -> float:
    return round(value + 0.0, places)


# =========================================================================== weekly distance


_DAY_NAME_RE = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)s?\b"
)


def parse_weekly_distance(text: str) -> Parsed:
    """Kilometres run per week.

    Understands units (km, k, kms, klicks, miles, mi, mls...), rates ("50 km/week", "30 mpw",
    "6 miles a day" -> x7, "120 km a month"), per-run figures ("8 miles 4 times a week",
    "5k three times a week", "3 runs of 10k"), ranges (midpoint), number words and a bare
    number (taken as km). "from 20 to 35" gives 35 with ``previous_weekly_distance_km`` 20.
    Of several figures the recent one wins ("usually 30, 45 this week" -> 45), but runs
    listed by day are added up ("10k on Tuesday, 5k Thursday and 15k on Sunday" -> 30).
    ``extras``: ``runs_per_week`` when said. Time ("2 hours a week") and anything outside
    0 < km <= 400 is "unparsed".
    """
    nt = normalize(text)
    t = nt.text
    qs = scan(t)
    freq = frequency(qs)
    extras: dict[str, Any] = {}
    if freq is not None:
        extras["runs_per_week"] = freq.value
    dists = [q for q in qs if q.unit in DISTANCE_UNITS]
    if not dists:
        dists = [q for q in qs if q.unit is None]
    if not dists:
        return _not_read(t, extras)
    dist = recent_quantity(t, dists)
    km, _ = weekly_km_from(t, dist, freq)
    singles = [q for q in dists if q.b is None and q.period is None]
    if len(singles) >= 2 and len(singles) == len(dists) and len(_DAY_NAME_RE.findall(t)) >= 2:
        # "10k on Tuesday, 5k Thursday and 15k on Sunday": the week's runs, added up
        km = sum(to_km(q.value, q.unit if q.unit in DISTANCE_UNITS else None) for q in singles)
    if dist.is_from_to:
        extras["previous_weekly_distance_km"] = _round(to_km(dist.a, dist.unit))
    if not 0 < km <= MAX_WEEKLY_KM:
        return Parsed(None, "unparsed", extras)
    return Parsed(_round(km), "ok", extras)


# =========================================================================== distance change

_MULTIPLIERS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(?:doubled|doubling|double|twice\s+as\s+(?:much|far)|2\s+times\s+as\s+(?:much|far)|x\s*2)\b"
                r"(?![\s-]*(?:run|session|day|header))"), 100.0),
    (re.compile(r"\b(?:tripled|tripling|triple|3\s+times\s+as\s+(?:much|far)|x\s*3)\b"), 200.0),
    (re.compile(r"\b(?:quadrupled|quadruple|4\s+times\s+as\s+(?:much|far)|x\s*4)\b"), 300.0),
    (re.compile(r"\b(?:halved|halving|in\s+half|half\s+as\s+(?:much|far)|half\s+what)\b"), -50.0),
]
_BY_FRACTION_RE = re.compile(
    r"\bby\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+)?(?:a|1|one)?\s*"
    r"(half|third|quarter|fifth)\b"
)
_FRACTIONS = {"half": 50.0, "third": 33.3, "quarter": 25.0, "fifth": 20.0}
_N_TIMES_MORE_RE = re.compile(rf"\b({NUM})\s+times\s+(?:as\s+much|more|as\s+far)\b")
_ORDINALS = {
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7,
}
_ORDINAL_RUN_RE = re.compile(
    r"\b(?:a|an|my)?\s*(second|third|fourth|fifth|sixth|seventh|2nd|3rd|4th|5th|6th|7th)\s+"
    r"(?:weekly\s+|easy\s+|short\s+|long\s+)?(?:run|session|day|outing|jog)\b"
)
_EXTRA_RUN_RE = re.compile(
    r"\b(?:an?|1|another|one)\s+(?:extra|more|additional|further|other|new)?\s*"
    r"(?:weekly\s+|easy\s+|short\s+|long\s+)?(?:run|session|running\s+day|day|outing|jog)s?\b"
    r"|\b(?:another|extra|additional)\s+(?:run|session|day|outing|jog)\b"
)
_APPROX = r"(?:about\s+|around\s+|roughly\s+|approx(?:imately)?\s+|~\s*)?"
_BEFORE_FROM_RE = re.compile(rf"\b(?:from|was|were|used\s+to\s+(?:be|do|run))\s+{_APPROX}$")
_BEFORE_TO_RE = re.compile(rf"\b(?:to|now|currently|these\s+days|at)\s+{_APPROX}$")
_BEFORE_BY_RE = re.compile(rf"\bby\s+{_APPROX}$")


_NOT_DISTANCE_OR_RUNS = frozenset({"clock", "h", "min", "weight", "months", "years", "weeks"})


def _before(text: str, q: Quantity, width: int = 30) -> str:
    return text[max(0, q.start - width):q.start]


def direction_of(text: str) -> str | None:
    """"up", "down", "unchanged" (every direction word negated: "haven't increased") or None."""
    hits = find_labels(text, matcher("direction"))
    live = [h for h in hits if not h.negated]
    if live:
        return live[0].label
    return "unchanged" if hits else None


def _is_steady(text: str) -> bool:
    hits = find_labels(text, matcher("steady", "phrases"))
    if any(not h.negated for h in hits):
        return True
    words = re.sub(r"[^\w\s'/]", " ", text).split()
    whole = {str(p).lower() for p in vocab("steady", "whole_answer") or []}
    return " ".join(words) in whole


def _pct(previous: float, current: float) -> float:
    return round((current - previous) / previous * 100, 1)


def _distance_unit(q: Quantity, other: Quantity | None = None) -> str | None:
    unit = q.unit if q.unit in DISTANCE_UNITS else None
    if unit is None and other is not None and other.unit in DISTANCE_UNITS:
        unit = other.unit
    return unit


def _change_from_pair(
    first: Quantity, second: Quantity | None, a: float, b: float
) -> Parsed | None:
    units = {first.unit, second.unit if second else first.unit} - {None}
    if units and units <= RUN_UNITS:
        if a <= 0:
            return None
        return Parsed(_pct(a, b), "ok", {"runs_per_week": b, "previous_runs_per_week": a})
    if units - DISTANCE_UNITS:
        return None
    unit = _distance_unit(first, second) if second else _distance_unit(first)
    prev_km, cur_km = to_km(a, unit), to_km(b, unit)
    if prev_km <= 0:
        return None
    return Parsed(_pct(prev_km, cur_km), "ok", {
        "previous_weekly_distance_km": _round(prev_km),
        "weekly_distance_km": _round(cur_km),
    })


def change_from_text(
    t: str, qs: Sequence[Quantity], current_weekly_km: float | None = None,
    runs_per_week: float | None = None, ranges_as_change: bool = True,
) -> Parsed:
    """Distance change read from normalised text ``t`` ("ok" or "unparsed"); see
    :func:`parse_distance_change`. With ``ranges_as_change`` (an answer to the change
    question) "20-25" reads as "from 20 to 25"; otherwise only "from 20 to 25" does."""
    direction = direction_of(t)
    sign = -1.0 if direction == "down" else 1.0
    extras: dict[str, Any] = {}
    if direction in ("up", "down"):
        extras["direction"] = direction

    # 1. percentages: "up 20%", "20 percent more", "down 10%"
    pcts = [q for q in qs if q.unit == "pct"]
    if pcts:
        q = recent_quantity(t, pcts)
        return Parsed(round(sign * abs(q.value), 1), "ok", extras)

    # 2. multipliers: doubled, tripled, halved, "3 times as much"
    for pattern, pct in _MULTIPLIERS:
        m = pattern.search(t)
        if m and not is_negated_span(t, m.start(), m.end()):
            return Parsed(pct, "ok", extras)
    m = _BY_FRACTION_RE.search(t)
    if m:
        down = direction == "down" or (direction is None and m.group(1) == "half")
        return Parsed(-_FRACTIONS[m.group(1)] if down else _FRACTIONS[m.group(1)], "ok", extras)
    m = _N_TIMES_MORE_RE.search(t)
    if m and float(m.group(1)) > 1:
        return Parsed(round((float(m.group(1)) - 1) * 100, 1), "ok", extras)

    # 3. from/to: "went from 20 to 35", "dropped from 40 to 30", "3 to 5 runs a week"
    usable = [q for q in qs if q.unit not in _NOT_DISTANCE_OR_RUNS]
    for q in usable:
        as_change = ranges_as_change and not _BEFORE_BY_RE.search(_before(t, q, 12))
        if q.b is not None and (q.is_from_to or as_change):
            found = _change_from_pair(q, None, q.a, q.b)
            if found:
                return found
    froms = [q for q in usable if q.b is None and _BEFORE_FROM_RE.search(_before(t, q))]
    tos = [q for q in usable if q.b is None and _BEFORE_TO_RE.search(_before(t, q))]
    if froms and tos:
        found = _change_from_pair(froms[0], tos[0], froms[0].a, tos[0].a)
        if found:
            return found

    # 4. runs: "added a fourth run", "went from 3 to 5 runs" (above), "added an extra run"
    m = _ORDINAL_RUN_RE.search(t)
    if m and direction != "down":
        n = _ORDINALS[m.group(1)]
        return Parsed(round(100 / (n - 1), 1), "ok",
                      {"runs_per_week": float(n), "previous_runs_per_week": float(n - 1)})
    moved = direction in ("up", "down")
    run_deltas = [q for q in usable if q.b is None and q.unit in RUN_UNITS and q.period is None]
    delta_runs: float | None = run_deltas[0].value if run_deltas and moved else None
    if delta_runs is None and moved and _EXTRA_RUN_RE.search(t):
        delta_runs = 1.0

    # 5. absolute figures: "increased by 10 km", "up from 15", "up to 40"
    dists = [q for q in usable if q.b is None and (q.unit in DISTANCE_UNITS or q.unit is None)]
    prev = next((q for q in dists if q in froms), None)
    cur = next((q for q in dists if q in tos), None)
    deltas = [q for q in dists if q is not prev and q is not cur]
    if prev is not None:
        prev_km = to_km(prev.value, _distance_unit(prev))
        extras["previous_weekly_distance_km"] = _round(prev_km)
        if current_weekly_km and prev_km > 0:
            return Parsed(_pct(prev_km, current_weekly_km), "ok", extras)
    if cur is not None:
        extras["weekly_distance_km"] = _round(to_km(cur.value, _distance_unit(cur)))
    if prev is None and cur is None and deltas and moved and delta_runs is None:
        delta_km = sign * to_km(deltas[0].value, _distance_unit(deltas[0]))
        extras["distance_change_km"] = _round(delta_km)
        if current_weekly_km:
            previous = current_weekly_km - delta_km
            if previous > 0:
                extras["previous_weekly_distance_km"] = _round(previous)
                return Parsed(_pct(previous, current_weekly_km), "ok", extras)
        return Parsed(None, "unparsed", extras)
    if delta_runs is not None and prev is None and cur is None:
        key = "added_runs" if direction == "up" else "dropped_runs"
        extras[key] = delta_runs
        if runs_per_week:
            before = runs_per_week - sign * delta_runs
            if before > 0:
                return Parsed(_pct(before, runs_per_week), "ok", extras)
        return Parsed(None, "unparsed", extras)
    if prev is not None or cur is not None:
        return Parsed(None, "unparsed", extras)

    # 6. steady: "same as always", "no change", "haven't increased it"
    if _is_steady(t) or direction == "unchanged":
        steady_extras: dict[str, Any] = {}
        if len(dists) == 1 and dists[0].value > 0:
            steady_extras["weekly_distance_km"] = _round(
                to_km(dists[0].value, _distance_unit(dists[0])))
        return Parsed(0.0, "ok", steady_extras)
    bare = [q for q in usable if q.unit is None and q.b is None]
    if bare and direction is None:
        if len(bare) == 1 and bare[0].value == 0:
            return Parsed(0.0, "ok", {})
        extras["number"] = bare[0].value
    return Parsed(None, "unparsed", extras)


def parse_distance_change(
    text: str, current_weekly_km: float | None = None, runs_per_week: float | None = None
) -> Parsed:
    """Percentage change of weekly distance over recent weeks (negative when it went down).

    - steady answers ("steady", "no change", "same as always", "haven't increased it", "no") -> 0.0
      ("same, 30 km" also gives extras ``weekly_distance_km``)
    - percentages: "up 20%" -> 20, "20 percent more" -> 20, "down 10%" -> -10 (no direction: up)
    - multipliers: "doubled" -> 100, "tripled" -> 200, "halved" -> -50, "up by a third" -> 33.3
    - from/to: "went from 20 to 35" -> 75.0 with extras ``previous_weekly_distance_km`` 20 and
      ``weekly_distance_km`` 35 (miles converted); "dropped from 40 to 30" -> -25
    - runs: "I added a fourth run" -> 33.3; "went from 3 to 5 runs a week" -> 66.7
      (extras ``runs_per_week``/``previous_runs_per_week``); "added a run" needs
      ``runs_per_week`` (the count after the change): 1/(n-1); without it "unparsed" with
      extras ``added_runs``
    - absolute: "increased by 10 km" needs ``current_weekly_km`` (previous = current - 10);
      "up from 15" needs it too (previous = 15). Without it the answer is "unparsed" with
      extras ``distance_change_km`` or ``previous_weekly_distance_km`` for later use.
      A bare unit-less figure counts as km.
    - no figure ("a lot more", "cut back") -> "unparsed" with extras ``direction`` "up"/"down"
    """
    nt = normalize(text)
    t = nt.text
    result = change_from_text(t, scan(t), current_weekly_km, runs_per_week)
    if result.status == "ok":
        return result
    if not any(k in result.extras for k in ("previous_weekly_distance_km", "distance_change_km",
                                            "weekly_distance_km", "added_runs", "dropped_runs",
                                            "direction")):
        return _not_read(t, result.extras)
    return result


# =========================================================================== sleep

_MIDNIGHT_RE = re.compile(r"\bmidnight\b")
_MIDDAY_RE = re.compile(r"\b(?:noon|midday)\b")
_BED_WORDS_RE = re.compile(r"\b(?:bed|sleep|asleep|lights\s+out|turn\s+in|crash|kip|night)\b")
_WAKE_WORDS_RE = re.compile(r"\b(?:up|wake|woke|waking|alarm|rise|morning|get\s+up|awake)\b")


def sleep_value(q: Quantity) -> float:
    """Hours of sleep a night for an hours/minutes/bare figure ("less than 6" -> 5.5)."""
    value = q.value
    if q.unit == "min":
        value /= 60
    if q.period == "week":
        value /= 7
    if q.b is None and q.qualifier == "lt":
        value -= 0.5
    elif q.b is None and q.qualifier == "gt":
        value += 0.5
    return value


def _clock_24(q: Quantity, text: str) -> float:
    value = q.value % 12
    suffix = text[q.start:q.end]
    if "p" in suffix and re.search(r"p\.?m", suffix):
        value += 12
    return value


def sleep_from_clock(t: str, qs: Sequence[Quantity], strict: bool = False) -> float | None:
    """Hours between a bed time and a wake time ("bed at 11, up at 6" -> 7).

    With ``strict`` both times must be marked by bed/wake words; otherwise the first and last
    clock times are taken.
    """
    clocks = [q for q in qs if q.unit == "clock"]
    if len(clocks) < 2:
        return None
    bed = wake = None
    for q in clocks:
        before = t[max(0, q.start - 25):q.start]
        if bed is None and _BED_WORDS_RE.search(before):
            bed = q
        elif wake is None and _WAKE_WORDS_RE.search(before):
            wake = q
    if bed is None or wake is None:
        if strict:
            return None
        bed, wake = clocks[0], clocks[-1]
    has_meridiem = any(re.search(r"[ap]\.?m", t[q.start:q.end]) for q in (bed, wake))
    if has_meridiem:
        hours = (_clock_24(wake, t) - _clock_24(bed, t)) % 24
    else:
        hours = (wake.value - bed.value) % 12
    return hours or None


def parse_sleep_hours(text: str) -> Parsed:
    """Hours of sleep a night.

    "7", "7 hours", "8h", "6.5", "six and a half", "seven-ish", "not much, maybe 5",
    "barely 4 hours" -> 4; ranges give the midpoint ("5 or 6 hours", "between 6 and 7",
    "7-8 hrs"); "less than 6" / "under 6" -> 5.5 and "more than 8" -> 8.5 (half an hour
    beyond the bound); "40 hours a week" -> per night; "bed at 11, up at 6" -> 7.
    Of several figures the one said to be recent wins ("usually 7 but 5 this week" -> 5),
    else the first. Outside 0 < hours <= 14 -> "unparsed".
    """
    nt = normalize(text)
    nt.sub(_MIDNIGHT_RE, lambda m: "12am")
    nt.sub(_MIDDAY_RE, lambda m: "12pm")
    t = nt.text
    qs = scan(t)
    timed = [q for q in qs if q.unit in ("h", "min")]
    candidates = [q for q in qs if q.unit in ("h", "min", None)]
    hours: float | None = None
    if candidates:
        # the recent figure, else the first one said in hours, else the first one
        chosen = latest_recent(t, candidates) or (timed or candidates)[0]
        hours = sleep_value(chosen)
    else:
        hours = sleep_from_clock(t, qs)
    if hours is None:
        return _not_read(t)
    if not 0 < hours <= MAX_SLEEP_HOURS:
        return Parsed(None, "unparsed", {})
    return Parsed(_round(hours), "ok", {})


# =========================================================================== diet


def diet_hits(text: str, answer: bool = True) -> list[Hit]:
    """Diet hits in normalised text, negation applied and flipped where the vocabulary says
    ("I don't drink much water" -> low_fluids, "cut out bread" -> low_carb); negated hits of
    other ids are dropped. ``answer`` adds the answer-only phrases ("normal", "healthy")."""
    flips = vocab("diet", "negated_as") or {}
    out = []
    for hit in find_labels(text, diet_matcher(answer)):
        if not hit.negated:
            out.append(hit)
        elif hit.label in flips:
            out.append(Hit(str(flips[hit.label]), hit.start, hit.end, hit.gaps, False))
    return out


def parse_diet(text: str) -> Parsed:
    """Diet ids (see ARCHITECTURE.md) mentioned in the answer, in order of mention.

    "keto"/"cutting carbs"/"no bread or pasta" -> low_carb; "veggie" -> vegetarian; "vegan";
    "skipping meals"/"calorie deficit" -> under_eating; "barely drink" -> low_fluids;
    "drink loads of water" -> good_fluids; "a few pints" -> alcohol; "normal"/"balanced"/
    "pretty healthy" -> balanced; carb foods ("lots of pasta and rice") -> carb_ok.
    Negation is respected: "no alcohol", "not keto" (-> carb_ok), "I don't skip meals".
    An answer that only denies factors ("no alcohol") is "ok" with an empty list and extras
    ``negated`` (the denied ids). Nothing recognised -> "unparsed" (or "dont_know").
    """
    t = normalize(text).text
    labels = _unique(h.label for h in diet_hits(t, answer=True))
    if labels:
        return Parsed(labels, "ok", {})
    denied = _unique(h.label for h in find_labels(t, diet_matcher(True)) if h.negated)
    if denied:
        return Parsed([], "ok", {"negated": denied})
    return _not_read(t)


# =========================================================================== shoes

A_PERIOD_RE = re.compile(r"\b(?:a|an|one)\s+(year|month|week)s?\b")
_RATE_BEFORE_RE = re.compile(r"(?:\d\s*[a-z%']*|\bper|\bonce|\btwice|\bdays?|\btimes)\s*$")


def one_period(m: re.Match[str]) -> str:
    """ "a year" -> "1 year" for shoe ages, but not the "a week" of "50 km a week"."""
    if _RATE_BEFORE_RE.search(m.string[:m.start()]):
        return m.group(0)
    return f"1 {m.group(1)}"


def shoe_age_months(qs: Sequence[Quantity]) -> tuple[float | None, Quantity | None]:
    """Age of the shoes in months from a years/months/weeks/days figure (not a rate)."""
    for q in qs:
        if q.unit in AGE_UNITS and q.period is None:
            months = to_months(q.value, q.unit)
            if months is not None:
                return months, q
    return None, None


@lru_cache(maxsize=1)
def _shoe_matcher() -> PhraseMatcher:
    keys = ("new", "new_vague", "old_vague")
    return PhraseMatcher({key: vocab("shoes", key) or [] for key in keys})


def shoe_phrase_hits(text: str) -> list[Hit]:
    """Shoe phrases ("new", "fairly new", "for ages") with negation and "I need new ones"
    (future cues) applied."""
    hits = find_labels(text, _shoe_matcher())
    future = matcher("shoes", "future_cues").find(text)
    out = []
    for hit in hits:
        if hit.label in ("new",) and any(
            f.end <= hit.start and _words_between(text, f.end, hit.start) <= 3 for f in future
        ):
            continue
        out.append(hit)
    return out


def parse_shoes(text: str, weekly_distance_km: float | None = None) -> Parsed:
    """Kilometres on the runner's current shoes.

    "700 km", "about 400 miles", a bare number (km). "they're new"/"brand new" -> 0.0 with
    extras ``shoe_age_months`` 0. An age ("2 years old", "6 months", "had them a year")
    goes in extras ``shoe_age_months``; with no distance given the distance is estimated as
    ``weekly_distance_km`` x weeks (extras ``estimated`` True) when the weekly distance is
    known (or said in the answer: "50 km a week for 6 months"), otherwise the status is "ok"
    with value None: the age is known, the distance is not. "6 months old and about 500k
    on them" gives both. Vague answers ("same pair for ages", "fairly new") -> "unparsed"
    with extras ``shoe_age_vague`` True and ``shoe_wear`` "high"/"low". Dates ("bought them
    in March") are not read. Outside 0 <= km <= 5000 -> "unparsed".
    """
    nt = normalize(text)
    nt.sub(A_PERIOD_RE, one_period)
    t = nt.text
    qs = scan(t)
    extras: dict[str, Any] = {}
    age, age_q = shoe_age_months(qs)
    rates = [q for q in qs if q.unit in DISTANCE_UNITS and q.period]
    dists = [q for q in qs if q.unit in DISTANCE_UNITS and not q.period]
    if not dists:
        dists = [q for q in qs if q.unit is None and q is not age_q]
    hits = [h for h in shoe_phrase_hits(t) if not h.negated]
    labels = {h.label for h in hits}
    if age is None and "new" in labels and "new_vague" not in labels:
        age = 0.0
    if age is not None:
        extras["shoe_age_months"] = _round(age)
    km: float | None = None
    if dists:
        q = recent_quantity(t, dists)
        km = to_km(q.value, q.unit if q.unit in DISTANCE_UNITS else None)
        if not 0 <= km <= MAX_SHOE_KM:
            return Parsed(None, "unparsed", extras)
    elif age is not None:
        weekly = weekly_distance_km
        if weekly is None and rates:
            weekly = per_week(to_km(rates[0].value, rates[0].unit), rates[0].period)
        if age == 0:
            km = 0.0
        elif weekly:
            km = min(weekly * age * WEEKS_PER_MONTH, MAX_SHOE_KM)
            extras["estimated"] = True
        else:
            return Parsed(None, "ok", extras)
    if km is not None:
        return Parsed(_round(km), "ok", extras)
    if "old_vague" in labels or "new_vague" in labels:
        extras["shoe_age_vague"] = True
        extras["shoe_wear"] = "high" if "old_vague" in labels else "low"
        return Parsed(None, "unparsed", extras)
    return _not_read(t, extras)
