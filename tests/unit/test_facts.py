"""Tests for bot.triage.facts: facts volunteered anywhere in a free message."""

from __future__ import annotations

import pytest

from bot.triage.facts import Facts, extract_facts

MILE = 1.609344


# --------------------------------------------------------------------------- figures


def test_three_figures_in_one_message() -> None:
    facts = extract_facts("I run 50 km a week, sleep 6 hours and my shoes have 700 km on them")
    assert facts.weekly_distance_km == pytest.approx(50.0)
    assert facts.sleep_hours == pytest.approx(6.0)
    assert facts.shoe_distance_km == pytest.approx(700.0)
    assert facts.previous_weekly_distance_km is None
    assert facts.distance_increase_pct is None


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("averaging 30 miles per week", 30 * MILE),
        ("I run 50 km a week", 50.0),
        ("I do about 40k a week", 40.0),
        ("doing 25 mpw at the moment", 25 * MILE),
        ("I'm running 60kpw", 60.0),
        ("I run 5k three times a week", 15.0),
        ("I run 8 miles 4 times a week", 32 * MILE),
        ("my weekly mileage is about 40", 40.0),
        ("my weekly mileage is around 35 km", 35.0),
        ("I've done 20 km this week", 20.0),
        ("I jog 5 km a day", 35.0),
        ("training for a marathon, about 70 km per week", 70.0),
        ("Legs are heavy. I run about thirty miles a week.", 30 * MILE),
        ("normally 30 km a week, but 45 km this week", 45.0),
        ("I do 3 runs a week, about 10k each", 30.0),
        ("I run 4 times a week (around 30 miles)", 30 * MILE),
        ("I run around 25-30 miles per week", 27.5 * MILE),
        ("I run 10 km 3 times per week and do yoga twice a week", 30.0),
    ],
)
def test_weekly_distance(text: str, km: float) -> None:
    assert extract_facts(text).weekly_distance_km == pytest.approx(km, abs=0.01)


def test_mileage_went_from_to() -> None:
    facts = extract_facts("my mileage went from 24 to 40 km a week")
    assert facts.weekly_distance_km == pytest.approx(40.0)
    assert facts.previous_weekly_distance_km == pytest.approx(24.0)
    assert facts.distance_increase_pct == pytest.approx(66.7, abs=0.05)


@pytest.mark.parametrize(
    ("text", "pct"),
    [
        ("I've upped my mileage by 20%", 20.0),
        ("I doubled my mileage last month", 100.0),
        ("my mileage has been steady", 0.0),
        ("I added a fourth run", 33.3),
        ("I've cut my mileage in half", -50.0),
        ("went from 30 to 45 km a week recently", 50.0),
    ],
)
def test_distance_increase(text: str, pct: float) -> None:
    assert extract_facts(text).distance_increase_pct == pytest.approx(pct, abs=0.05)


def test_increase_by_km_uses_weekly_distance_from_same_message() -> None:
    facts = extract_facts("I've increased my mileage by 10 km, now doing 40 km a week")
    assert facts.weekly_distance_km == pytest.approx(40.0)
    assert facts.previous_weekly_distance_km == pytest.approx(30.0)
    assert facts.distance_increase_pct == pytest.approx(33.3, abs=0.05)


def test_mileage_pct_beats_runs_pct() -> None:
    facts = extract_facts("I added a fourth run and doubled my mileage")
    assert facts.distance_increase_pct == pytest.approx(100.0)
    assert facts.runs_per_week == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("I run 4 times a week", 4.0),
        ("I run twice a week", 2.0),
        ("I do 5 runs a week", 5.0),
        ("I go running three days a week", 3.0),
        ("I run every day", 7.0),
        ("I added a fourth run", 4.0),
        ("I run 5k three times a week", 3.0),
    ],
)
def test_runs_per_week(text: str, runs: float) -> None:
    assert extract_facts(text).runs_per_week == pytest.approx(runs)


