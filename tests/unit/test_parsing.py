"""Tests for bot.triage.parsing: the answers to the form's questions."""

from __future__ import annotations

import pytest

from bot.triage.numbers import normalize, scan
from bot.triage.parsing import (
    Parsed,
    compile_phrase,
    is_dont_know,
    load_vocabulary,
    parse_diet,
    parse_distance_change,
    parse_shoes,
    parse_sleep_hours,
    parse_weekly_distance,
)

MILE = 1.609344


# --------------------------------------------------------------------------- weekly distance


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("30k", 30.0),
        ("30 km", 30.0),
        ("30kms", 30.0),
        ("30 KMs", 30.0),
        ("30 kilometers", 30.0),
        ("30 kilometres", 30.0),
        ("30 klicks", 30.0),
        ("25 miles", 25 * MILE),
        ("25 mi", 25 * MILE),
        ("25mls", 25 * MILE),
        ("25 milez", 25 * MILE),
        ("about 40 km weekly", 40.0),
        ("8 miles 4 times a week", 32 * MILE),
        ("5k three times a week", 15.0),
        ("10k twice a week", 20.0),
        ("40", 40.0),
        ("around 20-25 miles", 22.5 * MILE),
        ("twenty five miles", 25 * MILE),
        ("twenty-five miles", 25 * MILE),
        ("thirty k", 30.0),
        ("maybe 50ish km", 50.0),
        ("50 km/week", 50.0),
        ("50km/wk", 50.0),
        ("50kpw", 50.0),
        ("30 mpw", 30 * MILE),
        ("30 miles pw", 30 * MILE),
        ("I do about 3 runs of 10k", 30.0),
        ("3 x 10k", 30.0),
        ("3x10k", 30.0),
        ("roughly 35 to 40 km", 37.5),
        ("between 30 and 40k", 35.0),
        ("6 miles a day", 6 * MILE * 7),
        ("10k every other day", 35.0),
        ("120 km a month", 120 / (52 / 12)),
        ("~45km", 45.0),
        ("approx 60 kilometres a week", 60.0),
        ("I'm doing about 35 km per week at the moment", 35.0),
        ("usually 30 but 45 this week", 45.0),
        ("30k over 4 runs", 30.0),
        ("I run 4 times a week, about 40 km", 40.0),
        ("one hundred km", 100.0),
        ("a hundred and twenty k", 120.0),
        ("went from 20 to 35", 35.0),
        ("4 runs a week of about 8k", 32.0),
        ("Forty Kilometres", 40.0),
        ("15 or so miles", 15 * MILE),
        ("roughly 50 km (3 runs)", 50.0),
        ("3 runs a week, about 10k each", 30.0),
        ("I run 3-4 times a week, 5k each time", 17.5),
        ("I run 10k on Tuesday, 5k Thursday and 15k on Sunday", 30.0),
        ("10k runs 3 times a week", 30.0),
        ("hmm maybe 25?", 25.0),
        ("15km/wk", 15.0),
        ("I'd say 20 odd miles", 20 * MILE),
    ],
)
def test_weekly_distance_values(text: str, km: float) -> None:
    parsed = parse_weekly_distance(text)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(km, abs=0.01)


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("8 miles 4 times a week", 4.0),
        ("5k three times a week", 3.0),
        ("I do about 3 runs of 10k", 3.0),
        ("30k over 4 runs", 4.0),
    ],
)
def test_weekly_distance_runs_per_week_extra(text: str, runs: float) -> None:
    assert parse_weekly_distance(text).extras["runs_per_week"] == pytest.approx(runs)


def test_weekly_distance_from_to_keeps_previous() -> None:
    parsed = parse_weekly_distance("went from 20 to 35 miles")
    assert parsed.value == pytest.approx(35 * MILE, abs=0.01)
    assert parsed.extras["previous_weekly_distance_km"] == pytest.approx(20 * MILE, abs=0.01)


