"""Which turn "undo" takes back, and how, without rasa_sdk.

The turn is the runner's latest message before the "undo" that the conversation kept
(a turn the bot forgot, such as an unclear message, does not count). It is not taken
back when it raised a warning sign (an escalation, its advice or a sign check ran in
it): what was said about safety stands.

Taking it back means setting every slot that turn changed back to its value before
it, and the form back to where it was; the question asked before it is then sent
again as it was. (Rasa's own ``action_back`` rewinds with ``UserUtteranceReverted``,
but Rasa folds a form's turns together when it replays them, so a rewind in the
middle of the questions undid every answer since the form began.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from bot.dialogue.safety_names import (
    CHECK,
    ESCALATE_ACTION,
    ESCALATE_PREFIX,
    HEARD,
    HEARD_CONFIRMED,
)

QUOTE_CHARS = 60


def _is_safety_action(name: str) -> bool:
    """An escalation, its advice, or a "is that what's happening?" check."""
    return name.startswith(ESCALATE_PREFIX) or name in (ESCALATE_ACTION, CHECK, HEARD,
                                                         HEARD_CONFIRMED)


@dataclass(frozen=True)
class Turn:
    quoted: str
    raised_a_sign: bool
    question: Dict[str, Any] | None
    slots: Dict[str, Any] = field(default_factory=dict)  # slot -> value to set back
    loop: Tuple[bool, str | None] = (False, None)  # (changed in the turn, loop before)


def _kept_turns(events: Sequence[Mapping[str, Any]]) -> List[Tuple[int, int]]:
    """(start, end) of each user turn the conversation kept, in order."""
    starts = [i for i, e in enumerate(events) if e.get("event") == "user"]
    turns = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(events)
        if any(e.get("event") == "rewind" for e in events[start:end]):
            continue  # forgotten (an unclear message, a stale click)
        if any(e.get("event") in ("restart", "session_started") for e in events[start:end]):
            turns = []
            continue
        turns.append((start, end))
    return turns


def _as_message(event: Mapping[str, Any]) -> Dict[str, Any]:
    data = event.get("data") or {}
    meta = (event.get("metadata") or {}).get("metadata")
    message: Dict[str, Any] = {"text": event.get("text")}
    if data.get("buttons"):
        message["buttons"] = data["buttons"]
    if isinstance(meta, dict) and meta:
        message["metadata"] = meta
    return message


def _is_question(event: Mapping[str, Any]) -> bool:
    if event.get("event") != "bot" or not event.get("text"):
        return False
    meta = (event.get("metadata") or {}).get("metadata") or {}
    return bool((event.get("data") or {}).get("buttons")) or "progress" in meta


def value_before(events: Sequence[Mapping[str, Any]], index: int, slot: str) -> Any:
    """The slot's value just before ``events[index]`` (its latest SlotSet before it;
    None after a restart or a new session)."""
    for event in reversed(events[:index]):
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
        if event.get("event") in ("restart", "session_started"):
            return None
    return None


def _loop_before(events: Sequence[Mapping[str, Any]], index: int) -> str | None:
    for event in reversed(events[:index]):
        if event.get("event") == "active_loop":
            return event.get("name")
        if event.get("event") in ("restart", "session_started"):
            return None
    return None


def last_answer_turn(events: Sequence[Mapping[str, Any]]) -> Turn | None:
    """The turn "undo" would take back (None when there is none). ``events``: the
    tracker's events, the "undo" message last."""
    events = list(events)
    turns = _kept_turns(events)
    if len(turns) < 2:
        return None  # only the "undo" itself
    start, end = turns[-2]
    text = str(events[start].get("text") or "")
    quoted = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1].rstrip() + "…"
    raised = any(e.get("event") == "action" and _is_safety_action(str(e.get("name") or ""))
                 for e in events[start:end])
    question = next((_as_message(e) for e in reversed(events[:start]) if _is_question(e)),
                    None)
    changed = {str(e.get("name")) for e in events[start:end] if e.get("event") == "slot"}
    slots = {name: value_before(events, start, name) for name in sorted(changed)}
    loop_changed = any(e.get("event") == "active_loop" for e in events[start:end])
    return Turn(quoted, raised, question, slots, (loop_changed, _loop_before(events, start)))
