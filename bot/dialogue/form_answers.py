"""Turning a reply to one of the assessment questions into slot values.

Used by the form validation action in ``actions/assessment_form.py``; kept here,
free of rasa_sdk, so the rules are easy to test and to read:

* a figure that parses (and is plausible) fills the slot, plus any side facts
  (e.g. "went from 20 to 35" also gives the previous and current distance);
* "don't know" / "skip" drops the question;
* an answer that doesn't parse is left out (``answer_unparsed`` names the question,
  so the runner is told), never asked again: each question is asked once;
* a message that is not an answer at all (a question, a greeting on its own; see
  :mod:`bot.dialogue.interruptions`) leaves the form alone so the dialogue rules can
  answer it and come back.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping

from bot.dialogue.interruptions import is_interruption
from bot.triage import parsing
from bot.triage.answers import PLAUSIBLE_RANGES

# Plausible ranges; a value outside is treated as a misreading, not a fact.
BOUNDS: Dict[str, tuple[float, float]] = PLAUSIBLE_RANGES

# The five core questions, in the form's order.
ANSWER_SLOTS = ("weekly_distance_km", "distance_increase_pct", "sleep_hours", "diet_factors",
                "shoe_distance_km")

SIDE_FACTS = (
    "increase_weeks",
    "weekly_distance_km",
    "previous_weekly_distance_km",
    "runs_per_week",
    "shoe_age_months",
)


def valid_float(slot: str, value: Any) -> float | None:
    """Return ``value`` as a float when it is a plausible value for ``slot``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    low, high = BOUNDS[slot]
    if number != number or not low <= number <= high:  # NaN or out of range
        return None
    if slot in ("weekly_distance_km", "sleep_hours") and number == 0.0:
        return None
    return round(number, 2)


def _parse(slot: str, text: str, slots: Mapping[str, Any]) -> parsing.Parsed:
    if slot == "weekly_distance_km":
        return parsing.parse_weekly_distance(text)
    if slot == "distance_increase_pct":
        return parsing.parse_distance_change(
            text,
            current_weekly_km=slots.get("weekly_distance_km"),
            runs_per_week=slots.get("runs_per_week"),
            default_unit=slots.get("distance_unit"),
        )
    if slot == "sleep_hours":
        return parsing.parse_sleep_hours(text)
    if slot == "diet_factors":
        return parsing.parse_diet(text)
    if slot == "shoe_distance_km":
        return parsing.parse_shoes(text, weekly_distance_km=slots.get("weekly_distance_km"),
                                   default_unit=slots.get("distance_unit"))
    raise KeyError(slot)


def skip_question(slot: str, slots: Mapping[str, Any]) -> Dict[str, Any]:
    skipped = list(slots.get("skipped_questions") or [])
    if slot not in skipped:
        skipped.append(slot)
    return {"skipped_questions": skipped, "answer_unparsed": None}


def unit_of_weekly_distance(slot: str, parsed: parsing.Parsed, side: Mapping[str, Any],
                            text: str) -> Dict[str, Any]:
    """``{"distance_unit": "mi"}`` when this answer gave the weekly distance in miles
    (or "km"): later figures without a unit are read in it, and the explanation speaks
    in it. Empty when the answer gave no weekly distance or no single unit."""
    gave_weekly = (slot == "weekly_distance_km" and parsed.status == "ok"
                   and parsed.value is not None) or "weekly_distance_km" in side
    unit = parsed.extras.get("distance_unit") if gave_weekly else None
    return {"distance_unit": unit} if unit in ("km", "mi") else {}


def read_answer(
    slot: str,
    text: str,
    intent: str | None,
    slots: Mapping[str, Any],
) -> Dict[str, Any]:
    """Slot updates for ``text`` given as the answer to the question for ``slot``."""
    parsed = _parse(slot, text, slots)
    side = {
        key: parsed.extras[key]
        for key in SIDE_FACTS
        if key != slot and isinstance(parsed.extras.get(key), (int, float))
    }
    side.update(unit_of_weekly_distance(slot, parsed, side, text))
    if parsed.status == "ok" and parsed.value not in (None, []):
        value = parsed.value
        if slot == "diet_factors":
            known = list(slots.get("diet_factors") or [])
            value = list(dict.fromkeys([*known, *value]))
        return {slot: value, "answer_unparsed": None, **side}
    if parsed.status == "ok":
        # Understood but no figure for this slot (e.g. "two years old" with the
        # weekly distance unknown): keep what we learned and move on.
        return {**skip_question(slot, slots), **side}
    if parsed.status == "dont_know":
        return {**skip_question(slot, slots), **side}
    if is_interruption(text, intent):
        return {}
    if parsing.answered_in_words(slot, text):
        # "the baby's up all night" to the sleep question: answered, just not with a
        # figure; the causes it names are read from the message as from any other
        return {**skip_question(slot, slots), **side}
    return {**skip_question(slot, slots), "answer_unparsed": slot, **side}