def test_gym_sessions_are_not_runs() -> None:
    assert extract_facts("I go to the gym 3 times a week").runs_per_week is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("I only get 5 hours of sleep", 5.0),
        ("sleeping about 6 hours a night", 6.0),
        ("I slept 4 hours last night", 4.0),
        ("I get seven and a half hours sleep", 7.5),
        ("less than 6 hours sleep lately", 5.5),
        ("I sleep about 6", 6.0),
        ("I go to bed at 11 and get up at 6", 7.0),
        ("6 hrs a night", 6.0),
    ],
)
def test_sleep(text: str, hours: float) -> None:
    assert extract_facts(text).sleep_hours == pytest.approx(hours)


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("my shoes have 700 km on them", 700.0),
        ("my trainers have done about 400 miles", 400 * MILE),
        ("I've got 600 km on my Pegasus", 600.0),
        ("my shoes? they have 300 km on them", 300.0),
        ("my shoes are brand new", 0.0),
    ],
)
def test_shoe_distance(text: str, km: float) -> None:
    assert extract_facts(text).shoe_distance_km == pytest.approx(km, abs=0.01)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("my trainers are about two years old", 24.0),
        ("my shoes are 6 months old", 6.0),
        ("I've had these shoes for a year", 12.0),
        ("got my trainers 3 weeks ago", 3 / (52 / 12)),
        ("my shoes are brand new", 0.0),
    ],
)
def test_shoe_age(text: str, months: float) -> None:
    assert extract_facts(text).shoe_age_months == pytest.approx(months, abs=0.01)


@pytest.mark.parametrize(
    "text",
    [
        "ran a 10k yesterday",
        "10",
        "I did 15 km on Sunday",
        "my legs are heavy after a 20 km run",
        "I need new shoes",
        "should I buy new trainers?",
        "I was on my feet for 10 hours at work",
        "my 5k time is 25 minutes",
        "",
    ],
)
def test_no_figures_without_context(text: str) -> None:
    facts = extract_facts(text)
    assert facts.weekly_distance_km is None
    assert facts.sleep_hours is None
    assert facts.shoe_distance_km is None
    assert facts.shoe_age_months is None
    assert facts.runs_per_week is None


def test_a_range_is_not_a_change() -> None:
    facts = extract_facts("I run around 25-30 miles per week")
    assert facts.previous_weekly_distance_km is None
    assert facts.distance_increase_pct is None


@pytest.mark.parametrize(
    "text",
    [
        "I'm 45 and have been running for 10 years",
        "my heart rate is 150 on easy runs",
        "I weigh 70 kg",
        "it started 3 days ago",
        "I ran 3 times this week",
        "I did a 5k parkrun and then 10 miles on Sunday",
    ],
)
def test_other_numbers_are_not_facts(text: str) -> None:
    facts = extract_facts(text)
    figures = (facts.weekly_distance_km, facts.sleep_hours, facts.shoe_distance_km,
               facts.shoe_age_months, facts.runs_per_week, facts.distance_increase_pct)
    assert figures == (None,) * 6


def test_two_hours_a_week_is_not_distance_or_sleep() -> None:
    facts = extract_facts("I run 2 hours a week")
    assert facts.weekly_distance_km is None
    assert facts.sleep_hours is None


