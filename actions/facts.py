"""action_track_facts: keep the facts a runner mentions anywhere in the chat.

Called by Rasa's slot extraction after every message (custom slot mapping in
domain.yml); the merging lives in :mod:`bot.dialogue.fact_slots`.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.fact_slots import merge_fact_slots


class ActionTrackFacts(Action):
    def name(self) -> str:
        return "action_track_facts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        message = tracker.latest_message or {}
        updates = merge_fact_slots(tracker.slots, message.get("entities") or [],
                                   message.get("text") or "")
        return [SlotSet(slot, value) for slot, value in updates.items()]
