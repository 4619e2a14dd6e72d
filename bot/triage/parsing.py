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
import weakref
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache, wraps
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence, TypeVar

from bot import strict_yaml
from bot.text_limits import OverBudget, budget, check_budget
from bot.triage.numbers import (
    AGE_UNITS,
    DISTANCE_UNITS,
    NUM,
    WEEKS_PER_MONTH,
    Clause,
    LinearMatch,
    LinearPattern,
    Quantity,
    before_matches,
    clause_of,
    clause_spans,
    clear_shadows,
    normalize,
    not_followed_by,
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


ParserT = TypeVar("ParserT", bound=Callable[..., Parsed])


def bounded(parse: ParserT) -> ParserT:
    """Run an answer parser under the per-message budget (bot.text_limits): an answer whose
    reading would go over it is "unparsed" (asked again) with extras ``over_budget`` True,
    instead of holding the action server. The parsers are linear, so only a machine far
    slower than expected, or a regression, gets there."""

    @wraps(parse)
    def bounded_parse(*args: Any, **kwargs: Any) -> Parsed:
        warm_up()  # the first use compiles the vocabulary: not part of any message's budget
        try:
            with budget():
                return parse(*args, **kwargs)
        except OverBudget:
            return Parsed(None, "unparsed", {"over_budget": True})

    return bounded_parse  # type: ignore[return-value]


# =========================================================================== vocabulary


@lru_cache(maxsize=1)
def load_vocabulary() -> dict[str, Any]:
    """The answer vocabulary (``bot/knowledge/answer_vocabulary.yml``), read once."""
    from bot.triage.vocabulary_schema import check_vocabulary

    with VOCABULARY_PATH.open(encoding="utf-8") as handle:
        data = strict_yaml.load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{VOCABULARY_PATH} must hold a mapping")
    check_vocabulary(data, str(VOCABULARY_PATH))
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


def phrase_regex(phrase: str) -> str:
    """The regular expression of a vocabulary phrase, without what must not come before
    or after it (syntax described at the top of the YAML file)."""
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
    return body


def compile_phrase(phrase: str) -> LinearPattern:
    """Pattern for a vocabulary phrase, as a whole word or words: Python's
    ``(?<![a-z0-9']){phrase_regex}(?![a-z0-9])``.

    Run by RE2 (linear time): the "..." gap has two quantified parts that can match the
    same characters (a "-" is in both classes), which took Python's backtracking `re`
    time growing like n^6.5 on "drink ------...".
    """
    return LinearPattern(phrase_regex(phrase), prev_not="a-z0-9'", next_not="a-z0-9")


def required_literal(phrase: str) -> str:
    """The longest piece of text every match of ``phrase`` contains ("" when none): a
    phrase whose piece is not in a text cannot match it, so its pattern is not run."""
    best = ""
    for token in str(phrase).lower().split():
        if token == "..." or (token.startswith("(") and token.endswith(")") and len(token) > 2):
            continue
        if token in ("can't", "won't", "ain't"):
            pieces = [{"can't": "can", "won't": "w", "ain't": "ain"}[token]]
        elif token.endswith("n't") and len(token) > 3:
            pieces = [token[:-3]]  # "{stem}n't" or "{stem} not"
        else:
            pieces = re.split(r"['-]", token)  # "'" is optional, "-" may be a space or nothing
        for piece in pieces:
            if len(piece) > len(best):
                best = piece
    return best


@dataclass(frozen=True)
class Hit:
    """A vocabulary phrase found in (normalised) text."""

    label: str
    start: int
    end: int
    gaps: tuple[tuple[int, int], ...] = ()
    negated: bool = False


class PhraseMatcher:
    """Finds labelled phrases; where matches overlap the longest wins.

    Linear in the text: each phrase's pattern runs on RE2 (only when the text contains
    the phrase's :func:`required_literal`), and overlaps are settled on a map of the
    text's characters rather than pair by pair.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        self._patterns: list[tuple[str, LinearPattern, str, tuple[str, ...]]] = []
        for label, items in phrases.items():
            for phrase in items or []:
                pattern = compile_phrase(str(phrase))
                gaps = tuple(name for name in pattern.groupindex if name.startswith("gap"))
                self._patterns.append((str(label), pattern, required_literal(str(phrase)), gaps))
        self._candidates: dict[str, list[Hit]] = {}
        _MATCHERS.add(self)

    def candidates(self, text: str) -> list[Hit]:
        """Every match of every phrase, longest first (the last few texts are remembered)."""
        found = self._candidates.get(text)
        if found is not None:
            return found
        found = []
        for label, pattern, literal, gap_names in self._patterns:
            if literal not in text:
                continue
            check_budget()
            for m in pattern.finditer(text):
                found.append(Hit(label, m.start(), m.end(), tuple(m.span(n) for n in gap_names)))
        found.sort(key=lambda h: (-(h.end - h.start), h.start))
        if len(self._candidates) >= 8:
            self._candidates.clear()
        self._candidates[text] = found
        return found

    def find(self, text: str, blocked: Sequence[tuple[int, int]] = ()) -> list[Hit]:
        """Non-overlapping hits in ``text`` (not overlapping ``blocked`` spans), by position."""
        candidates = self.candidates(text)
        if not candidates:
            return []
        used = bytearray(len(text) + 1)
        for s, e in blocked:
            s, e = max(s, 0), min(e, len(text))
            if s < e:
                used[s:e] = b"\x01" * (e - s)
        taken: list[Hit] = []
        for hit in candidates:
            if hit.start < hit.end and used.find(1, hit.start, hit.end) >= 0:
                continue
            taken.append(hit)
            used[hit.start:hit.end] = b"\x01" * (hit.end - hit.start)
        return sorted(taken, key=lambda h: h.start)


_MATCHERS: "weakref.WeakSet[PhraseMatcher]" = weakref.WeakSet()


def clear_caches() -> None:
    """Forget what was remembered about recent texts (benchmarks time cold messages)."""
    for m in list(_MATCHERS):
        m._candidates.clear()
    for cached in (clauses_for, _word_runs, _shoe_phrase_hits, _after_frequency):
        cached.cache_clear()
    clear_shadows()


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


@lru_cache(maxsize=16)
def clauses_for(text: str) -> list[Clause]:
    """Clauses of normalised text, using the vocabulary's clause-break words (read-only:
    the last few texts' lists are shared)."""
    return clause_spans(text, vocab("clause_break_words") or [])


# Python's `re` on purpose: one character class repeated cannot backtrack, each character
# is read once (and it is several times faster than a Python loop over RE2 matches).
_WORD_RUN_RE = re.compile(r"[\w']+")


class _WordRuns:
    """Where the runs of word characters (and "'") of a text start and end, in order."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for m in _WORD_RUN_RE.finditer(text):
            self.starts.append(m.start())
            self.ends.append(m.end())

    def between(self, start: int, end: int) -> int:
        """The number of words in ``text[start:end]`` (a word cut by either end counts)."""
        if start >= end:
            return 0
        return max(0, bisect_left(self.starts, end) - bisect_right(self.ends, start))


@lru_cache(maxsize=16)
def _word_runs(text: str) -> _WordRuns:
    return _WordRuns(text)


def _words_between(text: str, start: int, end: int) -> int:
    r"""``len(re.findall(r"[\w']+", text[start:end]))`` in O(log n)."""
    return _word_runs(text).between(start, end)


def _first_close_cue(words: _WordRuns, cue_ends: Sequence[int], lo: int, hi: int, point: int,
                     window: int) -> int:
    """The first index in ``[lo, hi)`` whose cue ends at most ``window`` words before
    ``point`` (``hi`` if none): the further a cue ends from the point the more words lie
    between, so a binary search finds it."""
    while lo < hi:
        mid = (lo + hi) // 2
        if words.between(cue_ends[mid], point) <= window:
            hi = mid
        else:
            lo = mid + 1
    return lo


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
    cues = matcher("negation", "cues").find(text)  # in order and not overlapping
    if not cues:
        return [Hit(h.label, h.start, h.end, h.gaps, False) for h in hits]
    words = _word_runs(text)
    starts = [c.start for c in cues]
    ends = [c.end for c in cues]
    # free[k]: how many of the first k cues are not inside another phrase
    others = sorted((h.start, h.end) for h in (*hits, *protected))
    free = [0]
    j, reach = 0, -1
    for cue in cues:
        while j < len(others) and others[j][0] <= cue.start:
            reach = max(reach, others[j][1])
            j += 1
        free.append(free[-1] + (0 if reach >= cue.end else 1))
    result = []
    for hit in hits:
        clause = clause_of(clauses, hit.start)
        c_start = clause.start if clause else 0
        # cues inside the phrase's "..." gaps
        count = sum(max(0, bisect_right(ends, ge) - bisect_left(starts, gs))
                    for gs, ge in hit.gaps if gs >= 0)
        # free cues in the clause, before the phrase, at most `window` words away
        lo, hi = bisect_left(starts, c_start), bisect_right(ends, hit.start)
        if lo < hi:
            first = _first_close_cue(words, ends, lo, hi, hit.start, window)
            count += free[hi] - free[first]
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


@cache
def warm_up() -> None:
    """Load the vocabulary and compile every pattern of this module now (once), so that
    no message's budget pays for it."""
    for path in (("negation", "cues"), ("dont_know", "anywhere"), ("recency_markers",),
                 ("direction",), ("steady", "phrases"), ("shoes", "future_cues")):
        matcher(*path)
    diet_matcher(True)
    diet_matcher(False)
    _shoe_matcher()
    clauses_for("warm up")


# =========================================================================== don't know



class _KeepWords(dict):  # type: ignore[type-arg]
    """str.translate table: what is neither a word character (Python's \\w), white space,
    "'" nor "/" becomes a space; each character is looked at once, then remembered."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        value = code if (ch.isalnum() or ch.isspace() or ch in "_'/") else 32
        if len(self) > 20000:
            self.clear()
        self[code] = value
        return value


_KEEP_WORDS = _KeepWords()


def _words(text: str) -> list[str]:
    r"""``re.sub(r"[^\w\s'/]", " ", text).split()`` in one pass of str.translate."""
    return text.translate(_KEEP_WORDS).split()



def _dont_know_norm(text: str) -> bool:
    if matcher("dont_know", "anywhere").find(text):
        return True
    filler = _lowered("dont_know", "filler_words")
    words = [w for w in _words(text) if w not in filler]
    if not words:
        return False
    return " ".join(words) in _lowered("dont_know", "whole_answer")


@cache
def _lowered(*path: str) -> frozenset[str]:
    """A vocabulary list as a set of lower-case strings."""
    return frozenset(str(p).lower() for p in vocab(*path) or [])


def is_dont_know(text: str) -> bool:
    """True when the answer says "don't know", "no idea", "skip", "pass", "idk", ...

    "skip"/"pass"/"next" count only as (nearly) the whole answer, so "I skip breakfast" is not
    a skip.
    """
    return _dont_know_norm(normalize(text).text)


_THANKS = frozenset({"thanks", "thank", "you", "cheers", "ta"})


def answered_in_words(slot: str, text: str) -> bool:
    """The reply answers the core question for ``slot`` in words, with no figure
    (answer_vocabulary.yml ``answered_in_words``): it names one of the question's
    causes ("the baby's up three times a night" to the sleep question), or it is one of
    the question's whole answers ("fine" to the shoe question)."""
    entry = vocab("answered_in_words", slot)
    if not entry:
        return False
    t = normalize(text).text
    # "ok" and "okay" are filler elsewhere but a whole answer here: try the words with
    # and without the filler
    words = [w for w in _words(t) if w not in _THANKS]
    filler = _lowered("dont_know", "filler_words")
    spoken = {" ".join(words), " ".join(w for w in words if w not in filler)}
    if spoken & _lowered("answered_in_words", slot, "whole"):
        return True
    causes = set(entry.get("causes") or [])
    return any(hit.label in causes and not hit.negated
               for hit in find_labels(t, matcher("volunteered_causes")))


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
    markers = [h.start for h in matcher("recency_markers").find(text)]  # in order
    recent = []
    for q in qs:
        clause = clause_of(clauses, q.start)
        if clause and _any_between(markers, clause.start, clause.end):
            recent.append(q)
    return recent[-1] if recent else None


def _any_between(positions: Sequence[int], start: int, end: int) -> bool:
    """True when one of the sorted ``positions`` is in ``[start, end)``."""
    i = bisect_left(positions, start)
    return i < len(positions) and positions[i] < end


def frequency(qs: Sequence[Quantity]) -> Quantity | None:
    """The "N times/runs/days a week" figure, if any."""
    for q in qs:
        if q.unit in ("times", "runs") and q.period in (None, "week"):
            return q
        if q.unit == "days" and q.period == "week":
            return q
    return None


# Use with .match (anchored where the search starts).
EACH_AFTER_RE = LinearPattern(r"\s*(?:each|per\s+run|a\s+run|a\s+go|apiece|every\s+time)\b")
# What may stand between a per-run distance and how often ("8 miles, runs, 4 times"); with
# leftmost-longest matching, from the distance's end on: see _between_is_per_run.
_PER_RUN_BETWEEN_RE = LinearPattern(
    r"\s*(?:(?:runs?|jogs?|sessions?|outings?|each|at\s+a\s+time|about|around|roughly|maybe)\s*)*",
    longest=True,
)
# After "N times/runs" and before the distance: "3 runs of 10k", "3x10k", "4 times a week at 8k".
_PER_RUN_AFTER_RE = LinearPattern(
    r"\s*(?:(?:runs?|sessions?|outings?)\s+)?(?:a\s+week\s+)?(?:of|x|at|@)"
)
_X_AFTER_RE = LinearPattern(r"\s*x")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # Python's \w


@lru_cache(maxsize=64)
def _after_frequency(text: str, pos: int) -> tuple[int, int, int]:
    """From the end ``pos`` of an "N times/runs" figure: where the white space after it
    ends, where "runs of"/"x"/"at"... (``_PER_RUN_AFTER_RE``) ends (-1: no such words) and
    where "x" (``_X_AFTER_RE``) ends (-1). Remembered, because every distance after the
    figure asks."""
    m = _SPACES_AFTER_RE.match(text, pos)
    words = _PER_RUN_AFTER_RE.match(text, pos)
    x = _X_AFTER_RE.match(text, pos)
    return (m.end() if m else pos, words.end() if words else -1, x.end() if x else -1)


_SPACES_AFTER_RE = LinearPattern(r"\s*")


def multiplies(text: str, dist: Quantity, freq: Quantity) -> bool:
    """True when ``dist`` is a per-run distance done ``freq`` times.

    "8 miles 4 times a week", "5k three times a week", "3 runs of 10k", "3x10k" multiply;
    "4 times a week, about 40 km" and "30k over 4 runs" do not.

    Linear in the text over all the distances of a message: nothing between the two figures
    is copied. Before the figure, the words between must all be per-run words: the longest
    run of them from the distance stops at the figure's first digit (the words have none),
    so it reaches the figure exactly when all of the text between is such words. After it,
    the words after the figure ("runs of", "x", "at") are matched once per figure; they must
    end within the text between, followed by a word boundary as the text between sees it.
    """
    if dist.end <= freq.start:
        m = _PER_RUN_BETWEEN_RE.match(text, dist.end)
        return m is not None and m.end() == freq.start
    spaces_end, words_end, x_end = _after_frequency(text, freq.end)
    if freq.unit == "times" and spaces_end >= dist.start:
        return True  # "3x10k", "3 x 10k"
    if EACH_AFTER_RE.match(text[dist.end:dist.end + 20]):
        return True  # "3 runs a week, about 10k each"
    if 0 <= x_end <= dist.start:
        return True
    if 0 <= words_end <= dist.start:
        # (?:of|x|at|@)\b within text[freq.end:dist.start]: at its end, the boundary is there
        # when the last character is a word character; inside, as in the whole text
        last = _is_word_char(text[words_end - 1])
        if words_end == dist.start:
            return last
        return last != _is_word_char(text[words_end])
    return False


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


_DAY_NAME_RE = LinearPattern(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)s?\b",
    needs=["day", "weekend"],
)


