"""Explaining the likely causes, and general advice, from the cause engine."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.triage.engine import RunnerAnswers, rank_causes, render_explanation


class ActionExplainCauses(Action):
    """Rank the causes from the answers, say them in the runner's figures."""

    def name(self) -> str:
        return "action_explain_causes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        answers = RunnerAnswers.from_slots(tracker.slots)
        ranked = rank_causes(answers)
        dispatcher.utter_message(text=render_explanation(answers, ranked))
        return [SlotSet("likely_causes", [cause.id for cause in ranked])]


class ActionGiveAdvice(Action):
    """Advice for the causes found so far, or an offer to look into it first."""

    def name(self) -> str:
        return "action_give_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        answers = RunnerAnswers.from_slots(tracker.slots)
        if not tracker.get_slot("likely_causes"):
            dispatcher.utter_message(
                text=(
                    "Some things help most runners with heavy legs: a few easy days or a rest "
                    "day, 7 to 9 hours of sleep, enough carbohydrate and fluid around your runs, "
                    "and building weekly distance gradually. Tell me how your legs feel and I "
                    "can point to what fits you."
                )
            )
            return []
        ranked = rank_causes(answers)
        dispatcher.utter_message(text=render_explanation(answers, ranked))
        return [SlotSet("likely_causes", [cause.id for cause in ranked])]
