"""Rasa's SQLTrackerStore, plus forgetting and a clean behaviour when the database is lost.

Forgetting: when a runner asks to be forgotten, ``action_forget_me`` erases their
rows (profile, assessments, Rasa ``events``) and returns ``Restarted``. Rasa would
then save the conversation's events again at the end of the turn (its SQL store
appends whatever the database does not hold yet), so this store checks the turn:
if ``action_forget_me`` ran in it, the sender's rows are deleted instead of saved.

Database lost while running (docs/storage.md): Rasa wraps every tracker store in
a ``FailSafeTrackerStore``, which on an error answers on an empty in-memory
tracker (the conversation looks new) and may later append that stranger's events
to the stored conversation (Rasa's save appends ``tracker.events[stored:]``). This
store instead

* on a failed read answers the turn on a *detached* blank tracker: the message is
  still understood (warning signs still escalate), but nothing of the turn is ever
  written, and :func:`bot.storage.outage.report` tells the channel (``LOAD``);
* on a failed write logs the error type and reports ``SAVE``; the turn's events are
  written in one transaction, so either all of them are stored or none;
* before writing, checks that the stored events are a prefix of the tracker's
  (same count, same last event); otherwise it refuses to write rather than
  append events that do not belong to the stored conversation;
* pings pooled connections before use (a restarted database is used again at once)
  and bounds connecting to PostgreSQL (``connect_timeout``, ``tcp_user_timeout``),
  so a lost server answers in seconds instead of hanging the event loop.

Errors never reach Rasa's ``FailSafeTrackerStore``; the Rasa server keeps running
and the next turn after the database is back continues from the saved state.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError

from bot.storage import outage

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
# Marks a tracker answered while the database was unreachable: never saved.
DETACHED_ATTRIBUTE = "_heavylegs_detached"
CONNECT_TIMEOUT_SECONDS = 5
TCP_USER_TIMEOUT_MS = 10_000
DATABASE_ERRORS = (SQLAlchemyError, OSError)


def forget_requested(tracker: DialogueStateTracker) -> bool:
    """Whether ``action_forget_me`` ran since the runner's latest message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == FORGET_ACTION:
            return True
    return False


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Write-ahead log, and fsync at checkpoints rather than at every commit.

    Every turn commits its events; with SQLite's defaults (rollback journal,
    ``synchronous=FULL``) each commit waits for two fsyncs, a large part of a turn
    on a slow disk (docs/performance.md). In WAL mode ``NORMAL`` stays consistent
    after a crash of the process; only a power cut can lose the last turns.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_detached(tracker: DialogueStateTracker) -> bool:
    """Whether ``tracker`` was made up because the stored one could not be read."""
    return bool(getattr(tracker, DETACHED_ATTRIBUTE, False))


def resilient_engine_kwargs(url: Any) -> Dict[str, Any]:
    """Rasa's engine settings plus pre-ping and bounded connection attempts."""
    kwargs: Dict[str, Any] = dict(create_engine_kwargs(url))
    kwargs["pool_pre_ping"] = True
    if sa.engine.make_url(url).get_backend_name() == "postgresql":
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        # Also bounds a query on a connection whose server vanished (libpq >= 12).
        connect_args.setdefault("tcp_user_timeout", TCP_USER_TIMEOUT_MS)
        kwargs["connect_args"] = connect_args
    return kwargs


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    """``type: bot.storage.tracker_store.ForgetfulSQLTrackerStore`` in endpoints.yml."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's engine has neither pre-ping nor timeouts: after a database restart
        # the first query on each pooled connection would fail.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **resilient_engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _tune_sqlite)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _detached(self, sender_id: str, error: BaseException) -> DialogueStateTracker:
        logger.error("The conversation store is unreachable (%s): this turn is answered "
                     "on its own and not saved.", type(error).__name__)
        outage.report(outage.LOAD)
        tracker = self.init_tracker(sender_id)
        setattr(tracker, DETACHED_ATTRIBUTE, True)
        return tracker

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except DATABASE_ERRORS as error:
            return self._detached(sender_id, error)

    async def retrieve_full_tracker(
        self, conversation_id: str
    ) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except DATABASE_ERRORS as error:
            return self._detached(conversation_id, error)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if is_detached(tracker):
            logger.warning("A turn answered while the conversation store was unreachable "
                           "is not saved.")
            return
        try:
            if forget_requested(tracker):
                self._forget(tracker.sender_id)
            else:
                await self.stream_events(tracker)
                self._append_new_events(tracker)
        except DATABASE_ERRORS as error:
            logger.error("Could not save the conversation (%s); the stored conversation "
                         "is unchanged.", type(error).__name__)
            outage.report(outage.SAVE)

    def _forget(self, sender_id: str) -> None:
        with self.session_scope() as session:
            removed = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("A conversation was forgotten on request (%d stored events removed).",
                    removed)

    def _append_new_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``SQLTrackerStore.save`` with a check that the tracker continues
        the stored conversation (see the module docstring)."""
        with self.session_scope() as session:
            query = self._event_query(session, tracker.sender_id,
                                      fetch_events_from_all_sessions=False)
            stored = query.count()
            events = list(tracker.events)
            if stored:
                last = query.order_by(None).order_by(self.SQLEvent.id.desc()).first()
                if not self._continues(events, stored, last):
                    logger.error("Not saving: the tracker does not continue the stored "
                                 "conversation (it changed elsewhere or was not loaded).")
                    outage.report(outage.SAVE)
                    return
            for event in events[stored:]:
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()

    @staticmethod
    def _continues(events: list, stored: int, last_row: Any) -> bool:
        """Whether ``events[stored - 1]`` is the last stored event (type and timestamp)."""
        if last_row is None or len(events) < stored:
            return False
        mine = events[stored - 1]
        try:
            theirs = json.loads(last_row.data)
        except (TypeError, ValueError):
            return False
        return (last_row.type_name == mine.type_name
                and theirs.get("timestamp") == mine.timestamp)