@bounded
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
    unit = one_distance_unit(dists)
    if unit:
        extras["distance_unit"] = unit  # later bare figures are read in it
    if not 0 < km <= MAX_WEEKLY_KM:
        return Parsed(None, "unparsed", extras)
    return Parsed(_round(km), "ok", extras)


# =========================================================================== distance change

_MULTIPLIERS: list[tuple[LinearPattern, float]] = [
    # "doubled" but not "a double run/session/day/header"
    (LinearPattern(r"\b(?:doubled|doubling|double|twice\s+as\s+(?:much|far)|2\s+times\s+as\s+(?:much|far)"
                   r"|x\s*2)\b(?P<_end>)"
                   + not_followed_by(["run", "session", "day", "header"], skip=r"\s-"),
                   needs=["doubl", "twice", "times", "x"]), 100.0),
    (LinearPattern(r"\b(?:tripled|tripling|triple|3\s+times\s+as\s+(?:much|far)|x\s*3)\b",
                   needs=["tripl", "times", "x"]), 200.0),
    (LinearPattern(r"\b(?:quadrupled|quadruple|4\s+times\s+as\s+(?:much|far)|x\s*4)\b",
                   needs=["quadrupl", "times", "x"]), 300.0),
    (LinearPattern(r"\b(?:halved|halving|in\s+half|half\s+as\s+(?:much|far)|half\s+what)\b",
                   needs=["halv", "half"]), -50.0),
]
_BY_FRACTION_RE = LinearPattern(
    r"\bby\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|almost\s+)?(?:a|1|one)?\s*"
    r"(half|third|quarter|fifth)\b",
    needs=["by"],
)
_FRACTIONS = {"half": 50.0, "third": 33.3, "quarter": 25.0, "fifth": 20.0}
_N_TIMES_MORE_RE = LinearPattern(rf"\b({NUM})\s+times\s+(?:as\s+much|more|as\s+far)\b",
                                 needs=["times"])
