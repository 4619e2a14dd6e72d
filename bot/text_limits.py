"""Limits applied to user text before and during NLU work.

Very long messages are clipped so that parsing and matching stay fast and
bounded; warning signs sit in the kept part because runners describe them in
the first few sentences, and the limit is far above any real chat message.

Every parser the project owns runs in time linear in the message (docs/linear_time.md).
As a second line of defence, the work on one message can run under a *budget*:
:func:`budget` starts one (CPU time of the current thread, so a busy machine does not
eat into it), :func:`check_budget` is called between steps and raises
:class:`OverBudget` once it is spent. The fact extractor (bot/nlu/fact_extractor.py)
and the answer parsers (bot/triage/parsing.py) treat such a message as unclear, so
one message can hold Rasa's event loop (or the action server's) for at most about the
budget, whatever it contains.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

MAX_MESSAGE_CHARS = 2000

# The work on one message, in CPU milliseconds (BOT_NLU_BUDGET_MS overrides it). The
# worst 2,000-character message takes about a third of it (docs/linear_time.md).
DEFAULT_BUDGET_MS = 50.0

# Where a component that gave up on a message says so: a list of component names in the
# message's output properties (``/model/parse`` shows it), e.g. ["FactExtractor"].
OVER_BUDGET_KEY = "over_budget"

# (thread id, deadline in that thread's CPU time): a context copied to another thread
# (e.g. by asyncio.to_thread) carries no budget there.
_DEADLINE: ContextVar[tuple[int, float] | None] = ContextVar("heavy_legs_budget", default=None)


class OverBudget(RuntimeError):
    """The work on a message used up its budget (see :func:`budget`)."""


def clip_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit]


def budget_seconds() -> float:
    """The per-message budget in seconds (``BOT_NLU_BUDGET_MS``, default 50 ms)."""
    try:
        value = float(os.environ.get("BOT_NLU_BUDGET_MS", DEFAULT_BUDGET_MS))
    except ValueError:
        value = DEFAULT_BUDGET_MS
    return max(value, 1.0) / 1000.0


@contextmanager
def budget(seconds: float | None = None) -> Iterator[None]:
    """Run the block under a budget of ``seconds`` of this thread's CPU time (default:
    :func:`budget_seconds`). Nested budgets keep the earlier deadline. Only code that calls
    :func:`check_budget` stops; it raises :class:`OverBudget` out of the block."""
    limit = budget_seconds() if seconds is None else seconds
    thread = threading.get_ident()
    deadline = time.thread_time() + limit
    outer = _DEADLINE.get()
    if outer is not None and outer[0] == thread:
        deadline = min(deadline, outer[1])
    token = _DEADLINE.set((thread, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_budget() -> None:
    """Raise :class:`OverBudget` when the current budget is spent (no budget: nothing)."""
    current = _DEADLINE.get()
    if current is not None and time.thread_time() > current[1] and \
            current[0] == threading.get_ident():
        raise OverBudget("the work on this message went over its budget")


def budget_left() -> float | None:
    """Seconds left in the current budget (None when there is none)."""
    current = _DEADLINE.get()
    if current is None or current[0] != threading.get_ident():
        return None
    return current[1] - time.thread_time()
