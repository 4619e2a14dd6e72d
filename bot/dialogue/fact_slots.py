"""Accumulating the facts a runner mentions across the whole conversation.

Rasa's ``from_entity`` mapping replaces a list slot with the latest message's
values; volunteered causes, diet facts and symptoms must instead add up over the
conversation ("I'm vegan" early on, "had a few beers last night" later). This
module merges the FactExtractor entities of the latest message into the slots.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping

LIST_SLOTS = {
    "diet_factor": "diet_factors",
    "volunteered_cause": "volunteered_causes",
    "symptom": "symptoms",
    "condition_hint": "conditions_hints",
}
FACT_EXTRACTOR = "FactExtractor"


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
    slots: Mapping[str, Any], entities: Iterable[Mapping[str, Any]]
) -> Dict[str, Any]:
    """Slot updates after a message with these entities (only what changed)."""
    entities = list(entities)
    updates: Dict[str, Any] = {}
    for entity, slot in LIST_SLOTS.items():
        new = [v for v in _values(entities, entity) if isinstance(v, str)]
        if not new:
            continue
        known = list(slots.get(slot) or [])
        merged = list(dict.fromkeys([*known, *new]))
        if merged != known:
            updates[slot] = merged

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
