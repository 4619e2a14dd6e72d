"""Issue 16, progress and control: units carried over, "3 of 6", changing and taking
back answers. Pure functions and actions on rasa_sdk's real Tracker."""

from __future__ import annotations

import pytest

from actions.assessment_form import ValidateAssessmentForm
from actions.corrections import ActionBack, ActionChangeAnswer
from actions.explanation import ActionExplainCauses
from actions.questions import ActionAskSleepHours
from bot.dialogue.corrections import (
    acknowledgement,
    answer_choices,
    change_updates,
    changed_this_turn,
    load_answers,
)
from bot.dialogue.form_answers import read_answer
from bot.dialogue.progress import question_progress
from bot.dialogue.undo import last_answer_turn
from bot.nlu.commands import command_match, load_next_steps
from bot.triage.engine import RunnerAnswers, explanation_parts, rank_causes, render_explanation
from bot.triage.facts import extract_facts
from bot.triage.units import in_runner_units, miles_figure
from tests.unit.test_actions import DOMAIN, FORM_SLOTS, make_tracker, run, slot_events

CORE = FORM_SLOTS + ["followup_answer"]


# ---- a follow-up figure keeps the unit of the figure it follows ----

def test_weekly_distance_in_miles_sets_the_unit() -> None:
    updates = read_answer("weekly_distance_km", "30 miles a week", None, {})
    assert updates["distance_unit"] == "mi"
    assert updates["weekly_distance_km"] == pytest.approx(48.28, abs=0.01)
    assert read_answer("weekly_distance_km", "about 50 km", None, {})["distance_unit"] == "km"
    assert "distance_unit" not in read_answer("weekly_distance_km", "about 50", None, {})


@pytest.mark.parametrize("text,pct", [
    ("went up from 20", 50.0), ("from 20 to 30", 50.0), ("up from 20 over two months", 50.0),
    ("it was 20 before", None),
])
def test_a_bare_figure_after_miles_is_miles(text: str, pct: float | None) -> None:
    slots = {"weekly_distance_km": 48.28, "distance_unit": "mi"}
    updates = read_answer("distance_increase_pct", text, None, slots)
    if pct is not None:
        assert updates["distance_increase_pct"] == pytest.approx(pct, abs=0.5)
    # never the 141% of reading 20 as km against 30 miles
    assert updates.get("distance_increase_pct") != pytest.approx(141.4, abs=1)


def test_a_figure_with_its_own_unit_keeps_it() -> None:
    slots = {"weekly_distance_km": 48.28, "distance_unit": "mi"}
    updates = read_answer("distance_increase_pct", "up from 32 km", None, slots)
    assert updates["distance_increase_pct"] == pytest.approx(50.9, abs=0.5)
    shoes = read_answer("shoe_distance_km", "about 300", None, {"distance_unit": "mi"})
    assert shoes["shoe_distance_km"] == pytest.approx(482.8, abs=0.5)
    assert read_answer("shoe_distance_km", "about 300 km", None,
                       {"distance_unit": "mi"})["shoe_distance_km"] == 300.0


@pytest.mark.parametrize("text,weekly,previous", [
    ("I run 30 miles a week, up from 20", 48.28, 32.19),
    ("I do 50 km a week, up from 40", 50.0, 40.0),
    ("30 miles a week now, it used to be 20", 48.28, 32.19),
    ("40k a week, was 30", 40.0, 30.0),
])
def test_a_change_said_after_the_weekly_distance_in_one_message(
        text: str, weekly: float, previous: float) -> None:
    facts = extract_facts(text)
    assert facts.weekly_distance_km == pytest.approx(weekly, abs=0.01)
    assert facts.previous_weekly_distance_km == pytest.approx(previous, abs=0.01)


def test_runs_a_week_then_up_from_is_not_a_distance() -> None:
    facts = extract_facts("I run 3 times a week, up from 2")
    assert facts.previous_weekly_distance_km is None
    assert facts.runs_per_week == 3.0


