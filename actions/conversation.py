"""Small conversation actions: the one-time notice and "why do you ask?"."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.profile import recognise_returning_runner
from bot.dialogue.followup_answers import FOLLOWUP
from bot.triage.questions import load_questions

FORM_SLOTS = (
    "weekly_distance_km",
    "distance_increase_pct",
    "sleep_hours",
    "diet_factors",
    "shoe_distance_km",
)


class ActionShowDisclaimer(Action):
    """Say once per conversation that this is information, not a diagnosis."""

    def name(self) -> str:
        return "action_show_disclaimer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        # A runner back for another visit is welcomed as known (actions/profile.py).
        events = recognise_returning_runner(dispatcher, tracker)
        if tracker.get_slot("disclaimer_shown"):
            return events
        dispatcher.utter_message(response="utter_disclaimer")
        return [*events, SlotSet("disclaimer_shown", True)]


class ActionExplainWhy(Action):
    """Give the reason for the question being asked (the form then asks again)."""

    def name(self) -> str:
        return "action_explain_why"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        question = load_questions().by_id(tracker.get_slot("current_question"))
        if requested == FOLLOWUP and question is not None:
            dispatcher.utter_message(text=question.why)
        elif requested in FORM_SLOTS:
            dispatcher.utter_message(response=f"utter_why_{requested}")
        else:
            dispatcher.utter_message(response="utter_why_general")
        return []