@pytest.mark.parametrize(
    "text",
    [
        "2 hours a week",
        "about 90 minutes",
        "500 km",
        "0",
        "a lot",
        "quite a bit",
        "",
        "I run 4 times a week",
    ],
)
def test_weekly_distance_unparsed(text: str) -> None:
    parsed = parse_weekly_distance(text)
    assert parsed.status == "unparsed"
    assert parsed.value is None


def test_weekly_distance_frequency_only_keeps_runs() -> None:
    assert parse_weekly_distance("I run 4 times a week").extras == {"runs_per_week": 4.0}


@pytest.mark.parametrize("text", ["dunno", "no idea", "skip", "I don't track it", "not sure tbh"])
def test_weekly_distance_dont_know(text: str) -> None:
    assert parse_weekly_distance(text) == Parsed(None, "dont_know", {})


def test_dont_know_with_a_figure_is_ok() -> None:
    parsed = parse_weekly_distance("not sure, maybe 30k")
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(30.0)


# --------------------------------------------------------------------------- distance change


@pytest.mark.parametrize(
    "text",
    [
        "steady",
        "no change",
        "same as always",
        "about the same",
        "haven't changed",
        "I haven't changed it",
        "consistent",
        "pretty consistent really",
        "nothing's changed",
        "it's been stable",
        "no",
        "nope",
        "not really",
        "I haven't increased it",
        "roughly the same as usual",
        "0%",
        "Same as ever",
        "more or less the same",
        "same",
    ],
)
def test_distance_change_steady(text: str) -> None:
    parsed = parse_distance_change(text)
    assert parsed.status == "ok"
    assert parsed.value == 0.0


@pytest.mark.parametrize(
    ("text", "pct"),
    [
        ("up 20%", 20.0),
        ("20 percent more", 20.0),
        ("about 20 per cent more", 20.0),
        ("increased by 15%", 15.0),
        ("down 10%", -10.0),
        ("10% less", -10.0),
        ("dropped it by about 30 percent", -30.0),
        ("up about 10 to 15%", 12.5),
        ("25%", 25.0),
        ("doubled", 100.0),
        ("I've basically doubled it", 100.0),
        ("tripled", 200.0),
        ("halved", -50.0),
        ("cut it in half", -50.0),
        ("3 times as much", 200.0),
        ("up by about a third", 33.3),
        ("increased it by half", 50.0),
        ("cut it by a quarter", -25.0),
        ("jumped from 15 to 30 miles", 100.0),
        ("yeah it's gone up from 20k to 30k", 50.0),
        ("went up by 50 percent", 50.0),
        ("up a bit, maybe 10%", 10.0),
        ("went from 20 to 35", 75.0),
        ("from 20 to 35 miles", 75.0),
        ("dropped from 40 to 30", -25.0),
        ("I upped it from 30km to 40km a week", 33.3),
        ("it went up to 40 from 30", 33.3),
        ("was 20, now 35", 75.0),
        ("twenty to thirty", 50.0),
        ("20 -> 30 km", 50.0),
        ("I added a fourth run", 33.3),
        ("added a 3rd run", 50.0),
        ("went from 3 to 5 runs a week", 66.7),
        ("from two runs a week to three", 50.0),
    ],
)
def test_distance_change_values(text: str, pct: float) -> None:
    parsed = parse_distance_change(text)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(pct, abs=0.05)


def test_distance_change_from_to_extras_in_km() -> None:
    parsed = parse_distance_change("went from 20 to 35")
    assert parsed.extras["previous_weekly_distance_km"] == pytest.approx(20.0)
    assert parsed.extras["weekly_distance_km"] == pytest.approx(35.0)
    miles = parse_distance_change("from 20 to 35 miles")
    assert miles.extras["previous_weekly_distance_km"] == pytest.approx(20 * MILE, abs=0.01)
    assert miles.extras["weekly_distance_km"] == pytest.approx(35 * MILE, abs=0.01)


def test_distance_change_runs_extras() -> None:
    parsed = parse_distance_change("went from 3 to 5 runs a week")
    assert parsed.extras["runs_per_week"] == 5.0
    assert parsed.extras["previous_runs_per_week"] == 3.0


