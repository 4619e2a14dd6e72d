"""What an escalation leaves in the tracker: the signs and the level.

Works on rasa_sdk's event dicts (the action server's view of the tracker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping

from bot.dialogue.safety_names import ESCALATE_PREFIX, HEARD_CONFIRMED, LEVELS


@dataclass(frozen=True)
class EscalationRecord:
    red_flags: List[str]
    level: str
    offer_resume: bool


def _rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def _entity_values(event: Mapping[str, Any], entity: str) -> List[str]:
    entities = (event.get("parse_data") or {}).get("entities") or []
    return [
        found["value"]
        for found in entities
        if found.get("entity") == entity and isinstance(found.get("value"), str)
    ]


def record_escalation(
    slots: Mapping[str, Any], events: Iterable[Dict[str, Any]]
) -> EscalationRecord:
    """Merge the signs of this turn into the slots' record; never lower the level."""
    events = list(events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    latest = users[-1] if users else len(events)
    this_turn = [e.get("name") for e in events[latest + 1 :] if e.get("event") == "action"]

    if HEARD_CONFIRMED in this_turn and len(users) >= 2:
        new_signs = _entity_values(events[users[-2]], "possible_red_flag")
    elif users:
        new_signs = _entity_values(events[latest], "red_flag")
    else:
        new_signs = []

    level = slots.get("escalation_level") or "none"
    for name in this_turn:
        if name and name.startswith(ESCALATE_PREFIX):
            said = name[len(ESCALATE_PREFIX) :]
            if _rank(said) > _rank(level):
                level = said
    red_flags = list(dict.fromkeys([*(slots.get("red_flags") or []), *new_signs]))
    offer = level != "emergency" and not slots.get("likely_causes")
    return EscalationRecord(red_flags=red_flags, level=level, offer_resume=offer)
