"""What the assistant must do next for safety, decided from the tracker alone.

This is the decision table behind :class:`bot.policies.escalation.EscalationPolicy`.
It reads the entities that :class:`bot.nlu.red_flag_detector.RedFlagDetector` put
on the latest user message (never the intent classifier alone) and the slots
``red_flags`` and ``escalation_level``, and returns the next action, or ``None``
to let the other policies decide.

Each safety reply is a short fixed sequence that starts right after the user's
message (after ``action_listen``) and ends with ``action_listen``:

* confirmed sign: ``utter_escalate_<level>`` (the advice, first, from the domain so
  it reaches the runner even with the action server down), ``utter_signs_heard``,
  ``action_escalate`` (records slots, stops the form, offers to go on), listen;
* hedged sign ("maybe a bit of tingling"): ``utter_check_sign``, listen; a yes to
  that question escalates, a no gets ``utter_sign_check_clear`` (then the questions,
  when none were asked yet); the same possible sign is not asked about twice;
* a question about a sign ("when should I worry about swelling?"):
  ``utter_when_to_see_someone``;
* after an emergency: ``utter_emergency_reminder`` to anything but thanks/goodbye;
* after ``action_escalate`` offered to go on: yes resumes ``assessment_form``,
  no gets ``utter_resume_declined``.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Sequence

from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.confirmations import read_confirmation
from bot.dialogue.safety_names import (
    ACTION_LISTEN,
    CHECK,
    CHECK_CLEAR,
    CLOSING_INTENTS,
    DETECTOR,
    DISCLAIMER,
    EMERGENCY_REMINDER,
    ESCALATE_ACTION,
    ESCALATE_PREFIX,
    FORM,
    HEARD,
    HEARD_CONFIRMED,
    LEVELS,
    RESUME_DECLINED,
    SECOND_OPINION,
    SIGN_INFO,
)


def _level_rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def level_for(signs: Iterable[str]) -> str:
    """Escalation level of a set of sign names, from the red-flag level rules."""
    from bot.triage.red_flags import escalation_level

    return escalation_level(signs)


def _detector_values(message: UserUttered | None, entity: str) -> List[str]:
    if message is None:
        return []
    # The rules' entities; a possible sign may also come from the second opinion,
    # which can only make the bot ask (never escalate on its own).
    allowed = (None, DETECTOR, SECOND_OPINION) if entity == "possible_red_flag" else (
        None, DETECTOR)
    values: List[str] = []
    for found in message.entities or []:
        if found.get("entity") != entity:
            continue
        if found.get("extractor") not in allowed:
            continue
        value = found.get("value")
        if isinstance(value, str) and value not in values:
            values.append(value)
    return values


def _user_turns(tracker: DialogueStateTracker) -> List[int]:
    return [i for i, event in enumerate(tracker.events) if isinstance(event, UserUttered)]


def _actions_between(tracker: DialogueStateTracker, start: int, end: int) -> List[str]:
    events = list(tracker.events)[start:end]
    return [
        event.action_name
        for event in events
        if isinstance(event, ActionExecuted) and event.action_name
    ]


def _last_bot_action_before(tracker: DialogueStateTracker, index: int) -> str | None:
    events = list(tracker.events)[:index]
    for event in reversed(events):
        if isinstance(event, ActionExecuted) and event.action_name not in (
            ACTION_LISTEN,
            None,
        ):
            return event.action_name
    return None


def _asked_before(tracker: DialogueStateTracker, user_index: int, hedged: List[str]) -> bool:
    """True when the runner was already asked about one of these possible signs and
    did not say yes (no question is asked twice; a yes escalates at once)."""
    events = list(tracker.events)
    turns = [i for i in _user_turns(tracker) if i < user_index]
    for n, index in enumerate(turns):
        if not set(hedged) & set(_detector_values(events[index], "possible_red_flag")):
            continue
        end = turns[n + 1] if n + 1 < len(turns) else user_index
        if CHECK in _actions_between(tracker, index + 1, end):
            return True
    return False


def _first_step(tracker: DialogueStateTracker, user_index: int) -> List[str] | None:
    """The safety sequence that the latest user message calls for, if any."""
    events = list(tracker.events)
    message: UserUttered = events[user_index]
    intent = (message.intent or {}).get("name")
    previous_bot_action = _last_bot_action_before(tracker, user_index)
    affirmed = _detector_values(message, "red_flag")
    hedged = _detector_values(message, "possible_red_flag")
    asked = _detector_values(message, "red_flag_question")
    heard_action = HEARD

    answer = read_confirmation(message.text or "", intent)
    if not affirmed and previous_bot_action == CHECK and answer == "yes":
        previous_turns = [i for i in _user_turns(tracker) if i < user_index]
        if previous_turns:
            affirmed = _detector_values(events[previous_turns[-1]], "possible_red_flag")
            heard_action = HEARD_CONFIRMED

    current_level = tracker.get_slot("escalation_level") or "none"
    if affirmed:
        known: Sequence[Any] = tracker.get_slot("red_flags") or []
        # Modifiers of this message (one leg only, after a long journey, ...) take
        # part in the level rules but are never signs on their own.
        context = _detector_values(message, "red_flag_context")
        signs = list(dict.fromkeys([*known, *affirmed, *context]))
        level = level_for(signs)
        if _level_rank(current_level) > _level_rank(level):
            level = current_level  # never lower within a conversation
        repeated = (set(affirmed) <= set(known) and level == current_level
                    and level != "emergency" and tracker.active_loop_name)
        if level != "none" and not repeated:
            return [f"{ESCALATE_PREFIX}{level}", heard_action, ESCALATE_ACTION, ACTION_LISTEN]
        # A sign already escalated at this level, said again in an answer once the
        # runner chose to carry on: the advice is not repeated, the answer is read.

    if current_level == "emergency" and intent not in CLOSING_INTENTS:
        return [EMERGENCY_REMINDER, ACTION_LISTEN]

    if previous_bot_action == CHECK and answer == "no" and not hedged:
        if tracker.active_loop_name:
            return [CHECK_CLEAR]  # the form asks its question again
        if not tracker.get_slot("likely_causes"):
            # the check came before any questions: go on to them
            return [CHECK_CLEAR, DISCLAIMER, FORM]
        return [CHECK_CLEAR, ACTION_LISTEN]

    if hedged and not _asked_before(tracker, user_index, hedged):
        return [CHECK, ACTION_LISTEN]

    if asked and not affirmed:
        return [SIGN_INFO] + ([] if tracker.active_loop_name else [ACTION_LISTEN])

    if previous_bot_action == ESCALATE_ACTION and tracker.get_slot("resume_offered"):
        if answer == "yes":
            return [FORM]
        if answer == "no":
            return [RESUME_DECLINED, ACTION_LISTEN]
    return None


def next_safety_action(tracker: DialogueStateTracker) -> str | None:
    """Return the next safety action for this tracker, or ``None`` to abstain."""
    turns = _user_turns(tracker)
    if not turns:
        return None
    user_index = turns[-1]
    done = _actions_between(tracker, user_index + 1, len(tracker.events))
    plan = _first_step(tracker, user_index)
    if not plan:
        return None
    if not done:
        return plan[0]
    # Continue the sequence only while what ran so far is exactly its beginning.
    # The escalation level is fixed by the first step, since action_escalate
    # changes the slots that chose it.
    if plan[0].startswith(ESCALATE_PREFIX) and done[0].startswith(ESCALATE_PREFIX):
        plan = [done[0], *plan[1:]]
    if done != plan[: len(done)] or len(done) >= len(plan):
        return None
    return plan[len(done)]
