"""Tests for the cause engine (bot/triage/engine.py) and bot/knowledge/causes.yml."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

# Let `.venv/bin/pytest` find the project even when it is not installed (`pip install -e .`).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from bot.triage.answers import FIXED_SLOTS, slot_kinds  # noqa: E402
from bot.triage.engine import (  # noqa: E402
    DEFAULT_CAUSES_PATH,
    RankedCause,
    RunnerAnswers,
    cause_ids,
    load_causes,
    rank_causes,
    render_explanation,
)

# One answers object per cause, built from that cause's own signals.
SIGNALS: dict[str, RunnerAnswers] = {
    "training_load": RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=24),
    "sleep": RunnerAnswers(sleep_hours=5),
    "glycogen": RunnerAnswers(diet_factors=("low_carb",)),
    "hydration": RunnerAnswers(diet_factors=("low_fluids", "alcohol")),
    "iron": RunnerAnswers(diet_factors=("vegetarian",), conditions_hints=("general_tiredness",)),
    "shoes": RunnerAnswers(shoe_distance_km=900),
    "strength_training": RunnerAnswers(volunteered_causes=("strength_training",)),
    "recovery": RunnerAnswers(weekly_distance_km=70, sleep_hours=7.5, runs_per_week=7),
    "form": RunnerAnswers(conditions_hints=("poor_form", "recurring")),
    "weight_change": RunnerAnswers(volunteered_causes=("weight_change",)),
    "doms": RunnerAnswers(
        volunteered_causes=("doms",), symptoms=("heavy", "sore"), symptom_timing="after"
    ),
    "terrain": RunnerAnswers(volunteered_causes=("terrain",)),
    "stress": RunnerAnswers(volunteered_causes=("stress",)),
    "circulation": RunnerAnswers(conditions_hints=("varicose", "swelling")),
    "compartment_syndrome": RunnerAnswers(
        conditions_hints=("same_spot_pain", "eases_with_rest", "cramping"), symptom_timing="during"
    ),
    "overtraining": RunnerAnswers(
        weekly_distance_km=90, conditions_hints=("performance_drop", "high_resting_hr",
                                                 "no_better_with_rest"), symptom_weeks=10),
    "low_energy_availability": RunnerAnswers(
        periods=("missed",), conditions_hints=("weight_loss",), diet_factors=("under_eating",)),
    "bone_stress": RunnerAnswers(conditions_hints=("bone_pain", "shin_pain"), sides="one"),
    "statins": RunnerAnswers(medicines=("statin",), symptoms=("achy",)),
    "post_viral": RunnerAnswers(recent_illness="yes", onset="sudden"),
    "heat_altitude": RunnerAnswers(conditions_hints=("hot_weather", "humid")),
}

# A spread of partial and mixed answers for the "no placeholder left" checks.
MIXED: list[RunnerAnswers] = [
    RunnerAnswers(),
    RunnerAnswers(weekly_distance_km=8.5, previous_weekly_distance_km=5),
    RunnerAnswers(distance_increase_pct=30),
    RunnerAnswers(weekly_distance_km=40),
    RunnerAnswers(previous_weekly_distance_km=40),
    RunnerAnswers(volunteered_causes=("training_load",), distance_increase_pct=0),
    RunnerAnswers(volunteered_causes=("recovery",), runs_per_week=7),
    RunnerAnswers(weekly_distance_km=90),
    RunnerAnswers(shoe_age_months=18),
    RunnerAnswers(shoe_distance_km=300, volunteered_causes=("shoes",)),
    RunnerAnswers(sleep_hours=8, diet_factors=("vegan", "under_eating")),
    RunnerAnswers(
        weekly_distance_km=72.4,
        previous_weekly_distance_km=50,
        sleep_hours=5.5,
        shoe_distance_km=850,
        shoe_age_months=14,
        runs_per_week=7,
        diet_factors=("low_carb", "alcohol", "vegan"),
        volunteered_causes=("training_load", "recovery", "doms", "stress", "terrain"),
        symptoms=("heavy", "sore", "stiff"),
        symptom_timing="both",
        conditions_hints=("varicose", "same_spot_pain", "general_tiredness"),
    ),
]


def ids(ranked: list[RankedCause]) -> list[str]:
    return [r.id for r in ranked]


# --- the knowledge file --------------------------------------------------------------


def test_knowledge_file_validates_and_every_cause_is_complete():
    causes = load_causes()
    assert [c.id for c in causes] == list(cause_ids())
    assert len(causes) >= 21
    for cause in causes:
        assert cause.title
        assert 2 <= len(cause.advice) <= 4
        assert cause.see_professional_when
        # every fact has a source: a seed text or a public reference
        assert cause.sources or cause.references
        assert all(0 <= s <= 4 for s in cause.sources)
        assert all(r.url.startswith("http") for r in cause.references)
        assert cause.conditions
        assert "{" not in cause.explanation_without_figures
        assert "{" not in cause.first_step_without_figures


def test_default_path_points_at_the_knowledge_folder():
    assert DEFAULT_CAUSES_PATH.name == "causes.yml"
    assert DEFAULT_CAUSES_PATH.parent.name == "knowledge"
    assert load_causes(DEFAULT_CAUSES_PATH) == load_causes()


def test_answer_slots_are_the_fixed_ones_and_the_questions_slots():
    kinds = slot_kinds()
    assert set(FIXED_SLOTS) <= set(kinds)
    assert {"onset", "sides", "symptom_timing", "after_stopping", "recent_illness",
            "medicines", "periods"} <= set(kinds)
    for name in kinds:
        RunnerAnswers(**{name: None})  # every slot is accepted
    with pytest.raises(TypeError):
        RunnerAnswers(no_such_slot=1)


# --- ranking ---------------------------------------------------------------------------


@pytest.mark.parametrize("cause_id", cause_ids())
def test_each_cause_can_be_made_top_by_its_signals(cause_id):
    ranked = rank_causes(SIGNALS[cause_id])
    assert ranked, f"nothing ranked for {cause_id}"
    assert ranked[0].id == cause_id
    assert ranked[0].score > 0


def test_signal_table_covers_every_cause():
    assert set(SIGNALS) == set(cause_ids())


def test_big_mileage_jump_ranks_training_load_and_quotes_the_figures():
    answers = RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=24)
    assert answers.distance_increase_pct == pytest.approx(66.67, abs=0.01)
    ranked = rank_causes(answers)
    assert ranked[0].id == "training_load"
    text = render_explanation(answers, ranked)
    assert "24" in text and "40" in text and "67%" in text


def test_bigger_jumps_score_higher():
    scores = [
        rank_causes(RunnerAnswers(distance_increase_pct=pct))[0].score for pct in (15, 30, 60)
    ]
    assert scores[0] < scores[1] < scores[2]


def test_percentage_only_uses_the_percentage_template():
    answers = RunnerAnswers(distance_increase_pct=30)
    ranked = rank_causes(answers)
    assert ranked[0].id == "training_load"
    assert "30%" in ranked[0].explanation
    assert "Going from" not in ranked[0].explanation


def test_short_sleep_ranks_sleep_and_mentions_the_hours():
    answers = RunnerAnswers(sleep_hours=5)
    ranked = rank_causes(answers)
    assert ranked[0].id == "sleep"
    assert "5 hours" in render_explanation(answers, ranked)


def test_less_sleep_scores_higher():
    six_and_a_half = rank_causes(RunnerAnswers(sleep_hours=6.5))[0]
    five = rank_causes(RunnerAnswers(sleep_hours=5))[0]
    assert six_and_a_half.id == five.id == "sleep"
    assert five.score > six_and_a_half.score
    assert "6.5 hours" in six_and_a_half.explanation


def test_worn_shoes_rank_shoes_and_quote_the_distance():
    answers = RunnerAnswers(shoe_distance_km=900)
    ranked = rank_causes(answers)
    assert ranked[0].id == "shoes"
    assert "900" in render_explanation(answers, ranked)


def test_old_shoes_by_age_use_the_age_template():
    ranked = rank_causes(RunnerAnswers(shoe_age_months=18))
    assert ranked[0].id == "shoes"
    assert "18 months" in ranked[0].explanation


def test_young_low_mileage_shoes_do_not_rank():
    ranked = rank_causes(RunnerAnswers(shoe_distance_km=200, shoe_age_months=4))
    assert "shoes" not in ids(ranked)


@pytest.mark.parametrize(
    "answers",
    [
        RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=40),
        RunnerAnswers(weekly_distance_km=40, distance_increase_pct=0),
        RunnerAnswers(distance_increase_pct=0),
        RunnerAnswers(distance_increase_pct=8),
        RunnerAnswers(weekly_distance_km=30, previous_weekly_distance_km=40),
    ],
)
def test_steady_or_gentle_mileage_does_not_rank_training_load(answers):
    assert "training_load" not in ids(rank_causes(answers, limit=15))


def test_no_answers_gives_the_default_list_without_figures():
    answers = RunnerAnswers()
    ranked = rank_causes(answers)
    assert ids(ranked) == ["recovery", "hydration", "sleep"]
    assert all(r.score == 0 for r in ranked)
    text = render_explanation(answers, ranked)
    assert "Nothing in your answers stands out strongly" in text
    assert not re.search(r"\d+ km|\d+%|about \d+ hours", text)


def test_defaults_ignore_figures_that_do_not_support_a_cause():
    # 8 hours' sleep scores nothing, so sleep appears as a default without "8 hours".
    ranked = rank_causes(RunnerAnswers(sleep_hours=8))
    assert ids(ranked) == ["recovery", "hydration", "sleep"]
    assert "8 hours" not in ranked[2].explanation


def test_limit_is_respected():
    everything = MIXED[-1]
    assert len(rank_causes(everything)) == 3
    assert len(rank_causes(everything, limit=5)) == 5
    assert rank_causes(everything, limit=0) == []
    assert len(rank_causes(RunnerAnswers(), limit=1)) == 1


def test_ranking_is_sorted_by_score():
    ranked = rank_causes(MIXED[-1], limit=15)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)


def test_ties_are_broken_by_base_weight_then_id():
    # terrain and stress both score 4 when volunteered; terrain has the larger prior.
    ranked = rank_causes(RunnerAnswers(volunteered_causes=("stress", "terrain")))
    assert ids(ranked)[:2] == ["terrain", "stress"]
    assert ranked[0].score == ranked[1].score


def test_iron_is_never_top_on_diet_alone():
    vegetarian_short_sleep = rank_causes(
        RunnerAnswers(diet_factors=("vegetarian",), sleep_hours=6.5)
    )
    assert vegetarian_short_sleep[0].id == "sleep"
    assert "iron" in ids(vegetarian_short_sleep)

    vegan_under_eating = rank_causes(RunnerAnswers(diet_factors=("vegan", "under_eating")))
    assert vegan_under_eating[0].id != "iron"
    assert "iron" in ids(vegan_under_eating)

    only_vegetarian = rank_causes(RunnerAnswers(diet_factors=("vegetarian",)))
    assert only_vegetarian[0].id != "iron"
    assert "iron" in ids(only_vegetarian)


def test_tired_legs_are_not_general_tiredness():
    ranked = rank_causes(RunnerAnswers(symptoms=("tired",), diet_factors=("vegetarian",)))
    assert ranked[0].id != "iron"


@pytest.mark.parametrize(
    "answers",
    [
        RunnerAnswers(conditions_hints=("smoking", "older_age", "long_sitting_standing")),
        RunnerAnswers(conditions_hints=("cramping", "eases_with_rest"), symptom_timing="during"),
        RunnerAnswers(symptoms=("heavy", "achy", "tight"), symptom_timing="both"),
        RunnerAnswers(weekly_distance_km=50, sleep_hours=6, diet_factors=("alcohol",)),
    ],
)
def test_conditions_need_their_specific_signs(answers):
    ranked = ids(rank_causes(answers, limit=15))
    assert "circulation" not in ranked
    assert "compartment_syndrome" not in ranked


def test_sleep_and_recovery_are_told_apart():
    # short nights point to sleep; running every day with no rest day to recovery
    short_nights = rank_causes(RunnerAnswers(weekly_distance_km=75, sleep_hours=5.5))
    assert short_nights[0].id == "sleep" and "5.5 hours" in short_nights[0].explanation
    every_day = rank_causes(RunnerAnswers(weekly_distance_km=75, runs_per_week=7,
                                          sleep_hours=8))
    assert every_day[0].id == "recovery" and "sleep" not in ids(every_day)
    assert short_nights[0].explanation != every_day[0].explanation


def test_seven_runs_a_week_uses_the_rest_day_template():
    ranked = rank_causes(RunnerAnswers(runs_per_week=7))
    assert ranked[0].id == "recovery"
    assert "7 days a week" in ranked[0].explanation


# --- rendering -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    list(SIGNALS.values()) + MIXED,
    ids=[*SIGNALS, *(f"mixed{i}" for i in range(len(MIXED)))],
)
def test_render_never_leaves_a_placeholder(answers):
    for limit in (3, 15):
        ranked = rank_causes(answers, limit=limit)
        text = render_explanation(answers, ranked)
        assert "{" not in text and "}" not in text
        assert "None" not in text


def test_render_layout():
    answers = RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=24, sleep_hours=5)
    ranked = rank_causes(answers)
    text = render_explanation(answers, ranked)
    blocks = text.split("\n\n")
    assert len(blocks) >= len(ranked) + 2  # intro, one block per cause, cautions, closing
    for block, cause in zip(blocks[1:len(ranked) + 1], ranked, strict=True):
        lines = block.splitlines()
        assert lines[0] == cause.title
        assert lines[1] == cause.explanation
        assert lines[2:-1] == [f"• {tip}" for tip in cause.advice]
        # each cause says when to see someone about it
        assert lines[-1] == f"When to see someone: {cause.see_professional_when}"
    closing = blocks[-1].lower()
    for word in ("swell", "tingle", "numb", "pain", "rest"):
        assert word in closing
    assert "#" not in text and "**" not in text
    assert "diagnos" in closing  # says it is not a diagnosis


def test_small_distances_keep_one_decimal_and_large_ones_none():
    ranked = rank_causes(RunnerAnswers(weekly_distance_km=8.5, previous_weekly_distance_km=5))
    assert "from 5 to 8.5 km" in ranked[0].explanation
    assert "70%" in ranked[0].explanation
    ranked = rank_causes(RunnerAnswers(weekly_distance_km=40.4, previous_weekly_distance_km=30.2))
    assert "from 30 to 40 km" in ranked[0].explanation


def test_render_with_nothing_ranked_still_says_when_to_get_help():
    text = render_explanation(RunnerAnswers(), [])
    assert "GP" in text


# --- from_slots ------------------------------------------------------------------------


def test_from_slots_reads_good_values():
    answers = RunnerAnswers.from_slots(
        {
            "weekly_distance_km": "40",
            "previous_weekly_distance_km": 24,
            "sleep_hours": " 6.5 ",
            "shoe_distance_km": 900.0,
            "diet_factors": ["low_carb", "Alcohol"],
            "diet_factor": "vegan",
            "volunteered_causes": ("terrain",),
            "symptoms": "heavy, sore",
            "symptom_timing": "After",
            "conditions_hints": ["same spot pain"],
        }
    )
    assert answers.weekly_distance_km == 40.0
    assert answers.previous_weekly_distance_km == 24.0
    assert answers.distance_increase_pct == pytest.approx(66.67, abs=0.01)
    assert answers.sleep_hours == 6.5
    assert answers.shoe_distance_km == 900.0
    assert answers.diet_factors == ("low_carb", "alcohol", "vegan")
    assert answers.volunteered_causes == ("terrain",)
    assert answers.symptoms == ("heavy", "sore")
    assert answers.symptom_timing == "after"
    assert answers.conditions_hints == ("same_spot_pain",)


def test_from_slots_keeps_a_given_percentage():
    answers = RunnerAnswers.from_slots({"distance_increase_pct": "67%", "weekly_distance_km": 40})
    assert answers.distance_increase_pct == 67.0
    assert RunnerAnswers.from_slots({"distance_increase_pct": -20}).distance_increase_pct == -20.0


@pytest.mark.parametrize(
    "slots",
    [
        None,
        {},
        [],
        "weekly_distance_km",
        {
            "weekly_distance_km": "lots",
            "previous_weekly_distance_km": 0,
            "distance_increase_pct": None,
            "runs_per_week": [],
            "sleep_hours": True,
            "shoe_distance_km": float("nan"),
            "shoe_age_months": -3,
            "diet_factors": 5,
            "volunteered_causes": {"not": "a list"},
            "symptoms": [None, 3, "", "  "],
            "symptom_timing": 42,
            "conditions_hints": object(),
            "unrelated_slot": "whatever",
        },
        {"sleep_hours": "99", "weekly_distance_km": "inf", "symptom_timing": "sometimes"},
    ],
)
def test_from_slots_tolerates_junk(slots):
    answers = RunnerAnswers.from_slots(slots)
    assert answers.weekly_distance_km is None
    assert answers.sleep_hours is None
    assert answers.shoe_distance_km is None
    assert answers.distance_increase_pct is None
    assert answers.diet_factors == ()
    assert answers.symptoms == ()
    assert answers.symptom_timing is None
    ranked = rank_causes(answers)
    assert ids(ranked) == ["recovery", "hydration", "sleep"]
    assert "{" not in render_explanation(answers, ranked)


# --- broken knowledge files ------------------------------------------------------------


def _real_data() -> dict:
    return yaml.safe_load(DEFAULT_CAUSES_PATH.read_text(encoding="utf-8"))


def _cause(data: dict, cause_id: str) -> dict:
    return next(c for c in data["causes"] if c["id"] == cause_id)


def _drop_cause(data):
    data["causes"] = [c for c in data["causes"] if c["id"] != "stress"]


def _duplicate_cause(data):
    data["causes"].append(dict(_cause(data, "sleep")))


def _unknown_cause(data):
    _cause(data, "stress")["id"] = "Bad Luck!"


def _unknown_op(data):
    _cause(data, "sleep")["conditions"][0]["op"] = "=>"


def _unknown_slot(data):
    _cause(data, "sleep")["conditions"][0]["slot"] = "bedtime"


def _contains_on_number(data):
    _cause(data, "sleep")["conditions"][0]["op"] = "contains"


def _text_value_on_number(data):
    _cause(data, "sleep")["conditions"][0]["value"] = "seven"


def _missing_weight(data):
    del _cause(data, "sleep")["conditions"][0]["weight"]


def _unknown_placeholder(data):
    _cause(data, "sleep")["explanation"] = "You sleep {bedtime_hours} hours."


def _format_spec_placeholder(data):
    _cause(data, "sleep")["explanation"] = "You sleep {sleep_hours:.0f} hours."


def _broken_brace(data):
    _cause(data, "sleep")["explanation"] = "You sleep {sleep_hours hours."


def _placeholder_in_fallback_text(data):
    _cause(data, "sleep")["explanation_without_figures"] = "You sleep {sleep_hours} hours."


def _too_much_advice(data):
    _cause(data, "sleep")["advice"] = ["a", "b", "c", "d", "e"]


def _bad_default(data):
    data["default_causes"] = ["recovery", "nap_time"]


def _misspelt_key(data):
    cause = _cause(data, "sleep")
    cause["see_profesional_when"] = cause.pop("see_professional_when")


def _unreachable_hint(data):
    # no phrase in answer_vocabulary.yml gives this hint: the condition could never hold
    _cause(data, "sleep")["conditions"].append(
        {"slot": "conditions_hints", "op": "contains", "value": "older_age", "weight": 1})


def _unreachable_value(data):
    _cause(data, "sleep")["conditions"].append(
        {"slot": "onset", "op": "==", "value": "overnight", "weight": 1})


def _not_a_mapping(data):
    data.clear()


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_drop_cause, r"no cause with id\(s\) \['stress'\]"),
        (_duplicate_cause, "duplicate cause id.*sleep"),
        (_unknown_cause, "'id' must be a lower-case id"),
        (_misspelt_key, r"unknown key\(s\) \['see_profesional_when'\]"),
        (_unreachable_hint, "nothing can set 'conditions_hints' to 'older_age'"),
        (_unreachable_value, "nothing can set 'onset' to 'overnight'"),
        (_unknown_op, "unknown op '=>'"),
        (_unknown_slot, "unknown slot 'bedtime'"),
        (_contains_on_number, "'contains' needs a list slot"),
        (_text_value_on_number, "must be a number"),
        (_missing_weight, "'weight' must be a number"),
        (_unknown_placeholder, r"unknown placeholder \{bedtime_hours\}"),
        (_format_spec_placeholder, "without a format"),
        (_broken_brace, "malformed placeholder"),
        (_placeholder_in_fallback_text, "may not contain"),
        (_too_much_advice, "2 to 4"),
        (_bad_default, "default_causes"),
        (_not_a_mapping, "'causes' must be a non-empty list"),
    ],
)
def test_load_causes_rejects_a_broken_file(tmp_path: Path, breaker, message):
    data = _real_data()
    breaker(data)
    path = tmp_path / "causes.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as excinfo:
        load_causes(path)
    assert str(path) in str(excinfo.value)


def test_load_causes_rejects_invalid_yaml_and_missing_files(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text("causes:\n  - id: sleep\n    op: >\n  - [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_causes(broken)
    with pytest.raises(ValueError, match="cannot read"):
        load_causes(tmp_path / "nope.yml")


def test_a_valid_copy_loads_from_any_path(tmp_path: Path):
    path = tmp_path / "copy.yml"
    path.write_text(DEFAULT_CAUSES_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert [c.id for c in load_causes(path)] == [c.id for c in load_causes()]