# --------------------------------------------------------------------------- causes


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("did heavy squats yesterday", "strength_training"),
        ("it was leg day", "strength_training"),
        ("leg day at the gym on Monday", "strength_training"),
        ("I did deadlifts this morning", "strength_training"),
        ("lots of lunges in my class", "strength_training"),
        ("I tried a new hilly route", "terrain"),
        ("lots of hills this week", "terrain"),
        ("trail running on the weekend", "terrain"),
        ("I've put on some weight", "weight_change"),
        ("I gained 5 kilos over Christmas", "weight_change"),
        ("I gained five kilos", "weight_change"),
        ("been really stressed at work", "stress"),
        ("stressful week", "stress"),
        ("had a few beers last night", "hydration"),
        ("drank wine last night", "hydration"),
        ("I'm hungover", "hydration"),
        ("it was a really hot day", "hydration"),
        ("I didn't warm up", "recovery"),
        ("I skipped my cool down", "recovery"),
        ("no rest days for two weeks", "recovery"),
        ("long run yesterday", "training_load"),
        ("I ran a half marathon on Sunday", "training_load"),
        ("did a race at the weekend", "training_load"),
        ("hard interval session on Tuesday", "training_load"),
        ("first run in months", "doms"),
        ("I tried a new workout", "doms"),
        ("downhill race on Saturday", "doms"),
        ("started running again after a break", "doms"),
        ("I've been running in the heat", "hydration"),
        ("went out for a few drinks on Saturday", "hydration"),
        ("is it because I skipped stretching?", "recovery"),
        ("legs are heavy when I run uphill", "terrain"),
        ("I have a marathon in 6 weeks", "training_load"),
    ],
)
def test_volunteered_causes(text: str, cause: str) -> None:
    assert cause in extract_facts(text).volunteered_causes


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("I didn't do any weights", "strength_training"),
        ("not stressed", "stress"),
        ("I'm not stressed at all", "stress"),
        ("no squats this week", "strength_training"),
        ("I haven't done any hills", "terrain"),
        ("no long runs lately", "training_load"),
        ("I never skip my warm up", "recovery"),
        ("ran a 10k yesterday", "training_load"),
    ],
)
def test_negated_or_absent_causes(text: str, cause: str) -> None:
    assert cause not in extract_facts(text).volunteered_causes


def test_beers_give_hydration_and_alcohol() -> None:
    facts = extract_facts("had a few beers last night")
    assert facts.volunteered_causes == ["hydration"]
    assert facts.diet_factors == ["alcohol"]


@pytest.mark.parametrize(
    ("text", "diet"),
    [
        ("I've been doing keto", ["low_carb"]),
        ("I'm vegan", ["vegan"]),
        ("I'm skipping meals to lose weight", ["under_eating"]),
        ("I don't drink much water", ["low_fluids"]),
        ("I don't drink alcohol", []),
        ("I feel normal", []),
    ],
)
def test_diet_in_free_text(text: str, diet: list[str]) -> None:
    assert extract_facts(text).diet_factors == diet


# --------------------------------------------------------------------------- symptoms


@pytest.mark.parametrize(
    ("text", "symptoms"),
    [
        ("my legs feel heavy", ["heavy"]),
        ("legs feel dead", ["heavy"]),
        ("legs like lead", ["heavy"]),
        ("my legs feel like concrete", ["heavy"]),
        ("my legs are like bricks", ["heavy"]),
        ("legs like jelly", ["heavy"]),
        ("they feel wooden", ["heavy"]),
        ("my legs are leaden", ["heavy"]),
        ("my calves are sore", ["sore"]),
        ("my legs ache", ["achy"]),
        ("aching quads", ["achy"]),
        ("achy legs", ["achy"]),
        ("stiff hamstrings", ["stiff"]),
        ("tight calves", ["tight"]),
        ("I'm knackered", ["tired"]),
        ("feeling fatigued and drained", ["tired"]),
        ("exhausted", ["tired"]),
        ("shattered", ["tired"]),
        ("heavy and sore", ["heavy", "sore"]),
        ("legs aren't sore but they feel heavy", ["heavy"]),
        ("not tired, just stiff", ["stiff"]),
        ("did heavy squats yesterday", []),
        ("I did deadlifts", []),
        ("I feel dead tired", ["tired"]),
    ],
)
def test_symptoms(text: str, symptoms: list[str]) -> None:
    assert extract_facts(text).symptoms == symptoms


