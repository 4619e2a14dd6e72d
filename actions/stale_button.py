"""A click on a button of an earlier question: say so and forget the click.

Chosen by :class:`bot.policies.button_guard.ButtonGuardPolicy` (the decision and
why are in :mod:`bot.dialogue.button_answers`). Reverting the user's turn undoes
whatever the click's text set, so the open question and the answers so far stay
exactly as they were.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ActionStaleButton(Action):
    def name(self) -> str:
        return "action_stale_button"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_stale_button")
        return [UserUtteranceReverted()]
