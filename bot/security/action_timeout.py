"""A slow action server makes a failed step, not a failed turn.

Rasa 3.6 waits ``DEFAULT_REQUEST_TIMEOUT`` (300 s, hard-coded in
``rasa.core.constants`` and read as a global of ``rasa.core.actions.action``) for
each custom action, and then aiohttp raises ``asyncio.TimeoutError``, which
``RemoteAction.run`` does not turn into a ``RasaException``. Inside the prediction
loop the processor still catches it (the action's events are lost, the channels'
step-failed note follows), but the slot extraction step before it
(``ActionExtractSlots``, which runs the form's validation action) catches only
``RasaException``: the whole turn failed, and a message with a warning sign got no
escalation.

:func:`install` (called once per process, idempotent) sets the wait to
``ACTIONS_TIMEOUT`` seconds (default 10) and re-raises a timeout as a
``RasaException``, so both places treat it like an unreachable action server.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, List

logger = logging.getLogger(__name__)

TIMEOUT_ENV = "ACTIONS_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 10.0
_MARK = "_heavylegs_timeout_guard"


def configured_timeout() -> float:
    """``ACTIONS_TIMEOUT`` in seconds (a positive number), else the default."""
    try:
        seconds = float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return seconds if seconds > 0 else DEFAULT_TIMEOUT_SECONDS


def install(seconds: float | None = None) -> None:
    """Bound custom actions to ``seconds`` and make a timeout an ordinary action failure."""
    from rasa.core.actions import action as rasa_action
    from rasa.shared.exceptions import RasaException

    rasa_action.DEFAULT_REQUEST_TIMEOUT = seconds or configured_timeout()
    original = rasa_action.RemoteAction.run
    if getattr(original, _MARK, False):
        return

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                  domain: Any) -> List[Any]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except asyncio.TimeoutError as error:
            logger.error("Custom action %s timed out after %s s", self.name(),
                         rasa_action.DEFAULT_REQUEST_TIMEOUT)
            raise RasaException(f"Custom action '{self.name()}' timed out") from error

    setattr(run, _MARK, True)
    rasa_action.RemoteAction.run = run
