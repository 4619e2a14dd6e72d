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
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.intent_ranking import put_first
from bot.strict_yaml import load as load_yaml

COMMANDS_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "commands.yml"
_WORD = re.compile(r"[a-z0-9']+")
MAX_COMMAND_CHARS = 80  # a longer message is a description, not a command


ANSWERS_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "answers.yml"
ANSWER_ENTITY = "answer_slot"


@lru_cache(maxsize=1)
def _load(path: Path = COMMANDS_FILE, answers_path: Path = ANSWERS_FILE
          ) -> Tuple[frozenset, Dict[Tuple[str, ...], str], Dict[Tuple[str, ...], str]]:
    """(filler words, {phrase: intent}, {phrase: answer slot}). A command's
    ``templates`` ("change my {answer}") are spelt out with every word a runner may use
    for each answer (``bot/knowledge/answers.yml``); those phrases name the slot."""
    data: Mapping[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    fillers = frozenset(str(word).lower() for word in data["fillers"])
    phrases: Dict[Tuple[str, ...], str] = {}
    slots: Dict[Tuple[str, ...], str] = {}
    answers = None
    for name, spec in data["commands"].items():
        intent = spec["intent"]
        for phrase in spec.get("phrases") or []:
            words = tuple(_WORD.findall(str(phrase).lower()))
            if not words:
                raise ValueError(f"{path}: an empty phrase in {name}")
            phrases[words] = intent
        for template in spec.get("templates") or []:
            if "{answer}" not in str(template):
                raise ValueError(f"{path}: template {template!r} in {name} has no {{answer}}")
            if answers is None:
                answers = load_yaml(answers_path.read_text(encoding="utf-8"))["answers"]
            for slot, answer in answers.items():
                for said in answer["words"]:
                    text = str(template).replace("{answer}", str(said)).lower()
                    words = tuple(_WORD.findall(text))
                    if words in slots and slots[words] != slot:
                        raise ValueError(f"{answers_path}: {said!r} names two answers")
                    phrases[words] = intent
                    slots[words] = slot
    return fillers, phrases, slots


def load_commands(path: Path = COMMANDS_FILE) -> Tuple[frozenset, Dict[Tuple[str, ...], str]]:
    """(filler words, {phrase as a word tuple: intent}) from ``commands.yml``."""
    fillers, phrases, _ = _load(path)
    return fillers, phrases


@lru_cache(maxsize=1)
def load_next_steps(path: Path = COMMANDS_FILE) -> Tuple[Dict[str, str], ...]:
    """The buttons offered under an explanation: ``{title, payload}``; every payload must
    be one of the command phrases (a click reads as the same words typed)."""
    data: Mapping[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    _, phrases = load_commands(path)
    steps = []
    for step in data.get("next_steps") or []:
        title, payload = str(step["title"]), str(step["payload"])
        if tuple(_WORD.findall(payload.lower())) not in phrases:
            raise ValueError(f"{path}: next step payload {payload!r} is no command phrase")
        steps.append({"title": title, "payload": payload})
    return tuple(steps)


def command_match(text: str) -> Tuple[str, str | None] | None:
    """(intent, answer slot or None) when ``text`` is a command, else None."""
    if not text or len(text) > MAX_COMMAND_CHARS:
        return None
    fillers, phrases, slots = _load()
    words = _WORD.findall(text.lower().replace("’", "'"))
    start, end = 0, len(words)
    while start < end and words[start] in fillers and tuple(words[start:end]) not in phrases:
        start += 1
    while end > start and words[end - 1] in fillers and tuple(words[start:end]) not in phrases:
        end -= 1
    key = tuple(words[start:end])
    if key not in phrases:
        return None
    return phrases[key], slots.get(key)


def command_intent(text: str) -> str | None:
    """The command's intent when ``text`` is a command, else None."""
    match = command_match(text)
    return match[0] if match else None


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
        load_next_steps()
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            match = command_match(message.get(TEXT) or "")
            if match is None:
                continue
            intent, slot = match
            if (message.get(INTENT) or {}).get("name") != intent:
                put_first(message, {"name": intent, "confidence": 1.0})
            if slot is not None:
                text = message.get(TEXT) or ""
                entities = [e for e in message.get(ENTITIES) or []
                            if e.get("entity") != ANSWER_ENTITY]
                entities.append({"entity": ANSWER_ENTITY, "value": slot, "start": 0,
                                 "end": len(text), "extractor": "CommandIntents"})
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
