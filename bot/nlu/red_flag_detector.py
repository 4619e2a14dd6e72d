"""Rasa NLU component: warning signs (red flags) as entities, deterministically.

Runs over the project's spaCy pipeline (Rasa's SpacyNLP) and the reviewed
vocabulary in ``bot/knowledge/red_flags.yml``; the logic lives in
:mod:`bot.triage.red_flags`. It never depends on the intent classifier.

Entities it adds (extractor ``RedFlagDetector``):

* ``red_flag``: one per affirmed sign (value = sign name);
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

STATUS_TO_ENTITY = {
    "affirmed": "red_flag",
    "hedged": "possible_red_flag",
    "question": "red_flag_question",
}


def findings_to_entities(findings: RedFlagFindings) -> List[Dict[str, Any]]:
    """Turn detector findings into Rasa entity dicts (one per sign and status)."""
    entities: List[Dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for mention in findings.mentions:
        entity = STATUS_TO_ENTITY.get(mention.status)
        if entity is None or (entity, mention.sign) in seen:
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
    for entity, signs in (
        ("red_flag_summary", findings.affirmed),
        ("possible_red_flag_summary", findings.hedged - findings.affirmed),
    ):
        if signs:
            summary = describe_signs(signs)
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
            self._detector = Detector(model.model)
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
