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
sending :func:`storage_note` afterwards; every channel of the project does so
through ``bot/channels/turn_guard.py``. Context variables follow the awaiting
task, so concurrent turns never see each other's problems; the list is shared by reference, so a
report from a task spawned inside the turn still arrives.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Iterable, Iterator, List

from bot.security.input import SAFETY_ADVICE

LOAD = "load"
SAVE = "save"

LOAD_NOTE = (
    "Sorry, I can't reach my record of our conversation right now, so I answered this "
    "message on its own and won't remember it. Please try again in a few minutes; "
    "what you told me before is kept. " + SAFETY_ADVICE
)
SAVE_NOTE = (
    "Sorry, I couldn't save this part of our conversation just now, so I may not "
    "remember it. Please try again in a few minutes. " + SAFETY_ADVICE
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
