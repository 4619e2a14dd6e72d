"""The assessment form's validation action: parse answers, skip what's known.

Thin by design: the parsing is in :mod:`bot.triage.parsing` and the question
order in domain.yml. Each question has an ``extract_<slot>`` (reads the answer to
the question just asked) and a ``validate_<slot>`` (checks the value, however it
was filled). An answer that can't be read is left out (the runner is told; the
question is not asked again); "don't know" or "skip" drops the question. The
follow-up questions (bot/knowledge/questions.yml) share one slot,
``followup_answer``, after the core ones (bot/dialogue/followup_answers.py).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.dialogue.corrections import acknowledgement, changed_this_turn, says_it_corrects
from bot.dialogue.followup_answers import (
    FOLLOWUP,
    UNREAD_NOTE,
    followup_pending,
    read_followup_reply,
)
from bot.dialogue.form_answers import (
    carries_warning_sign,
    message_before_a_sign_check,
    only_a_sign,
    read_answer,
    replies_to_a_sign_check,
    skip_question,
    valid_float,
)
from bot.storage.recall import read_prefill_answer

Slots = Dict[str, Any]


class ValidateAssessmentForm(FormValidationAction):
    """Validates and extracts the answers to the assessment questions."""

    def name(self) -> str:
        return "validate_assessment_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        # rasa_sdk returns only the events of the form's own slots; the answers'
        # side facts and bookkeeping (answer_unparsed, skipped_questions,
        # previous_weekly_distance_km, ...) must be kept as well.
        before = dict(tracker.slots)  # rasa_sdk updates tracker.slots while extracting
        extraction_events = await self.get_extraction_events(dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        text = (tracker.latest_message or {}).get("text") or ""
        corrected = changed_this_turn(tracker.events, tracker.slots, skip=requested)
        answered = any(e.get("name") == requested and e.get("value") is not None
                       for e in extraction_events)
        if corrected and says_it_corrects(text) and not answered:
            # "wait, I got that wrong, I only sleep 5 hours" at the diet question: a
            # correction of an earlier answer (Rasa's slot mapping has taken the new
            # figure), not an unreadable answer to this one: say what changed, and this
            # question stays open (neither skipped nor noted as unread)
            kept_open = ("answer_unparsed", "skipped_questions", requested)
            extraction_events = [e for e in extraction_events if e.get("name") not in kept_open]
            for name in kept_open:
                tracker.slots[name] = before.get(name)
        else:
            corrected = {}
        tracker.add_slots(extraction_events)
        validation_events = await self._extract_validation_events(dispatcher, tracker, domain)
        validated = {event.get("name") for event in validation_events}
        extras = [event for event in extraction_events if event.get("name") not in validated]
        events = extras + validation_events
        if corrected:
            dispatcher.utter_message(text=acknowledgement(
                corrected, tracker.get_slot("distance_unit")))
        elif any(e.get("name") == "answer_unparsed" and e.get("value") for e in events):
            dispatcher.utter_message(response="utter_answer_not_read")
        return events

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        skipped = set(tracker.get_slot("skipped_questions") or [])
        core = [slot for slot in domain_slots if slot not in skipped and slot != FOLLOWUP]
        if any(tracker.get_slot(slot) is None for slot in core):
            return core + [FOLLOWUP]  # the follow-ups come after the core questions
        return core + ([FOLLOWUP] if followup_pending(tracker.slots) else [])

    def _extract(self, slot: str, tracker: Tracker) -> Slots:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        entities = message.get("entities") or []
        if replies_to_a_sign_check(tracker.events):
            # "no" to "is that something you're noticing?" is not an answer; the message
            # the check was about may be (it was the reply to this question): read it,
            # so an answered question is not asked again. A bare sign ("numb maybe?")
            # interrupted the question, which is asked again; a longer reply that can't
            # be read is left out with the usual note, as any unreadable answer is.
            earlier = message_before_a_sign_check(tracker.events)
            if earlier is None:
                return {}
            updates = read_answer(slot, earlier[0], earlier[1], dict(tracker.slots))
            if updates and updates.get("answer_unparsed") != slot:
                return updates
            return {} if only_a_sign(earlier[0]) else updates
        if tracker.get_slot("prefill_offer") == slot:
            # A remembered figure was offered for confirmation (actions/profile.py).
            updates = read_prefill_answer(slot, message.get("text") or "", intent,
                                          dict(tracker.slots))
        else:
            updates = read_answer(slot, message.get("text") or "", intent,
                                  dict(tracker.slots))
        level = tracker.get_slot("escalation_level")
        if carries_warning_sign(entities, level) and updates.get(slot) is None:
            # The escalation policy answers a new warning sign first, and
            # action_escalate settles the open question from this message
            # (answer_held_by_a_sign); should the form read it anyway, an answer in it
            # is kept ("barely any water, pee is dark": the diet), but the question is
            # neither skipped nor noted as unread here.
            return {}
        return updates

    async def extract_weekly_distance_km(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._extract("weekly_distance_km", tracker)

    async def extract_distance_increase_pct(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._extract("distance_increase_pct", tracker)

    async def extract_sleep_hours(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._extract("sleep_hours", tracker)

    async def extract_diet_factors(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._extract("diet_factors", tracker)

    async def extract_shoe_distance_km(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._extract("shoe_distance_km", tracker)

    async def extract_followup_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if tracker.get_slot("requested_slot") != FOLLOWUP:
            return {}
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = message.get("text") or ""
        if replies_to_a_sign_check(tracker.events):
            # as above: the message the check was about answers the question
            earlier = message_before_a_sign_check(tracker.events)
            if earlier is None:
                return {}
            updates = read_followup_reply(dict(tracker.slots), *earlier)
            return {} if updates.get(UNREAD_NOTE) else updates
        updates = read_followup_reply(dict(tracker.slots), text, intent)
        level = tracker.get_slot("escalation_level")
        if carries_warning_sign(message.get("entities") or [], level) and (
                updates.get(UNREAD_NOTE) or not updates):
            return {}  # the sign is answered first; the question stays open (as above)
        note = updates.pop(UNREAD_NOTE, None)
        if note and says_it_corrects(text) and changed_this_turn(tracker.events, tracker.slots):
            return {}  # a correction of an earlier answer: run() says so, asks again
        if note:
            dispatcher.utter_message(response="utter_answer_not_read")
        return updates

    def _validate_float(self, slot: str, value: Any, tracker: Tracker) -> Slots:
        checked: float | None = valid_float(slot, value)
        if checked is None and value is not None:
            # implausible: left out like an answer that can't be read, never asked again
            return {**skip_question(slot, tracker.slots), slot: None, "answer_unparsed": slot}
        return {slot: checked}

    def validate_weekly_distance_km(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("weekly_distance_km", value, tracker)

    def validate_distance_increase_pct(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("distance_increase_pct", value, tracker)

    def validate_sleep_hours(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("sleep_hours", value, tracker)

    def validate_shoe_distance_km(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("shoe_distance_km", value, tracker)

    def validate_diet_factors(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            return {"diet_factors": None}
        known = [v for v in value if isinstance(v, str)]
        return {"diet_factors": list(dict.fromkeys(known)) or None}

