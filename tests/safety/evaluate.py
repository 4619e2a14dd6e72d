"""Evaluate the red-flag detector on the safety sets and check the gates.

Run from the project root::

    python -m tests.safety.evaluate            # or: python tests/safety/evaluate.py
    python -m tests.safety.evaluate --verbose  # also list the non-gating notes

Two parts are evaluated separately: the tuning part (``red_flag_set.yml``) and
the held-out part (``red_flag_holdout.yml``, written before the vocabulary was
tuned and never tuned against). For each part it prints the number of
messages, recall over positives, emergency and urgent recall, the under-triage
count, the false-escalation rate on negated + benign messages and on every
message expected at level ``none``, and the failures. Exit status 1 when a
gate fails.

Gates (each part):

* every positive is escalated at its level or above;
* no emergency or urgent case is under-triaged (detected level >= expected);
* false escalations (level != none) on the messages expected at level none
  (negated, benign, question, hedged) are at most 3 %.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAFETY_DIR = Path(__file__).resolve().parent
PARTS = {
    "tuning": SAFETY_DIR / "red_flag_set.yml",
    "held-out": SAFETY_DIR / "red_flag_holdout.yml",
}
LEVELS = ("none", "see_professional", "urgent", "emergency")
CATEGORIES = (
    "positive_emergency", "positive_urgent", "positive_see_professional",
    "negated", "hedged", "benign", "question", "long",
)
MAX_FALSE_ESCALATION = 0.03
_ITEM_KEYS = {"text", "expected_level", "expected_signs", "expected_hedged", "category"}


@dataclass(frozen=True)
class Item:
    text: str
    expected_level: str
    expected_signs: tuple[str, ...]
    expected_hedged: tuple[str, ...]
    category: str

    @property
    def positive(self) -> bool:
        return self.expected_level != "none"


@dataclass
class Outcome:
    item: Item
    level: str
    affirmed: frozenset[str]
    hedged: frozenset[str]
    negated: frozenset[str]
    asked: frozenset[str]


@dataclass
class PartReport:
    name: str
    outcomes: list[Outcome]
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # -- counts --------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.outcomes)

    def _positives(self, level: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.positive
                and (level is None or o.item.expected_level == level)]

    @staticmethod
    def found(o: Outcome) -> bool:
        """Escalated at its level or above. (The sets' ``expected_signs`` name signs of
        the first vocabulary; the concept-based one of issue 13 names them otherwise,
        so only levels are compared.)"""
        return LEVELS.index(o.level) >= LEVELS.index(o.item.expected_level) > 0

    @property
    def recall(self) -> tuple[int, int]:
        pos = self._positives()
        return sum(self.found(o) for o in pos), len(pos)

    def level_recall(self, level: str) -> tuple[int, int]:
        pos = self._positives(level)
        ok = sum(LEVELS.index(o.level) >= LEVELS.index(level) for o in pos)
        return ok, len(pos)

    @property
    def under_triaged(self) -> list[Outcome]:
        return [o for o in self._positives()
                if LEVELS.index(o.level) < LEVELS.index(o.item.expected_level)]

    @property
    def over_triaged(self) -> list[Outcome]:
        return [o for o in self._positives()
                if LEVELS.index(o.level) > LEVELS.index(o.item.expected_level)]

    def false_escalation(self, categories: tuple[str, ...] | None = None) -> tuple[int, int]:
        pool = [o for o in self.outcomes if not o.item.positive
                and (categories is None or o.item.category in categories)]
        return sum(o.level != "none" for o in pool), len(pool)

    # -- gates ---------------------------------------------------------------
    def gate_results(self) -> dict[str, bool]:
        found, total = self.recall
        fe, fe_n = self.false_escalation()
        serious_under = [o for o in self.under_triaged
                         if o.item.expected_level in ("urgent", "emergency")]
        return {
            "every positive found": found == total,
            "no emergency/urgent under-triage": not serious_under,
            f"false escalation <= {MAX_FALSE_ESCALATION:.0%}":
                fe_n == 0 or fe / fe_n <= MAX_FALSE_ESCALATION,
        }

    @property
    def passed(self) -> bool:
        return all(self.gate_results().values())


def load_items(path: Path) -> list[Item]:
    """Load and check an evaluation file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError(f"{path}: expected a mapping with an 'items' list")
    items = []
    for i, raw in enumerate(data["items"]):
        where = f"{path.name} item {i}"
        if not isinstance(raw, dict) or set(raw) - _ITEM_KEYS:
            raise ValueError(f"{where}: unexpected fields {sorted(set(raw) - _ITEM_KEYS)}")
        text = raw.get("text")
        level = raw.get("expected_level")
        category = raw.get("category")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: missing text")
        if level not in LEVELS:
            raise ValueError(f"{where}: bad expected_level {level!r}")
        if category not in CATEGORIES:
            raise ValueError(f"{where}: bad category {category!r}")
        signs = tuple(raw.get("expected_signs") or ())
        hedged = tuple(raw.get("expected_hedged") or ())
        if level != "none" and not signs:
            raise ValueError(f"{where}: a positive needs expected_signs")
        if level == "none" and signs:
            raise ValueError(f"{where}: expected_signs must be empty at level none")
        items.append(Item(text.strip(), level, signs, hedged, category))
    return items


