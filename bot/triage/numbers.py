"""Shared number and unit helpers for the answer parsers and the fact extractor.

A message is normalised once (:func:`normalize`: lower case, number words as digits,
"six and a half" -> "6.5", "between 6 and 7" -> "6-7", "-ish" dropped) keeping a map
back to the original characters, then scanned (:func:`scan`) for quantities: a figure or
a range with its unit ("km", "mi", "h", ...) and period ("a week" -> "week").
Pure Python, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

KM_PER_MILE = 1.609344
WEEKS_PER_MONTH = 52 / 12
DISTANCE_UNITS = frozenset({"km", "mi", "m"})
AGE_UNITS = frozenset({"years", "months", "weeks", "days"})

_CHAR_MAP = {
    "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
    "\u2192": "->", "\u27f6": "->", "\u00a0": " ",
}


class NormText:
    """Normalised text plus, for each of its characters, where it came from in the original.

    ``starts[i]``/``ends[i]`` are the original indices to use when character ``i`` starts or
    ends a span (they differ only inside replacements: "two" -> "2" maps back to all of "two").
    """

    def __init__(self, original: str) -> None:
        chars: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(original):
            low = ch.lower()
            low = _CHAR_MAP.get(low, low)
            for c in low:
                chars.append(c)
                index.append(i)
        self.original = original
        self.text = "".join(chars)
        self.starts = index
        self.ends = list(index)

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> None:
        """Replace every match of ``pattern`` by ``repl(match)``, keeping the index map."""
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for m in pattern.finditer(self.text):
            new = repl(m)
            s, e = m.start(), m.end()
            if new == m.group(0) or e == s:
                continue
            parts.append(self.text[pos:s])
            starts.extend(self.starts[pos:s])
            ends.extend(self.ends[pos:s])
            width = e - s
            for j in range(len(new)):
                k = s + min(j, width - 1)
                starts.append(self.starts[k])
                ends.append(self.ends[e - 1 if j == len(new) - 1 else k])
            parts.append(new)
            pos = e
        if not parts:
            return
        parts.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        self.text = "".join(parts)
        self.starts = starts
        self.ends = ends

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to the original text."""
        if not self.starts:
            return (0, 0)
        start = min(max(start, 0), len(self.starts) - 1)
        end = min(max(end, start + 1), len(self.ends))
        return self.starts[start], self.ends[end - 1] + 1


# --------------------------------------------------------------------------- number words

_UNIT_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEEN_WORDS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_WORD_VALUES: dict[str, float] = {"zero": 0, "a": 1, **_UNIT_WORDS, **_TEEN_WORDS, **_TENS_WORDS}

_U = "|".join(_UNIT_WORDS)
_TEEN = "|".join(_TEEN_WORDS)
_TENS = "|".join(_TENS_WORDS)
_SEP = r"[\s-]+"
_SMALL = rf"(?:(?:{_TENS})(?:{_SEP}(?:{_U}))?|{_TEEN}|{_U}|zero)"
_HUNDREDS = rf"(?:(?:{_U}|a){_SEP}hundred(?:{_SEP}(?:and{_SEP})?{_SMALL})?)"
_BELOW_K = rf"(?:{_HUNDREDS}|{_SMALL})"
_THOUSANDS = rf"(?:(?:{_BELOW_K}|a){_SEP}thousand(?:{_SEP}(?:and{_SEP})?{_BELOW_K})?)"
_DOZEN = rf"(?:(?:half\s+a|a|{_SMALL}){_SEP}dozen)"
_NUMBER_WORDS_RE = re.compile(
    rf"\b(?:{_THOUSANDS}|{_DOZEN}|{_BELOW_K}|hundred|dozen)\b"
)


def words_to_number(phrase: str) -> float:
    """Value of a number-word phrase such as "twenty-five" or "three hundred and fifty"."""
    words = re.findall(r"[a-z]+", phrase.lower())
    if words[:2] == ["half", "a"]:
        return 6.0
    total = 0.0
    current = 0.0
    for word in words:
        if word == "and":
            continue
        if word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total += (current or 1) * 1000
            current = 0.0
        elif word == "dozen":
            current = (current or 1) * 12
        else:
            current += _WORD_VALUES.get(word, 0)
    return total + current


def fmt(value: float) -> str:
    """Digits for a value: 6.0 -> "6", 6.5 -> "6.5"."""
    if value == int(value):
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- normalisation

NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
_FRACTION_CHARS = {"\u00bd": 0.5, "\u00bc": 0.25, "\u00be": 0.75}
_FRACTION_CHAR_RE = re.compile(r"(\d*)\s*([\u00bd\u00bc\u00be])")
_THOUSANDS_SEP_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_A_UNIT_AND_HALF_RE = re.compile(r"\ban?\s+(year|hour|month|week|mile)s?\s+and\s+a\s+half\b")
_AN_HOUR_RE = re.compile(r"\ban?\s+(hour|hr)\b")
_AND_A_FRACTION_RE = re.compile(
    rf"({NUM})(\s+[a-z]+)?\s+and\s+(a\s+half|a\s+quarter|3\s+quarters)\b(?![\s-]*marathon)"
)
_SLASH_FRACTION_RE = re.compile(r"(\d+)\s+([13])/([24])(?!\d)")
_HALF_UNIT_RE = re.compile(
    r"\bhalf\s+(?:of\s+)?an?\s+(?=(?:hour|hr|mile|km|kilomet|k\b|year|month))"
)
_ISH_RE = re.compile(r"(?<=\d)(?:\s*-?\s*ish\b|\s+or\s+so\b|\s+odd\b)")
_MORE_OR_LESS_RE = re.compile(r"\bmore\s+or\s+less\b")
_ONCE_RE = re.compile(r"\b(once|twice|thrice)\b")
_COUPLE_RE = re.compile(r"\b(?:a\s+)?couple(?:\s+of)?\b")
_HOURS_MINUTES_RE = re.compile(
    r"(\d+)\s*(?:h|hrs?|hours?)\s*(?:and\s+)?(\d{1,2})\s*(?:m|mins?|minutes?)(?![a-z])"
    r"|(\d+)h(\d{2})(?!\d)"
)
_BETWEEN_RE = re.compile(rf"\bbetween\s+({NUM})(\s*[a-z%]+)?\s+(?:and|&)\s+({NUM})")


def _sub_fraction_char(m: re.Match[str]) -> str:
    whole = float(m.group(1)) if m.group(1) else 0.0
    return fmt(whole + _FRACTION_CHARS[m.group(2)])


def _sub_and_fraction(m: re.Match[str]) -> str:
    part = {"a half": 0.5, "a quarter": 0.25, "3 quarters": 0.75}[re.sub(r"\s+", " ", m.group(3))]
    return fmt(float(m.group(1)) + part) + (m.group(2) or "")


def _sub_hours_minutes(m: re.Match[str]) -> str:
    hours, minutes = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return fmt(round(int(hours) + int(minutes) / 60, 2)) + " hours"


def normalize(text: str) -> NormText:
    """Lower-case ``text`` and write its figures as digits (see module docstring)."""
    nt = NormText(text or "")
    nt.sub(_FRACTION_CHAR_RE, _sub_fraction_char)
    nt.sub(_THOUSANDS_SEP_RE, lambda m: m.group(0).replace(",", ""))
    nt.sub(_NUMBER_WORDS_RE, lambda m: fmt(words_to_number(m.group(0))))
    nt.sub(_COUPLE_RE, lambda m: "2")
    nt.sub(_A_UNIT_AND_HALF_RE, lambda m: f"1.5 {m.group(1)}s")
    nt.sub(_HALF_UNIT_RE, lambda m: "0.5 ")
    nt.sub(_AN_HOUR_RE, lambda m: f"1 {m.group(1)}")
    nt.sub(_AND_A_FRACTION_RE, _sub_and_fraction)
    nt.sub(_SLASH_FRACTION_RE, lambda m: fmt(int(m.group(1)) + int(m.group(2)) / int(m.group(3))))
    nt.sub(_ISH_RE, lambda m: "")
    nt.sub(_MORE_OR_LESS_RE, lambda m: "about")
    nt.sub(_ONCE_RE, lambda m: {"once": "1", "twice": "2", "thrice": "3"}[m.group(1)] + " times")
    nt.sub(_HOURS_MINUTES_RE, _sub_hours_minutes)
    nt.sub(_BETWEEN_RE, lambda m: f"{m.group(1)}{m.group(2) or ''}-{m.group(3)}")
    return nt


# --------------------------------------------------------------------------- quantities

@dataclass(frozen=True)
class Quantity:
    """A figure found in normalised text.

    ``a`` is the figure; for a range ("20-25") or a change ("from 20 to 35") ``b`` is the
    second figure and ``joiner`` says which ("range" | "from_to"). ``unit`` is a canonical
    unit or None for a bare number; ``period`` is "week", "day", "other_day", "night",
    "month" or "year" when the figure is a rate ("30 km a week").
    """

    a: float
    b: float | None
    unit: str | None
    period: str | None
    start: int
    end: int
    joiner: str | None = None
    qualifier: str | None = None

    @property
    def value(self) -> float:
        """The figure: midpoint of a range, the later figure of a change."""
        if self.b is None:
            return self.a
        if self.joiner == "from_to":
            return self.b
        return (self.a + self.b) / 2

    @property
    def is_from_to(self) -> bool:
        return self.joiner == "from_to" and self.b is not None


