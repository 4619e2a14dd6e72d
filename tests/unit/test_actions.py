"""Actions run on rasa_sdk's real Tracker and CollectingDispatcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.assessment_form import ValidateAssessmentForm
from actions.conversation import ActionExplainWhy, ActionShowDisclaimer
from actions.explanation import ActionExplainCauses, ActionGiveAdvice
from actions.facts import ActionTrackFacts
from actions.safety import ActionEscalate

DOMAIN: Dict[str, Any] = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml").as_dict()
FORM_SLOTS = ["weekly_distance_km", "distance_increase_pct", "sleep_hours", "diet_factors",
              "shoe_distance_km"]


def make_tracker(
    slots: Dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    entities: List[Dict[str, Any]] | None = None,
    events: List[Dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    all_slots: Dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    all_slots.update({"escalation_level": "none", "red_flags": [], "skipped_questions": []})
    all_slots.update(slots or {})
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0},
               "entities": entities or []}
    history = events if events is not None else [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message},
    ]
    return Tracker("runner", all_slots, message, history, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, tracker: Tracker) -> tuple[List[Dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_form_reads_the_answer_to_the_question_asked() -> None:
    tracker = make_tracker({"requested_slot": "weekly_distance_km"}, text="about 25 miles")
    events, _ = run(ValidateAssessmentForm(), tracker)
    slots = slot_events(events)
    assert slots["weekly_distance_km"] == pytest.approx(40.2, abs=0.1)
    assert slots["requested_slot"] if "requested_slot" in slots else True


def test_form_skips_a_question_on_dont_know_and_moves_on() -> None:
    tracker = make_tracker({"requested_slot": "weekly_distance_km"}, text="no idea",
                           intent="dont_know")
    slots = slot_events(run(ValidateAssessmentForm(), tracker)[0])
    assert slots["skipped_questions"] == ["weekly_distance_km"]
    assert slots["requested_slot"] == "distance_increase_pct"


def test_form_reasks_an_unreadable_answer_once_then_skips() -> None:
    tracker = make_tracker({"requested_slot": "sleep_hours"}, text="purple")
    slots = slot_events(run(ValidateAssessmentForm(), tracker)[0])
    assert slots["answer_unparsed"] == "sleep_hours"
    assert slots.get("sleep_hours") is None
    again = make_tracker({"requested_slot": "sleep_hours", "answer_unparsed": "sleep_hours"},
                         text="purple")
    slots = slot_events(run(ValidateAssessmentForm(), again)[0])
    assert "sleep_hours" in slots["skipped_questions"]


def test_form_leaves_questions_to_the_rules() -> None:
    tracker = make_tracker({"requested_slot": "sleep_hours"}, text="why do you ask?",
                           intent="ask_why")
    assert slot_events(run(ValidateAssessmentForm(), tracker)[0]) == {}


def test_form_never_takes_a_warning_sign_as_an_answer() -> None:
    tracker = make_tracker(
        {"requested_slot": "diet_factors"}, text="I also have chest pain",
        entities=[{"entity": "red_flag", "value": "chest_pain", "extractor": "RedFlagDetector"}],
    )
    assert "diet_factors" not in slot_events(run(ValidateAssessmentForm(), tracker)[0])


def test_change_answer_uses_the_known_weekly_distance() -> None:
    tracker = make_tracker({"requested_slot": "distance_increase_pct",
                            "weekly_distance_km": 30.0}, text="up from 15")
    slots = slot_events(run(ValidateAssessmentForm(), tracker)[0])
    assert slots["distance_increase_pct"] == pytest.approx(100.0)


def test_explanation_sets_likely_causes_and_quotes_the_figures() -> None:
    tracker = make_tracker({"weekly_distance_km": 40.0, "previous_weekly_distance_km": 24.0,
                            "distance_increase_pct": 66.7, "sleep_hours": 7.5,
                            "diet_factors": ["balanced"], "shoe_distance_km": 200.0})
    events, dispatcher = run(ActionExplainCauses(), tracker)
    causes = slot_events(events)["likely_causes"]
    assert causes[0] == "training_load"
    text = dispatcher.messages[0]["text"]
    assert "67%" in text and "24" in text and "40" in text


def test_advice_before_any_answers_offers_to_look_into_it() -> None:
    events, dispatcher = run(ActionGiveAdvice(), make_tracker())
    assert events == [] and "sleep" in dispatcher.messages[0]["text"]


def test_disclaimer_is_said_once() -> None:
    events, dispatcher = run(ActionShowDisclaimer(), make_tracker())
    assert dispatcher.messages[0]["response"] == "utter_disclaimer"
    assert slot_events(events) == {"disclaimer_shown": True}
    events, dispatcher = run(ActionShowDisclaimer(), make_tracker({"disclaimer_shown": True}))
    assert events == [] and dispatcher.messages == []


def test_why_names_the_reason_for_the_pending_question() -> None:
    _, dispatcher = run(ActionExplainWhy(), make_tracker({"requested_slot": "sleep_hours"}))
    assert dispatcher.messages[0]["response"] == "utter_why_sleep_hours"
    _, dispatcher = run(ActionExplainWhy(), make_tracker())
    assert dispatcher.messages[0]["response"] == "utter_why_general"


def test_track_facts_accumulates() -> None:
    tracker = make_tracker({"diet_factors": ["vegan"]}, entities=[
        {"entity": "diet_factor", "value": "alcohol", "extractor": "FactExtractor"}])
    assert slot_events(run(ActionTrackFacts(), tracker)[0]) == {
        "diet_factors": ["vegan", "alcohol"]}


def test_escalate_records_signs_stops_the_form_and_offers_to_go_on() -> None:
    parse = {"text": "my calf is swollen", "intent": {"name": "describe_symptoms"},
             "entities": [{"entity": "red_flag", "value": "swelling"}]}
    history = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": parse["text"], "parse_data": parse},
        {"event": "action", "name": "utter_escalate_see_professional"},
        {"event": "action", "name": "utter_signs_heard"},
    ]
    tracker = make_tracker({"requested_slot": "sleep_hours"}, events=history,
                           active_loop="assessment_form")
    events, dispatcher = run(ActionEscalate(), tracker)
    slots = slot_events(events)
    assert slots["red_flags"] == ["swelling"]
    assert slots["escalation_level"] == "see_professional"
    assert slots["resume_offered"] is True
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events if e["event"] == "active_loop"]
    assert dispatcher.messages[0]["response"] == "utter_offer_resume"


def test_escalate_never_lowers_and_offers_nothing_after_an_emergency() -> None:
    parse = {"text": "tingling", "intent": {"name": "inform"},
             "entities": [{"entity": "red_flag", "value": "tingling"}]}
    history = [{"event": "user", "text": "tingling", "parse_data": parse},
               {"event": "action", "name": "utter_escalate_see_professional"}]
    tracker = make_tracker({"escalation_level": "emergency", "red_flags": ["chest_pain"]},
                           events=history)
    events, dispatcher = run(ActionEscalate(), tracker)
    slots = slot_events(events)
    assert slots["escalation_level"] == "emergency"
    assert slots["red_flags"] == ["chest_pain", "tingling"]
    assert slots["resume_offered"] is False and dispatcher.messages == []


def test_hints_let_less_common_causes_rank() -> None:
    tracker = make_tracker({"weekly_distance_km": 30.0, "distance_increase_pct": 0.0,
                            "sleep_hours": 8.0, "diet_factors": ["vegan"],
                            "conditions_hints": ["general_tiredness"]})
    events, _ = run(ActionExplainCauses(), tracker)
    assert slot_events(events)["likely_causes"][0] == "iron"
    tracker = make_tracker({"weekly_distance_km": 30.0, "distance_increase_pct": 0.0,
                            "conditions_hints": ["same_spot_pain", "cramping", "eases_with_rest"]})
    events, dispatcher = run(ActionExplainCauses(), tracker)
    assert "compartment_syndrome" in slot_events(events)["likely_causes"]
