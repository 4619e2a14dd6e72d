"""The learned cause opinion (bot/triage/cause_opinion.py): it only adds evidence, its
training stories share nothing with the held-out story sets, it survives the JSON round
trip, and the runner's words reach it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.dialogue.runner_words import runner_words
from bot.triage.answers import RunnerAnswers
from bot.triage.cause_opinion import (
    MAX_WORDS_CHARS,
    CauseOpinion,
    fitted,
    load_examples,
    story_text,
)
from bot.triage.engine import _Checker, learned_opinion_settings, rank_causes

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = [ROOT / "tests/triage/tune/stories.yml", ROOT / "tests/triage/blind/stories.yml"]


def _stories(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


@pytest.fixture(scope="module")
def settings():  # noqa: ANN201
    found = learned_opinion_settings()
    assert found is not None, "causes.yml has a learned_opinion block"
    return found


def test_held_out_stories_share_no_example_with_the_training_stories(settings) -> None:
    training = _stories(settings.examples)
    openings = {_norm(s["opening"]) for s in training}
    texts = {_norm(story_text(s)) for s in training}
    ids = {s["id"] for s in training}
    sources = {s["source"] for s in training if s.get("source")}
    for path in HELD_OUT:
        for story in _stories(path):
            where = f"{path.name} {story['id']}"
            assert _norm(story["opening"]) not in openings, where
            assert _norm(story_text(story)) not in texts, where
            assert story["id"] not in ids, where
        # a post retold in a held-out set is not also a training story
        shared = sources & {s["source"] for s in _stories(path) if s.get("source")}
        assert not shared, (path.name, sorted(shared)[:5])


def test_training_examples_weigh_the_first_cause_above_the_others(settings) -> None:
    examples = load_examples(settings.examples, settings.also_reasonable_weight)
    stories = _stories(settings.examples)
    assert sum(w == 1.0 for _, _, w in examples) == len(stories) >= 200
    assert all(w in (1.0, settings.also_reasonable_weight) for _, _, w in examples)


def test_json_round_trip_gives_the_same_probabilities(settings) -> None:
    model = fitted(settings.examples, settings.also_reasonable_weight)
    again = CauseOpinion.from_json(model.to_json())
    text = "legs heavy since I bought new minimalist shoes, they feel flat and hard"
    before, after = model.probabilities(text), again.probabilities(text)
    assert before.keys() == after.keys()
    assert all(abs(before[c] - after[c]) < 1e-9 for c in before)
    assert max(before, key=before.get) == "shoes"


def test_the_opinion_moves_a_story_the_phrase_lists_do_not_cover() -> None:
    words = ("did my first hilly half on sunday, walking down stairs backwards since, "
             "thighs screaming")
    without = [r.id for r in rank_causes(RunnerAnswers())]
    with_words = [r.id for r in rank_causes(RunnerAnswers(words=words))]
    assert with_words[0] == "doms" and with_words != without


def test_the_opinion_never_lifts_a_cause_the_rules_rule_out() -> None:
    # statins needs a statin among the medicines (requires_any): words alone never name it
    words = "I started atorvastatin a month ago and my legs ache and feel heavy on runs"
    assert "statins" not in [r.id for r in rank_causes(RunnerAnswers(words=words), limit=5)]
    said = RunnerAnswers(words=words, medicines=("statin",))
    assert rank_causes(said)[0].id == "statins"


def test_words_take_no_part_in_the_answers_equality() -> None:
    assert RunnerAnswers(words="a", sleep_hours=6) == RunnerAnswers(sleep_hours=6)
    assert RunnerAnswers(words="a", sleep_hours=6).with_values(sleep_hours=5).words == "a"
    assert RunnerAnswers(sleep_hours=6).with_words("hi").words == "hi"
    assert RunnerAnswers(sleep_hours=6).with_words("hi").sleep_hours == 6
    assert RunnerAnswers.from_slots({"sleep_hours": 6}).words == ""


def _user(text: str) -> dict:
    return {"event": "user", "text": text}


def test_runner_words_come_from_this_conversations_messages() -> None:
    events = [_user("an old story"), {"event": "session_started"},
              {"event": "action", "name": "action_listen"}, _user("legs heavy"),
              {"event": "bot", "text": "How far do you run?"}, _user("  about 30 km "),
              _user("/affirm"), _user(""), {"event": "user", "text": None}, _user("no")]
    assert runner_words(events) == "legs heavy . about 30 km . no"
    assert runner_words([*events, {"event": "restart"}, _user("new")]) == "new"
    long = runner_words([_user("x" * MAX_WORDS_CHARS), _user("the latest words")])
    assert len(long) == MAX_WORDS_CHARS and long.endswith("the latest words")
    assert runner_words([]) == ""


@pytest.mark.parametrize("block, problem", [
    ({"examples": "bot/knowledge/story_examples.yml", "weight": 6, "min_probability": 0.05},
     "needs exactly the keys"),
    ({"examples": "bot/knowledge/nothing.yml", "weight": 6, "min_probability": 0.05,
      "also_reasonable_weight": 0.4}, "no file"),
    ({"examples": "bot/knowledge/story_examples.yml", "weight": -1, "min_probability": 0.05,
      "also_reasonable_weight": 0.4}, "weight must be a number"),
    ({"examples": "bot/knowledge/story_examples.yml", "weight": 6, "min_probability": 0.05,
      "also_reasonable_weight": 0.4, "wieght": 2}, "needs exactly the keys"),
])
def test_the_loader_refuses_a_broken_block(block, problem) -> None:
    checker = _Checker(Path("causes.yml"))
    with pytest.raises(ValueError, match=problem):
        checker.opinion(block, {"shoes"})


def test_the_loader_refuses_examples_naming_an_unknown_cause(tmp_path: Path) -> None:
    stories = tmp_path / "stories.yml"
    stories.write_text(yaml.safe_dump({"stories": [
        {"id": "x1", "opening": "legs heavy", "expected_first": "shoez"}]}))
    block = {"examples": str(stories), "weight": 6, "min_probability": 0.05,
             "also_reasonable_weight": 0.4}
    with pytest.raises(ValueError, match="unknown cause id"):
        _Checker(Path("causes.yml")).opinion(block, {"shoes"})


def test_follow_up_questions_are_chosen_on_the_rules_alone() -> None:
    from bot.triage.followups import next_question

    answers = RunnerAnswers(weekly_distance_km=30, distance_increase_pct=0, sleep_hours=7)
    words = "legs heavy since a bad flu in january, not bouncing back at all"
    assert next_question(answers.with_values(), ()) == next_question(
        RunnerAnswers(words=words, **{k: v for k, v in answers.known().items()
                                      if k != "weekly_increase_pct"}), ())
    assert RunnerAnswers(words=words, sleep_hours=7).without_words() == RunnerAnswers(
        sleep_hours=7)
    assert RunnerAnswers(words=words, sleep_hours=7).without_words().words == ""
