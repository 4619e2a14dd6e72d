"""Building the credentials file: channels on only when their variables are set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.io import read_config_file

from bot.channels import credentials
from bot.servers import ROOT

TELEGRAM = {
    "TELEGRAM_BOT_TOKEN": "123456:ABC-def_ghi",
    "TELEGRAM_BOT_NAME": "heavy_legs_bot",
    "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
    "TELEGRAM_SECRET_TOKEN": "my-secret_token",
}
SLACK = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99"}


def build(env: dict) -> credentials.Result:
    return credentials.build(ROOT / "credentials.yml", ROOT / "channels", env)


def test_no_variables_means_only_the_base_channels() -> None:
    result = build({})
    assert result.enabled == []
    assert result.half_configured == {}
    assert "bot.channels.rest.SafeRestInput:" in result.text
    assert "Channel:" not in result.text


def test_a_channel_is_on_when_all_its_required_variables_are_set() -> None:
    result = build({**TELEGRAM})
    assert result.enabled == ["telegram"]
    assert "bot.channels.telegram.TelegramChannel:" in result.text
    assert "bot.channels.slack" not in result.text
    # Secrets stay ${VAR}; the optional API URL falls back to its default.
    assert "access_token: ${TELEGRAM_BOT_TOKEN}" in result.text
    assert TELEGRAM["TELEGRAM_SECRET_TOKEN"] not in result.text
    assert "api_url: https://api.telegram.org\n" in result.text


def test_an_optional_variable_that_is_set_is_kept_as_a_variable() -> None:
    result = build({**TELEGRAM, **SLACK, "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    assert result.enabled == ["slack", "telegram"]
    assert "api_url: ${SLACK_API_URL}" in result.text
    assert "127.0.0.1" not in result.text


def test_a_half_configured_channel_is_off_and_named() -> None:
    partial = {key: value for key, value in TELEGRAM.items() if key != "TELEGRAM_SECRET_TOKEN"}
    result = build({**partial, "TELEGRAM_BOT_NAME": ""})  # empty counts as unset
    assert result.enabled == []
    assert result.half_configured == {"telegram": ["TELEGRAM_BOT_NAME", "TELEGRAM_SECRET_TOKEN"]}


def test_rasa_reads_the_result_with_the_values_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**TELEGRAM, **SLACK}
    path = tmp_path / "credentials.yml"
    credentials.write(build(env).text, path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SLACK_API_URL", raising=False)
    loaded = read_config_file(path)
    assert loaded["bot.channels.telegram.TelegramChannel"] == {
        "access_token": TELEGRAM["TELEGRAM_BOT_TOKEN"],
        "verify": TELEGRAM["TELEGRAM_BOT_NAME"],
        "webhook_url": TELEGRAM["TELEGRAM_WEBHOOK_URL"],
        "secret_token": TELEGRAM["TELEGRAM_SECRET_TOKEN"],
        "api_url": "https://api.telegram.org",
    }
    assert loaded["bot.channels.slack.SlackChannel"]["slack_signing_secret"] == \
        SLACK["SLACK_SIGNING_SECRET"]
    assert "bot.channels.rest.SafeRestInput" in loaded
    # The reason disabled channels are left out: Rasa refuses an unset ${VAR}.
    monkeypatch.delenv("TELEGRAM_SECRET_TOKEN")
    with pytest.raises(RasaException):
        read_config_file(path)


def test_a_channel_already_in_the_base_file_is_an_error(tmp_path: Path) -> None:
    base = tmp_path / "credentials.yml"
    base.write_text("rest:\nbot.channels.slack.SlackChannel:\n  slack_token: x\n")
    with pytest.raises(credentials.CredentialsError, match="in both"):
        credentials.build(base, ROOT / "channels", SLACK)


def test_a_fragment_without_required_variables_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "odd.yml").write_text("some.Channel:\n  url: ${ODD_URL:-http://x}\n")
    with pytest.raises(credentials.CredentialsError, match="no required"):
        credentials.build(ROOT / "credentials.yml", tmp_path, {})


def run_cli(tmp_path: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("TELEGRAM_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.channels.credentials", "--out",
         str(tmp_path / "out" / "credentials.yml"), *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


def test_cli_writes_the_file_and_says_which_channels_are_on(tmp_path: Path) -> None:
    done = run_cli(tmp_path, SLACK)
    assert done.returncode == 0, done.stderr
    assert "slack: on" in done.stderr and "telegram: off" in done.stderr
    written = (tmp_path / "out" / "credentials.yml").read_text()
    assert "bot.channels.slack.SlackChannel:" in written


def test_cli_strict_refuses_a_half_configured_channel(tmp_path: Path) -> None:
    done = run_cli(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-1"}, "--strict")
    assert done.returncode == 1
    assert "missing SLACK_SIGNING_SECRET" in done.stderr
    assert not (tmp_path / "out" / "credentials.yml").exists()
    assert run_cli(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-1"}).returncode == 0
