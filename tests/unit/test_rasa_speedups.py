"""The cached action-response validation accepts and rejects exactly what Rasa's does."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups

ORIGINAL = RemoteAction._validate_action_result

VALID: list[Dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "weekly_distance_km", "value": 40.0}],
     "responses": [{"text": "Thanks", "metadata": {"escalation": "urgent"}}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "x"}]},
    {},
]
INVALID: list[Dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"responses": ["not an object"]},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.fixture()
def remote() -> RemoteAction:
    return RemoteAction("action_track_facts", None)


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_both(remote: RemoteAction, result: Dict[str, Any]) -> None:
    assert ORIGINAL(remote, result) is True
    assert rasa_speedups._validate_action_result(remote, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_fail_both_with_the_same_message(
    remote: RemoteAction, result: Dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as original:
        ORIGINAL(remote, result)
    with pytest.raises(ValidationError) as cached:
        rasa_speedups._validate_action_result(remote, result)
    assert cached.value.message == original.value.message
    assert "Failed to validate Action server response" in cached.value.message


def test_install_replaces_the_method_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    rasa_speedups.install()
    installed = RemoteAction._validate_action_result
    assert installed is rasa_speedups._validate_action_result
    rasa_speedups.install()
    assert RemoteAction._validate_action_result is installed


def test_install_replaces_rasa_model_load_once() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    rasa_speedups.install()
    installed = RasaModel.__dict__["load"]
    assert getattr(RasaModel.load, rasa_speedups._MARK)
    rasa_speedups.install()
    assert RasaModel.__dict__["load"] is installed
    # only the models checked to give Rasa's weights (tests/e2e/test_model_loading.py)
    assert rasa_speedups._LOSS_BUILD_MODELS == {"DIET", "TED"}
