"""Failing parts: the action server down, the database unreachable, a bad model.

One Rasa server without an action server for the module; the start-up checks
(bot/security/preflight.py) run as plain subprocesses.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bot.security.input import STEP_FAILED_NOTE
from bot.servers import ROOT, RunningBot, free_port, running_bot
from tests.robustness.conftest import post_raw


@pytest.fixture(scope="module")
def bot_without_actions(tmp_path_factory: pytest.TempPathFactory):
    with running_bot(tmp_path_factory.mktemp("down"), with_actions=False) as running:
        yield running


def say(bot: RunningBot, sender: str, text: str) -> str:
    answer = post_raw(f"{bot.url}/webhooks/rest/webhook",
                      json.dumps({"sender": sender, "message": text}).encode())
    assert answer.status == 200
    return answer.texts()


def test_runner_is_told_the_step_failed_and_what_to_do(bot_without_actions: RunningBot) -> None:
    reply = say(bot_without_actions, f"down-{secrets.token_hex(4)}",
                "my legs have felt really heavy on my runs for the last two weeks")
    assert STEP_FAILED_NOTE in reply
    assert "health professional" in reply and "emergency number" in reply


def test_escalation_still_comes_first_with_the_note_after(bot_without_actions: RunningBot) -> None:
    reply = say(bot_without_actions, f"down-{secrets.token_hex(4)}",
                "my legs feel heavy and I have chest pain")
    assert "emergency number" in reply
    assert reply.index("emergency number") < reply.index(STEP_FAILED_NOTE)


def preflight(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.security.preflight", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_unreachable_database_is_named_at_start() -> None:
    url = f"postgresql://runner:s3cret@127.0.0.1:{free_port()}/heavylegs"
    result = preflight("--database-url", url)
    assert result.returncode == 1
    assert "database postgresql://runner:***@127.0.0.1" in result.stderr
    assert "unreachable" in result.stderr and "DATABASE_URL" in result.stderr
    assert "s3cret" not in result.stderr


def test_corrupt_model_is_named_at_start(tmp_path: Path) -> None:
    model = tmp_path / "broken.tar.gz"
    model.write_bytes(b"\x1f\x8b not really a model")
    result = preflight("--model", str(model), "--database-url", f"sqlite:///{tmp_path}/t.db")
    assert result.returncode == 1
    assert f"model {model} is not a readable model archive" in result.stderr


def test_missing_model_is_named_at_start(tmp_path: Path) -> None:
    result = preflight("--model", str(tmp_path / "nope.tar.gz"),
                       "--database-url", f"sqlite:///{tmp_path}/t.db")
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_the_real_setup_passes(tmp_path: Path) -> None:
    assert preflight("--database-url", f"sqlite:///{tmp_path}/t.db").returncode == 0
