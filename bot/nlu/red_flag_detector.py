"""Rasa NLU component: warning signs (red flags) as entities, deterministically.

Runs over the project's spaCy pipeline (Rasa's SpacyNLP) and the reviewed
vocabulary in ``bot/knowledge/red_flags.yml``; the logic lives in
:mod:`bot.triage.red_flags`. It never depends on the intent classifier.

Entities it adds (extractor ``RedFlagDetector``):

* ``red_flag``: one per affirmed sign (value = sign name);
* ``red_flag_context``: one per affirmed modifier (one leg only, after a journey,
  ...), used with the signs to choose the level;
* ``possible_red_flag``: one per hedged sign ("maybe a bit of tingling");
* ``red_flag_question``: one per sign only asked about ("is swelling normal?");
* ``red_flag_summary`` / ``possible_red_flag_summary``: one readable phrase
  listing what was heard, used by the escalation responses.
"""

from __future__ import annotations

from typing import Any, Dict, List, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_limits import clip_text
from bot.triage.red_flags import RedFlagDetector as Detector
from bot.triage.red_flags import RedFlagFindings, describe_signs

CONTEXT_ENTITY = "red_flag_context"
STATUS_TO_ENTITY = {
    "affirmed": "red_flag",
    "hedged": "possible_red_flag",
    "question": "red_flag_question",
    "hypothetical": "red_flag_question",
}


def findings_to_entities(findings: RedFlagFindings) -> List[Dict[str, Any]]:
    """Turn detector findings into Rasa entity dicts (one per sign and status).

    Modifiers in the knowledge file that are not findings (one leg only, after a
    long journey, at rest, ...) become ``red_flag_context`` entities, which the
    escalation policy uses with the signs to choose the level, and are left out of
    what the runner is told was heard. Findings that never escalate alone (warmth,
    a headache) are reported with the signs.
    """
    from bot.triage.red_flags import load_vocabulary

    signs = load_vocabulary().signs
    entities: List[Dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for mention in findings.mentions:
        entity = STATUS_TO_ENTITY.get(mention.status)
        if entity is None:
            continue
        if mention.sign in signs and not signs[mention.sign].report:
            if mention.status != "affirmed":
                continue
            entity = CONTEXT_ENTITY
        if (entity, mention.sign) in seen:
            continue
        seen.add((entity, mention.sign))
        entities.append(
            {
                "entity": entity,
                "value": mention.sign,
                "start": mention.start_char,
                "end": mention.end_char,
                "confidence_entity": 1.0,
            }
        )
    warning = {sign for sign in findings.affirmed if sign not in signs or signs[sign].report}
    hedged = {sign for sign in findings.hedged - findings.affirmed
              if sign not in signs or signs[sign].report}
    for entity, chosen in (("red_flag_summary", warning), ("possible_red_flag_summary", hedged)):
        if chosen:
            summary = describe_signs(chosen)
            entities.append({"entity": entity, "value": summary, "start": 0, "end": 0})
    return entities


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class RedFlagDetector(GraphComponent, EntityExtractorMixin):
    """Adds red-flag entities to every user message."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config
        self._detector: Detector | None = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagDetector":
        return cls(config)

    def process_training_data(
        self, training_data: TrainingData, model: SpacyModel
    ) -> TrainingData:
        return training_data

    def _detector_for(self, model: SpacyModel) -> Detector:
        if self._detector is None:
            # The detector reads the text itself; it keeps no reference to the spaCy
            # pipeline, which bot.nlp.bounded_spacy replaces when its vocabulary grows.
            self._detector = Detector()
        return self._detector

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        detector = self._detector_for(model)
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or not text.strip():
                continue
            # The detector reads the raw text itself: it lower-cases before it
            # tokenises and skips white space (a line break stays a clause break),
            # so no cleaning is needed here and the entity offsets point into the
            # message. SpacyNLP's doc is not used: it is of the lower-cased text.
            found = findings_to_entities(detector.detect_text(clip_text(text)))
            if not found:
                continue
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
