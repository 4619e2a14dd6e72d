"""How long ago, from the way runners say it: "two years ago", "last spring", "in March",
"since Christmas", "for 3 weeks", "a few months".

Month and season names, and the words for "a few", are in the ``dates`` section of
``bot/knowledge/answer_vocabulary.yml``. Everything is relative to ``today`` (passed in,
so tests and replays are reproducible). Pure Python; linear in the text.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, Sequence

from bot.triage.numbers import (
    AGE_UNITS,
    WEEKS_PER_MONTH,
    LinearPattern,
    normalize,
    scan,
    to_months,
)


@cache
def _section(name: str) -> dict[str, object]:
    from bot.triage.parsing import vocab

    found = vocab("dates", name)
    return dict(found) if isinstance(found, dict) else {}


@cache
def _word_pattern(name: str) -> LinearPattern | None:
    """Month names need a word before them ("in March", "since may": "I may" is no
    date); seasons and holidays do not ("got them for xmas", "spring")."""
    words = sorted(_section(name), key=len, reverse=True)
    if not words:
        return None
    need = "" if name == "months" else "?"
    return LinearPattern(r"\b(last|this|since|in|from|at|around|over|before|after|for|"
                         r"early|late|end\s+of|start\s+of|beginning\s+of)" + need
                         + r"\s*(?:the\s+)?(" + "|".join(w.replace(" ", r"\s+") for w in words)
                         + r")\b")


_FEW_RE = LinearPattern(r"\b(a\s+few|few|several|a\s+couple\s+of|couple\s+of|some)\s+"
                        r"(days|weeks|months|years)\b")
_FEW_VALUE = {"a few": 3.0, "few": 3.0, "several": 4.0, "a couple of": 2.0, "couple of": 2.0,
              "some": 3.0}


def _months_back(month: int, today: date) -> float:
    """Months from the middle of the most recent ``month`` to today."""
    months = (today.month - month) % 12 + (today.day - 15) / 30.0
    return months + 12 if months < 0 else months


def months_ago(text: str, today: date, *, normalized: str | None = None,
               quantities: Sequence[Any] | None = None) -> float | None:
    """Months since the time ``text`` names ("last spring", "2 years ago", "in March",
    "at Christmas"), or None when it names none. For a bare figure with a unit
    ("6 months", "a year") the figure itself is the answer. A caller that has already
    normalised the text (with "a month" -> "1 month") and scanned it passes
    ``normalized`` and ``quantities``, so the text is not read twice."""
    from bot.triage.parsing import A_PERIOD_RE, one_period

    if normalized is None:
        text_form = normalize(text)
        text_form.sub(A_PERIOD_RE, one_period)  # "a month" -> "1 month"
        nt = text_form.text
    else:
        nt = normalized
    for name in ("months", "seasons", "holidays"):
        pattern = _word_pattern(name)
        m = pattern.search(nt) if pattern is not None else None
        if m is None:
            continue
        month = int(str(_section(name)[" ".join(m.group(2).split())]))
        back = _months_back(month, today)
        if (m.group(1) or "").strip() == "last" and back < 1.5:
            back += 12  # "last summer" said in July is a year ago, not this summer
        return round(back, 1)
    for q in (scan(nt) if quantities is None else quantities):
        if q.unit in AGE_UNITS and q.period is None:
            months = to_months(q.value, q.unit)
            if months is not None:
                return round(months, 2)
    m = _FEW_RE.search(nt)
    if m is not None:
        value = _FEW_VALUE.get(" ".join(m.group(1).split()), 3.0)
        months = to_months(value, m.group(2))
        return None if months is None else round(months, 2)
    return None


def weeks_ago(text: str, today: date) -> float | None:
    """Like :func:`months_ago`, in weeks ("for 3 weeks" -> 3, "since March" -> ...)."""
    months = months_ago(text, today)
    return None if months is None else round(months * WEEKS_PER_MONTH, 1)
