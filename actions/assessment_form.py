"""The assessment form's validation action: parse answers, skip what's known.

Thin by design: the parsing is in :mod:`bot.triage.parsing` and the question
order in domain.yml. Each question has an ``extract_<slot>`` (reads the answer to
the question just asked) and a ``validate_<slot>`` (checks the value, however it
was filled). An answer that can't be read sets ``answer_unparsed`` so the
question is asked again in a clearer form with an example; "don't know" or
"skip" drops the question.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.dialogue.form_answers import read_answer, valid_float
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
        extraction_events = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction_events)
        validation_events = await self._extract_validation_events(dispatcher, tracker, domain)
        validated = {event.get("name") for event in validation_events}
        extras = [event for event in extraction_events if event.get("name") not in validated]
        return extras + validation_events

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        skipped = set(tracker.get_slot("skipped_questions") or [])
        return [slot for slot in domain_slots if slot not in skipped]

    def _extract(self, slot: str, tracker: Tracker) -> Slots:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        entities = message.get("entities") or []
        if any(e.get("entity") == "red_flag" for e in entities):
            # A warning sign is never an answer: the escalation policy handles it.
            return {}
        if tracker.get_slot("prefill_offer") == slot:
            # A remembered figure was offered for confirmation (actions/profile.py).
            return read_prefill_answer(slot, message.get("text") or "", intent,
                                       dict(tracker.slots))
        return read_answer(slot, message.get("text") or "", intent, dict(tracker.slots))

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

    def _validate_float(self, slot: str, value: Any) -> Slots:
        checked: float | None = valid_float(slot, value)
        if checked is None and value is not None:
            return {slot: None, "answer_unparsed": slot}
        return {slot: checked}

    def validate_weekly_distance_km(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("weekly_distance_km", value)

    def validate_distance_increase_pct(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("distance_increase_pct", value)

    def validate_sleep_hours(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("sleep_hours", value)

    def validate_shoe_distance_km(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._validate_float("shoe_distance_km", value)

    def validate_diet_factors(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            return {"diet_factors": None}
        known = [v for v in value if isinstance(v, str)]
        return {"diet_factors": list(dict.fromkeys(known)) or None}

