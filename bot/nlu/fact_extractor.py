"""Rasa NLU component: figures and facts a runner volunteers, as entities.

A runner often answers questions before they are asked ("I run 50 km a week and
sleep 6 hours"). This component turns such facts into entities (names in
docs/ARCHITECTURE.md) so that the domain's ``from_entity`` slot mappings fill
them wherever in the conversation they come up. It is rule-based and needs no
training: the parsing lives in :mod:`bot.triage.facts`.

Rasa runs NLU inside its event loop, so while one message is read every other runner's
turn waits. Extraction is linear in the message (docs/linear_time.md), and it runs under
a budget of CPU time (``BOT_NLU_BUDGET_MS``, default 50 ms; :mod:`bot.text_limits`): a
message whose extraction would go over it is treated as unclear, no facts are taken from
it, and the component names itself in the message's ``over_budget`` list (an output
property: ``/model/parse`` shows it) and logs a warning with the message's length only.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_limits import OVER_BUDGET_KEY, OverBudget, budget, budget_seconds, clip_text
from bot.triage.facts import extract_facts, warm_up

logger = logging.getLogger(__name__)


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
        warm_up()  # compile the vocabulary now, not in the first runner's turn

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
            try:
                with budget():
                    found = extract_facts(clip_text(text)).as_entities()
            except OverBudget:
                mark_over_budget(message, type(self).__name__)
                logger.warning(
                    "A message of %d characters went over the %.0f ms budget of the fact "
                    "extractor: no facts taken from it.", len(text), budget_seconds() * 1000)
                continue
            if not found:
                continue
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


def mark_over_budget(message: Message, component: str) -> None:
    """Name ``component`` in the message's ``over_budget`` list (an output property)."""
    names = list(message.get(OVER_BUDGET_KEY) or [])
    if component not in names:
        names.append(component)
    message.set(OVER_BUDGET_KEY, names, add_to_output=True)
