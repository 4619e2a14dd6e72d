"""EscalationPolicy: warning signs win over every other prediction.

Safety must not depend on the intent classifier or on what a form happens to be
asking. Rasa's ensemble prefers "no user" predictions, and RulePolicy marks its
active-form predictions that way, so a higher priority alone would not let this
policy interrupt a form (rasa/core/policies/ensemble.py). Every prediction here
is therefore marked ``is_no_user_prediction`` and made with confidence 1.0; with
a priority above RulePolicy's it beats every other policy.

The decisions themselves live in :mod:`bot.dialogue.safety_flow`, a plain
function of the tracker that is unit-tested on real trackers.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain, InvalidDomain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.safety_flow import next_safety_action
from bot.dialogue.safety_names import missing_safety_actions

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class EscalationPolicy(Policy):
    """Deterministic escalation on confirmed, non-negated warning signs."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": 7}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn: the behaviour is rule-based and reviewed, not trained. But a
        # domain without one of its responses would silently drop an escalation, so
        # training fails closed (the start-up preflight checks the same).
        missing = missing_safety_actions(domain.action_names_or_texts)
        if missing:
            raise InvalidDomain(
                "EscalationPolicy needs these actions or responses in the domain: "
                + ", ".join(missing))
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_safety_action(tracker)
        if action is None:
            return self._prediction(probabilities)
        if action not in domain.action_names_or_texts:
            # Training and the preflight refuse such a domain; never reached by a model
            # trained here. Fail loudly rather than let another policy answer a sign.
            raise InvalidDomain(f"EscalationPolicy chose '{action}', which the domain lacks")
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EscalationPolicy":
        # Serving starts here, whatever starts it (rasa run / shell / test): Rasa 3.6
        # fixes that need no plugin hook. A bounded, non-fatal wait for custom actions
        # (bot/security/action_timeout.py), the cached validation of their answers
        # (bot/rasa_speedups.py, no behaviour change), and turns that always end by
        # listening (bot/turn_limits.py).
        from bot import rasa_speedups, turn_limits
        from bot.security import action_timeout

        action_timeout.install()
        rasa_speedups.install()
        turn_limits.install()
        return cls(config, model_storage, resource, execution_context)
