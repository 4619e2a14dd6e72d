"""One answer per question: which button click answers the question still open.

Every bot message with buttons gets a *question token*: a short hash of its text
and the timestamp of its ``BotUttered`` event, so the same question asked twice
gets two tokens. The channels put the token into each button (Telegram's
``callback_data``, Slack's ``action_id``, the chat page's reply metadata) and hand
it back with the click as the message metadata ``answer_to``.

A click answers only a question of the bot's latest turn: a second tap on the
same keyboard, or a button of an earlier question, is *stale*.
:class:`bot.policies.button_guard.ButtonGuardPolicy` then runs
``action_stale_button``, which says so and forgets the click (the conversation and
its answers stay as they were). The check runs inside Rasa, under the
conversation's lock, so two taps that reach two replicas at once are still
answered once.

A forgotten turn (an unclear message, a stale click) leaves the question before it
open, and the buttons sent with "I didn't follow" can be tapped as well.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, List, Set, Tuple

ANSWER_TO = "answer_to"
TOKEN_LENGTH = 10
TOKEN_SEPARATOR = "|"


def question_token(text: str | None, timestamp: Any) -> str:
    """The token of one bot message with buttons."""
    seed = f"{timestamp!r}\x00{text or ''}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(seed).hexdigest()[:TOKEN_LENGTH]


def with_token(token: str, payload: str) -> str:
    """``token|payload``: a button value that says which question it answers."""
    return f"{token}{TOKEN_SEPARATOR}{payload}"


def split_token(value: str) -> Tuple[str | None, str]:
    """The token and payload of a button value; no token for a value without one."""
    token, separator, payload = value.partition(TOKEN_SEPARATOR)
    if separator and len(token) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in token):
        return token, payload
    return None, value


def open_question_tokens(events: Iterable[Any]) -> Set[str]:
    """Tokens of the bot messages with buttons that the latest user message may answer.

    Those are the bot's messages since the user message before it. A turn that was
    forgotten (``UserUtteranceReverted``, e.g. an unclear message) does not count
    as a turn: its bot messages join the turn before, whose question stays open.
    (Rasa's ``applied_events`` cannot be used: it also folds the form's turns.)
    """
    from rasa.shared.core.events import (
        BotUttered,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )

    turns: List[List[Any]] = [[]]  # the bot messages after each user message
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            turns = [[]]
        elif isinstance(event, UserUttered):
            turns.append([])
        elif isinstance(event, UserUtteranceReverted) and len(turns) > 1:
            forgotten = turns.pop()
            turns[-1].extend(forgotten)
        elif isinstance(event, BotUttered) and (event.data or {}).get("buttons"):
            turns[-1].append(question_token(event.text, event.timestamp))
    return set(turns[-2]) if len(turns) > 1 else set()


def answered_token(tracker: Any) -> str | None:
    """The question token the latest message says it answers (a button click), if any."""
    message = tracker.latest_message
    metadata = getattr(message, "metadata", None) or {}
    token = metadata.get(ANSWER_TO) if isinstance(metadata, dict) else None
    return token if isinstance(token, str) and token else None


def is_stale_click(tracker: Any) -> bool:
    """True when the latest message is a click on a button of an earlier question."""
    token = answered_token(tracker)
    if token is None:
        return False
    return token not in open_question_tokens(tracker.events)
