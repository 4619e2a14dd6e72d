"""The knowledge files fail loudly: misspelt keys, values nothing produces, bad phrases.

Also the follow-up questions' reading of replies, dates and weekly rates (issue 14).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import yaml

from bot.triage.answers import QUESTIONS_PATH, RunnerAnswers, weekly_rate
from bot.triage.dates import months_ago, weeks_ago
from bot.triage.engine import condition_reader, rank_causes, render_plan
from bot.triage.facts import extract_facts
from bot.triage.followups import facts_in_message, next_question, read_reply
from bot.triage.parsing import VOCABULARY_PATH, parse_distance_change, parse_shoes
from bot.triage.producible import SKIP_ANSWER
from bot.triage.questions import load_questions, read_questions
from bot.triage.vocabulary_schema import check_vocabulary

TODAY = date(2026, 12, 1)


def _vocabulary() -> dict[str, Any]:
    return yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))


def _questions() -> dict[str, Any]:
    return yaml.safe_load(QUESTIONS_PATH.read_text(encoding="utf-8"))


# --- answer_vocabulary.yml ----------------------------------------------------------


def test_the_vocabulary_has_its_shape():
    check_vocabulary(_vocabulary(), "answer_vocabulary.yml")


@pytest.mark.parametrize(("breaker", "message"), [
    (lambda v: v.__setitem__("negaton", v.pop("negation")), r"unknown key\(s\) \['negaton'\]"),
    (lambda v: v["negation"].__setitem__("window_word", 3), r"unknown key\(s\) \['window_word'\]"),
    (lambda v: v["fact_context"].__setitem__("sleeep", ["sleep"]), "sleeep"),
    (lambda v: v["condition_hints"]["weight_gain"].append(None), "not a phrase"),
    (lambda v: v["condition_hints"]["weight_gain"].append(True), "not a phrase"),
    (lambda v: v["condition_hints"]["weight_gain"].append("put on # kg"), "'#'"),
    # a choice between several words never matches: refused rather than silently dead
    (lambda v: v["condition_hints"]["weight_gain"].append("put (on|gained a) kilo"),
     r"\(a\|b\) choice is between single words"),
    (lambda v: v["diet"]["negated_as"].__setitem__("low_carb", "no_such_label"), "negated_as"),
])
def test_a_misspelt_or_broken_vocabulary_fails_loudly(breaker, message):
    data = copy.deepcopy(_vocabulary())
    breaker(data)
    with pytest.raises(ValueError, match=message):
        check_vocabulary(data, "answer_vocabulary.yml")


# --- questions.yml -------------------------------------------------------------------


def test_every_question_reads_its_own_buttons():
    for question in load_questions().questions:
        assert question.why and question.ask and question.ask_again
        for button in question.buttons:
            reply = read_reply(question, button.title, TODAY)
            if button.answer == SKIP_ANSWER:
                assert reply.status == "dont_know", (question.id, button.title)
            else:
                value = reply.values.get(question.slot)
                assert value == button.answer or (isinstance(value, list)
                                                  and button.answer in value), (
                    question.id, button.title, reply)


def _read(data: dict[str, Any]) -> None:
    read_questions(data, condition_reader("questions.yml"))


@pytest.mark.parametrize(("breaker", "message"), [
    (lambda q: q["questions"][0].__setitem__("askk", "?"), r"unknown key\(s\) \['askk'\]"),
    (lambda q: q.__setitem__("max_follow_ups", 2), "unknown top-level key"),
    (lambda q: q["questions"][0]["answers"]["sudden"]["anywhere"].append(
        "all of (a sudden|the blue)"), "single words"),
    (lambda q: q["questions"][0]["answers"]["sudden"]["anywhere"].append(True), "quote yes"),
    (lambda q: q["questions"][0]["buttons"].append({"title": "Overnight", "answer": "overnight"}),
     "not one of"),
    (lambda q: q["questions"][0]["buttons"].pop(), "skips"),
    (lambda q: q["questions"][0].__setitem__(
        "ask_when", [{"slot": "onset", "op": "==", "value": "slowly"}]), "nothing can set"),
])
def test_a_broken_questions_file_fails_loudly(breaker, message, monkeypatch):
    data = copy.deepcopy(_questions())
    breaker(data)
    # the loader reads the raw question list from the file; give it the broken one
    monkeypatch.setattr("bot.triage.questions.raw_questions", lambda: data["questions"])
    with pytest.raises(ValueError, match=message):
        _read(data)


# --- reading what runners say ----------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("only my left calf, it came on suddenly", {"sides": "one", "onset": "sudden"}),
    ("both legs, heavy during and after runs", {"sides": "both", "symptom_timing": "both"}),
    ("since I had covid my legs are dead", {"recent_illness": "yes"}),
    ("I'm on atorvastatin", {"medicines": ["statin"]}),
    ("my periods stopped last year", {"periods": ["missed"]}),
    ("it goes away when I stop and walk", {"after_stopping": "minutes"}),
    ("legs are heavy at night in bed", {"symptom_timing": "rest"}),
])
def test_any_message_answers_the_questions_it_speaks_to(text, expected):
    assert facts_in_message(text) == expected


def test_a_negated_mention_answers_nothing():
    assert "recent_illness" not in facts_in_message("I haven't had covid or anything")
    assert "medicines" not in facts_in_message("not on statins")


@pytest.mark.parametrize(("text", "months"), [
    ("bought them last spring", 7.5),
    ("got them for xmas", 11.5),
    ("in March", 8.5),
    ("about two years old", 24.0),
    ("a few months", 3.0),
])
def test_dates_and_seasons_give_an_age(text, months):
    assert months_ago(text, TODAY) == pytest.approx(months, abs=0.1)


def test_a_month_name_needs_a_date_word():
    assert months_ago("I may run later", TODAY) is None
    assert weeks_ago("for 3 weeks", TODAY) == pytest.approx(3.0, abs=0.1)


def test_shoe_age_from_a_season():
    parsed = parse_shoes("bought them last spring", weekly_distance_km=30)
    assert parsed.status == "ok"
    assert parsed.extras["shoe_age_months"] > 6


@pytest.mark.parametrize(("text", "total", "weeks"), [
    ("went from 20 to 30 km over two months", 50.0, 8.7),
    ("up about 10% a week for the last 5 weeks", 61.1, 5.0),
    ("from 20 to 30 in the last 3 weeks", 50.0, 3.0),
])
def test_an_increase_keeps_its_time_span(text, total, weeks):
    parsed = parse_distance_change(text)
    assert parsed.value == pytest.approx(total, abs=0.2)
    assert parsed.extras["increase_weeks"] == pytest.approx(weeks, abs=0.1)


def test_an_increase_is_judged_as_a_weekly_rate():
    slow = RunnerAnswers(weekly_distance_km=30, previous_weekly_distance_km=20,
                         increase_weeks=8.7)
    fast = RunnerAnswers(weekly_distance_km=30, previous_weekly_distance_km=20)
    assert slow.weekly_increase_pct == pytest.approx(4.8, abs=0.1)
    assert weekly_rate(61.05, 5) == pytest.approx(10.0, abs=0.05)
    quick, spread = rank_causes(fast)[0], rank_causes(slow)[0]
    assert quick.id == spread.id == "training_load"
    assert spread.score < quick.score
    # the explanation says it in the runner's figures, as a weekly rate
    assert "9 weeks" in spread.explanation and "5% a week" in spread.explanation
    assert "50%" in quick.explanation


def test_facts_keep_the_span_of_an_increase():
    facts = extract_facts("I went from 20 to 30 km a week over two months")
    assert facts.distance_increase_pct == 50.0 and facts.increase_weeks == pytest.approx(8.7)


def test_a_counted_thing_is_not_hours_of_sleep():
    assert extract_facts("had a couple of beers the night before").sleep_hours is None


# --- follow-up questions and the plan ---------------------------------------------------


def test_a_settled_story_gets_no_follow_up():
    settled = RunnerAnswers(weekly_distance_km=50, previous_weekly_distance_km=25,
                            sleep_hours=5, increase_weeks=1)
    assert next_question(settled, []) is None


def test_no_question_is_asked_twice_and_the_cap_holds():
    answers = RunnerAnswers(symptoms=("achy", "tight"), symptom_timing="during")
    asked: list[str] = []
    for _ in range(10):
        question = next_question(answers, asked)
        if question is None:
            break
        assert question.id not in asked
        asked.append(question.id)
    assert len(asked) <= load_questions().max_followups


def test_the_plan_is_in_order_and_in_the_runners_figures():
    answers = RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=24,
                            sleep_hours=5.5)
    ranked = rank_causes(answers)
    plan = render_plan(answers, ranked)
    lines = [line for line in plan.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert [line[:2] for line in lines] == ["1.", "2.", "3."][:len(ranked)]
    assert "40 km" in plan or "5.5 hours" in plan
    assert "{" not in plan