@pytest.mark.parametrize(
    ("text", "current", "pct"),
    [
        ("increased by 10 km", 40.0, 33.3),
        ("up 10k", 30.0, 50.0),
        ("an extra 5 miles a week", 5 * MILE * 2, 100.0),
        ("dropped by 10 km", 30.0, -25.0),
        ("up from 15", 30.0, 100.0),
        ("it's up from 20 miles", 20 * MILE * 1.5, 50.0),
        ("down from 50", 40.0, -20.0),
    ],
)
def test_distance_change_needing_current(text: str, current: float, pct: float) -> None:
    parsed = parse_distance_change(text, current_weekly_km=current)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(pct, abs=0.05)


def test_increase_without_current_is_kept_for_later() -> None:
    parsed = parse_distance_change("increased by 10 km")
    assert parsed.status == "unparsed"
    assert parsed.value is None
    assert parsed.extras["distance_change_km"] == pytest.approx(10.0)
    assert parsed.extras["direction"] == "up"


def test_up_from_without_current_keeps_previous() -> None:
    parsed = parse_distance_change("up from 15")
    assert parsed.status == "unparsed"
    assert parsed.extras["previous_weekly_distance_km"] == pytest.approx(15.0)


@pytest.mark.parametrize(
    ("text", "runs", "pct"),
    [
        ("added an extra run", 4.0, 33.3),
        ("added a run", 4.0, 33.3),
        ("I've added one more run a week", 3.0, 50.0),
        ("added another session", 5.0, 25.0),
        ("dropped a run", 3.0, -25.0),
    ],
)
def test_distance_change_runs_with_count(text: str, runs: float, pct: float) -> None:
    parsed = parse_distance_change(text, runs_per_week=runs)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(pct, abs=0.05)


def test_added_run_without_count_is_unparsed() -> None:
    parsed = parse_distance_change("added an extra run")
    assert parsed.status == "unparsed"
    assert parsed.extras["added_runs"] == 1.0


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("a lot more", "up"),
        ("increased it quite a bit", "up"),
        ("more than before", "up"),
        ("cut back", "down"),
        ("I've reduced it", "down"),
        ("a bit less", "down"),
        ("tapering at the moment", "down"),
    ],
)
def test_distance_change_direction_only(text: str, direction: str) -> None:
    parsed = parse_distance_change(text)
    assert parsed.status == "unparsed"
    assert parsed.value is None
    assert parsed.extras["direction"] == direction


@pytest.mark.parametrize("text", ["not sure", "no idea", "can't remember", "pass"])
def test_distance_change_dont_know(text: str) -> None:
    assert parse_distance_change(text).status == "dont_know"


@pytest.mark.parametrize("text", ["banana", "20", "it's complicated"])
def test_distance_change_unparsed(text: str) -> None:
    assert parse_distance_change(text).status == "unparsed"


def test_steady_with_a_figure_keeps_it() -> None:
    parsed = parse_distance_change("same, 30km")
    assert parsed == Parsed(0.0, "ok", {"weekly_distance_km": 30.0, "distance_unit": "km"})


def test_not_consistent_is_not_steady() -> None:
    parsed = parse_distance_change("not consistent, went up a bit")
    assert parsed.value is None
    assert parsed.extras["direction"] == "up"


def test_havent_doubled_is_not_doubled() -> None:
    assert parse_distance_change("I haven't doubled it").value != 100.0