_RUN_WORDS = ("run", "session", "day", "outing", "jog")
_ORDINALS = {
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7,
}
_ORDINAL_RUN_RE = LinearPattern(
    r"\b(?:a|an|my)?\s*(second|third|fourth|fifth|sixth|seventh|2nd|3rd|4th|5th|6th|7th)\s+"
    r"(?:weekly\s+|easy\s+|short\s+|long\s+)?(?:run|session|day|outing|jog)\b",
    needs=_RUN_WORDS,
)
_EVERY_BEFORE_RE = LinearPattern(r"\bevery\s+$")
_EXTRA_RUN_RE = LinearPattern(
    r"\b(?:an?|1|another|one)\s+(?:extra|more|additional|further|other|new)?\s*"
    r"(?:weekly\s+|easy\s+|short\s+|long\s+)?(?:run|session|running\s+day|day|outing|jog)s?\b"
    r"|\b(?:another|extra|additional)\s+(?:run|session|day|outing|jog)\b",
    needs=_RUN_WORDS,
)
_APPROX = r"(?:about\s+|around\s+|roughly\s+|approx(?:imately)?\s+|~\s*)?"
_BEFORE_FROM_RE = LinearPattern(rf"\b(?:from|was|were|used\s+to\s+(?:be|do|run))\s+{_APPROX}$")
_BEFORE_TO_RE = LinearPattern(rf"\b(?:to|now|currently|these\s+days|at)\s+{_APPROX}$")
_BEFORE_BY_RE = LinearPattern(rf"\bby\s+{_APPROX}$")


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
    words = _words(text)
    return " ".join(words) in _lowered("steady", "whole_answer")


