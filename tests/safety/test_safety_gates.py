"""Safety gates for the warning-sign detector (issue 13).

* The development sets (tuned on freely: tests/safety/dev/) hold the issue's gates:
  every emergency and urgent message at its level or above, >= 98% of
  see-a-professional messages escalated, no ordinary message urgent or emergency
  and at most 2% escalated at all (dev.yml exactly; the two larger paraphrase
  corpora within a message or two, see PARAPHRASE_SLACK).
* The first-generation sets (red_flag_set.yml, red_flag_holdout.yml): every
  positive at its level, no under-triage, false escalation <= 3%.
* The blind set (tests/safety/blind/, never tuned to) is measured on every run and
  must not fall below the figures it had when the concept-based detector landed
  (BLIND_FLOOR); its files must be the ones whose SHA-256 docs/safety.md records.

``python -m tests.safety.evaluate_groups --set blind`` prints the full table.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.safety.evaluate import (
    MAX_FALSE_ESCALATION,
    PARTS,
    evaluate_part,
    load_items,
)
from tests.safety.evaluate import (
    make_detector as make_first_detector,
)
from tests.safety.evaluate_groups import (
    LEVELS,
    SETS,
    gates,
    load,
    run_detector,
)

ROOT = Path(__file__).resolve().parents[2]
# At most this many misses on each paraphrase corpus's gate (the issue's gates on
# dev.yml are exact): a handful of their 1,800 messages need what rules can't read
# (a hypothetical said after the sign, "vegan for 3 months now and my legs feel flat").
PARAPHRASE_SLACK = {"serious": 1, "see": 0, "ordinary_serious": 1, "ordinary_any": 2}
# The blind set when this detector landed (tests/safety/blind/README.md): never lower.
# Now 519/552, 219/237 and 15/370 (after the eleventh development round).
BLIND_FLOOR = {"serious": 0.940, "see": 0.924, "ordinary_escalated_max": 0.041}


@pytest.fixture(scope="module")
def detector():
    return make_first_detector()


def results_for(detector, name: str):
    results, _ = run_detector(detector, load(SETS[name]))
    return results


def counts(results):
    serious = [r for r in results if r.message.level in ("urgent", "emergency")]
    see = [r for r in results if r.message.level == "see_professional"]
    ordinary = [r for r in results if r.message.level == "none"]
    return {
        "serious_missed": [r for r in serious if not r.caught],
        "see_missed": [r for r in see if not r.caught],
        "see_total": len(see),
        "ordinary_serious": [r for r in ordinary if r.level in ("urgent", "emergency")],
        "ordinary_any": [r for r in ordinary if r.level != "none"],
        "ordinary_total": len(ordinary),
        "serious_total": len(serious),
    }


def show(found) -> list[str]:
    return [f"[{r.message.group}] {r.level}: {r.message.text[:120]}" for r in found]


def test_the_development_set_holds_every_gate_of_the_issue(detector) -> None:
    results = results_for(detector, "dev")
    failed = {name: figure for name, (ok, figure) in gates(results).items() if not ok}
    c = counts(results)
    assert not failed, (failed, show(c["serious_missed"] + c["see_missed"] + c["ordinary_any"]))


@pytest.mark.parametrize("name", ["paraphrases"])
def test_the_paraphrase_corpus_holds_the_gates_within_a_message_or_two(detector, name) -> None:
    c = counts(results_for(detector, name))
    assert len(c["serious_missed"]) <= PARAPHRASE_SLACK["serious"], show(c["serious_missed"])
    assert len(c["see_missed"]) <= max(PARAPHRASE_SLACK["see"], 0.02 * c["see_total"]), show(
        c["see_missed"])
    assert len(c["ordinary_serious"]) <= PARAPHRASE_SLACK["ordinary_serious"], show(
        c["ordinary_serious"])
    assert len(c["ordinary_any"]) <= PARAPHRASE_SLACK["ordinary_any"], show(c["ordinary_any"])


@pytest.mark.parametrize("part", list(PARTS))
def test_the_first_sets_keep_their_gates(detector, part) -> None:
    report = evaluate_part(detector, part, load_items(PARTS[part]))
    assert report.passed, "\n".join(report.failures)
    escalated, total = report.false_escalation()
    assert escalated / total <= MAX_FALSE_ESCALATION


def test_the_blind_set_is_the_one_recorded_in_the_docs() -> None:
    recorded = (ROOT / "docs" / "safety.md").read_text()
    for path in SETS["blind"]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{digest}  tests/safety/blind/{path.name}" in recorded, path.name


def test_the_blind_set_never_falls_below_its_landing_figures(detector) -> None:
    results = results_for(detector, "blind")
    c = counts(results)
    serious = 1 - len(c["serious_missed"]) / c["serious_total"]
    see = 1 - len(c["see_missed"]) / c["see_total"]
    ordinary = len(c["ordinary_any"]) / c["ordinary_total"]
    assert serious >= BLIND_FLOOR["serious"], serious
    assert see >= BLIND_FLOOR["see"], see
    assert ordinary <= BLIND_FLOOR["ordinary_escalated_max"], ordinary


def test_the_sets_are_large_and_cover_every_group() -> None:
    blind = load(SETS["blind"])
    written = [m for m in blind if not m.real]
    real = [m for m in blind if m.real]
    assert len(written) >= 600 and len(real) >= 100
    assert all(m.source.startswith("http") for m in real)
    for group in ("chest_pain", "breathlessness", "coughing_blood", "collapse", "confusion",
                  "heat_illness", "hyponatraemia", "cauda_equina", "compartment_syndrome",
                  "limb_ischaemia", "pulmonary_embolism", "rhabdomyolysis", "dvt", "urine",
                  "cannot_bear_weight", "palpitations_faint", "foot_drop"):
        assert sum(m.group == group for m in written) >= 25, group
    assert sum(m.level == "none" for m in written) >= 250
    assert {m.level for m in blind} == set(LEVELS)


def test_the_gates_fail_for_a_detector_that_finds_nothing_or_everything() -> None:
    """The gate logic itself: a blind detector and an alarmist one both fail."""
    from bot.triage.red_flags import RedFlagFindings

    class Fixed:
        def __init__(self, level: str) -> None:
            self.level = level

        def detect_text(self, text: str) -> RedFlagFindings:
            return RedFlagFindings((), frozenset(), frozenset(), frozenset(), frozenset(),
                                   self.level)

    messages = load(SETS["dev"])
    for level in ("none", "emergency"):
        results, _ = run_detector(Fixed(level), messages)
        assert not all(ok for ok, _ in gates(results).values()), level
