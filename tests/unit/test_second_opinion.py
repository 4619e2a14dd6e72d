"""The learned second opinion: it may suggest a sign the rules missed, only as a question."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.dialogue.safety_flow import next_safety_action
from bot.nlu.second_opinion import SecondOpinionDetector
from bot.triage.red_flags import load_vocabulary
from bot.triage.second_opinion import SecondOpinion, group_signs, load_examples

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(ROOT / "domain.yml")


@pytest.fixture(scope="module")
def component(tmp_path_factory: pytest.TempPathFactory) -> SecondOpinionDetector:
    storage = LocalModelStorage(tmp_path_factory.mktemp("second-opinion"))
    resource, context = Resource("second"), ExecutionContext(GraphSchema({}), "test")
    config = SecondOpinionDetector.get_default_config()
    SecondOpinionDetector.create(config, storage, resource, context).train(TrainingData())
    return SecondOpinionDetector.load(config, storage, resource, context)


def test_the_corpora_are_loaded_with_every_group() -> None:
    examples = load_examples()
    groups = {group for _, group in examples}
    assert len(examples) > 2000 and "none" in groups
    assert set(group_signs()) <= groups


def test_the_stored_model_is_plain_json_and_gives_the_same_answer(
        component: SecondOpinionDetector) -> None:
    model = component._model
    assert model is not None
    text = "my pee looks like flat coke and my thighs are wrecked"
    again = SecondOpinion.from_json(model.to_json())
    assert again.probabilities(text) == pytest.approx(model.probabilities(text))


def test_every_group_asks_about_signs_that_escalate() -> None:
    vocabulary = load_vocabulary()
    for group, spec in group_signs().items():
        assert vocabulary.level_for(spec["signs"]) != "none", group


def process(component: SecondOpinionDetector, text: str, entities: list | None = None
            ) -> list[dict]:
    message = Message(data={TEXT: text})
    if entities:
        message.set(ENTITIES, entities)
    component.process([message])
    return message.get(ENTITIES) or []


def test_it_only_adds_a_possible_sign_when_the_rules_found_none(
        component: SecondOpinionDetector) -> None:
    said = process(component, "felt my ticker go all over the place then everything went "
                              "swimmy and I had to grab the railings")
    possible = [e for e in said if e["entity"] == "possible_red_flag"]
    assert possible and all(e["extractor"] == "SecondOpinionDetector" for e in possible)
    assert any(e["entity"] == "possible_red_flag_summary" for e in said)
    ruled = [{"entity": "red_flag", "value": "chest_pain", "extractor": "RedFlagDetector"}]
    assert process(component, "crushing chest pain", list(ruled)) == ruled


def test_an_ordinary_message_gets_nothing(component: SecondOpinionDetector) -> None:
    assert process(component, "legs felt heavy on my easy 5k, slept badly this week") == []


def test_the_bot_asks_and_escalates_only_on_yes(component: SecondOpinionDetector) -> None:
    text = "heart doing cartwheels and the world went wobbly"
    entities = process(component, text)
    assert entities
    events = [ActionExecuted("action_listen"),
              UserUttered(text, intent={"name": "describe_symptoms"}, entities=entities)]
    tracker = DialogueStateTracker.from_events("runner", events, slots=DOMAIN.slots)
    assert next_safety_action(tracker) == "utter_check_sign"  # a question, not advice
    events += [ActionExecuted("utter_check_sign"), ActionExecuted("action_listen"),
               UserUttered("yes", intent={"name": "affirm"})]
    tracker = DialogueStateTracker.from_events("runner", events, slots=DOMAIN.slots)
    assert next_safety_action(tracker).startswith("utter_escalate_")
