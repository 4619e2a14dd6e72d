"""LegTopicGuard: a message that says how the legs feel is never off-topic."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.leg_topic import LegTopicGuard, corrected_intent
from bot.triage.facts import extract_facts


def _parsed(text: str, intent: str) -> Message:
    """A message as the pipeline leaves it before the guard: facts as entities, DIET's guess."""
    ranking = [{"name": intent, "confidence": 0.8},
               {"name": "describe_symptoms", "confidence": 0.1}]
    return Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking,
                         ENTITIES: extract_facts(text).as_entities()})


@pytest.mark.parametrize(("text", "intent"), [
    ("running exhausts me at the moment and my marathon is in april", "out_of_scope"),
    ("hammies cooked, glutes cooked, calves cooked", "out_of_scope"),
    ("stumpy tree trunk legs today, zero bounce", "nlu_fallback"),
    ("i was so knackered on that last hill", "request_summary"),
    ("legs wiped out after the race, it eased by thursday", "goodbye"),
])
def test_a_leg_description_misread_as_off_topic_becomes_a_description(text, intent):
    message = LegTopicGuard().process([_parsed(text, intent)])[0]
    assert message.get(INTENT)["name"] == "describe_symptoms"
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert names[0] == "describe_symptoms" and intent in names or intent == "nlu_fallback"
    assert names.count("describe_symptoms") == 1


@pytest.mark.parametrize(("text", "intent"), [
    ("what's the best running watch to buy", "out_of_scope"),  # no word about the legs
    ("book me a flight", "out_of_scope"),
    ("please delete my data, my legs are tired of this bot", "forget_me"),  # a real request
    ("can I have a summary to show my physio? legs still heavy", "request_summary"),
    ("thanks, bye! legs feel better already", "goodbye"),
    ("my legs feel heavy", "describe_symptoms"),  # already right
    ("my legs feel heavy", "ask_causes"),  # a question about the legs stays a question
])
def test_other_messages_keep_their_intent(text, intent):
    message = LegTopicGuard().process([_parsed(text, intent)])[0]
    assert message.get(INTENT)["name"] == intent


def test_only_a_symptom_counts():
    assert corrected_intent("anything", "out_of_scope", has_symptom=False) is None
    assert corrected_intent("anything", None, has_symptom=True) is None