def test_explanation_speaks_the_runners_unit() -> None:
    assert miles_figure(48.28) == "30" and miles_figure(804.7) == "500"
    text = "Going from 32 to 48 km a week; replace shoes around 500 to 800 km; 10% a week."
    assert in_runner_units(text, "mi") == (
        "Going from 20 to 30 miles a week; replace shoes around 310 to 500 miles; 10% a week.")
    assert in_runner_units(text, "km") == text and in_runner_units(text, None) == text
    answers = RunnerAnswers(weekly_distance_km=48.28, previous_weekly_distance_km=32.19)
    ranked = rank_causes(answers)
    said = render_explanation(answers, ranked, "mi")
    assert "20 to 30 miles a week" in said and " km" not in said


def test_explanation_parts_and_text_say_the_same() -> None:
    answers = RunnerAnswers(weekly_distance_km=40, previous_weekly_distance_km=25,
                            sleep_hours=5.5, shoe_distance_km=900)
    ranked = rank_causes(answers)
    parts = explanation_parts(answers, ranked)
    text = render_explanation(answers, ranked)
    assert [card["title"] for card in parts["cards"]] == [r.title for r in ranked]
    for card in parts["cards"]:
        assert card["title"] in text and card["why"] in text and card["see"] in text
        assert card["advice"] and all(tip in text for tip in card["advice"])
    assert text.endswith(parts["closing"])


# ---- where the runner is in the questions ----

def test_progress_counts_questions_asked_and_those_to_come() -> None:
    first = question_progress({}, CORE, "weekly_distance_km")
    assert first["step"] == 1 and first["of"] >= 5
    slots = {"weekly_distance_km": 40.0, "distance_increase_pct": 0.0,
             "questions_shown": ["weekly_distance_km", "distance_increase_pct"]}
    third = question_progress(slots, CORE, "sleep_hours")
    assert third["step"] == 3 and third["of"] >= 5
    # a question answered in the runner's first message is neither asked nor counted
    volunteered = question_progress({"sleep_hours": 7.0}, CORE, "weekly_distance_km")
    assert volunteered == {"step": 1, "of": first["of"] - 1}
    # asked again (after a change): the same step
    again = question_progress({**slots, "questions_shown": [*slots["questions_shown"],
                                                            "sleep_hours"]},
                              CORE, "sleep_hours")
    assert again["step"] == 3


def test_ask_action_sends_the_question_with_its_progress() -> None:
    tracker = make_tracker({"weekly_distance_km": 40.0, "distance_increase_pct": 0.0,
                            "questions_shown": ["weekly_distance_km",
                                                "distance_increase_pct"]},
                           active_loop="assessment_form")
    events, dispatcher = run(ActionAskSleepHours(), tracker)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_sleep_hours"
    assert message["metadata"]["progress"]["step"] == 3
    assert slot_events(events)["questions_shown"][-1] == "sleep_hours"


# ---- commands ----

@pytest.mark.parametrize("text,expected", [
    ("change my sleep", ("change_answer", "sleep_hours")),
    ("can I change my weekly distance please", ("change_answer", "weekly_distance_km")),
    ("my mileage is wrong", ("change_answer", "weekly_distance_km")),
    ("change my answer", ("change_answer", None)),
    ("undo", ("back", None)), ("oops, undo that", ("back", None)), ("go back", ("back", None)),
    ("go back to the beginning", ("restart", None)),
    ("What should I do first?", ("ask_what_to_do", None)),
    ("get a summary to keep", ("request_summary", None)),
])
def test_commands(text: str, expected: tuple) -> None:
    assert command_match(text) == expected


@pytest.mark.parametrize("text", [
    "I changed my shoes last month", "my legs felt heavy so I went back home",
    "should I change my shoes if they have 800 km on them?", "I sleep badly, what should I do",
])
def test_longer_messages_are_not_commands(text: str) -> None:
    assert command_match(text) is None


def test_next_step_buttons_are_commands() -> None:
    steps = load_next_steps()
    assert [command_match(s["payload"])[0] for s in steps] == ["ask_what_to_do",
                                                               "request_summary"]