# --------------------------------------------------------------------------- sleep


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("7", 7.0),
        ("7 hours", 7.0),
        ("about 6", 6.0),
        ("6.5", 6.5),
        ("six and a half", 6.5),
        ("6 and a half hours", 6.5),
        ("5 or 6 hours", 5.5),
        ("between 6 and 7", 6.5),
        ("7-8 hrs", 7.5),
        ("seven-ish", 7.0),
        ("not much, maybe 5", 5.0),
        ("8h", 8.0),
        ("8 hr", 8.0),
        ("less than 6", 5.5),
        ("under 5 hours", 4.5),
        ("more than 8", 8.5),
        ("at least 8 hours", 8.5),
        ("barely 4 hours", 4.0),
        ("usually 7 but 5 this week", 5.0),
        ("normally 8 hours, lately only about 5", 5.0),
        ("7h30", 7.5),
        ("7 hours 30 mins", 7.5),
        ("7½ hours", 7.5),
        ("7 1/2", 7.5),
        ("6 hrs a night", 6.0),
        ("7 hours but I wake up 3 times", 7.0),
        ("bed at 11, up at 6", 7.0),
        ("I go to bed at 10:30pm and get up at 6:30am", 8.0),
        ("midnight till 7", 7.0),
        ("Around eight hours", 8.0),
        ("half an hour", 0.5),
        ("45 hours a week", 45 / 7),
    ],
)
def test_sleep_hours_values(text: str, hours: float) -> None:
    parsed = parse_sleep_hours(text)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(hours, abs=0.01)


@pytest.mark.parametrize("text", ["20 hours", "not enough", "loads", "0", "badly"])
def test_sleep_hours_unparsed(text: str) -> None:
    parsed = parse_sleep_hours(text)
    assert parsed.status == "unparsed"
    assert parsed.value is None


@pytest.mark.parametrize("text", ["no idea", "it varies, dunno", "rather not say"])
def test_sleep_hours_dont_know(text: str) -> None:
    assert parse_sleep_hours(text).status == "dont_know"


# --------------------------------------------------------------------------- diet


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("keto", ["low_carb"]),
        ("low carb", ["low_carb"]),
        ("low-carb", ["low_carb"]),
        ("cutting carbs", ["low_carb"]),
        ("no bread or pasta", ["low_carb"]),
        ("I don't eat carbs", ["low_carb"]),
        ("I've cut out bread", ["low_carb"]),
        ("I'm vegan", ["vegan"]),
        ("plant-based", ["vegan"]),
        ("veggie", ["vegetarian"]),
        ("vegetarian", ["vegetarian"]),
        ("no meat", ["vegetarian"]),
        ("I don't eat meat", ["vegetarian"]),
        ("skipping meals", ["under_eating"]),
        ("dieting to lose weight", ["under_eating"]),
        ("not eating much", ["under_eating"]),
        ("calorie deficit", ["under_eating"]),
        ("I skip breakfast", ["under_eating"]),
        ("I don't drink much water", ["low_fluids"]),
        ("barely drink", ["low_fluids"]),
        ("I don't drink enough", ["low_fluids"]),
        ("I do not drink a lot of water", ["low_fluids"]),
        ("drink loads of water", ["good_fluids"]),
        ("plenty of water", ["good_fluids"]),
        ("a few pints", ["alcohol"]),
        ("wine most nights", ["alcohol"]),
        ("drinking last night", ["alcohol"]),
        ("bit hungover tbh", ["alcohol"]),
        ("normal", ["balanced"]),
        ("balanced", ["balanced"]),
        ("pretty healthy", ["balanced"]),
        ("eat well", ["balanced"]),
        ("lots of pasta and rice", ["carb_ok"]),
        ("porridge every morning", ["carb_ok"]),
        ("not keto", ["carb_ok"]),
        ("I'm not cutting carbs", ["carb_ok"]),
        ("not vegan, but vegetarian", ["vegetarian"]),
        ("vegan, and I drink plenty of water but a few beers at the weekend",
         ["vegan", "good_fluids", "alcohol"]),
        ("keto and skipping lunch", ["low_carb", "under_eating"]),
        ("Pretty normal but I don't drink enough water", ["balanced", "low_fluids"]),
        ("healthy, no alcohol", ["balanced"]),
    ],
)
def test_diet_ids(text: str, ids: list[str]) -> None:
    parsed = parse_diet(text)
    assert parsed.status == "ok"
    assert parsed.value == ids


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("no alcohol", "alcohol"),
        ("I don't drink alcohol", "alcohol"),
        ("never drink beer", "alcohol"),
        ("not keto", "low_carb"),
        ("I don't skip meals", "under_eating"),
        ("I'm not dieting", "under_eating"),
        ("not vegetarian", "vegetarian"),
        ("no booze for me", "alcohol"),
    ],
)
def test_diet_negation(text: str, not_expected: str) -> None:
    parsed = parse_diet(text)
    assert not_expected not in (parsed.value or [])


