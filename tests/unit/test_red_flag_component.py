"""The RedFlagDetector NLU component as Rasa runs it: entities on real messages."""

from __future__ import annotations

import pytest
import spacy
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.pipeline import DEFAULT_OUTPUT, ensure_pipeline
from bot.nlu.red_flag_detector import RedFlagDetector


@pytest.fixture(scope="module")
def model() -> SpacyModel:
    path = ensure_pipeline()
    return SpacyModel(model=spacy.load(path), model_name=str(DEFAULT_OUTPUT))


def entities(model: SpacyModel, text: str, with_doc: bool = True) -> dict[str, list]:
    message = Message(data={TEXT: text})
    if with_doc:  # as SpacyNLP (case_sensitive: false) leaves it
        message.set(SPACY_DOCS[TEXT], model.model(text.lower()))
    RedFlagDetector({}).process([message], model)
    found: dict[str, list] = {}
    for entity in message.get(ENTITIES, []):
        found.setdefault(entity["entity"], []).append(entity["value"])
    return found


@pytest.mark.parametrize("with_doc", [True, False])
@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I've got chest  pain", "chest_pain"),
        ("my calf is\tswollen", "swelling"),
        ("pins and needles\n\n  in my foot", "tingling"),
        ("my legs are heavy\r\nand my calf is swollen", "swelling"),
        ("I   CAN'T   CATCH   MY   BREATH", "breathlessness"),
        ("  numb toes after running  ", "numbness"),
        ("I CAN'T PUT WEIGHT ON MY LEG", "cannot_bear_weight"),
        ("I've got chest\npain", "chest_pain"),
        ("I've got chest\u00a0pain", "chest_pain"),
        ("no numbness\nchest pain", "chest_pain"),
    ],
)
def test_signs_survive_odd_white_space_and_case(model, text: str, sign: str,
                                               with_doc: bool) -> None:
    assert sign in entities(model, text, with_doc).get("red_flag", [])


def test_negated_hedged_and_asked_signs_get_their_own_entities(model) -> None:
    assert "red_flag" not in entities(model, "no swelling at all, just heavy legs")
    assert entities(model, "maybe a bit of tingling?")["possible_red_flag"] == ["tingling"]
    assert entities(model, "when should I worry about swelling?")[
        "red_flag_question"] == ["swelling"]


def test_summary_entity_reads_as_words(model) -> None:
    found = entities(model, "my calf is swollen and I have chest pain")
    assert set(found["red_flag"]) >= {"swelling", "chest_pain"}
    (summary,) = found["red_flag_summary"]
    assert "swelling" in summary and "chest pain" in summary


def test_a_line_break_still_ends_a_negation(model) -> None:
    assert "swelling" in entities(model, "no pain\n\nmy calf is swollen")["red_flag"]


def test_entity_offsets_point_into_the_message_as_sent(model) -> None:
    text = "İİ my CALF  is\tSWOLLEN"
    message = Message(data={TEXT: text})
    message.set(SPACY_DOCS[TEXT], model.model(text.lower()))  # "i̇" is two characters
    RedFlagDetector({}).process([message], model)
    (entity,) = [e for e in message.get(ENTITIES) if e["entity"] == "red_flag"
                 and e["value"] == "swelling"]
    assert text[entity["start"]:entity["end"]] == "SWOLLEN"


def test_empty_text_adds_nothing(model) -> None:
    assert entities(model, "   ", with_doc=False) == {}
