"""What the runner has written in this conversation, for the learned cause opinion.

Read from the tracker's events when the causes are ranked (the explanation and the
plan), not kept in a slot: a slot holding the conversation's text would be stored again
with every turn's events.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from bot.triage.cause_opinion import join_messages

# A new conversation starts here: what came before is another story.
_STARTS = frozenset({"restart", "session_started"})


def runner_words(events: Iterable[Mapping[str, Any]]) -> str:
    """The texts of the runner's messages since the conversation (re)started, in order,
    the end of a long conversation only; button payloads ("/affirm") are not words."""
    texts: list[str] = []
    for event in events:
        kind = event.get("event")
        if kind in _STARTS:
            texts = []
        elif kind == "user":
            text = str(event.get("text") or "").strip()
            if text and not text.startswith("/"):
                texts.append(text)
    return join_messages(texts)
