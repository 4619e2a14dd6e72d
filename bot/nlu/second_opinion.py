"""Rasa NLU component: a learned second opinion on warning signs, which may only ask.

Runs after :class:`bot.nlu.red_flag_detector.RedFlagDetector`. When the rules found
no sign in a message, the classifier of :mod:`bot.triage.second_opinion` may
suggest a clinical group; the component then adds ``possible_red_flag`` entities
(the signs a "yes" stands for, from ``second_opinion:`` in
``bot/knowledge/red_flags.yml``) and a ``possible_red_flag_summary``, exactly as
for a hedged sign, so the escalation policy asks one yes/no question and escalates
only on a yes. When the rules found a sign, it adds nothing: it never changes,
lowers or silences what the rules decided.
"""

from __future__ import annotations

import hashlib
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
from bot.triage.second_opinion import (
    DEFAULT_CORPORA,
    ROOT,
    SecondOpinion,
    group_signs,
    load_examples,
)

MODEL_FILE = "second_opinion.json"
RULE_ENTITIES = ("red_flag", "possible_red_flag", "red_flag_question")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class SecondOpinionDetector(GraphComponent, EntityExtractorMixin):
    """Suggests a possible warning sign, as a question, when the rules found none."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # min_words: a short reply ("ok, 7 hours") is an answer, not a description of
        # symptoms; the classifier is not asked about it
        return {"corpora": list(DEFAULT_CORPORA), "min_probability": 0.6, "min_words": 4}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """The corpora and the knowledge file are read from disk, not from Rasa's
        training data: their content is part of the fingerprint, so an edited corpus
        is trained again instead of restored from Rasa's cache."""
        digest = hashlib.sha256()
        for pattern in config.get("corpora") or DEFAULT_CORPORA:
            for path in sorted(ROOT.glob(pattern)):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update((ROOT / "bot" / "knowledge" / "red_flags.yml").read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, model: SecondOpinion | None = None) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model
        self._groups = group_signs()

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SecondOpinionDetector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = load_examples(self._config["corpora"])
        if not examples:
            raise ValueError(f"SecondOpinionDetector: no examples in {self._config['corpora']}")
        self._model = SecondOpinion.train(examples)
        with self._storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_text(self._model.to_json())
        return self._resource

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SecondOpinionDetector":
        with model_storage.read_from(resource) as directory:
            model = SecondOpinion.from_json((directory / MODEL_FILE).read_text())
        return cls(config, model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def entities_for(self, text: str) -> List[Dict[str, Any]]:
        """The question-only entities for a message the rules found nothing in."""
        if self._model is None:
            return []
        suggestion = self._model.group_to_ask(
            clip_text(text), self._groups, float(self._config["min_probability"]),
            int(self._config.get("min_words", 4)))
        if suggestion is None:
            return []
        group = self._groups[suggestion[0]]
        found: List[Dict[str, Any]] = [
            {"entity": "possible_red_flag", "value": sign, "start": 0, "end": 0,
             "confidence_entity": round(suggestion[1], 3)}
            for sign in group["signs"]
        ]
        found.append({"entity": "possible_red_flag_summary", "value": group["ask"],
                      "start": 0, "end": 0})
        return self.add_extractor_name(found)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not text.strip():
                continue
            present = message.get(ENTITIES) or []
            if any(e.get("entity") in RULE_ENTITIES for e in present):
                continue  # the rules decided; the second opinion has nothing to add
            found = self.entities_for(text)
            if found:
                message.set(ENTITIES, present + found, add_to_output=True)
        return messages
