"""Telling the runner when their conversation could not be loaded or saved.

The tracker store (:mod:`bot.storage.tracker_store`) never lets a database
error escape: Rasa's ``FailSafeTrackerStore`` would otherwise answer on an
empty in-memory tracker that looks like a new conversation. Instead it calls
:func:`report` with what went wrong in this turn:

* ``LOAD``: the conversation could not be read. The message is answered on its
  own (a blank, *detached* conversation: warning signs still escalate) and
  nothing of the turn is written, so the stored conversation stays as it was;
* ``SAVE``: the conversation was read but this turn could not be written.

A channel learns about it by running the turn inside :func:`watch_storage` and
sending :func:`storage_note` afterwards, or simply by wrapping Rasa's
``on_new_message`` with :func:`with_storage_note`, which does both through the
message's own output channel (so it works for REST, Telegram, Slack and
socket.io alike). Context variables follow the awaiting task, so concurrent
turns never see each other's problems; the list is shared by reference, so a
report from a task spawned inside the turn still arrives.
"""

from __future__ import annotations

import contextvars
import logging
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Iterable, Iterator, List

logger = logging.getLogger(__name__)

LOAD = "load"
SAVE = "save"

_SAFETY = (
    "If your symptoms get worse, or you notice swelling, numbness, chest pain or "
    "breathlessness, see a health professional, or call your local emergency number "
    "for chest pain, breathlessness or fainting."
)
LOAD_NOTE = (
    "Sorry, I can't reach my record of our conversation right now, so I answered this "
    "message on its own and won't remember it. Please try again in a few minutes; "
    "what you told me before is kept. " + _SAFETY
)
SAVE_NOTE = (
    "Sorry, I couldn't save this part of our conversation just now, so I may not "
    "remember it. Please try again in a few minutes. " + _SAFETY
)

# The current turn's problems (None outside a watched turn).
_problems: contextvars.ContextVar[List[str] | None] = contextvars.ContextVar(
    "storage_problems", default=None
)


def report(problem: str) -> None:
    """Note a storage problem (``LOAD`` or ``SAVE``) for the current turn, if watched."""
    problems = _problems.get()
    if problems is not None:
        problems.append(problem)


@contextmanager
def watch_storage() -> Iterator[List[str]]:
    """Collect the storage problems of the turn run inside the block.

    Nested watches are allowed: a problem goes to the innermost one only, so a
    note is never sent twice when two layers both watch.
    """
    problems: List[str] = []
    token = _problems.set(problems)
    try:
        yield problems
    finally:
        _problems.reset(token)


def storage_note(problems: Iterable[str]) -> str | None:
    """The one text to send after the turn's answers, or None when all went well.

    A failed load wins: that turn is never saved, so "could not save" would be
    redundant.
    """
    seen = set(problems)
    if LOAD in seen:
        return LOAD_NOTE
    if SAVE in seen:
        return SAVE_NOTE
    return None


OnNewMessage = Callable[[Any], Awaitable[Any]]


def with_storage_note(on_new_message: OnNewMessage) -> OnNewMessage:
    """Wrap Rasa's ``on_new_message`` so the runner is told about storage problems.

    The note is sent after the turn's own answers (an escalation comes first)
    through ``message.output_channel``; a failure to send it is logged, never raised.
    """

    async def handle(message: Any) -> Any:
        with watch_storage() as problems:
            result = await on_new_message(message)
        note = storage_note(problems)
        if note is not None and getattr(message, "output_channel", None) is not None:
            try:
                await message.output_channel.send_text_message(message.sender_id, note)
            except Exception as error:  # noqa: BLE001 - the note must not break the turn
                logger.error("could not send the storage note: %s", type(error).__name__)
        return result

    return handle
