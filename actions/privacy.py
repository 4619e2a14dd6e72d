"""Forgetting a runner on request, and the summary to share with a physio.

``action_forget_me`` runs after the runner confirmed (data/rules/privacy.yml):
it erases the profile, the assessments and the conversation's rows in Rasa's
``events`` table, then restarts the conversation. The tracker store
(bot/storage/tracker_store.py) makes sure Rasa does not write this turn back.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, Restarted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.storage import channel_of, safely
from bot.storage import repository
from bot.storage.models import utcnow
from bot.storage.recall import summary_text
from bot.triage.units import in_runner_units

logger = logging.getLogger(__name__)


class ActionForgetMe(Action):
    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        removed = safely("forget a runner", lambda: repository.forget_sender(tracker.sender_id))
        if removed is None:
            dispatcher.utter_message(
                text="Sorry, I couldn't delete your data just now because the storage isn't "
                     "reachable. Please try again in a few minutes.")
            return []
        logger.info("Forgot a runner on request: %s rows removed.", sum(removed.values()))
        dispatcher.utter_message(
            text="Done: I've deleted this conversation, your assessments and your running "
                 "figures. If you write again, I'll treat you as a new runner.")
        return [Restarted(), FollowupAction("action_listen")]


def _current_assessment(tracker: Tracker) -> Dict[str, Any] | None:
    causes = tracker.get_slot("likely_causes")
    if not causes:
        return None
    return {
        "created_at": utcnow(),
        "answers": {name: tracker.get_slot(name) for name in repository.ANSWER_SLOTS
                    if tracker.get_slot(name) is not None},
        "likely_causes": list(causes),
        "escalation_level": tracker.get_slot("escalation_level") or "none",
        "red_flags": list(tracker.get_slot("red_flags") or []),
    }


class ActionShareSummary(Action):
    def name(self) -> str:
        return "action_share_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        assessment = _current_assessment(tracker)
        if assessment is None:
            _, assessment = safely(
                "read the last assessment",
                lambda: repository.find_runner(channel_of(tracker), tracker.sender_id),
                default=(None, None),
            )
        if assessment is None:
            dispatcher.utter_message(
                text="I don't have an assessment to summarise yet. Tell me how your legs "
                     "feel and, after a few questions, I can give you a summary to share.")
            return []
        # In the runner's own unit, as the explanation was (issue 16: a runner who counts
        # in miles hands their physio a summary in miles).
        text = in_runner_units(summary_text(assessment), tracker.get_slot("distance_unit"))
        dispatcher.utter_message(text=text, metadata={"summary": True})
        return []
