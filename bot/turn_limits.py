"""Every turn ends by listening: Rasa 3.6 fixes for a conversation that went silent.

Rasa's processor predicts actions until one of them is ``action_listen``, at most
``max_number_of_predictions`` (10) of them. Two things in 3.6 turn one unclear
message into a dead conversation:

* when the limit is reached ("circuit breaker tripped") the turn stops *without*
  an ``action_listen``;
* :meth:`MessageProcessor.is_action_limit_reached` counts actions back to the last
  ``action_listen``, across user messages. With no listen after the tripped turn,
  every later message starts with ten actions already counted: nothing is
  predicted, nothing is answered, warning signs included, for the whole session.

:func:`install` changes three things, all in the prediction loop:

1. the limit counts the actions of *this* turn only (since the latest user message
   or listen), so a conversation stuck by an older version comes back to life;
2. reaching the limit ends the turn with ``action_listen`` (logged), so the
   tracker stays well formed;
3. a bot response (``utter_*`` or the fallback) is never sent twice within one
   turn: predicting the same response again ends the turn with ``action_listen``.
   Before, a core fallback that kept predicting itself sent the same apology ten
   times in one reply.

Installed from :meth:`bot.policies.escalation.EscalationPolicy.load`, like the other
runtime fixes (open-source Rasa has no plugin hook); nothing happens at import.
"""

from __future__ import annotations

import logging
from typing import Any, List, Tuple

logger = logging.getLogger(__name__)

_MARK = "_heavy_legs_turn_limits"
LOOP_GUARD = "TurnLimits"


def actions_this_turn(events: List[Any]) -> List[str]:
    """Names of the actions run since the latest user message or listen."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered

    names: List[str] = []
    for event in reversed(events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted):
            if event.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
                break
            names.append(event.action_name or "")
    names.reverse()
    return names


def is_response(action_name: str) -> bool:
    """Actions that only say something, which a turn never needs twice."""
    from rasa.shared.core.constants import ACTION_DEFAULT_FALLBACK_NAME

    return action_name.startswith("utter_") or action_name == ACTION_DEFAULT_FALLBACK_NAME


def _is_action_limit_reached(
    self: Any, tracker: Any, should_predict_another_action: bool
) -> bool:
    return (
        should_predict_another_action
        and len(actions_this_turn(list(tracker.events))) >= self.max_number_of_predictions
    )


def _listen(self: Any, reason: str, tracker: Any) -> Tuple[Any, Any]:
    from rasa.core.actions.action import action_for_name_or_text
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core.constants import ACTION_LISTEN_NAME

    logger.warning("Ending a turn of conversation %s by listening: %s.",
                   _loggable(tracker.sender_id), reason)
    action = action_for_name_or_text(ACTION_LISTEN_NAME, self.domain, self.action_endpoint)
    return action, PolicyPrediction.for_action_name(self.domain, ACTION_LISTEN_NAME, LOOP_GUARD)


def _loggable(sender_id: Any) -> str:
    # Ids are checked by bot.security.input; repr() keeps a forged one on one log line.
    return repr(str(sender_id))[:80]


def _wrap_predict(original: Any) -> Any:
    def predict_next_with_tracker_if_should(self: Any, tracker: Any) -> Tuple[Any, Any]:
        from rasa.core.processor import ActionLimitReached

        try:
            action, prediction = original(self, tracker)
        except ActionLimitReached:
            return _listen(self, "the limit of actions in one turn was reached", tracker)
        name = action.name()
        if is_response(name) and name in actions_this_turn(list(tracker.events)):
            return _listen(self, f"'{name}' was already sent in this turn", tracker)
        return action, prediction

    setattr(predict_next_with_tracker_if_should, _MARK, True)
    return predict_next_with_tracker_if_should


def install() -> None:
    """Apply the fixes (idempotent)."""
    from rasa.core.processor import MessageProcessor

    current = MessageProcessor.predict_next_with_tracker_if_should
    if getattr(current, _MARK, False):
        return
    MessageProcessor.is_action_limit_reached = _is_action_limit_reached  # type: ignore[method-assign]
    MessageProcessor.predict_next_with_tracker_if_should = _wrap_predict(current)  # type: ignore[method-assign]
