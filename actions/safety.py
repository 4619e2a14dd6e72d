"""action_escalate: record a warning sign and what happens next.

The advice itself has already been said by ``utter_escalate_<level>`` (chosen by
EscalationPolicy from the domain's responses, so it needs no action server).
This action keeps the record: ``red_flags`` (all signs heard) and
``escalation_level`` (never lowered), stops the questions, and, below an
emergency, offers to go on with the other possible causes.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.escalation_record import record_escalation
from bot.dialogue.form_answers import answer_held_by_a_sign


class ActionEscalate(Action):
    def name(self) -> str:
        return "action_escalate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        record = record_escalation(tracker.slots, tracker.events)
        events: List[Dict[str, Any]] = [
            SlotSet("red_flags", record.red_flags),
            SlotSet("escalation_level", record.level),
        ]
        if tracker.active_loop.get("name"):
            # The message with the sign also answers the open question, or leaves it
            # out: if the runner carries on, it is not asked again.
            message = tracker.latest_message or {}
            held = answer_held_by_a_sign(
                dict(tracker.slots), message.get("text") or "",
                (message.get("intent") or {}).get("name"))
            events += [SlotSet(name, value) for name, value in held.items()
                       if name != "requested_slot"]
            events.append(ActiveLoop(None))
        # No question is pending while the runner reads the advice; if they choose
        # to go on, the form asks for whatever is still missing.
        events.append(SlotSet("requested_slot", None))
        if record.offer_resume:
            dispatcher.utter_message(response="utter_offer_resume")
        events.append(SlotSet("resume_offered", record.offer_resume))
        return events