# ---- changing an answer ----

def _turn(slot_before: dict, text: str, slot_now: dict) -> list:
    events = [{"event": "slot", "name": k, "value": v} for k, v in slot_before.items()]
    events += [{"event": "action", "name": "action_listen"},
               {"event": "user", "text": text}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in slot_now.items()]
    return events


def test_a_changed_earlier_answer_is_seen_and_said_back() -> None:
    events = _turn({"sleep_hours": 7.0}, "wait I only sleep 5 hours", {"sleep_hours": 5.0})
    changes = changed_this_turn(events, {"sleep_hours": 5.0}, skip="diet_factors")
    assert changes == {"sleep_hours": (7.0, 5.0)}
    assert acknowledgement(changes) == "Got it: I've changed your sleep to 5 hours a night."
    miles = {"weekly_distance_km": (40.0, 48.28)}
    assert acknowledgement(miles, "mi") == (
        "Got it: I've changed your weekly distance to 30 miles a week.")
    # the same value again, or the question being answered, is no change
    assert not changed_this_turn(_turn({"sleep_hours": 7.0}, "7", {"sleep_hours": 7.0}),
                                 {"sleep_hours": 7.0})
    assert not changed_this_turn(events, {"sleep_hours": 5.0}, skip="sleep_hours")


def test_form_takes_a_correction_at_another_question_and_asks_it_again() -> None:
    events = _turn({"sleep_hours": 7.0, "requested_slot": "diet_factors"},
                   "wait, I got that wrong, I only sleep 5 hours", {"sleep_hours": 5.0})
    tracker = make_tracker({"sleep_hours": 5.0, "requested_slot": "diet_factors",
                            "weekly_distance_km": 30.0, "distance_increase_pct": 0.0},
                           text="wait, I got that wrong, I only sleep 5 hours",
                           events=events, active_loop="assessment_form")
    out, dispatcher = run(ValidateAssessmentForm(), tracker)
    said = [m.get("text") or m.get("response") for m in dispatcher.messages]
    assert said == ["Got it: I've changed your sleep to 5 hours a night."]
    slots = slot_events(out)
    assert "diet_factors" not in (slots.get("skipped_questions") or [])
    assert slots.get("answer_unparsed") is None and slots.get("diet_factors") is None
    assert slots.get("requested_slot", "diet_factors") == "diet_factors"  # not skipped


def test_change_clears_the_answer_and_what_goes_with_it() -> None:
    slots = {"distance_increase_pct": 50.0, "previous_weekly_distance_km": 20.0,
             "increase_weeks": 8.0, "skipped_questions": ["sleep_hours"]}
    updates = change_updates("distance_increase_pct", slots)
    assert updates["distance_increase_pct"] is None
    assert updates["previous_weekly_distance_km"] is None and updates["increase_weeks"] is None
    assert updates["skipped_questions"] == ["sleep_hours"]
    assert change_updates("sleep_hours", slots)["skipped_questions"] == []
    assert set(load_answers()) == set(FORM_SLOTS)


