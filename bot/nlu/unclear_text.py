"""Rasa NLU component: messages with too few English words are unclear.

DIET gives every message one of the bot's intents, often with high confidence:
"abc123" was ``affirm`` at 0.99, "asdfghjkl" ``affirm`` at 0.94, so a confidence
threshold (Rasa's ``FallbackClassifier``, which runs before this component) cannot
catch them. This component looks at the words instead: when fewer than half of a
message's words are English words, the intent becomes ``nlu_fallback`` (the bot
then says once that it didn't follow, with suggestions, and forgets the turn; see
``data/rules/fallback.yml``).

English words are the lemmas and word forms of ``spacy-lookups-data``'s English
tables, spaCy's English stop words, and every word of the training examples
(running slang like "parkrun" or "doms" comes from there), learnt at training time.
Numbers and figures with a unit ("10k", "6hrs") count as neither, so "35" or
"10k" stays an answer. A message that carries a warning sign or a fact found by
the rule-based components is never unclear: it is not made unclear here, and an
unsure intent (the FallbackClassifier's ``nlu_fallback``) gives way to the
classifier's best guess.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_ranking import FALLBACK_INTENT, put_first, ranking_of
from bot.text_limits import clip_text

# Word-like pieces: letters and digits, with an inner apostrophe ("don't").
TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
NUMBER_WITH_UNIT = re.compile(
    r"[0-9]+(?:[.,][0-9]+)?(?:k|km|kms|mi|mls|m|h|hr|hrs|min|mins|am|pm|st|nd|rd|th|x|s|ish)?"
)
MIN_KNOWN_SHARE = 0.5
VOCABULARY_FILE = "vocabulary.json"


def words_of(text: str) -> List[str]:
    """The word-like tokens of ``text``, lowercased (linear time)."""
    return [token.replace("’", "'") for token in TOKEN.findall(text.lower())]


def is_figure(token: str) -> bool:
    return NUMBER_WITH_UNIT.fullmatch(token) is not None


def _english_words_from_tables() -> Iterable[str]:
    """Words of spacy-lookups-data's English lemma tables (word forms and lemmas)."""
    import spacy_lookups_data

    def load(table: str) -> Dict[str, Any]:
        path = f"{spacy_lookups_data.__path__[0]}/data/en_{table}.json.gz"
        with gzip.open(path, "rt", encoding="utf8") as handle:
            return json.load(handle)

    for lemmas in load("lemma_index").values():  # part of speech -> lemmas
        yield from lemmas
    for forms in load("lemma_exc").values():  # part of speech -> form -> lemmas
        for form, lemmas in forms.items():
            yield form
            yield from lemmas
    for form, lemma in load("lemma_lookup").items():  # form -> lemma
        yield form
        yield lemma


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    words = set(STOP_WORDS)
    for entry in _english_words_from_tables():
        if isinstance(entry, str):
            words.update(words_of(entry))
    return frozenset(words)


def known_share(text: str, vocabulary: FrozenSet[str] | set) -> float | None:
    """Share of the message's words that are known; None when it has no words."""
    words = [token for token in words_of(text) if not is_figure(token)]
    if not words:
        return None
    known = sum(1 for word in words if word in vocabulary or word in english_words())
    return known / len(words)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class UnclearTextDetector(GraphComponent):
    """Sets the intent to ``nlu_fallback`` for messages with too few English words."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"min_known_share": MIN_KNOWN_SHARE}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Iterable[str] = (),
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self.vocabulary = set(vocabulary)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnclearTextDetector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.intent_examples:
            self.vocabulary.update(words_of(example.get(TEXT) or ""))
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(self.vocabulary)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "UnclearTextDetector":
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text())
        except (ValueError, FileNotFoundError):
            vocabulary = []
        english_words()  # load the tables now, not during the first turn
        return cls(config, model_storage, resource, vocabulary)

    def is_unclear(self, message: Message) -> bool:
        if message.get(ENTITIES):
            return False  # a warning sign or a fact was found: the message says something
        share = known_share(clip_text(message.get(TEXT) or ""), self.vocabulary)
        return share is not None and share < float(self._config["min_known_share"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not message.get(TEXT):
                continue
            if message.get(ENTITIES) and (message.get(INTENT) or {}).get(
                    "name") == FALLBACK_INTENT:
                # The FallbackClassifier found the intent unsure, but the rule-based
                # components found facts or signs: the message says something about
                # running, so it keeps the classifier's best guess.
                guesses = [r for r in ranking_of(message) if r.get("name") != FALLBACK_INTENT]
                if guesses:
                    put_first(message, guesses[0])
                continue
            if not self.is_unclear(message):
                continue
            put_first(message, {"name": FALLBACK_INTENT, "confidence": 1.0})
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