def test_diet_only_denials_is_ok_and_empty() -> None:
    parsed = parse_diet("no alcohol")
    assert parsed.status == "ok"
    assert parsed.value == []
    assert parsed.extras["negated"] == ["alcohol"]


@pytest.mark.parametrize("text", ["blah", "cheese", "what do you mean"])
def test_diet_unparsed(text: str) -> None:
    assert parse_diet(text).status == "unparsed"


@pytest.mark.parametrize("text", ["idk", "skip", "I'd rather not say"])
def test_diet_dont_know(text: str) -> None:
    assert parse_diet(text).status == "dont_know"


# --------------------------------------------------------------------------- shoes


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("700 km", 700.0),
        ("700km", 700.0),
        ("about 400 miles", 400 * MILE),
        ("roughly 300 mi", 300 * MILE),
        ("500", 500.0),
        ("around five hundred k", 500.0),
        ("they're new", 0.0),
        ("brand new", 0.0),
        ("just got them last week", 0.0),
        ("6 months old and about 500k on them", 500.0),
        ("I need new ones, about 800km", 800.0),
        ("not new, 300 miles", 300 * MILE),
        ("1,200 km", 1200.0),
        ("between 600 and 800 km", 700.0),
    ],
)
def test_shoes_values(text: str, km: float) -> None:
    parsed = parse_shoes(text)
    assert parsed.status == "ok"
    assert parsed.value == pytest.approx(km, abs=0.01)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("2 years old", 24.0),
        ("two years", 24.0),
        ("about a year", 12.0),
        ("a year and a half", 18.0),
        ("6 months old and about 500k on them", 6.0),
        ("had them 3 weeks", 3 / (52 / 12)),
        ("brand new", 0.0),
        ("a couple of years", 24.0),
    ],
)
def test_shoes_age(text: str, months: float) -> None:
    parsed = parse_shoes(text)
    assert parsed.status == "ok"
    assert parsed.extras["shoe_age_months"] == pytest.approx(months, abs=0.01)


def test_shoes_age_without_weekly_distance_has_no_value() -> None:
    parsed = parse_shoes("2 years old")
    assert parsed == Parsed(None, "ok", {"shoe_age_months": 24.0})


def test_shoes_age_with_weekly_distance_is_estimated() -> None:
    parsed = parse_shoes("2 years old", weekly_distance_km=30.0)
    assert parsed.value == pytest.approx(30 * 52 * 2)
    assert parsed.extras["estimated"] is True


def test_shoes_age_with_weekly_rate_in_answer() -> None:
    parsed = parse_shoes("50 km a week for 6 months")
    assert parsed.value == pytest.approx(50 * 26, abs=0.5)
    assert parsed.extras["shoe_age_months"] == pytest.approx(6.0)


def test_shoes_estimate_is_capped() -> None:
    assert parse_shoes("10 years", weekly_distance_km=80.0).value == pytest.approx(5000.0)


@pytest.mark.parametrize(
    ("text", "wear"),
    [
        ("same pair for ages", "high"),
        ("had them forever", "high"),
        ("they're falling apart", "high"),
        ("fairly new", "low"),
        ("newish", "low"),
    ],
)
def test_shoes_vague(text: str, wear: str) -> None:
    parsed = parse_shoes(text)
    assert parsed.status == "unparsed"
    assert parsed.extras["shoe_age_vague"] is True
    assert parsed.extras["shoe_wear"] == wear


@pytest.mark.parametrize("text", ["no idea", "dunno", "can't remember"])
def test_shoes_dont_know(text: str) -> None:
    assert parse_shoes(text).status == "dont_know"