def _pct(previous: float, current: float) -> float:
    return round((current - previous) / previous * 100, 1)


def _distance_unit(q: Quantity, other: Quantity | None = None,
                   default: str | None = None) -> str | None:
    """The unit of a distance: its own, else the other figure's of a pair ("from 20 to 30
    miles"), else ``default``: the unit the runner gave their weekly distance in, so that
    "up from 20" after "30 miles a week" means 20 miles."""
    unit = q.unit if q.unit in DISTANCE_UNITS else None
    if unit is None and other is not None and other.unit in DISTANCE_UNITS:
        unit = other.unit
    return unit if unit is not None else default


def one_distance_unit(qs: Sequence[Quantity]) -> str | None:
    """"mi" or "km" when these quantities' distances are in that one unit, else None
    (none given, or both)."""
    units = {q.unit for q in qs} & {"km", "mi"}
    return units.pop() if len(units) == 1 else None


def distance_unit_said(text: str) -> str | None:
    """:func:`one_distance_unit` of the distances in ``text``."""
    return one_distance_unit(scan(normalize(text).text))


def _change_from_pair(
    first: Quantity, second: Quantity | None, a: float, b: float,
    default_unit: str | None = None,
) -> Parsed | None:
    units = {first.unit, second.unit if second else first.unit} - {None}
    if units and units <= RUN_UNITS:
        if a <= 0:
            return None
        return Parsed(_pct(a, b), "ok", {"runs_per_week": b, "previous_runs_per_week": a})
    if units - DISTANCE_UNITS:
        return None
    unit = _distance_unit(first, second, default_unit)
    prev_km, cur_km = to_km(a, unit), to_km(b, unit)
    if prev_km <= 0:
        return None
    return Parsed(_pct(prev_km, cur_km), "ok", {
        "previous_weekly_distance_km": _round(prev_km),
        "weekly_distance_km": _round(cur_km),
    })


