"""UnclearTextDetector: too few English words make a message unclear (nlu_fallback)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.unclear_text import UnclearTextDetector, known_share, words_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> UnclearTextDetector:
    storage = LocalModelStorage(tmp_path_factory.mktemp("unclear"))
    resource = Resource("unclear")
    context = ExecutionContext(GraphSchema({}), "test")
    config = UnclearTextDetector.get_default_config()
    trained = UnclearTextDetector.create(config, storage, resource, context)
    trained.train(TrainingData([
        Message.build("knackered after parkrun", intent="describe_symptoms"),
        Message.build("doms from leg day", intent="describe_symptoms")]))
    return UnclearTextDetector.load(config, storage, resource, context)


def intent_after(detector: UnclearTextDetector, text: str, entities: list | None = None) -> str:
    message = Message.build(text)
    message.set("intent", {"name": "affirm", "confidence": 0.99})
    if entities:
        message.set("entities", entities)
    detector.process([message])
    return message.get("intent")["name"]


@pytest.mark.parametrize("text", [
    "qwerty asdf", "abc123", "asdfghjkl", "xyzzy plugh", "zzzz",
    "bonjour, j'ai mal aux jambes", "ich habe schwere Beine", "tengo las piernas pesadas",
])
def test_nonsense_and_other_languages_are_unclear(detector: UnclearTextDetector,
                                                  text: str) -> None:
    assert intent_after(detector, text) == "nlu_fallback"


@pytest.mark.parametrize("text", [
    "my legs feel heavy on runs", "ok", "yes please", "the cat sat on the mat", "35", "10k",
    "knackered after parkrun", "doms from leg day", "my legz feel hevy", "6 hrs",
])
def test_english_words_figures_and_learnt_slang_stay_as_classified(
    detector: UnclearTextDetector, text: str,
) -> None:
    assert intent_after(detector, text) == "affirm"


def test_a_warning_sign_or_a_fact_keeps_the_message(detector: UnclearTextDetector) -> None:
    sign = [{"entity": "red_flag", "value": "chest_pain", "extractor": "RedFlagDetector"}]
    assert intent_after(detector, "dolor de pecho xyzzy", sign) == "affirm"


def test_no_runner_message_of_the_tuning_sets_is_unclear(
    detector: UnclearTextDetector,
) -> None:
    texts = [m["text"] for m in yaml.safe_load(
        (ROOT / "tests/safety/dev/dev.yml").read_text())["messages"]]
    assert len(texts) > 400
    unclear = [t for t in texts if (known_share(t, detector.vocabulary) or 1.0) < 0.5]
    assert unclear == []


def test_words_are_found_in_linear_time() -> None:
    import time

    start = time.perf_counter()
    words_of("-'" * 20_000 + "a" * 20_000)
    assert time.perf_counter() - start < 0.5
