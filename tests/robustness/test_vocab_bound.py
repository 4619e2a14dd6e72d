"""spaCy's vocabulary kept within a bound (issue 12, point 5; bot/nlp/bounded_spacy.py).

Every new word a message brings is added to the pipeline's vocabulary for good
(about 250 strings, ~125 KB, per long message of random words). The project's
``SpacyNLP`` reloads the pipeline when it grew past ``max_new_strings``. The long
run is ``make soak-vocab`` (scripts/soak_vocab.py; figures in docs/security.md).
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import string
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.bounded_spacy import DEFAULT_MAX_NEW_STRINGS, SpacyNLP, max_new_strings
from bot.servers import ROOT, RunningBot, running_bot
from tests.robustness.conftest import get_json, post_raw, tracker_url

PIPELINE = str(ROOT / "build" / "spacy_pipeline")


def random_text(rng: random.Random, words: int = 200) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))
                    for _ in range(words))


def provider(bound: int) -> SpacyNLP:
    component = SpacyNLP.create({"model": PIPELINE, "max_new_strings": bound}, None, None, None)
    assert isinstance(component, SpacyNLP)
    return component


def run_graph(component: SpacyNLP, text: str) -> None:
    """What Rasa's graph does per message: provide(), then process() with its output."""
    model = component.provide()
    component.process([Message(data={"text": text})], model)


def test_config_yml_uses_the_bounded_provider() -> None:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    assert pipeline[0]["name"] == "bot.nlp.bounded_spacy.SpacyNLP"
    # Rasa hands components registered with model_from="SpacyNLP" the output of the
    # provider whose class is named SpacyNLP; it is one of Rasa's.
    assert SpacyNLP.__name__ == "SpacyNLP" and issubclass(SpacyNLP, RasaSpacyNLP)


def test_the_vocabulary_stays_within_the_bound(monkeypatch) -> None:
    monkeypatch.delenv("BOT_SPACY_MAX_NEW_STRINGS", raising=False)
    component = provider(5_000)
    first = component.provide().model
    baseline = len(first.vocab.strings)
    rng = random.Random(7)
    sizes: List[int] = []
    for _ in range(120):  # ~24,000 new strings without the bound
        run_graph(component, random_text(rng))
        sizes.append(len(component.provide().model.vocab.strings))
    assert component.reloads >= 3
    assert component.provide().model is not first
    # Never more than the bound plus one message's worth over the freshly loaded size.
    assert max(sizes) <= baseline + 5_000 + 300
    assert component.new_strings() <= 5_000


def test_a_fresh_pipeline_reads_text_exactly_as_before(monkeypatch) -> None:
    monkeypatch.delenv("BOT_SPACY_MAX_NEW_STRINGS", raising=False)
    component = provider(1_000)
    text = "My legs feel HEAVY, I've got chest pain... can't run 5km/week!"
    before = component.provide().model(text.lower())
    rng = random.Random(3)
    while component.reloads == 0:
        run_graph(component, random_text(rng))
    after = component.provide().model(text.lower())
    assert [(t.text, t.lemma_, t.is_space) for t in before] == \
        [(t.text, t.lemma_, t.is_space) for t in after]


def test_the_bound_can_be_set_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("BOT_SPACY_MAX_NEW_STRINGS", raising=False)
    assert max_new_strings({}) == DEFAULT_MAX_NEW_STRINGS
    assert max_new_strings({"max_new_strings": 10}) == 10
    monkeypatch.setenv("BOT_SPACY_MAX_NEW_STRINGS", "0")  # off
    assert max_new_strings({"max_new_strings": 10}) == 0
    component = provider(10)
    rng = random.Random(1)
    for _ in range(5):
        run_graph(component, random_text(rng))
    assert component.reloads == 0
    for bad in ("-1", "lots"):
        monkeypatch.setenv("BOT_SPACY_MAX_NEW_STRINGS", bad)
        with pytest.raises(ValueError):
            max_new_strings({})


def test_a_failed_reload_keeps_the_current_pipeline(monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.nlp.bounded_spacy")
    monkeypatch.delenv("BOT_SPACY_MAX_NEW_STRINGS", raising=False)
    component = provider(50)
    current = component.provide().model

    def broken(_: str) -> None:
        raise OSError("the pipeline's files are gone")

    monkeypatch.setattr(component, "load_model", broken)
    run_graph(component, random_text(random.Random(2)))  # ~200 new strings
    assert component.provide().model is current  # the reload was tried, and failed
    assert component.reloads == 0
    assert "reloading the pipeline failed (OSError)" in caplog.text
    assert component.new_strings() == 0  # the next attempt waits for as much growth again


def test_the_red_flag_detector_follows_a_reloaded_pipeline(monkeypatch) -> None:
    from bot.nlu.red_flag_detector import RedFlagDetector

    monkeypatch.delenv("BOT_SPACY_MAX_NEW_STRINGS", raising=False)
    component = provider(2_000)
    detector = RedFlagDetector.create({}, None, None, None)
    rng = random.Random(5)

    def one_message() -> None:
        model = component.provide()
        messages = [Message(data={"text": random_text(rng)})]
        component.process(messages, model)
        detector.process(messages, model)

    for _ in range(40):
        one_message()
    assert component.reloads >= 2
    # A pipeline the detector keeps from before a reload must not grow any more: one
    # the detector still tokenised with would keep growing, for good (the detector
    # before the rewrite did: it built its matchers once, on the first pipeline, and
    # tokenised with it; it had to rebuild when model.model changed).
    current = component.provide().model
    stale = [value.nlp for value in vars(detector).values()
             if getattr(value, "nlp", None) is not None and value.nlp is not current]
    sizes = [len(nlp.vocab.strings) for nlp in stale]
    for _ in range(3):
        one_message()
    assert [len(nlp.vocab.strings) for nlp in stale] == sizes


# ----------------------------------------------------------------- a real Rasa server

@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with running_bot(tmp_path_factory.mktemp("vocab"), token=secrets.token_hex(16),
                     extra_env={"BOT_SPACY_MAX_NEW_STRINGS": "8000",
                                "BOT_RATE_LIMIT_BURST": "0"}) as running:
        yield running


@pytest.mark.servers
def test_a_real_server_reloads_its_pipeline_and_still_escalates(bot: RunningBot) -> None:
    """A short soak: 100 long messages of random words (~20,000 new strings)."""
    webhook = f"{bot.url}/webhooks/rest/webhook"
    rng = random.Random(11)
    for number in range(100):
        answer = post_raw(webhook, json.dumps({"sender": f"vocab-{number // 20}",
                                               "message": random_text(rng)}).encode())
        assert answer.status == 200, answer
    assert bot.rasa_log is not None
    log = Path(bot.rasa_log).read_text(errors="replace")
    assert log.count("pipeline reloaded") >= 2, log[-3000:]
    # The reloaded pipeline still reads a warning sign.
    answer = post_raw(webhook, json.dumps({"sender": "vocab-safety",
                                           "message": "I have chest pain and my legs feel heavy"}
                                          ).encode())
    assert answer.status == 200 and "emergency" in answer.texts().lower()
    slots = get_json(tracker_url(bot.url, "vocab-safety", bot.token))["slots"]
    assert slots["escalation_level"] == "emergency"
