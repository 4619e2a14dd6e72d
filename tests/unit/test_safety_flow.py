"""The escalation decisions, on real Rasa trackers built from events."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.safety_flow import next_safety_action

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")


def user(text: str, intent: str = "describe_symptoms", **signs: List[str]) -> List[Event]:
    entities: List[dict[str, Any]] = []
    for entity, values in signs.items():
        for value in values:
            entities.append({"entity": entity, "value": value, "extractor": "RedFlagDetector"})
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, intent={"name": intent, "confidence": 1.0}, entities=entities),
    ]


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("t", list(events), slots=DOMAIN.slots)


def run_sequence(events: List[Event]) -> List[str]:
    """Follow the policy's choices until it abstains or hands back to listening."""
    chosen: List[str] = []
    while True:
        action: str | None = next_safety_action(tracker(*events))
        if action is None:
            return chosen
        chosen.append(action)
        if action == "action_listen":
            return chosen
        events = [*events, ActionExecuted(action)]


def test_confirmed_sign_in_the_opening_message_escalates() -> None:
    events = user("my calf is swollen", red_flag=["swelling"])
    assert run_sequence(events) == [
        "utter_escalate_see_professional", "utter_signs_heard", "action_escalate", "action_listen",
    ]


def test_emergency_sign_mid_form_interrupts_the_form() -> None:
    events = [
        *user("legs heavy"),
        ActionExecuted("assessment_form"), ActiveLoop("assessment_form"),
        SlotSet("requested_slot", "weekly_distance_km"),
        *user("I also have chest pain", intent="inform", red_flag=["chest_pain"]),
    ]
    assert run_sequence(events)[0] == "utter_escalate_emergency"


def test_signs_combine_with_earlier_ones_and_level_never_drops() -> None:
    events = [
        SlotSet("red_flags", ["swelling"]),
        SlotSet("escalation_level", "see_professional"),
        *user("it's only one leg and it feels warm", red_flag=["one_sided", "warmth"]),
    ]
    assert run_sequence(events)[0] == "utter_escalate_urgent"
    events = [
        SlotSet("red_flags", ["chest_pain"]),
        SlotSet("escalation_level", "emergency"),
        *user("and tingling too", red_flag=["tingling"]),
    ]
    assert run_sequence(events)[0] == "utter_escalate_emergency"


def test_no_sign_no_prediction() -> None:
    assert run_sequence(user("my legs are heavy and sore")) == []


def test_hedged_sign_is_checked_and_a_yes_escalates() -> None:
    first = user("maybe a bit of tingling?", possible_red_flag=["tingling"])
    assert run_sequence(first) == ["utter_check_sign", "action_listen"]
    events = [*first, ActionExecuted("utter_check_sign"), *user("yes a little", intent="affirm")]
    assert run_sequence(events) == [
        "utter_escalate_see_professional", "utter_possible_signs_confirmed",
        "action_escalate", "action_listen",
    ]


def test_hedged_sign_then_no_goes_back_to_the_form() -> None:
    first = [
        ActiveLoop("assessment_form"),
        *user("sort of numb?", intent="inform", possible_red_flag=["numbness"]),
    ]
    events = [*first, ActionExecuted("utter_check_sign"), *user("no", intent="deny")]
    # Only the reassurance: the form (RulePolicy) asks its question again next.
    assert run_sequence(events) == ["utter_sign_check_clear"]


def test_question_about_a_sign_gets_information_not_escalation() -> None:
    events = user("when should I worry about swelling?", intent="ask_when_to_see_someone",
                  red_flag_question=["swelling"])
    assert run_sequence(events) == ["utter_when_to_see_someone", "action_listen"]


def test_after_an_emergency_only_the_reminder() -> None:
    events = [SlotSet("escalation_level", "emergency"), *user("what about my shoes?")]
    assert run_sequence(events) == ["utter_emergency_reminder", "action_listen"]
    closing = [SlotSet("escalation_level", "emergency"), *user("thanks", intent="thanks")]
    assert run_sequence(closing) == []


@pytest.mark.parametrize(("reply", "intent", "expected"), [
    ("yes please", "affirm", ["assessment_form"]),
    ("no thanks", "deny", ["utter_resume_declined", "action_listen"]),
])
def test_offer_to_go_on_after_escalation(reply: str, intent: str, expected: List[str]) -> None:
    events = [
        *user("my ankle is swollen", red_flag=["swelling"]),
        ActionExecuted("utter_escalate_see_professional"),
        ActionExecuted("utter_signs_heard"),
        ActionExecuted("action_escalate"),
        SlotSet("resume_offered", True),
        *user(reply, intent=intent),
    ]
    assert run_sequence(events) == expected


def test_does_not_fire_in_the_middle_of_another_sequence() -> None:
    events = [*user("my legs are heavy"), ActionExecuted("action_show_disclaimer")]
    assert next_safety_action(tracker(*events)) is None


def test_a_sign_already_escalated_said_again_in_an_answer_is_not_escalated_again() -> None:
    """The runner carried on after the advice; an answer that mentions the same sign
    again is read by the form, not answered with the same advice for ever."""
    form = [ActionExecuted("assessment_form"), ActiveLoop("assessment_form"),
            SlotSet("requested_slot", "followup_answer")]
    escalated = [SlotSet("red_flags", ["pain"]), SlotSet("escalation_level", "see_professional")]
    events = [*escalated, *form, *user("achy, and runs are painful", intent="inform",
                                       red_flag=["pain"])]
    assert run_sequence(events) == []
    # a new sign, or the same outside the questions, is escalated as before
    events = [*escalated, *form, *user("and now my calf is swollen", intent="inform",
                                       red_flag=["swelling"])]
    assert run_sequence(events)[0] == "utter_escalate_see_professional"
    events = [*escalated, *user("my leg is painful", red_flag=["pain"])]
    assert run_sequence(events)[0] == "utter_escalate_see_professional"
    # an emergency is always said again
    events = [SlotSet("red_flags", ["chest_pain"]), SlotSet("escalation_level", "emergency"),
              *form, *user("chest pain", intent="inform", red_flag=["chest_pain"])]
    assert run_sequence(events)[0] == "utter_escalate_emergency"
