"""Distances in the runner's own unit.

Answers are kept in km (``weekly_distance_km`` and friends), whatever unit the runner
used; the slot ``distance_unit`` remembers "mi" when they gave their weekly distance in
miles. What the bot says is written in km (bot/knowledge/causes.yml); for a runner who
counts in miles :func:`in_runner_units` turns every "N km" (and "N to M km") of a text
into miles, rounded as a runner would say them: "48 km a week" -> "30 miles a week",
"500 to 800 km" -> "310 to 500 miles".
"""

from __future__ import annotations

import re

KM_PER_MILE = 1.609344
_KM = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:(\s*(?:to|-|–|or)\s*)(\d+(?:\.\d+)?))?\s?"
    r"(?:km|kms|kilometres|kilometers)\b")


def miles_figure(km: float) -> str:
    """A distance in km said in miles: tens from 100 up, whole miles from 10 up, else
    one decimal (dropped when it is .0)."""
    miles = km / KM_PER_MILE
    if miles >= 100:
        return str(int(round(miles / 10.0)) * 10)
    if miles >= 10:
        return str(int(round(miles)))
    return f"{miles:.1f}".rstrip("0").rstrip(".")


def _to_miles(match: re.Match) -> str:
    first, joiner, second = match.group(1), match.group(2), match.group(3)
    if second is None:
        figure = miles_figure(float(first))
        return f"{figure} {'mile' if figure == '1' else 'miles'}"
    return f"{miles_figure(float(first))}{joiner}{miles_figure(float(second))} miles"


def in_runner_units(text: str, unit: str | None) -> str:
    """``text`` with its km distances in miles when ``unit`` is "mi"; else unchanged."""
    if unit != "mi" or not text:
        return text
    return _KM.sub(_to_miles, text)
