"""Shared number and unit helpers for the answer parsers and the fact extractor.

A message is normalised once (:func:`normalize`: lower case, number words as digits,
"six and a half" -> "6.5", "between 6 and 7" -> "6-7", "-ish" dropped) keeping a map
back to the original characters, then scanned (:func:`scan`) for quantities: a figure or
a range with its unit ("km", "mi", "h", ...) and period ("a week" -> "week").
No I/O. Every pattern applied to a message is a :class:`LinearPattern`, run by RE2 in
time linear in the text (docs/linear_time.md); figures are ASCII digits only.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

import re2

from bot.text_limits import check_budget

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


# --------------------------------------------------------------------------- linear-time patterns
#
# Every pattern applied to a runner's text runs on RE2 (google-re2): its matching time is
# linear in the text whatever the pattern, where Python's backtracking `re` can take time
# growing like a high power of the length (issue #12: "drink " and 55 dashes took 2.8 s).
#
# RE2 reads bytes and its classes are ASCII, so a pattern is matched against the text's
# *shadow*: one ASCII byte per character that keeps what Python's `re` sees in it
# (`\w`, `\s`, `\b` are Unicode-aware in Python): other letters and digits become "W",
# other white space "\f", anything else "\x7f", and the fractions ½ ¼ ¾ "H", "Q", "T"
# (patterns are written in lower case, so these upper-case stand-ins never meet a
# pattern's own letters). Offsets are the same as in the text. Digits are `[0-9]`: a
# digit of another script (Arabic-Indic, full-width...) is a letter-like "W", not a
# number. The shadow starts with one NUL byte, so a pattern's one-character look-behind
# can be matched as an ordinary character, also at the start of the text.
#
# RE2 has no look-arounds: a one-character look-behind is given as ``prev_not``/``prev_in``
# (a character class), a one-character look-ahead as ``next_not``; a pattern may also mark
# where its reported match ends with an empty group named ``_end...`` and go on matching
# what must (not) follow (see :func:`not_followed_by`). Searches continue from the reported
# end, like Python's finditer.

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_LONGEST = re2.Options()
_RE2_LONGEST.log_errors = False
_RE2_LONGEST.longest_match = True
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
_ANCHOR_START = re2._re2.RE2.Anchor.ANCHOR_START
_ANCHOR_BOTH = re2._re2.RE2.Anchor.ANCHOR_BOTH
_NO_SPAN = (-1, -1)

_FRACTION_STAND_INS = {"\u00bd": "H", "\u00bc": "Q", "\u00be": "T"}
# Python's `\s` also matches \v and \x1c-\x1f; RE2's does not: they become \f.
_ASCII_SHADOW = bytes.maketrans(b"\x0b\x1c\x1d\x1e\x1f", b"\x0c\x0c\x0c\x0c\x0c")
_shadow_chars: dict[str, str] = {}
_shadows: dict[str, bytes] = {}  # the last few texts' shadows (a message, its clauses)
_short_shadows: dict[str, bytes] = {}
_LONG = 64


def _shadow_char(ch: str) -> str:
    found = _shadow_chars.get(ch)
    if found is None:
        if ch in _FRACTION_STAND_INS:
            found = _FRACTION_STAND_INS[ch]
        elif ch.isspace():
            found = "\x0c"
        elif ch.isalnum():  # Python's \w (with "_", which is ASCII)
            found = "W"
        else:
            found = "\x7f"
        if len(_shadow_chars) > 4096:
            _shadow_chars.clear()
        _shadow_chars[ch] = found
    return found


def _shadow_errors(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_shadow_char(ch) for ch in error.object[error.start:error.end]), error.end


codecs.register_error("heavy_legs_shadow", _shadow_errors)


def shadow(text: str) -> bytes:
    """The ASCII shadow of ``text`` that RE2 matches (see above); byte ``i + 1`` stands
    for character ``i``. Linear time; the last few long texts are remembered, because
    a message is matched by many patterns."""
    cache = _shadows if len(text) >= _LONG else _short_shadows
    found = cache.get(text)
    if found is None:
        found = b"\x00" + text.encode("ascii", "heavy_legs_shadow").translate(_ASCII_SHADOW)
        if len(cache) >= 16:
            cache.clear()
        cache[text] = found
    return found


def clear_shadows() -> None:
    """Forget the remembered shadows (benchmarks time cold messages)."""
    _shadows.clear()
    _short_shadows.clear()


def _check_pattern(pattern: str) -> None:
    """No `^` outside a class (the shadow's first byte is the NUL: use match()), no `\\d`."""
    in_class = escaped = False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]" or pattern[i - 1] == "["
        elif ch == "[":
            in_class = True
        elif ch == "^":
            raise ValueError(f"no ^ anchor in a linear pattern (use .match): {pattern!r}")
    if "\\d" in pattern or "\\D" in pattern:
        raise ValueError(f"write [0-9] instead of \\d: {pattern!r}")


class LinearMatch:
    """A match of a :class:`LinearPattern` (the parts of `re.Match` the parsers use)."""

    __slots__ = ("string", "re", "_spans")

    def __init__(self, string: str, pattern: "LinearPattern", spans: list[tuple[int, int]]):
        self.string = string
        self.re = pattern
        self._spans = spans

    def _index(self, group: int | str) -> int:
        return self.re.groupindex[group] if isinstance(group, str) else group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._spans[group if group.__class__ is int else self._index(group)]

    def start(self, group: int | str = 0) -> int:
        return self._spans[group if group.__class__ is int else self._index(group)][0]

    def end(self, group: int | str = 0) -> int:
        return self._spans[group if group.__class__ is int else self._index(group)][1]

    def _value(self, group: int | str) -> str | None:
        start, end = self.span(group)
        return None if start < 0 else self.string[start:end]

    def group(self, *groups: int | str) -> Any:
        if len(groups) <= 1:
            return self._value(groups[0] if groups else 0)
        return tuple(self._value(g) for g in groups)

    def __getitem__(self, group: int | str) -> str | None:
        return self._value(group)

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        values = (self._value(i) for i in range(1, len(self._spans)))
        return tuple(default if v is None else v for v in values)


class LinearPattern:
    """A regular expression run by RE2: linear time in the text, Python `re` results.

    ``prev_not``/``prev_in``: a character class (without brackets) the character before
    the match must not / must belong to (Python's ``(?<![...])``/``(?<=[...])``; the start
    of the text counts as a character outside every class). ``next_not``: a class the
    character after the match must not belong to (``(?![...])``; the end of the text is
    fine). ``longest``: leftmost-longest instead of Python's leftmost-first matching.
    ``needs``: pieces of text of which every match contains one: a text without any of
    them is not searched at all (a shortcut, so it must hold for every match).
    """

    __slots__ = ("pattern", "groupindex", "groups", "_re", "_lead", "_ends", "_public", "_rest",
                 "_needs", "_needs_memo")

    def __init__(self, pattern: str, *, prev_not: str | None = None, prev_in: str | None = None,
                 next_not: str | None = None, longest: bool = False,
                 needs: Iterable[str] = ()) -> None:
        _check_pattern(pattern)
        lead = f"[^{prev_not}]" if prev_not is not None else (
            f"[{prev_in}]" if prev_in is not None else "")
        trail = f"(?P<_endz>)(?:[^{next_not}]|$)" if next_not is not None else ""
        source = f"{lead}(?:{pattern}){trail}"
        self.pattern = pattern
        self._re = re2._re2.RE2(source.encode("ascii"), _RE2_LONGEST if longest else _RE2_OPTIONS)
        if not self._re.ok():
            raise ValueError(f"RE2 cannot compile {source!r}: {self._re.error()}")
        names = {n.decode(): i for n, i in self._re.NamedCapturingGroups()}
        self._ends = sorted(i for n, i in names.items() if n.startswith("_end"))
        internal = set(self._ends)
        count = self._re.NumberOfCapturingGroups()
        self._public = [0] + [i for i in range(1, count + 1) if i not in internal]
        self._rest = self._public[1:]
        rank = {index: k for k, index in enumerate(self._public)}
        self.groupindex = {n: rank[i] for n, i in names.items() if i not in internal}
        self.groups = len(self._public) - 1
        self._lead = 1 if lead else 0
        self._needs = tuple(needs)
        self._needs_memo: tuple[str, bool] = ("", False)

    def _needed(self, text: str) -> bool:
        """True when ``text`` holds one of ``needs`` (looked up once per text: a finditer,
        or searches from many positions, would otherwise read the text again each time)."""
        memo = self._needs_memo
        if memo[0] is text:
            return memo[1]
        found = any(piece in text for piece in self._needs)
        self._needs_memo = (text, found)
        return found

    def _match(self, text: str, spans: list[tuple[int, int]]) -> LinearMatch:
        """The match for RE2's spans over the shadow (one byte ahead of the text)."""
        begin, end = spans[0]
        for i in self._ends:
            mark = spans[i][0]
            if 0 <= mark < end:
                end = mark
        out = [(begin + self._lead - 1, end - 1)]
        if self._rest:
            out += [_NO_SPAN if spans[i][0] < 0 else (spans[i][0] - 1, spans[i][1] - 1)
                    for i in self._rest]
        return LinearMatch(text, self, out)

    def _run(self, anchor: Any, text: str, pos: int) -> LinearMatch | None:
        if self._needs and not self._needed(text):
            return None
        data = shadow(text)
        if pos < 0:
            pos = 0
        elif pos > len(text):
            pos = len(text)
        spans = self._re.Match(anchor, data, pos + 1 - self._lead, len(data))
        return None if spans[0][0] < 0 else self._match(text, spans)

    def search(self, text: str, pos: int = 0) -> LinearMatch | None:
        """The first match at or after ``pos`` (look-behinds see the text before ``pos``)."""
        return self._run(_UNANCHORED, text, pos)

    def match(self, text: str, pos: int = 0) -> LinearMatch | None:
        """A match starting exactly at ``pos``."""
        return self._run(_ANCHOR_START, text, pos)

    def finditer(self, text: str, pos: int = 0) -> Iterator[LinearMatch]:
        """Non-overlapping matches, each search going on from the previous match's end."""
        if self._needs and not self._needed(text):
            return
        data = shadow(text)
        size, lead, run = len(data), self._lead, self._re.Match
        pos = max(pos, 0)
        while pos <= len(text):
            spans = run(_UNANCHORED, data, pos + 1 - lead, size)
            if spans[0][0] < 0:
                return
            m = self._match(text, spans)
            yield m
            start, end = m._spans[0]
            pos = end if end > start else end + 1

    def fullmatch(self, text: str) -> LinearMatch | None:
        """A match of the whole of ``text``."""
        return self._run(_ANCHOR_BOTH, text, 0)

    def findall(self, text: str) -> list[Any]:
        if self.groups == 0:
            return [m.group() for m in self.finditer(text)]
        if self.groups == 1:
            return [m.group(1) for m in self.finditer(text)]
        return [m.groups("") for m in self.finditer(text)]

    def sub(self, repl: str | Callable[[LinearMatch], str], text: str) -> str:
        """``text`` with every match replaced (``repl`` is a plain string or a function)."""
        parts: list[str] = []
        pos = 0
        for m in self.finditer(text):
            parts.append(text[pos:m.start()])
            parts.append(repl(m) if callable(repl) else repl)
            pos = m.end()
        parts.append(text[pos:])
        return "".join(parts)


def not_followed_by(words: Iterable[str], skip: str = "") -> str:
    """Pattern text that matches (and consumes) what follows a point unless, after a run of
    ``skip`` characters (a class without brackets), one of ``words`` begins there: Python's
    ``(?![skip]*(?:word1|word2))``. Put an empty ``(?P<_end...>)`` group before it.

    After the longest run of ``skip`` characters (the words begin with other characters),
    the next characters must leave every word: a trie of the words, with the end of the
    text allowed at every step.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def leave(node: dict[str, Any], extra: str = "") -> str:
        chars = "".join(re.escape(ch) for ch in node if ch)
        options = ["$", f"[^{extra}{chars}]"]
        for ch, child in node.items():
            if ch and "" not in child:
                options.append(re.escape(ch) + leave(child))
        return "(?:" + "|".join(options) + ")"

    return (f"[{skip}]*" if skip else "") + leave(trie, skip)


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

    def sub(self, pattern: LinearPattern, repl: Callable[[LinearMatch], str]) -> None:
        """Replace every match of ``pattern`` by ``repl(match)``, keeping the index map."""
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        text, old_starts, old_ends = self.text, self.starts, self.ends
        for m in pattern.finditer(text):
            new = repl(m)
            s, e = m.span()
            if e == s or new == text[s:e]:
                continue
            parts.append(text[pos:s])
            starts += old_starts[pos:s]
            ends += old_ends[pos:s]
            # new character j comes from old character s + min(j, width - 1); the last one
            # ends where the replaced text ended
            width, n = e - s, len(new)
            if n:
                starts += old_starts[s:s + min(n, width)]
                starts += [old_starts[e - 1]] * max(0, n - width)
                ends += old_ends[s:s + min(n - 1, width)]
                ends += [old_ends[e - 1]] * (max(0, n - 1 - width) + 1)
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
_NUMBER_WORDS_RE = LinearPattern(rf"\b(?:{_THOUSANDS}|{_DOZEN}|{_BELOW_K}|hundred|dozen)\b")
_LETTERS_RE = LinearPattern(r"[a-z]+")


def words_to_number(phrase: str) -> float:
    """Value of a number-word phrase such as "twenty-five" or "three hundred and fifty"."""
    words = _LETTERS_RE.findall(phrase.lower())
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


@lru_cache(maxsize=256)
def fmt(value: float) -> str:
    """Digits for a value: 6.0 -> "6", 6.5 -> "6.5"."""
    if value == int(value):
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- normalisation

NUM = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_FRACTION_CHARS = {"\u00bd": 0.5, "\u00bc": 0.25, "\u00be": 0.75}
# H, Q, T: the shadow's stand-ins for the fraction characters (see "linear-time patterns")
_FRACTION_CHAR_RE = LinearPattern(r"([0-9]*)\s*([HQT])", needs=_FRACTION_CHARS)
_THOUSANDS_SEP_RE = LinearPattern(r"[0-9]{1,3}(?:,[0-9]{3})+", prev_not="0-9.,", next_not="0-9,",
                                  needs=",")
_A_UNIT_AND_HALF_RE = LinearPattern(
    r"\ban?\s+(year|hour|month|week|mile)s?\s+and\s+a\s+half\b", needs=["half"])
_AN_HOUR_RE = LinearPattern(r"\ban?\s+(hour|hr)\b", needs=["h"])
_AND_A_FRACTION_RE = LinearPattern(
    rf"({NUM})(\s+[a-z]+)?\s+and\s+(a\s+half|a\s+quarter|3\s+quarters)\b"
    + "(?P<_end>)" + not_followed_by(["marathon"], skip=r"\s-"),  # not "... and a half marathon"
    needs=["and"],
)
_SLASH_FRACTION_RE = LinearPattern(r"([0-9]+)\s+([13])/([24])", next_not="0-9", needs="/")
_HALF_UNIT_RE = LinearPattern(
    r"\bhalf\s+(?:of\s+)?an?\s+(?P<_end>)(?:hour|hr|mile|km|kilomet|k\b|year|month)",
    needs=["half"],
)
_ISH_RE = LinearPattern(r"\s*-?\s*ish\b|\s+or\s+so\b|\s+odd\b", prev_in="0-9",
                        needs=["ish", "or", "odd"])
_MORE_OR_LESS_RE = LinearPattern(r"\bmore\s+or\s+less\b", needs=["more"])
_ONCE_RE = LinearPattern(r"\b(once|twice|thrice)\b", needs=["once", "twice", "thrice"])
_COUPLE_RE = LinearPattern(r"\b(?:a\s+)?couple(?:\s+of)?\b", needs=["couple"])
_HOURS_MINUTES_RE = LinearPattern(
    r"([0-9]+)\s*(?:h|hrs?|hours?)\s*(?:and\s+)?([0-9]{1,2})\s*(?:m|mins?|minutes?)"
    r"(?P<_end1>)(?:[^a-z]|$)"
    r"|([0-9]+)h([0-9]{2})(?P<_end2>)(?:[^0-9]|$)",
    needs=["h"],
)
_BETWEEN_RE = LinearPattern(rf"\bbetween\s+({NUM})(\s*[a-z%]+)?\s+(?:and|&)\s+({NUM})",
                            needs=["between"])
_SPACES_RE = LinearPattern(r"\s+")


def _sub_fraction_char(m: LinearMatch) -> str:
    whole = float(m.group(1)) if m.group(1) else 0.0
    return fmt(whole + _FRACTION_CHARS[m.group(2)])


def _sub_and_fraction(m: LinearMatch) -> str:
    part = {"a half": 0.5, "a quarter": 0.25, "3 quarters": 0.75}[_SPACES_RE.sub(" ", m.group(3))]
    return fmt(float(m.group(1)) + part) + (m.group(2) or "")


def _sub_hours_minutes(m: LinearMatch) -> str:
    hours, minutes = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return fmt(round(int(hours) + int(minutes) / 60, 2)) + " hours"


def normalize(text: str) -> NormText:
    """Lower-case ``text`` and write its figures as digits (see module docstring)."""
    nt = NormText(text or "")
    check_budget()
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
    check_budget()
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


_NUM_RE = LinearPattern(f"({NUM})", prev_not="a-wyz0-9.,:", next_not="0-9")
_ORDINAL_RE = LinearPattern(r"(?:st|nd|rd|th)\b")
_ORDINAL_SUFFIXES = frozenset(("st", "nd", "rd", "th"))

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


def _first_chars(pattern: str) -> str:
    """The characters the table's pattern can start with (each alternative starts with a
    literal character, which is checked)."""
    firsts, depth, start = set(), 0, True
    for ch in pattern:
        if start:
            if not (ch.isalnum() or ch == "%"):
                raise ValueError(f"unit pattern alternatives must start with a literal: {pattern}")
            firsts.add(ch)
            start = False
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            start = True
    return "".join(sorted(firsts))


# The table as one pattern, its units tried in order with the look-ahead after each, as a
# loop over the table would. Every unit of the table was tried after "(?:\s*|-)": as no
# unit starts with white space or "-", that is after all the white space, or after a "-"
# (see _match_unit). Which unit matched is the first of the table that matches the whole
# of the matched text (an earlier one matching it would have been chosen).
_UNIT_RE = LinearPattern("|".join(f"(?:{pattern})" for pattern, _, _ in _UNIT_TABLE),
                         next_not="a-z")
_UNIT_WHOLE = [LinearPattern(pattern) for pattern, _, _ in _UNIT_TABLE]


@lru_cache(maxsize=256)
def _unit_entry(word: str) -> int:
    for i, pattern in enumerate(_UNIT_WHOLE):
        if pattern.fullmatch(word):
            return i
    raise AssertionError(f"no unit of the table matches {word!r}")  # pragma: no cover


_UNIT_FIRST = frozenset("".join(_first_chars(pattern) for pattern, _, _ in _UNIT_TABLE))
_FILLER_WORDS = ("odd", "plus", "something", "ish", "+")
_RANGE_FIRST = frozenset("->tuod")
_PERIOD_FIRST = frozenset("wdnmyeapio/")
_BEFORE_LAST = frozenset("abcdefghijklmnopqrstuvwxyz<>~")
_RANGE_RE = LinearPattern(
    rf"\s*(-|->|>|to|or|up\s+to|down\s+to)\s*(?:about\s+|around\s+|roughly\s+|~\s*)?({NUM})",
    next_not="0-9:",
)
_PERIOD_RE = LinearPattern(
    r"\s*(?:"
    r"(?P<adv>weekly|daily|nightly|monthly|yearly)\b"
    r"|every\s+(?:other|second)\s+(?P<other>day)\b"
    r"|(?:(?:a|an|per|each|every|in\s+a|on\s+a|a\s+typical|in\s+a\s+typical|a\s+normal|"
    r"in\s+a\s+normal|most|on\s+average\s+(?:a|per))\s+|/\s*|p\.?\s*)"
    r"(?P<per>week|wk|w|day|d|night|nite|month|mth|mo|year|yr)s?"
    # not followed by a letter nor by " ago" ("a week ago" is a date, not a rate)
    r"(?P<_end>)(?:$|[^a-z\s]|\s+(?:$|[^\sa]|a(?:$|[^g]|g(?:$|[^o]))))"
    r")"
)
_PERIODS = {
    "week": "week", "wk": "week", "w": "week", "weekly": "week",
    "day": "day", "d": "day", "daily": "day",
    "night": "night", "nite": "night", "nightly": "night",
    "month": "month", "mth": "month", "mo": "month", "monthly": "month",
    "year": "year", "yr": "year", "yearly": "year",
}
_FROM_BEFORE_RE = LinearPattern(
    r"\bfrom\s+(?:about\s+|around\s+|roughly\s+|approx(?:imately)?\s+|~\s*)?$"
)
_AT_BEFORE_RE = LinearPattern(r"\b(?:at|till|until|by)\s+(?:about\s+|around\s+|roughly\s+|~\s*)?$")
_LT_BEFORE_RE = LinearPattern(
    r"(?:less\s+than|fewer\s+than|under|below|not\s+even|<|up\s+to|at\s+most|no\s+more\s+than|max)"
    r"\s*(?:about\s+|around\s+|~\s*)?$"
)
_GT_BEFORE_RE = LinearPattern(
    r"(?:more\s+than|over|above|at\s+least|>|upwards\s+of|north\s+of|minimum)"
    r"\s*(?:about\s+|around\s+|~\s*)?$"
)
_CLOCK_AFTER_RE = LinearPattern(r":([0-9]{2})")


# Python's `re` on purpose: one character class, each character read once.
_NOT_SPACE_RE = re.compile(r"\S")


def _skip_spaces(text: str, pos: int) -> int:
    """The first position at or after ``pos`` that is not white space (Python's \\s)."""
    m = _NOT_SPACE_RE.search(text, pos)
    return m.start() if m else len(text)


def _match_unit(text: str, pos: int, value: float) -> tuple[str | None, str | None, int]:
    # "(?:\s*(?:odd|plus|something|ish|\+))?" (the words start with no white space, so
    # only the whole run of white space can come before them)
    after = pos
    j = _skip_spaces(text, pos)
    for word in _FILLER_WORDS:
        if text.startswith(word, j):
            after = j + len(word)
            break
    # each unit starts after the white space, or after one "-", with a character of
    # _UNIT_FIRST (white space and "-" exclude each other there)
    j = after + 1 if text[after:after + 1] == "-" else _skip_spaces(text, after)
    if text[j:j + 1] not in _UNIT_FIRST:
        return None, None, pos
    um = _UNIT_RE.match(text, j)
    if um is None:
        return None, None, pos
    _, unit, period = _UNIT_TABLE[_unit_entry(um.group())]
    if unit == "m_or_min":
        unit = "m" if value >= 100 else "min"
    return unit, period, um.end()


def before_matches(pattern: LinearPattern, before: str) -> bool:
    """``pattern.search(before)`` for the "... $" patterns that end in a letter, "<", ">"
    or "~" then white space: skipped when the window ends otherwise (a digit, mostly)."""
    end = len(before)
    while end > 0 and before[end - 1].isspace():
        end -= 1
    if end == 0 or before[end - 1] not in _BEFORE_LAST:
        return False
    return pattern.search(before) is not None


def scan(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """All quantities in ``text[start:end]`` (normalised text), in order."""
    if end is not None and end < len(text):
        text = text[:end]
    end = len(text)
    found: list[Quantity] = []
    pos = start
    while pos < end:
        if len(found) % 32 == 31:
            check_budget()
        m = _NUM_RE.search(text, pos)
        if not m:
            break
        s, p = m.start(), m.end()
        if text[p:p + 2] in _ORDINAL_SUFFIXES and _ORDINAL_RE.match(text, p):
            pos = p
            continue
        a = float(m.group(1))
        clock = _CLOCK_AFTER_RE.match(text, p) if text.startswith(":", p) else None
        if clock:
            a += int(clock.group(1)) / 60
            p = clock.end()
        unit, period, p1 = _match_unit(text, p, a)
        if clock and unit is None:
            unit = "clock"
        b: float | None = None
        joiner: str | None = None
        before = text[max(start, s - 30):s]
        j = _skip_spaces(text, p1)
        rng = _RANGE_RE.match(text, p1) if text[j:j + 1] in _RANGE_FIRST else None
        if rng and unit != "clock":
            b_value = float(rng.group(2))
            unit2, period2, p2 = _match_unit(text, rng.end(), b_value)
            if unit is None or unit2 is None or unit == unit2:
                b = b_value
                connector = rng.group(1)
                joiner = "from_to" if (before_matches(_FROM_BEFORE_RE, before)
                                       or connector in ("->", ">")
                                       or connector.startswith(("up", "down"))) else "range"
                unit = unit2 or unit
                period = period2 or period
                p1 = p2
        j = _skip_spaces(text, p1)
        if period is None and text[j:j + 1] in _PERIOD_FIRST:
            pm = _PERIOD_RE.match(text, p1)
            if pm:
                word = pm.group("adv") or pm.group("per")
                period = "other_day" if pm.group("other") else _PERIODS.get(word or "", None)
                p1 = pm.end()
        if unit is None and before_matches(_AT_BEFORE_RE, before):
            unit = "clock"
        qualifier = None
        if b is None:
            if before_matches(_LT_BEFORE_RE, before):
                qualifier = "lt"
            elif before_matches(_GT_BEFORE_RE, before) or text[p:p + 1] == "+":
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

# "." ends a clause unless a digit follows ("6.5")
_CLAUSE_PUNCT = r"[,;!?\n()]|\.(?P<_end>)(?:[^0-9]|$)|\s-\s|:\s"


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    sentence: int


@lru_cache(maxsize=16)
def _clause_pattern(break_words: tuple[str, ...]) -> LinearPattern:
    words = "|".join(re.escape(w) for w in sorted(break_words, key=len, reverse=True))
    return LinearPattern(rf"{_CLAUSE_PUNCT}|\b(?:{words})\b" if words else _CLAUSE_PUNCT)


def clause_spans(text: str, break_words: Iterable[str]) -> list[Clause]:
    """Split ``text`` into clauses on punctuation and on the given words ("but", "and", ...).

    Each clause remembers the index of its sentence (sentences end with . ! ? or a new line).
    """
    pattern = _clause_pattern(tuple(break_words))
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
    """The clause containing ``position`` (clauses in order, as :func:`clause_spans` gives them)."""
    i = bisect_right(clauses, position, key=_clause_start) - 1
    if i >= 0 and position < clauses[i].end:
        return clauses[i]
    return None


def _clause_start(clause: Clause) -> int:
    return clause.start
