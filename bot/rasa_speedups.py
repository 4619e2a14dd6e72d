"""Rasa 3.6 hot-path fixes that change no behaviour, applied when the model loads.

``RemoteAction._validate_action_result`` checks every answer of the action server
with ``jsonschema.validate(result, schema)``. That function first validates the
*schema itself* against the JSON-Schema meta-schema and builds a new validator,
on every call: about 30 ms of CPU on these machines, twice per turn for this bot
(``action_track_facts`` through the custom slot mapping, then the form's
validation), which was half of a turn's time (py-spy, docs/performance.md).

:func:`install` swaps in a version that checks the schema and builds the validator
once, then validates each answer against it: the same schema, the same
``ValidationError`` with the same message, about 0.4 ms.

Open-source Rasa has no plugin hook for this, so :class:`bot.policies.escalation.
EscalationPolicy` calls :func:`install` from its ``load``: every way of serving
this project's models (``rasa run``, ``rasa shell``, ``rasa test``) loads that
policy. Nothing happens at import.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

_MARK = "_heavy_legs_cached_validation"


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with a validator built once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        # The same message Rasa adds (rasa/core/actions/action.py).
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def install() -> None:
    """Apply the fixes (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, _MARK, False):
        return
    setattr(_validate_action_result, _MARK, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
