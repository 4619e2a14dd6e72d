"""Safety gates for the red-flag detector, on the tuning and the held-out parts.

* every positive is found (all expected signs affirmed, level not none);
* no emergency or urgent case is under-triaged (detected level >= expected);
* false escalations on the messages expected at level none (negated, benign,
  question, hedged) are at most 3 %.

``python -m tests.safety.evaluate`` prints the same figures with the failures.
"""

from __future__ import annotations

import pytest

from tests.safety.evaluate import (
    MAX_FALSE_ESCALATION,
    PARTS,
    evaluate_part,
    load_items,
    make_detector,
)


@pytest.fixture(scope="module")
def detector():
    return make_detector()


@pytest.fixture(scope="module")
def reports(detector):
    return {name: evaluate_part(detector, name, load_items(path)) for name, path in PARTS.items()}


def test_sets_are_large_enough():
    tuning = load_items(PARTS["tuning"])
    held_out = load_items(PARTS["held-out"])
    assert len(tuning) >= 150
    assert len(held_out) >= 80
    assert len(tuning) + len(held_out) >= 220
    for items in (tuning, held_out):
        categories = {item.category for item in items}
        assert {"positive_emergency", "positive_urgent", "positive_see_professional",
                "negated", "hedged", "benign", "question", "long"} <= categories
    texts = [i.text for i in tuning]
    assert not set(texts) & {i.text for i in held_out}, "a held-out message is in the tuning part"


@pytest.mark.parametrize("part", list(PARTS))
def test_every_positive_is_found(reports, part):
    report = reports[part]
    missed = [o.item.text for o in report.outcomes if o.item.positive and not report.found(o)]
    assert not missed, "\n".join(report.failures)


@pytest.mark.parametrize("part", list(PARTS))
def test_no_emergency_or_urgent_case_is_under_triaged(reports, part):
    report = reports[part]
    serious = [o.item.text for o in report.under_triaged
               if o.item.expected_level in ("urgent", "emergency")]
    assert not serious, serious
    for level in ("emergency", "urgent"):
        ok, total = report.level_recall(level)
        assert total > 0 and ok == total, (level, ok, total)


@pytest.mark.parametrize("part", list(PARTS))
def test_false_escalation_is_at_most_3_percent(reports, part):
    report = reports[part]
    escalated, total = report.false_escalation()
    assert total > 0
    assert escalated / total <= MAX_FALSE_ESCALATION, [
        f for f in report.failures if f.startswith("FALSE ESCALATION")]
    escalated, total = report.false_escalation(("negated", "benign"))
    assert escalated / total <= MAX_FALSE_ESCALATION


def test_gates_fail_for_a_detector_that_finds_nothing(detector):
    """The gate logic itself: a blind detector must fail, an alarmist one too."""
    from bot.triage.red_flags import RedFlagFindings

    class Fixed:
        vocabulary = detector.vocabulary

        def __init__(self, level, signs):
            self.level, self.signs = level, frozenset(signs)

        def detect_text(self, text):
            return RedFlagFindings((), self.signs, frozenset(), frozenset(), frozenset(),
                                   self.level)

    items = load_items(PARTS["tuning"])
    blind = evaluate_part(Fixed("none", ()), "blind", items)
    assert not blind.passed
    assert not blind.gate_results()["every positive found"]
    assert not blind.gate_results()["no emergency/urgent under-triage"]
    alarmist = evaluate_part(Fixed("emergency", ()), "alarmist", items)
    assert not alarmist.gate_results()[f"false escalation <= {MAX_FALSE_ESCALATION:.0%}"]
