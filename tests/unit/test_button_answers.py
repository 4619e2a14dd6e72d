"""One answer per question: question tokens, stale clicks, and the guard policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from actions.stale_button import ActionStaleButton
from bot.dialogue.button_answers import (
    ANSWER_TO,
    is_stale_click,
    question_token,
    split_token,
    with_token,
)
from bot.policies.button_guard import ButtonGuardPolicy

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")
BUTTONS = [{"title": "Steady", "payload": "steady"}, {"title": "Don't know",
                                                      "payload": "don't know"}]


def ask(text: str, at: float) -> BotUttered:
    return BotUttered(text, data={"buttons": BUTTONS}, timestamp=at)


def click(token: str, payload: str = "steady") -> List[Any]:
    return [ActionExecuted("action_listen"),
            UserUttered(payload, intent={"name": "inform", "confidence": 1.0},
                        metadata={ANSWER_TO: token})]


def tracker_of(events: List[Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("runner", events, slots=DOMAIN.slots)


START = [ActionExecuted("action_listen"),
         UserUttered("heavy legs", intent={"name": "describe_symptoms", "confidence": 1.0}),
         ActionExecuted("assessment_form"), ActiveLoop("assessment_form"),
         SlotSet("requested_slot", "distance_increase_pct")]
QUESTION = ask("Has your weekly distance changed?", 1000.25)
TOKEN = question_token(QUESTION.text, QUESTION.timestamp)


def test_tokens_name_one_message_and_survive_a_round_trip() -> None:
    assert len(TOKEN) == 10
    assert question_token(QUESTION.text, 1000.26) != TOKEN  # asked again: a new token
    assert question_token("Other question", 1000.25) != TOKEN
    value = with_token(TOKEN, "don't know | really")
    assert split_token(value) == (TOKEN, "don't know | really")
    assert split_token("don't know") == (None, "don't know")
    assert split_token("zzzzzzzzzz|steady") == (None, "zzzzzzzzzz|steady")  # not hex


def test_a_click_on_the_open_question_is_not_stale() -> None:
    assert not is_stale_click(tracker_of([*START, QUESTION, *click(TOKEN)]))


def test_typed_text_is_never_a_click() -> None:
    events = [*START, QUESTION, ActionExecuted("action_listen"),
              UserUttered("steady", intent={"name": "inform", "confidence": 1.0})]
    assert not is_stale_click(tracker_of(events))


def test_a_second_tap_after_the_bot_moved_on_is_stale() -> None:
    next_question = ask("How many hours do you sleep?", 1002.0)
    events = [*START, QUESTION, *click(TOKEN), next_question, *click(TOKEN)]
    assert is_stale_click(tracker_of(events))


def test_an_unknown_token_is_stale() -> None:
    assert is_stale_click(tracker_of([*START, QUESTION, *click("0123456789")]))


def test_the_question_stays_open_after_an_unclear_message_was_forgotten() -> None:
    suggestions = BotUttered("Sorry, I didn't follow", data={"buttons": BUTTONS},
                             timestamp=1001.0)
    unclear = [ActionExecuted("action_listen"),
               UserUttered("qwerty", intent={"name": "nlu_fallback", "confidence": 1.0}),
               ActionExecuted("action_default_fallback"), suggestions,
               UserUtteranceReverted()]
    events = [*START, QUESTION, *unclear]
    # The question asked before the forgotten turn ...
    assert not is_stale_click(tracker_of([*events, *click(TOKEN)]))
    # ... and the suggestions sent with "I didn't follow" can both be tapped.
    suggestion = question_token(suggestions.text, suggestions.timestamp)
    assert not is_stale_click(tracker_of([*events, *click(suggestion)]))


def make_policy(tmp_path: Path) -> ButtonGuardPolicy:
    return ButtonGuardPolicy.create(
        ButtonGuardPolicy.get_default_config(), LocalModelStorage(tmp_path),
        Resource("guard"), ExecutionContext(GraphSchema({}), "test"))


def best(prediction: PolicyPrediction) -> str:
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def test_the_guard_forgets_a_stale_click_and_wins_over_the_form(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    tracker = tracker_of([*START, QUESTION, *click(TOKEN), ask("Sleep?", 1002.0),
                          *click(TOKEN)])
    guard = policy.predict_action_probabilities(tracker, DOMAIN)
    assert best(guard) == "action_stale_button" and guard.is_no_user_prediction
    form_probabilities = [0.0] * DOMAIN.num_actions
    form_probabilities[DOMAIN.index_for_action("assessment_form")] = 1.0
    form = PolicyPrediction(form_probabilities, "RulePolicy", policy_priority=6,
                            is_no_user_prediction=True)
    winner = DefaultPolicyPredictionEnsemble().combine_predictions([form, guard], tracker,
                                                                   DOMAIN)
    assert best(winner) == "action_stale_button"


def test_the_guard_abstains_on_an_open_question_and_after_its_action(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    open_click = tracker_of([*START, QUESTION, *click(TOKEN)])
    assert policy.predict_action_probabilities(open_click, DOMAIN).max_confidence == 0.0
    stale = [*START, QUESTION, *click(TOKEN), ask("Sleep?", 1002.0), *click(TOKEN)]
    done = tracker_of([*stale, ActionExecuted("action_stale_button"),
                       BotUttered("That button belongs to an earlier question"),
                       UserUtteranceReverted()])
    assert policy.predict_action_probabilities(done, DOMAIN).max_confidence == 0.0


def test_without_the_action_server_rasas_fallback_still_forgets_the_click(
    tmp_path: Path,
) -> None:
    stale = [*START, QUESTION, *click(TOKEN), ask("Sleep?", 1002.0), *click(TOKEN)]
    failed = tracker_of([*stale, ActionExecuted("action_stale_button")])  # no events back
    prediction = make_policy(tmp_path).predict_action_probabilities(failed, DOMAIN)
    assert best(prediction) == "action_default_fallback"


def test_the_guard_never_stands_in_the_way_of_an_escalation(tmp_path: Path) -> None:
    stale = [*START, QUESTION, *click(TOKEN), ask("Sleep?", 1002.0), ActionExecuted(
        "action_listen"), UserUttered(
        "steady", intent={"name": "inform", "confidence": 1.0},
        entities=[{"entity": "red_flag", "value": "chest_pain",
                   "extractor": "RedFlagDetector"}], metadata={ANSWER_TO: TOKEN})]
    prediction = make_policy(tmp_path).predict_action_probabilities(tracker_of(stale), DOMAIN)
    assert prediction.max_confidence == 0.0


def test_training_fails_closed_without_the_action(tmp_path: Path) -> None:
    import pytest
    from rasa.shared.core.domain import InvalidDomain

    lacking = Domain.from_dict({"intents": ["greet"], "responses": {
        "utter_greet": [{"text": "hi"}]}})
    with pytest.raises(InvalidDomain, match="action_stale_button"):
        make_policy(tmp_path).train([], lacking)


def test_the_action_says_so_and_reverts_the_click() -> None:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = Tracker("runner", {}, {"text": "steady"}, [], False, None, {}, "action_listen")
    events = asyncio.run(ActionStaleButton().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["response"] == "utter_stale_button"
    assert events == [{"event": "rewind", "timestamp": None}]


def test_the_forms_turns_count_as_turns() -> None:
    """Rasa's applied events fold a form's happy path; the check must not."""
    typed = [ActionExecuted("action_listen"),
             UserUttered("steady", intent={"name": "inform", "confidence": 1.0}),
             ActionExecuted("assessment_form"), SlotSet("distance_increase_pct", 0.0),
             SlotSet("requested_slot", "sleep_hours")]
    events = [*START, QUESTION, *typed, ask("How many hours do you sleep?", 1003.0),
              *click(TOKEN, "don't know")]
    assert is_stale_click(tracker_of(events))
