"""Shared helpers for the actions that use the database (bot/storage/repository.py).

Storage problems never break a conversation: they are logged (without the
runner's id or words) and the action carries on without the stored data.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from rasa_sdk import Tracker

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_CHANNEL = "rest"


def channel_of(tracker: Tracker) -> str | None:
    """The runner's input channel, or None when no message has been seen yet."""
    return tracker.get_latest_input_channel() or None


def safely(what: str, call: Callable[[], T], default: Any = None) -> T:
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - storage must not break the chat
        logger.warning("Storage unavailable while trying to %s: %s", what, type(error).__name__)
        return default
