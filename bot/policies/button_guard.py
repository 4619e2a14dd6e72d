"""ButtonGuardPolicy: a click on a button of an earlier question answers nothing.

When the latest message is a button click whose question is no longer open (a
second tap, or an old keyboard further up the chat; see
:mod:`bot.dialogue.button_answers`), this policy predicts ``action_stale_button``,
which tells the runner and forgets the click, so it can never be taken as the
answer to the question being asked now.

It never stands in the way of safety: whenever the escalation policy has
something to do for the latest message, this policy abstains. Like that policy it
marks its prediction ``is_no_user_prediction`` so that it also wins over an active
form (see :mod:`bot.policies.escalation`).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain, InvalidDomain
from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.button_answers import is_stale_click
from bot.dialogue.safety_flow import next_safety_action

STALE_ACTION = "action_stale_button"
FORGET_ACTION = "action_default_fallback"


def _actions_since_the_message(tracker: DialogueStateTracker) -> List[str] | None:
    """Actions run since the latest user message (None when that turn was reverted)."""
    names: List[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUtteranceReverted):
            return None
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name not in (
            "action_extract_slots", "action_listen",
        ):
            names.append(event.action_name or "")
    return names[::-1]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class ButtonGuardPolicy(Policy):
    """Predicts ``action_stale_button`` for clicks on buttons of earlier questions."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": 7}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn; but a domain without the action would silently let old
        # clicks answer new questions, so training fails instead.
        if STALE_ACTION not in domain.action_names_or_texts:
            raise InvalidDomain(f"ButtonGuardPolicy needs the action '{STALE_ACTION}' "
                                "in the domain.")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        done = _actions_since_the_message(tracker)
        action = None
        if done == [] and is_stale_click(tracker) and next_safety_action(tracker) is None:
            action = STALE_ACTION
        elif done == [STALE_ACTION]:
            # The action server could not run it, so nothing was said or forgotten:
            # Rasa's own fallback still forgets the click (and says it didn't follow).
            action = FORGET_ACTION
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(probabilities)
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
    ) -> "ButtonGuardPolicy":
        return cls(config, model_storage, resource, execution_context)
