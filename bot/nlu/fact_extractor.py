"""Rasa NLU component: figures and facts a runner volunteers, as entities.

A runner often answers questions before they are asked ("I run 50 km a week and
sleep 6 hours"). This component turns such facts into entities (names in
docs/ARCHITECTURE.md) so that the domain's ``from_entity`` slot mappings fill
them wherever in the conversation they come up. It is rule-based and needs no
training: the parsing lives in :mod:`bot.triage.facts`.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_limits import clip_text
from bot.triage.facts import extract_facts


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class FactExtractor(GraphComponent, EntityExtractorMixin):
    """Adds fact entities (weekly distance, sleep, shoes, diet, causes) to messages."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FactExtractor":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text:
                continue
            found = extract_facts(clip_text(text)).as_entities()
            if not found:
                continue
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