@pytest.mark.parametrize(
    ("text", "timing"),
    [
        ("heavy during my runs", "during"),
        ("they feel heavy while running", "during"),
        ("heavy mid-run", "during"),
        ("heavy on my runs", "during"),
        ("sore after", "after"),
        ("sore afterwards", "after"),
        ("achy post-run", "after"),
        ("stiff the day after", "after"),
        ("heavy during and sore after", "both"),
        ("both during and after", "both"),
        ("heavy while running and stiff afterwards", "both"),
        ("not during runs, only after", "after"),
        ("my legs feel heavy", None),
    ],
)
def test_symptom_timing(text: str, timing: str | None) -> None:
    assert extract_facts(text).symptom_timing == timing


# --------------------------------------------------------------------------- entities


def test_as_entities_names_values_and_spans() -> None:
    text = "I run 50 km a week, sleep 6 hours and my shoes have 700 km on them"
    entities = extract_facts(text).as_entities()
    by_name = {e["entity"]: e for e in entities}
    assert set(by_name) == {"weekly_distance_km", "sleep_hours", "shoe_distance_km"}
    assert by_name["weekly_distance_km"]["value"] == pytest.approx(50.0)
    assert text[by_name["weekly_distance_km"]["start"]:by_name["weekly_distance_km"]["end"]] \
        == "50 km a week"
    assert text[by_name["sleep_hours"]["start"]:by_name["sleep_hours"]["end"]] == "6 hours"
    assert text[by_name["shoe_distance_km"]["start"]:by_name["shoe_distance_km"]["end"]] \
        == "700 km"
    for entity in entities:
        assert set(entity) == {"entity", "value", "start", "end"}


def test_as_entities_one_per_list_item() -> None:
    text = "Legs heavy and sore after leg day, and I had a few beers last night"
    entities = extract_facts(text).as_entities()
    symptoms = [e for e in entities if e["entity"] == "symptom"]
    assert [e["value"] for e in symptoms] == ["heavy", "sore"]
    assert [text[e["start"]:e["end"]] for e in symptoms] == ["heavy", "sore"]
    causes = sorted(e["value"] for e in entities if e["entity"] == "volunteered_cause")
    assert causes == ["hydration", "strength_training"]
    assert [e["value"] for e in entities if e["entity"] == "diet_factor"] == ["alcohol"]
    assert [e["value"] for e in entities if e["entity"] == "symptom_timing"] == ["after"]


def test_entity_spans_map_back_through_number_words() -> None:
    text = "My trainers are about two years old"
    [entity] = extract_facts(text).as_entities()
    assert entity["entity"] == "shoe_age_months"
    assert text[entity["start"]:entity["end"]] == "two years"


def test_empty_facts() -> None:
    facts = extract_facts("hello there")
    assert facts == Facts()
    assert facts.is_empty()
    assert facts.as_entities() == []


def test_mixed_message() -> None:
    facts = extract_facts(
        "Hi, my legs have felt like lead on my runs for a week. I run about 40 km a week, "
        "did a hilly trail race on Sunday, I'm stressed at work and only sleeping 5 hours. "
        "I'm vegetarian."
    )
    assert facts.weekly_distance_km == pytest.approx(40.0)
    assert facts.sleep_hours == pytest.approx(5.0)
    assert facts.symptoms == ["heavy"]
    assert facts.symptom_timing == "during"
    assert set(facts.volunteered_causes) == {"terrain", "training_load", "stress"}
    assert facts.diet_factors == ["vegetarian"]


@pytest.mark.parametrize(
    ("text", "hints"),
    [
        ("I'm tired all the time lately", ["general_tiredness"]),
        ("a crampy pain in the same spot every run, goes away when I stop",
         ["cramping", "same_spot_pain", "eases_with_rest"]),
        ("I have varicose veins", ["varicose"]),
        ("no cramps at all", []),
        ("my legs are heavy", []),
    ],
)
def test_condition_hints(text: str, hints: list[str]) -> None:
    facts = extract_facts(text)
    assert facts.conditions_hints == hints
    assert [e["value"] for e in facts.as_entities() if e["entity"] == "condition_hint"] == hints


