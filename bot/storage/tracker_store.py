"""Rasa's SQLTrackerStore, plus forgetting.

When a runner asks to be forgotten, ``action_forget_me`` erases their rows
(profile, assessments, Rasa ``events``) and returns ``Restarted``. Rasa would
then save the conversation's events again at the end of the turn (its SQL
store appends whatever the database does not hold yet), so this store checks
the turn: if ``action_forget_me`` ran in it, the sender's rows are deleted
instead of saved. Everything else is Rasa's SQLTrackerStore unchanged.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"


def forget_requested(tracker: DialogueStateTracker) -> bool:
    """Whether ``action_forget_me`` ran since the runner's latest message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    """``type: bot.storage.tracker_store.ForgetfulSQLTrackerStore`` in endpoints.yml."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not forget_requested(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            removed = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("A conversation was forgotten on request (%d stored events removed).",
                    removed)