def test_change_my_sleep_in_the_questions_and_after() -> None:
    entity = [{"entity": "answer_slot", "value": "sleep_hours"}]
    slots = {"sleep_hours": 7.0, "weekly_distance_km": 30.0, "likely_causes": ["sleep"]}
    tracker = make_tracker(slots, text="change my sleep", intent="change_answer",
                           entities=entity)
    events, dispatcher = run(ActionChangeAnswer(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_change_answer"
    assert dispatcher.messages[0]["label"] == "your sleep"
    assert slot_events(events)["sleep_hours"] is None
    assert {"event": "followup", "name": "assessment_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]
    in_form = make_tracker(slots, text="change my sleep", intent="change_answer",
                           entities=entity, active_loop="assessment_form")
    events, _ = run(ActionChangeAnswer(), in_form)
    assert not [e for e in events if e.get("event") == "followup"]


def test_change_my_answer_offers_the_answers_given() -> None:
    slots = {"sleep_hours": 7.0, "weekly_distance_km": 30.0, "skipped_questions": ["diet_factors"]}
    assert [c["payload"] for c in answer_choices(slots)] == [
        "change my weekly distance", "change my sleep", "change my diet"]
    tracker = make_tracker(slots, text="change my answer", intent="change_answer",
                           active_loop="assessment_form")
    events, dispatcher = run(ActionChangeAnswer(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_change_which"
    assert len(dispatcher.messages[0]["buttons"]) == 3
    assert [e["event"] for e in events] == ["followup"]  # waits for the choice
    for choice in answer_choices(slots):  # each button is a command naming its answer
        assert command_match(choice["payload"])[0] == "change_answer"


def test_a_question_not_asked_yet_is_not_changed() -> None:
    tracker = make_tracker({}, text="change my shoes", intent="change_answer",
                           entities=[{"entity": "answer_slot", "value": "shoe_distance_km"}],
                           active_loop="assessment_form")
    events, dispatcher = run(ActionChangeAnswer(), tracker)
    assert events == [] and dispatcher.messages[0]["response"] == "utter_change_not_yet"


# ---- undo ----

def _bot(text: str, progress: dict | None = None, buttons: list | None = None) -> dict:
    meta = {"metadata": {"progress": progress}} if progress else {}
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}, "metadata": meta}


def test_undo_takes_back_the_last_answer_and_asks_its_question_again() -> None:
    events = [
        {"event": "user", "text": "my legs are heavy"},
        {"event": "active_loop", "name": "assessment_form"},
        {"event": "slot", "name": "requested_slot", "value": "weekly_distance_km"},
        _bot("How far do you run in a typical week?", {"step": 1, "of": 6}),
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "about 40 km"},
        {"event": "slot", "name": "weekly_distance_km", "value": 40.0},
        {"event": "slot", "name": "requested_slot", "value": "distance_increase_pct"},
        _bot("Has your weekly distance changed?", {"step": 2, "of": 6}),
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "this is gibberish"},  # forgotten: it does not count
        {"event": "rewind"},
        {"event": "user", "text": "undo"},
    ]
    turn = last_answer_turn(events)
    assert turn.quoted == "about 40 km" and not turn.raised_a_sign
    assert turn.question == {"text": "How far do you run in a typical week?",
                             "metadata": {"progress": {"step": 1, "of": 6}}}
    assert turn.slots == {"weekly_distance_km": None, "requested_slot": "weekly_distance_km"}
    assert turn.loop == (False, "assessment_form")
    tracker = make_tracker({"weekly_distance_km": 40.0}, text="undo", intent="back",
                           events=events, active_loop="assessment_form")
    out, dispatcher = run(ActionBack(), tracker)
    assert slot_events(out) == {"weekly_distance_km": None,
                                "requested_slot": "weekly_distance_km"}
    assert out[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}
    assert dispatcher.messages[0]["response"] == "utter_undone"
    assert dispatcher.messages[1]["text"] == "How far do you run in a typical week?"


def test_undo_after_the_explanation_reopens_the_questions() -> None:
    events = [
        {"event": "user", "text": "legs heavy"},
        {"event": "active_loop", "name": "assessment_form"},
        _bot("Roughly how much distance is on your shoes?", {"step": 5, "of": 5}),
        {"event": "user", "text": "300 km"},
        {"event": "slot", "name": "shoe_distance_km", "value": 300.0},
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "likely_causes", "value": ["recovery"]},
        {"event": "user", "text": "go back"},
    ]
    turn = last_answer_turn(events)
    assert turn.loop == (True, "assessment_form")
    assert turn.slots == {"likely_causes": None, "shoe_distance_km": None}
    tracker = make_tracker({}, text="go back", intent="back", events=events)
    out, _ = run(ActionBack(), tracker)
    assert {"event": "active_loop", "name": "assessment_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in out]


def test_undo_never_takes_back_a_warning_sign() -> None:
    events = [
        {"event": "user", "text": "heavy legs"},
        {"event": "user", "text": "my calf is swollen and hot"},
        {"event": "action", "name": "utter_escalate_urgent"},
        {"event": "slot", "name": "escalation_level", "value": "urgent"},
        {"event": "action", "name": "action_escalate"},
        {"event": "user", "text": "undo"},
    ]
    assert last_answer_turn(events).raised_a_sign
    tracker = make_tracker({}, text="undo", intent="back", events=events)
    out, dispatcher = run(ActionBack(), tracker)
    assert out == []  # nothing set back
    assert dispatcher.messages[0]["response"] == "utter_undo_kept_sign"


def test_undo_with_nothing_to_take_back() -> None:
    tracker = make_tracker({}, text="undo", intent="back")
    out, dispatcher = run(ActionBack(), tracker)
    assert out == []
    assert dispatcher.messages[0]["response"] == "utter_undo_nothing"


# ---- the explanation: cards, next steps, an update said once ----

def test_explanation_carries_cards_and_next_steps() -> None:
    tracker = make_tracker({"weekly_distance_km": 48.28, "previous_weekly_distance_km": 32.19,
                            "distance_unit": "mi", "sleep_hours": 6.0})
    _, dispatcher = run(ActionExplainCauses(), tracker)
    message = dispatcher.messages[-1]
    cards = message["metadata"]["explanation"]["cards"]
    assert cards and all(card["title"] and card["advice"] for card in cards)
    assert "miles" in message["text"] and "20 to 30 miles" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [s["title"] for s in load_next_steps()]


def test_a_new_explanation_after_a_correction_says_what_changed() -> None:
    events = _turn({"sleep_hours": 7.0, "likely_causes": ["sleep"]}, "actually I sleep 5 hours",
                   {"sleep_hours": 5.0})
    tracker = make_tracker({"sleep_hours": 5.0, "likely_causes": ["sleep"],
                            "weekly_distance_km": 30.0}, text="actually I sleep 5 hours",
                           events=events)
    _, dispatcher = run(ActionExplainCauses(), tracker)
    first = dispatcher.messages[0]
    assert first["response"] == "utter_answers_updated"
    assert first["changed"] == "Got it: I've changed your sleep to 5 hours a night."
    assert "{changed}" in DOMAIN["responses"]["utter_answers_updated"][0]["text"]


def test_text_channels_write_the_progress_line() -> None:
    from bot.channels.common import with_progress

    kwargs = {"metadata": {"progress": {"step": 2, "of": 6}}}
    assert with_progress("How many hours?", kwargs) == "Question 2 of 6\nHow many hours?"
    assert with_progress("Hi", {}) == "Hi"
    assert with_progress("Hi", {"metadata": {"progress": {"step": 7, "of": 6}}}) == "Hi"


def test_a_new_figure_without_a_correction_word_is_read_as_before() -> None:
    # "up to 20 miles the last few weeks" at the change question (the weekly distance
    # was skipped): a figure said in passing, not a correction; no re-asking
    events = _turn({"weekly_distance_km": None, "skipped_questions": ["weekly_distance_km"],
                    "requested_slot": "distance_increase_pct"},
                   "I've been running strong up to 20 miles the last few weeks",
                   {"weekly_distance_km": 32.19})
    tracker = make_tracker({"weekly_distance_km": 32.19, "skipped_questions":
                            ["weekly_distance_km"], "requested_slot": "distance_increase_pct"},
                           text="I've been running strong up to 20 miles the last few weeks",
                           events=events, active_loop="assessment_form")
    _, dispatcher = run(ValidateAssessmentForm(), tracker)
    assert not any("Got it" in (m.get("text") or "") for m in dispatcher.messages)


def test_an_amount_of_change_is_not_the_weekly_distance() -> None:
    assert extract_facts("following the plan, up about 5 km every other week").\
        weekly_distance_km is None
    assert extract_facts("doing 30 miles a week, 5 miles more than last month").\
        weekly_distance_km == pytest.approx(48.28, abs=0.01)