@pytest.mark.parametrize("text", ["6000 km", "Nike Pegasus"])
def test_shoes_unparsed(text: str) -> None:
    parsed = parse_shoes(text)
    assert parsed.status == "unparsed"
    assert parsed.value is None


# --------------------------------------------------------------------------- don't know


@pytest.mark.parametrize(
    "text",
    [
        "don't know",
        "I dont know",
        "I do not know",
        "dunno",
        "no idea",
        "not sure",
        "skip",
        "Skip please",
        "pass",
        "I'll pass",
        "rather not say",
        "idk",
        "IDK",
        "can't remember",
        "cannot remember",
        "no clue",
        "next question",
        "haven't a clue",
        "I’m not sure",
    ],
)
def test_is_dont_know(text: str) -> None:
    assert is_dont_know(text)


@pytest.mark.parametrize(
    "text",
    ["I skip breakfast", "skipping meals", "I know exactly: 30k", "passing cars", "30 km", ""],
)
def test_is_not_dont_know(text: str) -> None:
    assert not is_dont_know(text)


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Twenty-Five", "25"),
        ("three hundred and fifty", "350"),
        ("a dozen", "12"),
        ("half a dozen", "6"),
        ("six and a half", "6.5"),
        ("twice a week", "2 times a week"),
        ("between 6 and 7", "6-7"),
        ("50ish", "50"),
        ("ran a half marathon", "ran a half marathon"),
        ("a couple of beers", "2 beers"),
        ("2,000", "2000"),
    ],
)
def test_normalize(text: str, normalised: str) -> None:
    assert normalize(text).text == normalised


def test_normalize_keeps_original_spans() -> None:
    nt = normalize("I run twenty five miles")
    start = nt.text.index("25")
    assert nt.original_span(start, start + 2) == (6, 17)


def test_scan_units_and_periods() -> None:
    [q] = scan("30 miles a week")
    assert (q.value, q.unit, q.period) == (30.0, "mi", "week")
    [r] = scan("5 or 6 hours")
    assert (r.a, r.b, r.unit, r.joiner) == (5.0, 6.0, "h", "range")


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("mid-run", "it happens mid run", True),
        ("mid-run", "it happens midrun", True),
        ("don't drink", "i do not drink", True),
        ("don't drink", "i dont drink", True),
        ("drink ... water", "i drink loads of water", True),
        ("pint", "a few pints", True),
        ("(cut|cutting) carbs", "cutting carbs", True),
        ("carb", "carbon", False),
        ("dead", "deadlifts", False),
    ],
)
def test_compile_phrase(phrase: str, text: str, found: bool) -> None:
    assert bool(compile_phrase(phrase).search(text)) is found


def test_vocabulary_phrases_are_strings() -> None:
    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                assert isinstance(item, str), item
                compile_phrase(item)

    walk(load_vocabulary())


# ------------------------------------------------------------------ dev round e (2026-12-02)


def test_runs_length_is_not_the_weekly_change() -> None:
    from bot.triage.parsing import parse_distance_change

    parsed = parse_distance_change("not really, some runs went from 2 to 3 miles", 60.0)
    assert parsed.value is None and "weekly_distance_km" not in parsed.extras
    assert parse_distance_change("went from 20 to 30 km", 30.0).value == 50.0


def test_hours_of_work_are_not_sleep() -> None:
    from bot.triage.parsing import parse_sleep_hours

    assert parse_sleep_hours("depends on shifts, im a nurse on 12 hour days").value is None
    assert parse_sleep_hours("12 hour shifts so about 6 hours").value == 6.0


def test_shoes_a_persons_age_and_few_miles() -> None:
    from bot.triage.parsing import parse_shoes

    assert parse_shoes("still wearing my 14yo sons hand-me-down trainers").value is None
    parsed = parse_shoes("same pair since march, not many miles on them", 50.0)
    assert parsed.value is None and "shoe_age_months" in parsed.extras
    assert parse_shoes("6 months old", 50.0).value == pytest.approx(1300.0)