_NUM_RE = re.compile(rf"(?<![a-wyz0-9.,:])({NUM})(?!\d)")
_ORDINAL_RE = re.compile(r"(?:st|nd|rd|th)\b")
_FILLER_RE = re.compile(r"(?:\s*(?:odd|plus|something|ish|\+))?")

# (pattern, unit, period); tried in order at the position right after a figure
_UNIT_TABLE: list[tuple[str, str, str | None]] = [
    (r"k(?:m|ms)?\s*p\.?\s*w", "km", "week"),
    (r"mi?\s*p\.?\s*w", "mi", "week"),
    (r"kilomet(?:er|re)s?|kilomet[a-z]*|klicks?|clicks?|kms|km'?s|km|k'?s|k", "km", None),
    (r"miles?|milez|mile's|mls|mi", "mi", None),
    (r"met(?:er|re)s?", "m", None),
    (r"hours?|hour's|hrs?|hrz|hous|houres|h", "h", None),
    (r"minutes?|mins?", "min", None),
    (r"m", "m_or_min", None),
    (r"%|percent|per\s*cent|pct|pc", "pct", None),
    (r"times|time|x", "times", None),
    (r"runs?|sessions?|outings?|jogs?", "runs", None),
    (r"days?", "days", None),
    (r"nights?", "nights", None),
    (r"weeks?|wks?", "weeks", None),
    (r"months?|mths?|mnths?|mos?", "months", None),
    (r"years?|yrs?|yr", "years", None),
    (r"kgs?|kilos?|kilograms?|lbs?|pounds?|stones?|st", "weight", None),
    (r"a\.?m\.?|p\.?m\.?|o'?clock", "clock", None),
]
_UNIT_RES = [
    (re.compile(rf"(?:\s*|-)(?:{pattern})(?![a-z])"), unit, period)
    for pattern, unit, period in _UNIT_TABLE
]
_RANGE_RE = re.compile(
    rf"\s*(-|->|>|to|or|up\s+to|down\s+to)\s*(?:about\s+|around\s+|roughly\s+|~\s*)?({NUM})(?![\d:])"
)
_PERIOD_RE = re.compile(
    r"\s*(?:"
    r"(?P<adv>weekly|daily|nightly|monthly|yearly)\b"
    r"|every\s+(?:other|second)\s+(?P<other>day)\b"
    r"|(?:(?:a|an|per|each|every|in\s+a|on\s+a|a\s+typical|in\s+a\s+typical|a\s+normal|"
    r"in\s+a\s+normal|most|on\s+average\s+(?:a|per))\s+|/\s*|p\.?\s*)"
    r"(?P<per>week|wk|w|day|d|night|nite|month|mth|mo|year|yr)s?(?![a-z])(?!\s+ago)"
    r")"
)
_PERIODS = {
    "week": "week", "wk": "week", "w": "week", "weekly": "week",
    "day": "day", "d": "day", "daily": "day",
    "night": "night", "nite": "night", "nightly": "night",
    "month": "month", "mth": "month", "mo": "month", "monthly": "month",
    "year": "year", "yr": "year", "yearly": "year",
}
_FROM_BEFORE_RE = re.compile(
    r"\bfrom\s+(?:about\s+|around\s+|roughly\s+|approx(?:imately)?\s+|~\s*)?$"
)
_AT_BEFORE_RE = re.compile(r"\b(?:at|till|until|by)\s+(?:about\s+|around\s+|roughly\s+|~\s*)?$")
_LT_BEFORE_RE = re.compile(
    r"(?:less\s+than|fewer\s+than|under|below|not\s+even|<|up\s+to|at\s+most|no\s+more\s+than|max)"
    r"\s*(?:about\s+|around\s+|~\s*)?$"
)
_GT_BEFORE_RE = re.compile(
    r"(?:more\s+than|over|above|at\s+least|>|upwards\s+of|north\s+of|minimum)"
    r"\s*(?:about\s+|around\s+|~\s*)?$"
)
_CLOCK_AFTER_RE = re.compile(r":(\d{2})")


