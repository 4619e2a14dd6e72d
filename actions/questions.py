"""The assessment form's questions, each with where the runner is ("3 of 6").

Rasa's form asks ``action_ask_<slot>`` when the domain has one: these send the
domain's ``utter_ask_<slot>`` with ``metadata: {progress: {step, of}}`` (the chat page
shows it; bot/dialogue/progress.py counts) and record the question as shown. The
questions that may confirm a remembered figure (actions/profile.py) and the follow-up
questions (actions/followups.py) add the same metadata.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.progress import SHOWN, question_progress, shown_now

FORM = "assessment_form"


def progress_of(tracker: Tracker, domain: DomainDict, asking: str) -> Dict[str, Any]:
    """The metadata for the question about to be asked: ``{"progress": {step, of}}``."""
    core = list(((domain.get("forms") or {}).get(FORM) or {}).get("required_slots") or [])
    return {"progress": question_progress(tracker.slots, core, asking)}


def record_shown(tracker: Tracker, asking: str) -> Dict[str, Any]:
    """The slot event recording the question as shown (for the count)."""
    return SlotSet(SHOWN, shown_now(tracker.slots, asking))


class AskQuestion(Action):
    """Asks ``utter_ask_<slot>`` with where the runner is in the questions."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response=f"utter_ask_{self.slot}",
                                 metadata=progress_of(tracker, domain, self.slot))
        return [record_shown(tracker, self.slot)]


class ActionAskDistanceIncrease(AskQuestion):
    slot = "distance_increase_pct"


class ActionAskSleepHours(AskQuestion):
    slot = "sleep_hours"


class ActionAskDietFactors(AskQuestion):
    slot = "diet_factors"
