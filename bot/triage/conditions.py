"""The small condition language of the knowledge files (causes.yml, questions.yml).

    {slot: weekly_increase_pct, op: ">", value: 10, weight: 2}
    {slot: diet_factors, op: contains, value: low_carb}
    {slot: onset, op: "==", value: sudden}
    {slot: sleep_hours, op: missing}
    {all: [{...}, {...}]}            holds when every part holds
    {any: [{...}, {...}]}            holds when one part holds

A condition may only name a slot the engine knows (bot/triage/answers.py) and, for a
text or list slot, a value that something can actually produce (bot/triage/producible.py):
a misspelt or unreachable value is refused when the file is loaded, not silently false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bot.triage.answers import LIST, NUMBER, RunnerAnswers

OPS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=", "contains", "missing", "known")
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Condition:
    """One test on the answers: ``slot op value``, or an ``all``/``any`` group."""

    slot: str | None = None
    op: str | None = None
    value: Any = None
    weight: float = 0.0
    parts: tuple[Condition, ...] = ()
    group: str = ""  # "all" | "any" for groups

    def holds(self, answers: RunnerAnswers) -> bool:
        if self.parts:
            results = (part.holds(answers) for part in self.parts)
            return any(results) if self.group == "any" else all(results)
        actual = getattr(answers, str(self.slot))
        if self.op == "missing":
            return actual is None or actual == ()
        if self.op == "known":
            return not (actual is None or actual == ())
        if actual is None or actual == ():
            return False
        if self.op in _NUMERIC_OPS:
            return bool(_NUMERIC_OPS[self.op](actual, self.value))
        if self.op == "==":
            return bool(actual == self.value)
        if self.op == "!=":
            return bool(actual != self.value)
        if self.op == "contains":
            return self.value in actual
        return False

    def slots(self) -> set[str]:
        """The slots this condition reads."""
        if self.parts:
            return set().union(*(part.slots() for part in self.parts))
        return {str(self.slot)}


class ConditionReader:
    """Reads conditions from YAML with readable errors.

    ``kinds``: slot -> number | text | list; ``values``: slot -> the values that can be
    produced for a text or list slot (a slot absent from ``values`` accepts any value).
    """

    def __init__(self, source: str, kinds: Mapping[str, str],
                 values: Mapping[str, frozenset[str]]) -> None:
        self.source, self.kinds, self.values = source, kinds, values

    def fail(self, where: str, message: str) -> ValueError:
        return ValueError(f"{self.source}: {where}: {message}")

    def number(self, value: Any, where: str, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"{what} must be a number, got {value!r}")
        return float(value)

    def read(self, raw: Any, where: str, *, weighted: bool) -> Condition:
        if not isinstance(raw, Mapping):
            raise self.fail(where, f"a condition must be a mapping, got {raw!r}")
        allowed = {"slot", "op", "value", "all", "any"} | ({"weight"} if weighted else set())
        unknown = set(raw) - allowed
        if unknown:
            hint = " (weights belong only in 'conditions')" if "weight" in unknown else ""
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}{hint}")
        weight = self.number(raw.get("weight"), where, "'weight'") if weighted else 0.0
        groups = [g for g in ("all", "any") if g in raw]
        if groups:
            if len(groups) > 1 or {"slot", "op", "value"} & set(raw):
                raise self.fail(where, "a group is either 'all' or 'any', with nothing else")
            group = groups[0]
            parts_raw = raw[group]
            if not isinstance(parts_raw, list) or not parts_raw:
                raise self.fail(where, f"'{group}' must be a non-empty list of conditions")
            parts = tuple(self.read(p, f"{where}.{group}[{i}]", weighted=False)
                          for i, p in enumerate(parts_raw))
            return Condition(weight=weight, parts=parts, group=group)

        slot, op, value = raw.get("slot"), raw.get("op"), raw.get("value")
        if slot not in self.kinds:
            raise self.fail(where, f"unknown slot {slot!r} (known: {', '.join(self.kinds)})")
        if op not in OPS:
            raise self.fail(where, f"unknown op {op!r} (known: {', '.join(OPS)})")
        kind = self.kinds[slot]
        if op in ("missing", "known"):
            if value is not None:
                raise self.fail(where, f"'{op}' takes no value")
        elif op in _NUMERIC_OPS:
            if kind != NUMBER:
                raise self.fail(where, f"op {op!r} needs a number slot; {slot!r} is a {kind} slot")
            value = self.number(value, where, "'value'")
        elif op in ("==", "!="):
            if kind == LIST:
                raise self.fail(where, f"use 'contains' with list slot {slot!r}")
            if kind == NUMBER:
                value = self.number(value, where, "'value'")
            else:
                value = self._value(slot, value, where)
        elif op == "contains":
            if kind != LIST:
                raise self.fail(where, f"'contains' needs a list slot; {slot!r} is a {kind} slot")
            value = self._value(slot, value, where)
        return Condition(slot=slot, op=op, value=value, weight=weight)

    def _value(self, slot: str, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"'value' for {slot!r} must be an id (text)")
        possible = self.values.get(slot)
        if possible is not None and value not in possible:
            raise self.fail(
                where, f"nothing can set {slot!r} to {value!r}: no phrase in "
                f"answer_vocabulary.yml and no answer in questions.yml gives it (possible: "
                f"{', '.join(sorted(possible)) or 'none'})")
        return value

    def read_list(self, raw: Any, where: str, *, weighted: bool,
                  required: bool) -> tuple[Condition, ...]:
        if raw is None and not required:
            return ()
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list of conditions")
        return tuple(self.read(c, f"{where}[{i}]", weighted=weighted) for i, c in enumerate(raw))
