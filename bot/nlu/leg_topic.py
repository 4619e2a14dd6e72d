"""Rasa NLU component: a message that describes the runner's legs is never off-topic.

DIET learns intents from a few hundred examples; a runner's opening that it has not
seen the like of ("running exhausts me at the moment", "hammies cooked, glutes
cooked") can come back as ``out_of_scope``, and the runner is told the bot can't help
with the very thing it exists for. The rule-based FactExtractor (which runs earlier)
reads how the legs feel from the words listed under ``symptoms`` in
``bot/knowledge/answer_vocabulary.yml``; when it found one, this component corrects
an intent that cannot be right for such a message:

- ``out_of_scope`` or an unsure ``nlu_fallback`` becomes ``describe_symptoms``;
- a request that needs a word of its own (``request_summary``, ``forget_me``) or a
  leave-taking (``goodbye``) without such a word becomes ``describe_symptoms``, as it
  does inside the questions (``bot/dialogue/interruptions.py``).

The classifier's ranking is kept, with ``describe_symptoms`` put first, so the change is
visible in the parse result. Warning signs are not this component's business: the
escalation policy acts on the red-flag entities whatever the intent.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue.interruptions import CLOSINGS, REQUESTS, is_interruption
from bot.nlu.intent_ranking import FALLBACK_INTENT, put_first, ranking_of
from bot.triage.facts import ENTITY_NAMES

SYMPTOM_ENTITY = ENTITY_NAMES["symptoms"]
TARGET_INTENT = "describe_symptoms"
# intents that cannot be right for a message that says how the legs feel
OFF_TOPIC = frozenset({"out_of_scope", FALLBACK_INTENT})


def describes_legs(message: Message) -> bool:
    return any(entity.get("entity") == SYMPTOM_ENTITY for entity in message.get(ENTITIES) or [])


def corrected_intent(text: str, intent: str | None, has_symptom: bool) -> str | None:
    """``describe_symptoms`` when ``intent`` cannot be right for this message, else None."""
    if not has_symptom or not intent:
        return None
    if intent in OFF_TOPIC:
        return TARGET_INTENT
    if (intent in REQUESTS or intent in CLOSINGS) and not is_interruption(text, intent):
        return TARGET_INTENT
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class LegTopicGuard(GraphComponent):
    """Puts ``describe_symptoms`` first for leg descriptions classed as off-topic."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LegTopicGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            target = corrected_intent(message.get(TEXT) or "", intent, describes_legs(message))
            if target is None:
                continue
            previous = next((r.get("confidence") for r in ranking_of(message)
                             if r.get("name") == target), 0.0)
            put_first(message, {"name": target, "confidence": max(float(previous or 0.0), 0.5)})
        return messages
