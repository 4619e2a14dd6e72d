"""Returning runners: recognised in a new session, figures confirmed.

* :func:`recognise_returning_runner` (called by ``action_show_disclaimer``, which
  runs when a runner greets or starts describing their legs): when the runner's
  latest stored assessment is older than the current session, welcome them back,
  keep what they told us last time in the ``recalled`` slot, and clear last
  time's answers (carried over by Rasa's session start) so that the questions
  are asked again. Rasa's own ``action_session_start`` is kept, so a new session
  starts even when the action server is down.
* ``action_ask_weekly_distance_km`` / ``action_ask_shoe_distance_km``: the form
  asks these through them; with a remembered figure they ask to confirm it
  ("... are they the same pair, so about 790 km now?") instead of asking afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.questions import AskQuestion, progress_of, record_shown
from actions.storage import channel_of, safely
from bot.storage import repository
from bot.storage.models import utcnow
from bot.storage.recall import confirmation_question, recall, welcome_back

# Last time's answers: asked again (confirmed where remembered) in a new session.
RESET_FOR_RETURNING = (
    "weekly_distance_km", "distance_increase_pct", "sleep_hours", "diet_factors",
    "shoe_distance_km", "likely_causes", "skipped_questions", "answer_unparsed",
    "previous_weekly_distance_km", "questions_shown",
)


def _session_start(tracker: Tracker) -> datetime | None:
    stamps = [e.get("timestamp") for e in tracker.events
              if e.get("event") == "session_started" and e.get("timestamp")]
    if not stamps:
        stamps = [e.get("timestamp") for e in tracker.events if e.get("timestamp")][:1]
    return datetime.utcfromtimestamp(stamps[-1]) if stamps else None


def _set_this_turn(tracker: Tracker) -> set:
    names: set = set()
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot":
            names.add(event.get("name"))
    return names


def recognise_returning_runner(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[Dict[str, Any]]:
    """Welcome back a runner assessed in an earlier session; [] for anyone else."""
    profile, assessment = safely(
        "look up a returning runner",
        lambda: repository.find_runner(channel_of(tracker), tracker.sender_id),
        default=(None, None),
    )
    if not assessment:
        return []
    started = _session_start(tracker)
    if started is None or assessment["created_at"] >= started:
        return []  # assessed in this session: not a return visit
    already = tracker.get_slot("recalled") or {}
    if already.get("assessment_id") == assessment["id"]:
        return []  # already welcomed in this session
    recalled = recall(profile, assessment, utcnow())
    recalled["assessment_id"] = assessment["id"]
    dispatcher.utter_message(text=welcome_back(recalled))
    fresh = _set_this_turn(tracker)  # figures given in this very message are kept
    events: List[Dict[str, Any]] = [
        SlotSet(slot, [] if slot == "skipped_questions" else None)
        for slot in RESET_FOR_RETURNING if slot not in fresh
    ]
    return events + [SlotSet("recalled", recalled), SlotSet("prefill_declined", []),
                     SlotSet("prefill_offer", None)]


class _AskWithRecall(AskQuestion):
    """A question that first offers the figure remembered from last time."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        recalled = tracker.get_slot("recalled") or {}
        declined = tracker.get_slot("prefill_declined") or []
        question = None
        if (recalled and self.slot not in declined
                and tracker.get_slot("answer_unparsed") != self.slot):
            question = confirmation_question(self.slot, recalled)
        metadata = progress_of(tracker, domain, self.slot)
        shown = record_shown(tracker, self.slot)
        if question:
            dispatcher.utter_message(text=question, metadata=metadata, buttons=[
                {"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}])
            return [SlotSet("prefill_offer", self.slot), shown]
        dispatcher.utter_message(response=f"utter_ask_{self.slot}", metadata=metadata)
        return [SlotSet("prefill_offer", None), shown]


class ActionAskWeeklyDistance(_AskWithRecall):
    slot = "weekly_distance_km"


class ActionAskShoeDistance(_AskWithRecall):
    slot = "shoe_distance_km"