def _match_unit(text: str, pos: int, value: float) -> tuple[str | None, str | None, int]:
    m = _FILLER_RE.match(text, pos)
    after = m.end() if m else pos
    for regex, unit, period in _UNIT_RES:
        um = regex.match(text, after)
        if um:
            if unit == "m_or_min":
                unit = "m" if value >= 100 else "min"
            return unit, period, um.end()
    return None, None, pos


def scan(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """All quantities in ``text[start:end]`` (normalised text), in order."""
    end = len(text) if end is None else end
    found: list[Quantity] = []
    pos = start
    while pos < end:
        m = _NUM_RE.search(text, pos, end)
        if not m:
            break
        s, p = m.start(), m.end()
        if _ORDINAL_RE.match(text, p):
            pos = p
            continue
        a = float(m.group(1))
        clock = _CLOCK_AFTER_RE.match(text, p)
        if clock:
            a += int(clock.group(1)) / 60
            p = clock.end()
        unit, period, p1 = _match_unit(text[:end], p, a)
        if clock and unit is None:
            unit = "clock"
        b: float | None = None
        joiner: str | None = None
        before = text[max(start, s - 30):s]
        rng = _RANGE_RE.match(text[:end], p1)
        if rng and unit != "clock":
            b_value = float(rng.group(2))
            unit2, period2, p2 = _match_unit(text[:end], rng.end(), b_value)
            if unit is None or unit2 is None or unit == unit2:
                b = b_value
                connector = rng.group(1)
                joiner = "from_to" if (_FROM_BEFORE_RE.search(before) or connector in ("->", ">")
                                       or connector.startswith(("up", "down"))) else "range"
                unit = unit2 or unit
                period = period2 or period
                p1 = p2
        if period is None:
            pm = _PERIOD_RE.match(text[:end], p1)
            if pm:
                word = pm.group("adv") or pm.group("per")
                period = "other_day" if pm.group("other") else _PERIODS.get(word or "", None)
                p1 = pm.end()
        if unit is None and _AT_BEFORE_RE.search(before):
            unit = "clock"
        qualifier = None
        if b is None:
            if _LT_BEFORE_RE.search(before):
                qualifier = "lt"
            elif _GT_BEFORE_RE.search(before) or text[p:p + 1] == "+":
                qualifier = "gt"
        found.append(Quantity(a, b, unit, period, s, p1, joiner, qualifier))
        pos = max(p1, p)
    return found


def to_km(value: float, unit: str | None) -> float:
    """Kilometres for a distance in ``unit`` (a bare number counts as km)."""
    if unit == "mi":
        return value * KM_PER_MILE
    if unit == "m":
        return value / 1000
    return value


def per_week(value: float, period: str | None) -> float:
    """Weekly figure for a rate with the given period (no period: already weekly)."""
    factor = {"day": 7.0, "other_day": 3.5, "night": 7.0, "month": 1 / WEEKS_PER_MONTH,
              "year": 1 / 52}.get(period or "", 1.0)
    return value * factor


def to_months(value: float, unit: str | None) -> float | None:
    """Months for an age in years, months, weeks or days (None for other units)."""
    factor = {"years": 12.0, "months": 1.0, "weeks": 1 / WEEKS_PER_MONTH, "days": 12 / 365.25}
    return value * factor[unit] if unit in factor else None


# --------------------------------------------------------------------------- clauses

_CLAUSE_PUNCT = r"[,;!?\n()]|\.(?!\d)|\s-\s|:\s"


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    sentence: int


def clause_spans(text: str, break_words: Iterable[str]) -> list[Clause]:
    """Split ``text`` into clauses on punctuation and on the given words ("but", "and", ...).

    Each clause remembers the index of its sentence (sentences end with . ! ? or a new line).
    """
    words = "|".join(re.escape(w) for w in sorted(break_words, key=len, reverse=True))
    pattern = re.compile(rf"{_CLAUSE_PUNCT}|\b(?:{words})\b" if words else _CLAUSE_PUNCT)
    clauses: list[Clause] = []
    pos = 0
    sentence = 0
    for m in pattern.finditer(text):
        if m.start() > pos and text[pos:m.start()].strip():
            clauses.append(Clause(pos, m.start(), sentence))
        if m.group(0) in (".", "!", "?", "\n"):
            sentence += 1
        pos = m.end()
    if text[pos:].strip():
        clauses.append(Clause(pos, len(text), sentence))
    return clauses


def clause_of(clauses: list[Clause], position: int) -> Clause | None:
    """The clause containing ``position``."""
    for clause in clauses:
        if clause.start <= position < clause.end:
            return clause
    return None
