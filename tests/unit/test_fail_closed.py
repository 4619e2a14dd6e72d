"""A domain without an escalation response never serves: training and preflight fail."""

from __future__ import annotations

import copy
import io
import json
import tarfile
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, InvalidDomain

from bot.dialogue.safety_names import REQUIRED_ACTIONS, missing_safety_actions
from bot.policies.escalation import EscalationPolicy
from bot.security.preflight import check_model

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(ROOT / "domain.yml")


def policy(tmp_path: Path) -> EscalationPolicy:
    return EscalationPolicy.create(EscalationPolicy.get_default_config(),
                                   LocalModelStorage(tmp_path), Resource("escalation"),
                                   ExecutionContext(GraphSchema({}), "test"))


def test_the_project_domain_has_every_safety_action() -> None:
    assert missing_safety_actions(DOMAIN.action_names_or_texts) == []


def test_training_fails_without_an_escalation_response(tmp_path: Path) -> None:
    data = copy.deepcopy(DOMAIN.as_dict())
    del data["responses"]["utter_escalate_emergency"]
    lacking = Domain.from_dict(data)
    with pytest.raises(InvalidDomain, match="utter_escalate_emergency"):
        policy(tmp_path).train([], lacking)
    policy(tmp_path).train([], DOMAIN)  # the project's domain trains


def model_with(tmp_path: Path, domain: dict) -> Path:
    path = tmp_path / "model.tar.gz"
    payload = json.dumps({"domain": domain}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return path


def test_the_preflight_refuses_a_model_without_them(tmp_path: Path) -> None:
    complete = copy.deepcopy(DOMAIN.as_dict())
    assert check_model(model_with(tmp_path, complete)) is None
    lacking = dict(complete, responses={k: v for k, v in complete["responses"].items()
                                        if k != "utter_signs_heard"})
    problem = check_model(model_with(tmp_path, lacking))
    assert problem and "utter_signs_heard" in problem and "make train" in problem


def test_the_list_is_what_the_policy_can_predict() -> None:
    assert {"utter_escalate_emergency", "utter_escalate_urgent",
            "utter_escalate_see_professional", "action_escalate",
            "utter_check_sign"} <= set(REQUIRED_ACTIONS)