def test_the_first_message_after_loading_is_read_within_the_budget() -> None:
    """Lazily built phrase tables used to be built inside the first runner's turn, which
    then went over the budget and lost its facts ("I haven't been ill" forgotten). A
    fresh interpreter: nothing warmed by other tests."""
    import subprocess
    import sys

    code = (
        "from rasa.shared.nlu.training_data.message import Message\n"
        "from bot.nlu.fact_extractor import FactExtractor\n"
        "m = Message(data={'text': \"only my left calf feels heavy and I haven't been ill\"})\n"
        "FactExtractor({}).process([m])\n"
        "found = [e['value'] for e in m.get('entities', []) if e['entity'] == 'followup_fact']\n"
        "print(sorted(found))\n"
        "print(m.get('over_budget'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ,
                                            "BOT_NLU_BUDGET_MS": "50"})
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stderr[-2000:]
    assert lines[-2] == "['recent_illness=no', 'sides=one']"
    assert lines[-1] == "None"


# ------------------------------------------------------------------ dev round e (2026-12-02)


def test_a_steady_word_beside_one_outing_is_not_the_weeks_distance() -> None:
    """ "the Somerset levels": "level" is not "my distance is level", and 30 miles today
    is one outing; the week is the 70 miles "in the last 7 days"."""
    facts = extract_facts("did 30 miles today round the Somerset levels, plenty of hills. "
                          "Reckon ive done about 70 miles in the last 7 days")
    assert facts.weekly_distance_km == pytest.approx(70 * MILE, abs=0.01)
    assert facts.distance_increase_pct is None


def test_every_third_day_is_not_a_third_run_added() -> None:
    facts = extract_facts("last week I only ran every third day or so")
    assert facts.distance_increase_pct is None
    assert facts.runs_per_week is None


def test_more_miles_within_one_run_is_not_a_weekly_change() -> None:
    facts = extract_facts("Struggled 4 more miles on the treadmill and could barely walk "
                          "after. I've done close to 60 miles in the past 7 days.")
    assert facts.distance_increase_pct is None
    assert facts.weekly_distance_km == pytest.approx(60 * MILE, abs=0.01)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("my gums look pale and I'm napping loads", "anaemia_signs"),
        ("my hair is coming out in clumps", "anaemia_signs"),
        ("teacher, standing for hours every day", "long_sitting_standing"),
        ("my calves ache badly by evening", "worse_end_of_day"),
        ("ankles a bit puffy by bedtime", "swelling"),
        ("both calves go hard as rocks with a tight pain", "compartment_tightness"),
        ("I upped my mileage last month", "mileage_jump"),
        ("been running 5ks on the treadmill, tried outside along the canal", "new_surface"),
        ("weight crept up over the years", "weight_gain"),
        ("I seem to catch every cold going", "frequent_illness"),
    ],
)
def test_hints_in_everyday_wording(text: str, hint: str) -> None:
    assert hint in extract_facts(text).conditions_hints


@pytest.mark.parametrize("text", ["legs feel like theyre full of sand",
                                  "every run feels like wading through mud"])
def test_sand_and_mud_in_a_simile_are_not_terrain(text: str) -> None:
    assert "terrain" not in extract_facts(text).volunteered_causes


def test_a_doubted_label_is_not_volunteered() -> None:
    facts = extract_facts("thought it was shin splints, but the muscle seizes at 1.5 miles")
    assert "bone_stress" not in facts.volunteered_causes


def test_a_break_said_in_months_not_a_short_run() -> None:
    text = "may and june i barely ran, then went straight back to 35-40 over the last 3 weeks"
    assert "back_after_break" in extract_facts(text).conditions_hints
    assert "back_after_break" not in extract_facts(
        "I barely ran 2 km before I had to stop").conditions_hints
