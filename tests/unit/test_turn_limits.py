"""Every turn ends by listening (bot/turn_limits.py), on real trackers and Rasa's processor."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, List

import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import ActionLimitReached, MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import turn_limits

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")


def tracker_of(events: List[Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("runner", events, slots=DOMAIN.slots)


def stuck_conversation() -> List[Any]:
    """A tracker as Rasa 3.6 left it: a turn cut by the circuit breaker, no listen after."""
    events: List[Any] = [ActionExecuted("action_listen"),
                         UserUttered("qwerty asdf", intent={"name": "affirm"})]
    for _ in range(10):
        events += [ActionExecuted("utter_please_rephrase"), BotUttered("Sorry...")]
    return events + [UserUttered("I have chest pain", intent={"name": "dont_know"})]


def test_only_this_turns_actions_are_counted() -> None:
    events = stuck_conversation()
    assert turn_limits.actions_this_turn(events) == []
    processor = SimpleNamespace(max_number_of_predictions=10)
    assert not turn_limits._is_action_limit_reached(processor, tracker_of(events), True)
    # Rasa's own count went back past the user message: the conversation was dead.
    assert MessageProcessor.is_action_limit_reached.__name__ == "is_action_limit_reached"
    ten_more = events + [ActionExecuted(f"utter_{i}") for i in range(10)]
    assert turn_limits._is_action_limit_reached(processor, tracker_of(ten_more), True)
    assert not turn_limits._is_action_limit_reached(processor, tracker_of(ten_more), False)


def processor_predicting(action_name: str | None) -> Any:
    """Rasa's processor interface as the wrapper uses it, around a given prediction."""

    def original(self: Any, tracker: DialogueStateTracker) -> Any:
        if action_name is None:
            raise ActionLimitReached("The limit of actions to predict has been reached.")
        from rasa.core.actions.action import action_for_name_or_text

        return (action_for_name_or_text(action_name, DOMAIN, None),
                PolicyPrediction.for_action_name(DOMAIN, action_name, "RulePolicy"))

    return SimpleNamespace(domain=DOMAIN, action_endpoint=None,
                           predict=turn_limits._wrap_predict(original))


def predicted(processor: Any, events: List[Any]) -> str:
    action, _ = processor.predict(processor, tracker_of(events))
    return action.name()


def test_reaching_the_limit_ends_the_turn_by_listening() -> None:
    assert predicted(processor_predicting(None), stuck_conversation()) == "action_listen"


@pytest.mark.parametrize("response", ["utter_please_rephrase", "action_default_fallback"])
def test_a_response_is_never_sent_twice_in_one_turn(response: str) -> None:
    turn = [ActionExecuted("action_listen"), UserUttered("hmm", intent={"name": "affirm"})]
    processor = processor_predicting(response)
    assert predicted(processor, turn) == response
    assert predicted(processor, [*turn, ActionExecuted(response)]) == "action_listen"


def test_other_actions_may_run_again() -> None:
    turn = [ActionExecuted("action_listen"), UserUttered("7 hours", intent={"name": "inform"}),
            ActionExecuted("assessment_form")]
    assert predicted(processor_predicting("assessment_form"), turn) == "assessment_form"


def test_install_is_idempotent() -> None:
    turn_limits.install()
    patched = MessageProcessor.predict_next_with_tracker_if_should
    turn_limits.install()
    assert MessageProcessor.predict_next_with_tracker_if_should is patched