def change_span_weeks(qs: Sequence[Quantity]) -> float | None:
    """The time span a change is said over, in weeks: "over two months", "in the last 3
    weeks", "for 5 weeks" (the first duration said; None when there is none)."""
    for q in qs:
        if q.unit in AGE_UNITS and q.period is None and q.b is None and q.value > 0:
            months = to_months(q.value, q.unit)
            if months is not None:
                return round(months * WEEKS_PER_MONTH, 1)
    return None


def change_from_text(
    t: str, qs: Sequence[Quantity], current_weekly_km: float | None = None,
    runs_per_week: float | None = None, ranges_as_change: bool = True,
    default_unit: str | None = None,
) -> Parsed:
    """Distance change read from normalised text ``t`` ("ok" or "unparsed"); see
    :func:`parse_distance_change`. With ``ranges_as_change`` (an answer to the change
    question) "20-25" reads as "from 20 to 25"; otherwise only "from 20 to 25" does.
    A time span said with the change ("over two months") is kept in extras
    ``increase_weeks``: the engine judges the change as a weekly rate."""
    result = _change_from_text(t, qs, current_weekly_km, runs_per_week, ranges_as_change,
                               default_unit)
    if result.status == "ok" and "increase_weeks" not in result.extras:
        weeks = change_span_weeks(qs)
        if weeks is not None:
            result.extras["increase_weeks"] = weeks
    return result


