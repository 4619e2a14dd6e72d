"""Asking the follow-up questions of bot/knowledge/questions.yml, one at a time.

Thin: the choice of question is bot.dialogue.followup_answers.next_followup; the
wording and buttons come from the knowledge file. A button's payload is its title,
read like typed text, so a tap and a typed reply take the same path.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.questions import progress_of, record_shown
from bot.dialogue.followup_answers import FOLLOWUP, asked, next_followup


class ActionAskFollowup(Action):
    def name(self) -> str:
        return f"action_ask_{FOLLOWUP}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        question = next_followup(tracker.slots)
        if question is None:
            # nothing left to ask: fill the slot so the form can finish
            return [SlotSet(FOLLOWUP, "done"), SlotSet("current_question", None)]
        buttons = [{"title": b.title, "payload": b.title} for b in question.buttons]
        dispatcher.utter_message(text=question.ask, buttons=buttons,
                                 metadata=progress_of(tracker, domain, question.id))
        seen = asked(tracker.slots)
        return [SlotSet("current_question", question.id),
                SlotSet("asked_questions", [*seen, question.id] if question.id not in seen
                        else seen),
                record_shown(tracker, question.id)]
