"""Rasa NLU component: short commands ("start over") recognised by phrase, not learned.

A command has to work the same every time, in the middle of the questions too, and on
every channel. The phrases are data (``bot/knowledge/commands.yml``): a message is a
command when, once lower-cased, stripped of punctuation and of the filler words around
it ("hmm, can we start over please"), it is one of the phrases. The intent is then put
first in the ranking (the classifier's ranking is kept below it); Rasa acts on it
(``restart``: the built-in ``action_restart``, which RulePolicy predicts for that intent
and which sends ``utter_restart``). Warning signs are not affected: the escalation
policy acts on the red-flag entities whatever the intent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_ranking import put_first
from bot.strict_yaml import load as load_yaml

COMMANDS_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "commands.yml"
_WORD = re.compile(r"[a-z0-9']+")
MAX_COMMAND_CHARS = 80  # a longer message is a description, not a command


@lru_cache(maxsize=1)
def load_commands(path: Path = COMMANDS_FILE) -> Tuple[frozenset, Dict[Tuple[str, ...], str]]:
    """(filler words, {phrase as a word tuple: intent}) from ``commands.yml``."""
    data: Mapping[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    fillers = frozenset(str(word).lower() for word in data["fillers"])
    phrases: Dict[Tuple[str, ...], str] = {}
    for name, spec in data["commands"].items():
        intent = spec["intent"]
        for phrase in spec["phrases"]:
            words = tuple(_WORD.findall(str(phrase).lower()))
            if not words:
                raise ValueError(f"{path}: an empty phrase in {name}")
            phrases[words] = intent
    return fillers, phrases


def command_intent(text: str) -> str | None:
    """The command's intent when ``text`` is a command, else None."""
    if not text or len(text) > MAX_COMMAND_CHARS:
        return None
    fillers, phrases = load_commands()
    words = _WORD.findall(text.lower().replace("’", "'"))
    start, end = 0, len(words)
    while start < end and words[start] in fillers and tuple(words[start:end]) not in phrases:
        start += 1
    while end > start and words[end - 1] in fillers and tuple(words[start:end]) not in phrases:
        end -= 1
    return phrases.get(tuple(words[start:end]))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class CommandIntents(GraphComponent):
    """Puts a command's intent first when the whole message is one of its phrases."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CommandIntents":
        load_commands()  # a broken commands.yml fails at training and at start-up
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = command_intent(message.get(TEXT) or "")
            if intent is not None and (message.get(INTENT) or {}).get("name") != intent:
                put_first(message, {"name": intent, "confidence": 1.0})
        return messages
