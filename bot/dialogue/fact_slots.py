"""Accumulating the facts a runner mentions across the whole conversation.

Rasa's ``from_entity`` mapping replaces a list slot with the latest message's
values; volunteered causes, diet facts and symptoms must instead add up over the
conversation ("I'm vegan" early on, "had a few beers last night" later). This
module merges the FactExtractor entities of the latest message into the slots.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping

from bot.triage.answers import FOLLOWUP_SLOT
from bot.triage.followups import merge_values

LIST_SLOTS = {
    "diet_factor": "diet_factors",
    "volunteered_cause": "volunteered_causes",
    "symptom": "symptoms",
    "condition_hint": "conditions_hints",
}
FACT_EXTRACTOR = "FactExtractor"
FOLLOWUP_ENTITY = "followup_fact"


def followup_facts(values: Iterable[Any]) -> Dict[str, Any]:
    """``["sides=one", "medicines=statin"]`` -> ``{"sides": "one", "medicines": ["statin"]}``
    (only slots of the follow-up questions; list slots as lists)."""
    from bot.triage.answers import LIST, slot_kinds

    kinds = slot_kinds()
    found: Dict[str, Any] = {}
    for value in values:
        slot, sep, item = str(value).partition("=")
        if not sep or not item or slot not in kinds:
            continue
        if kinds[slot] == LIST:
            found.setdefault(slot, [])
            if item not in found[slot]:
                found[slot].append(item)
        else:
            found[slot] = item
    return found


def _values(entities: Iterable[Mapping[str, Any]], entity: str) -> List[Any]:
    return [
        found.get("value")
        for found in entities
        if found.get("entity") == entity and found.get("extractor") in (None, FACT_EXTRACTOR)
    ]


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def increase_pct(previous_km: float | None, current_km: float | None) -> float | None:
    """Percentage change from ``previous_km`` to ``current_km`` a week."""
    if previous_km is None or current_km is None or previous_km <= 0:
        return None
    return round((current_km - previous_km) / previous_km * 100.0, 1)


def merge_fact_slots(
    slots: Mapping[str, Any], entities: Iterable[Mapping[str, Any]], text: str = ""
) -> Dict[str, Any]:
    """Slot updates after a message (``text``) with these entities (only what changed).

    A weekly distance said in miles or km sets ``distance_unit``: later figures without
    a unit are read in it ("up from 20" after "30 miles a week")."""
    entities = list(entities)
    updates: Dict[str, Any] = {}
    if text and _values(entities, "weekly_distance_km"):
        from bot.triage.parsing import distance_unit_said

        unit = distance_unit_said(text)
        if unit and unit != slots.get("distance_unit"):
            updates["distance_unit"] = unit
    for entity, slot in LIST_SLOTS.items():
        new = [v for v in _values(entities, entity) if isinstance(v, str)]
        if not new:
            continue
        known = list(slots.get(slot) or [])
        merged = list(dict.fromkeys([*known, *new]))
        if merged != known:
            updates[slot] = merged

    said = followup_facts(_values(entities, FOLLOWUP_ENTITY))
    if said:
        current = slots.get(FOLLOWUP_SLOT)
        current = dict(current) if isinstance(current, Mapping) else {}
        merged = merge_values(current, said)
        if merged != current:
            updates[FOLLOWUP_SLOT] = merged

    if _float(slots.get("distance_increase_pct")) is None and not _values(
        entities, "distance_increase_pct"
    ):
        current = _float(next(iter(_values(entities, "weekly_distance_km")), None))
        previous = _float(next(iter(_values(entities, "previous_weekly_distance_km")), None))
        current = current if current is not None else _float(slots.get("weekly_distance_km"))
        previous = (
            previous if previous is not None else _float(slots.get("previous_weekly_distance_km"))
        )
        pct = increase_pct(previous, current)
        if pct is not None:
            updates["distance_increase_pct"] = pct
    return updates


def answer_updates(slots: Mapping[str, Any], values: Mapping[str, Any]) -> Dict[str, Any]:
    """Slot updates that store a follow-up reply's values: a slot of the domain (such as
    ``symptom_timing`` or ``conditions_hints``) directly, lists added to; any other in
    ``followup_answers``."""
    from bot.triage.answers import FIXED_SLOTS, LIST, slot_kinds

    kinds = slot_kinds()
    updates: Dict[str, Any] = {}
    extra: Dict[str, Any] = {}
    for slot, value in values.items():
        if slot in FIXED_SLOTS or slot in DOMAIN_TEXT_SLOTS:
            if kinds.get(slot) == LIST:
                updates[slot] = list(dict.fromkeys([*(slots.get(slot) or []), *value]))
            else:
                updates[slot] = value
        else:
            extra[slot] = value
    if extra:
        current = slots.get(FOLLOWUP_SLOT)
        current = dict(current) if isinstance(current, Mapping) else {}
        updates[FOLLOWUP_SLOT] = merge_values(current, extra)
    return updates


# text answer slots that are slots of the domain (not kept in followup_answers)
DOMAIN_TEXT_SLOTS = frozenset({"symptom_timing"})
