"""Rasa's ``SpacyNLP`` with a bounded vocabulary: the pipeline is reloaded when it grew.

spaCy adds every new string a tokenizer meets to the pipeline's ``Vocab``
(``StringStore`` entries, lexemes and the tokenizer's cache) and never removes
one; spaCy 3.4 has no way to drop them (``Vocab._new_lexeme`` says so: "the best
solution to the growing memory use is to periodically reset the vocab"). With
the bot's blank pipeline every word not seen before grows it: about 250 strings
per long message of random words, about 125 KB of the Rasa process with the
lexemes and the tokenizer's cache, for the life of the process (docs/security.md).

This provider is Rasa's ``SpacyNLP`` except for :meth:`SpacyNLP.provide`, which
Rasa's graph calls for every message before any component reads the pipeline:
when the pipeline's ``StringStore`` holds more than ``max_new_strings`` strings
more than right after loading, it loads the pipeline again from the same path
and hands out the fresh one from then on. The swap happens between messages
(Rasa runs the NLU graph synchronously, in one thread), so every message is
processed by one pipeline from start to end, and the old one is freed once no
component holds it any more. A fresh pipeline reads text exactly as the old one
did (the vocabulary only caches what the tokenizer and the lookup tables
compute): nothing but memory changes.

Components that keep the ``Language`` they were given (``model.model``) across
messages must notice the swap, or they keep the old pipeline, and its growing
vocabulary, alive: use the ``model`` argument of each call, or rebuild what was
derived from it when ``model.model`` is not the one it was built from.

Use it in config.yml instead of ``SpacyNLP`` (same options)::

    - name: bot.nlp.bounded_spacy.SpacyNLP
      model: build/spacy_pipeline

The class keeps the name ``SpacyNLP`` on purpose: Rasa's recipe hands a
component registered with ``model_from="SpacyNLP"`` (``SpacyTokenizer``, the
project's ``RedFlagDetector``) the output of the provider whose class is named
``SpacyNLP``.

The bound: ``max_new_strings`` in the component's config (default 50,000, about
40 MB), or the environment variable ``BOT_SPACY_MAX_NEW_STRINGS`` when set (read
when the model is loaded; no retraining needed). ``0`` turns reloading off.
A reload takes about half a second of the Rasa process, plus whatever a component
rebuilds from the new pipeline (the spaCy-based red-flag detector of before the
rewrite took about 0.4 s for its matchers).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Dict

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP

logger = logging.getLogger(__name__)

MAX_NEW_STRINGS_ENV = "BOT_SPACY_MAX_NEW_STRINGS"
DEFAULT_MAX_NEW_STRINGS = 50_000


def vocabulary_size(model: SpacyModel) -> int:
    """How many strings the pipeline's ``StringStore`` holds."""
    return len(model.model.vocab.strings)


def max_new_strings(config: Dict[str, Any]) -> int:
    """The bound: the environment variable when set, else the config, else the default."""
    raw: Any = os.environ.get(MAX_NEW_STRINGS_ENV, "").strip()
    if not raw:
        raw = config.get("max_new_strings", DEFAULT_MAX_NEW_STRINGS)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"{MAX_NEW_STRINGS_ENV} / max_new_strings must be a whole number, not {raw!r}"
        ) from None
    if value < 0:
        raise ValueError(f"{MAX_NEW_STRINGS_ENV} / max_new_strings must be 0 or more")
    return value


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(RasaSpacyNLP):
    """Provides the spaCy pipeline, reloaded whenever its vocabulary grew too much."""

    def __init__(self, model: SpacyModel, config: Dict[str, Any]) -> None:
        super().__init__(model, config)
        self.max_new_strings = max_new_strings(config)
        self.baseline = vocabulary_size(model)
        self.reloads = 0

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**RasaSpacyNLP.get_default_config(), "max_new_strings": DEFAULT_MAX_NEW_STRINGS}

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SpacyNLP":
        # The first component of the pipeline: DIET and TED load after it, with the
        # faster weight building of bot/rasa_speedups.py (same weights).
        from bot import rasa_speedups

        rasa_speedups.install()
        return super().create(config, model_storage, resource, execution_context)

    def new_strings(self) -> int:
        """Strings added to the current pipeline's vocabulary since it was loaded."""
        return vocabulary_size(self._model) - self.baseline

    def provide(self) -> SpacyModel:
        """The pipeline; a freshly loaded one when the vocabulary grew past the bound."""
        if self.max_new_strings and self.new_strings() > self.max_new_strings:
            self.reload()
        return self._model

    def reload(self) -> None:
        """Load the pipeline again from its path and hand that one out from now on.

        When loading fails (the files are gone, say), the current pipeline stays
        in use and the next attempt waits for as much growth again.
        """
        grown = self.new_strings()
        started = time.monotonic()
        try:
            fresh = self.load_model(self._model.model_name)
            self.ensure_proper_language_model(fresh.model)
        except Exception as error:  # noqa: BLE001 - keep answering with the old pipeline
            logger.error("spaCy vocabulary: reloading the pipeline failed (%s); "
                         "keeping the current one", type(error).__name__)
            self.baseline = vocabulary_size(self._model)
            return
        self._model = fresh
        self.baseline = vocabulary_size(fresh)
        self.reloads += 1
        logger.info("spaCy vocabulary: %d strings added since loading (bound %d); "
                    "pipeline reloaded in %.2f s (reload %d)", grown, self.max_new_strings,
                    time.monotonic() - started, self.reloads)