def make_detector() -> Any:
    """Build the detector on the project's spaCy pipeline (building it if needed)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import spacy

    from bot.nlp.pipeline import ensure_pipeline
    from bot.triage.red_flags import RedFlagDetector

    path = ensure_pipeline(ROOT / "build" / "spacy_pipeline")
    return RedFlagDetector(spacy.load(path))


def evaluate_part(detector: Any, name: str, items: list[Item]) -> PartReport:
    report = PartReport(name, [])
    for item in items:
        f = detector.detect_text(item.text)
        report.outcomes.append(Outcome(item, f.level, f.affirmed, f.hedged, f.negated,
                                       f.asked_about))
    for o in report.outcomes:
        it = o.item
        got = f"level={o.level} affirmed={sorted(o.affirmed)}"
        if it.positive:
            if o.level == "none":
                report.failures.append(
                    f"MISSED [{it.category}] {it.text!r}: expected {it.expected_level}; {got}")
            if LEVELS.index(o.level) < LEVELS.index(it.expected_level):
                report.failures.append(
                    f"UNDER-TRIAGE [{it.category}] {it.text!r}: "
                    f"expected {it.expected_level}; {got}")
            elif LEVELS.index(o.level) > LEVELS.index(it.expected_level):
                report.notes.append(
                    f"over-triage [{it.category}] {it.text!r}: expected {it.expected_level}; {got}")
        else:
            if o.level != "none":
                report.failures.append(
                    f"FALSE ESCALATION [{it.category}] {it.text!r}: {got}")
            missing_hedge = set(it.expected_hedged) - o.hedged
            if missing_hedge:
                report.notes.append(
                    f"hedge not recognised [{it.category}] {it.text!r}: expected hedged "
                    f"{sorted(missing_hedge)}; hedged={sorted(o.hedged)} {got}")
    return report


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({(num / den if den else 1.0):.1%})"


def format_report(report: PartReport, verbose: bool = False) -> str:
    fe_nb = report.false_escalation(("negated", "benign"))
    fe_all = report.false_escalation()
    lines = [
        f"== {report.name} part: {report.n} messages ==",
        f"  recall over positives            {_pct(*report.recall)}",
        f"  emergency recall                 {_pct(*report.level_recall('emergency'))}",
        f"  urgent recall                    {_pct(*report.level_recall('urgent'))}",
        f"  under-triage count               {len(report.under_triaged)}",
        f"  over-triage count (not a gate)   {len(report.over_triaged)}",
        f"  false escalation, negated+benign {_pct(*fe_nb)}",
        f"  false escalation, all level-none {_pct(*fe_all)}"
        "  (negated, benign, question, hedged, long)",
    ]
    for gate, ok in report.gate_results().items():
        lines.append(f"  gate {gate:38} {'PASS' if ok else 'FAIL'}")
    lines.append(f"  failures: {len(report.failures)}")
    lines += [f"    - {f}" for f in report.failures]
    if verbose and report.notes:
        lines.append(f"  notes (not gating): {len(report.notes)}")
        lines += [f"    - {n}" for n in report.notes]
    elif report.notes:
        lines.append(f"  notes (not gating): {len(report.notes)} (use --verbose to list)")
    return "\n".join(lines)


def run(verbose: bool = False, parts: list[str] | None = None) -> int:
    detector = make_detector()
    ok = True
    for name, path in PARTS.items():
        if parts and name not in parts:
            continue
        report = evaluate_part(detector, name, load_items(path))
        print(format_report(report, verbose))
        print()
        ok = ok and report.passed
    print("ALL GATES PASS" if ok else "GATE FAILURE")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="list non-gating notes")
    parser.add_argument("--part", action="append", choices=sorted(PARTS),
                        help="evaluate only this part (repeatable; default: both)")
    args = parser.parse_args(argv)
    sys.exit(run(args.verbose, args.part))


if __name__ == "__main__":
    main()