_RUNS_BEFORE_RE = LinearPattern(r"\b(?:runs?|jogs?|sessions?)\s+(?:\w+\s+){0,2}$",
                                needs=["run", "jog", "session"])


def _one_runs_length(t: str, q: Quantity, current_weekly_km: float | None) -> bool:
    """ "some runs went from 2 to 3 miles" when the week is 35 miles: the length of a run,
    not the week's distance (a figure well under half the weekly distance, said of runs)."""
    if not current_weekly_km or q.unit not in DISTANCE_UNITS or q.period is not None:
        return False
    if to_km(q.value if q.b is None else q.b, q.unit) >= current_weekly_km / 2:
        return False
    return bool(_RUNS_BEFORE_RE.search(_before(t, q, 30)))


def _change_from_text(
    t: str, qs: Sequence[Quantity], current_weekly_km: float | None,
    runs_per_week: float | None, ranges_as_change: bool, default_unit: str | None = None,
) -> Parsed:
    direction = direction_of(t)
    sign = -1.0 if direction == "down" else 1.0
    extras: dict[str, Any] = {}
    if direction in ("up", "down"):
        extras["direction"] = direction

    # 1. percentages: "up 20%", "20 percent more", "down 10%"; a rate "10% a week" for a
    #    span compounds ("10% a week for 5 weeks": +61% in all)
    pcts = [q for q in qs if q.unit == "pct"]
    if pcts:
        q = recent_quantity(t, pcts)
        if q.period == "week":
            weeks = change_span_weeks(qs) or 1.0
            rate = sign * abs(q.value)
            total = ((1 + rate / 100.0) ** weeks - 1) * 100.0
            return Parsed(round(total, 1), "ok", {**extras, "increase_weeks": weeks})
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
    usable = [q for q in qs if q.unit not in _NOT_DISTANCE_OR_RUNS
              and not _one_runs_length(t, q, current_weekly_km)]
    for q in usable:
        as_change = ranges_as_change and not before_matches(_BEFORE_BY_RE, _before(t, q, 12))
        if q.b is not None and (q.is_from_to or as_change):
            found = _change_from_pair(q, None, q.a, q.b, default_unit)
            if found:
                return found
    froms = [q for q in usable if q.b is None and before_matches(_BEFORE_FROM_RE, _before(t, q))]
    tos = [q for q in usable if q.b is None and before_matches(_BEFORE_TO_RE, _before(t, q))]
    if froms and tos:
        found = _change_from_pair(froms[0], tos[0], froms[0].a, tos[0].a, default_unit)
        if found:
            return found

    # 4. runs: "added a fourth run", "went from 3 to 5 runs" (above), "added an extra run"
    m = _ORDINAL_RUN_RE.search(t)
    if m and _EVERY_BEFORE_RE.search(t[max(0, m.start(1) - 8):m.start(1)]):
        m = None  # "every third day" is how often, not a third run added
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
        prev_km = to_km(prev.value, _distance_unit(prev, default=default_unit))
        extras["previous_weekly_distance_km"] = _round(prev_km)
        if current_weekly_km and prev_km > 0:
            return Parsed(_pct(prev_km, current_weekly_km), "ok", extras)
    if cur is not None:
        cur_unit = _distance_unit(cur, default=default_unit)
        extras["weekly_distance_km"] = _round(to_km(cur.value, cur_unit))
    if prev is None and cur is None and deltas and moved and delta_runs is None:
        delta_unit = _distance_unit(deltas[0], default=default_unit)
        delta_km = sign * to_km(deltas[0].value, delta_unit)
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
                to_km(dists[0].value, _distance_unit(dists[0], default=default_unit)))
        return Parsed(0.0, "ok", steady_extras)
    bare = [q for q in usable if q.unit is None and q.b is None]
    if bare and direction is None:
        if len(bare) == 1 and bare[0].value == 0:
            return Parsed(0.0, "ok", {})
        extras["number"] = bare[0].value
    return Parsed(None, "unparsed", extras)