def carries_warning_sign(entities: Any, current_level: str | None = None) -> bool:
    """True when the RedFlagDetector's entities amount to a warning sign (a level above
    none) that raises the conversation's ``current_level``: the escalation policy
    answers it before the question goes on. A modifier on its own ("it's been hot" read
    as warmth, "one leg") is context for the level rules, not a sign, and must not keep
    an answer from being read; nor must a sign already escalated (said again in the
    same answer, it would hold the question open for ever)."""
    from bot.dialogue.safety_flow import level_for
    from bot.dialogue.safety_names import LEVELS

    found = [e for e in entities or [] if isinstance(e, Mapping)]
    signs = [str(e.get("value")) for e in found if e.get("entity") == "red_flag"]
    if not signs:
        return False
    context = [str(e.get("value")) for e in found if e.get("entity") == "red_flag_context"]
    level = level_for([*signs, *context])
    current = LEVELS.index(current_level) if current_level in LEVELS else 0
    return LEVELS.index(level) > current if level in LEVELS else False


def replies_to_a_sign_check(events: Any) -> bool:
    """True when the latest user message answers the bot's yes/no check on a possible
    warning sign (``utter_check_sign``), not the form's question: "no" to "is that
    something you're noticing?" must not be read, and left out, as a weekly distance."""
    from bot.dialogue.safety_names import ACTION_LISTEN, CHECK

    seen_user = False
    for event in reversed(list(events or [])):
        if not isinstance(event, Mapping):
            continue
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action":
            if event.get("name") == ACTION_LISTEN:
                continue
            return event.get("name") == CHECK
    return False


# A message of at most this many words that raised a sign check is the sign alone ("numb
# maybe?", "sort of tingly toes?"), not a reply to the open question.
SIGN_ONLY_WORDS = 4


def only_a_sign(text: str) -> bool:
    """True for a short message that can only have been the sign it raised a check about."""
    return len(re.findall(r"[^\W\d_]+", text or "")) <= SIGN_ONLY_WORDS


def message_before_a_sign_check(events: Any) -> tuple[str, str | None] | None:
    """The runner's message that the bot's yes/no check (``utter_check_sign``) was about,
    as (text, intent), when the latest message replies to that check. That message was
    also the reply to the open question: after a "no" it is read as the answer, so the
    question is not asked again."""
    if not replies_to_a_sign_check(events):
        return None
    users = 0
    for event in reversed(list(events or [])):
        if isinstance(event, Mapping) and event.get("event") == "user":
            users += 1
            if users == 2:
                parse = event.get("parse_data") or {}
                intent = (parse.get("intent") or {}).get("name")
                return str(event.get("text") or ""), intent
    return None


def answer_held_by_a_sign(slots: Mapping[str, Any], text: str,
                          intent: str | None) -> Dict[str, Any]:
    """Slot updates for the question that was open when a message carried a warning
    sign: the escalation stops the questions, and if the runner carries on the form
    would ask the same question again. Instead the message is read as its answer
    ("barely any water, and my pee is dark" answers the diet question); when it says
    nothing for it, the question is left out like any unread answer (no note: the
    runner has just been given the advice). No question is asked twice."""
    from bot.dialogue.followup_answers import FOLLOWUP, UNREAD_NOTE, read_followup_reply

    requested = slots.get("requested_slot")
    if not requested:
        return {}
    if requested == FOLLOWUP:
        updates = dict(read_followup_reply(slots, text, intent))
        updates.pop(UNREAD_NOTE, None)
        updates.setdefault("current_question", None)
        return updates
    if requested not in ANSWER_SLOTS:
        return {}
    updates = read_answer(requested, text, intent, slots) or skip_question(requested, slots)
    value = updates.get(requested)
    if requested in BOUNDS and value is not None:
        checked = valid_float(requested, value)
        updates = {**updates, requested: checked} if checked is not None else skip_question(
            requested, slots)
    updates["answer_unparsed"] = None
    return updates
