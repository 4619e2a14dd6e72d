"""EscalationPolicy as Rasa sees it: a no-user prediction that beats the form's."""

from __future__ import annotations

from pathlib import Path

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.escalation import EscalationPolicy

DOMAIN = Domain.load(Path(__file__).resolve().parents[2] / "domain.yml")


def make_policy(tmp_path: Path) -> EscalationPolicy:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return EscalationPolicy.create(
        {**EscalationPolicy.get_default_config()}, storage, Resource("escalation"), context
    )


def mid_form_tracker(text: str, entities: list[dict]) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("heavy legs", intent={"name": "describe_symptoms", "confidence": 1.0}),
        ActionExecuted("assessment_form"),
        ActiveLoop("assessment_form"),
        SlotSet("requested_slot", "sleep_hours"),
        ActionExecuted("action_listen"),
        UserUttered(text, intent={"name": "inform", "confidence": 1.0}, entities=entities),
    ]
    return DialogueStateTracker.from_events("t", events, slots=DOMAIN.slots)


def test_prediction_is_certain_and_marked_no_user(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    tracker = mid_form_tracker(
        "and I can't catch my breath",
        [{"entity": "red_flag", "value": "breathlessness", "extractor": "RedFlagDetector"}],
    )
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    best = DOMAIN.action_names_or_texts[prediction.max_confidence_index]
    assert best == "utter_escalate_emergency"
    assert prediction.max_confidence == 1.0
    assert prediction.is_no_user_prediction
    assert prediction.policy_priority > 6  # RulePolicy's default priority


def test_wins_over_the_active_form_in_rasas_ensemble(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    tracker = mid_form_tracker(
        "my calf is swollen",
        [{"entity": "red_flag", "value": "swelling", "extractor": "RedFlagDetector"}],
    )
    ours = policy.predict_action_probabilities(tracker, DOMAIN)
    form_probabilities = [0.0] * DOMAIN.num_actions
    form_probabilities[DOMAIN.index_for_action("assessment_form")] = 1.0
    rule_policy_form = PolicyPrediction(
        form_probabilities, "RulePolicy", policy_priority=6, is_no_user_prediction=True
    )
    winner = DefaultPolicyPredictionEnsemble().combine_predictions(
        [rule_policy_form, ours], tracker, DOMAIN
    )
    assert winner.policy_name == "EscalationPolicy"
    assert DOMAIN.action_names_or_texts[winner.max_confidence_index] == (
        "utter_escalate_see_professional"
    )


def test_abstains_without_a_sign(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    prediction = policy.predict_action_probabilities(mid_form_tracker("about 7 hours", []),
                                                     DOMAIN)
    assert prediction.max_confidence == 0.0
    assert not prediction.is_no_user_prediction