@bounded
def parse_distance_change(
    text: str, current_weekly_km: float | None = None, runs_per_week: float | None = None,
    default_unit: str | None = None,
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
      A bare unit-less figure counts as km, or as ``default_unit`` (the unit the runner
      gave their weekly distance in: "up from 20" after "30 miles a week" is 20 miles).
    - no figure ("a lot more", "cut back") -> "unparsed" with extras ``direction`` "up"/"down"
    """
    nt = normalize(text)
    t = nt.text
    qs = scan(t)
    result = change_from_text(t, qs, current_weekly_km, runs_per_week,
                              default_unit=default_unit)
    unit = one_distance_unit(qs)
    if "weekly_distance_km" in result.extras and unit:
        result.extras["distance_unit"] = unit
    if result.status == "ok":
        return result
    if not any(k in result.extras for k in ("previous_weekly_distance_km", "distance_change_km",
                                            "weekly_distance_km", "added_runs", "dropped_runs",
                                            "direction")):
        return _not_read(t, result.extras)
    return result


# =========================================================================== sleep

_MIDNIGHT_RE = LinearPattern(r"\bmidnight\b", needs=["midnight"])
_MIDDAY_RE = LinearPattern(r"\b(?:noon|midday)\b", needs=["noon", "midday"])
_BED_WORDS_RE = LinearPattern(r"\b(?:bed|sleep|asleep|lights\s+out|turn\s+in|crash|kip|night)\b")
_PM_RE = LinearPattern(r"p\.?m")
_MERIDIEM_RE = LinearPattern(r"[ap]\.?m")
_WAKE_WORDS_RE = LinearPattern(r"\b(?:up|wake|woke|waking|alarm|rise|morning|get\s+up|awake)\b")


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
    if "p" in suffix and _PM_RE.search(suffix):
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
    has_meridiem = any(_MERIDIEM_RE.search(t[q.start:q.end]) for q in (bed, wake))
    if has_meridiem:
        hours = (_clock_24(wake, t) - _clock_24(bed, t)) % 24
    else:
        hours = (wake.value - bed.value) % 12
    return hours or None


_WORK_HOURS_AFTER_RE = LinearPattern(r"[\s-]*(?:hours?\s+|hrs?\s+)?(?:days|shifts?|working|work)\b")


@bounded
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
    # "a nurse on 12 hour days", "10 hour shifts": hours of work, not of sleep
    qs = [q for q in scan(t) if not _WORK_HOURS_AFTER_RE.match(t[q.end:q.end + 16])]
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


@bounded
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

A_PERIOD_RE = LinearPattern(r"\b(?:a|an|one)\s+(year|month|week)s?\b",
                            needs=["year", "month", "week"])
_RATE_WORDS = ("per", "once", "twice", "day", "days", "times")
_UNIT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz%'")


def _after_rate(text: str, end: int) -> bool:
    """True when ``text[:end]`` ends, white space aside, in a figure with its unit ("50 km")
    or in "per", "once", "twice", "day(s)" or "times": what the pattern
    ``(?:\\d\\s*[a-z%']*|\bper|\bonce|\btwice|\bdays?|\btimes)\\s*$`` finds, read backwards
    from ``end`` so that only the characters it looks at are read (linear over a message)."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    for word in _RATE_WORDS:
        start = i - len(word)
        if start >= 0 and text.startswith(word, start) and (
                start == 0 or not _is_word_char(text[start - 1])):
            return True
    while i > 0 and text[i - 1] in _UNIT_CHARS:
        i -= 1
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return i > 0 and "0" <= text[i - 1] <= "9"


def one_period(m: LinearMatch) -> str:
    """ "a year" -> "1 year" for shoe ages, but not the "a week" of "50 km a week"."""
    if _after_rate(m.string, m.start()):
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
    return list(_shoe_phrase_hits(text))


@lru_cache(maxsize=8)
def _shoe_phrase_hits(text: str) -> tuple[Hit, ...]:
    hits = find_labels(text, _shoe_matcher())
    future_ends = [f.end for f in matcher("shoes", "future_cues").find(text)]  # in order
    out = []
    for hit in hits:
        if hit.label in ("new",):
            # the nearest future cue before the phrase is the one with the fewest words between
            i = bisect_right(future_ends, hit.start) - 1
            if i >= 0 and _words_between(text, future_ends[i], hit.start) <= 3:
                continue
        out.append(hit)
    return tuple(out)


_PERSON_AGE_AFTER_RE = LinearPattern(r"\s*(?:yo|y/o|yr\s+old|years?[\s-]+old|year-old)\b")

@bounded
def parse_shoes(text: str, weekly_distance_km: float | None = None,
                default_unit: str | None = None) -> Parsed:
    """Kilometres on the runner's current shoes.

    "700 km", "about 400 miles", a bare number (km). "they're new"/"brand new" -> 0.0 with
    extras ``shoe_age_months`` 0. An age ("2 years old", "6 months", "had them a year")
    goes in extras ``shoe_age_months``; with no distance given the distance is estimated as
    ``weekly_distance_km`` x weeks (extras ``estimated`` True) when the weekly distance is
    known (or said in the answer: "50 km a week for 6 months"), otherwise the status is "ok"
    with value None: the age is known, the distance is not. "6 months old and about 500k
    on them" gives both. Vague answers ("same pair for ages", "fairly new") -> "unparsed"
    with extras ``shoe_age_vague`` True and ``shoe_wear`` "high"/"low". Dates ("bought them
    last spring", "in March", "for Xmas") give the age (bot/triage/dates.py). Outside
    0 <= km <= 5000 -> "unparsed".
    """
    nt = normalize(text)
    nt.sub(A_PERIOD_RE, one_period)
    t = nt.text
    qs = scan(t)
    extras: dict[str, Any] = {}
    age, age_q = shoe_age_months(qs)
    if age is None:
        # a date: "bought them last spring", "got them for Xmas", "in March"
        from bot.triage.dates import months_ago

        age = months_ago(t, date.today(), normalized=t, quantities=qs)
    rates = [q for q in qs if q.unit in DISTANCE_UNITS and q.period]
    dists = [q for q in qs if q.unit in DISTANCE_UNITS and not q.period]
    if not dists:
        # a bare figure, but not someone's age ("my 14yo son's old trainers")
        dists = [q for q in qs if q.unit is None and q is not age_q
                 and not _PERSON_AGE_AFTER_RE.match(t[q.end:q.end + 12])]
    hits = [h for h in shoe_phrase_hits(t) if not h.negated]
    labels = {h.label for h in hits}
    if age is None and "new" in labels and "new_vague" not in labels:
        age = 0.0
    if age is not None:
        extras["shoe_age_months"] = _round(age)
    km: float | None = None
    if dists:
        q = recent_quantity(t, dists)
        km = to_km(q.value, q.unit if q.unit in DISTANCE_UNITS else default_unit)
        if not 0 <= km <= MAX_SHOE_KM:
            return Parsed(None, "unparsed", extras)
    elif age is not None:
        weekly = weekly_distance_km
        if weekly is None and rates:
            weekly = per_week(to_km(rates[0].value, rates[0].unit), rates[0].period)
        if age == 0:
            km = 0.0
        elif weekly and "new_vague" not in labels:
            # not when the runner says they have few miles on them ("same pair since
            # March, not many miles on them"): the age alone is kept
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
