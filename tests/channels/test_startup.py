"""A wrong token stops `rasa run` at startup with a message naming the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from bot.channels import credentials
from bot.servers import ROOT, running_bot
from tests.channels.conftest import (
    SLACK_SIGNING_SECRET,
    TELEGRAM_NAME,
    TELEGRAM_SECRET,
    Bot,
)

pytestmark = pytest.mark.servers


def start_and_expect_failure(tmp_path: Path, env: Dict[str, str]) -> str:
    built = credentials.build(ROOT / "credentials.yml", ROOT / "channels", env)
    path = tmp_path / "credentials.yml"
    credentials.write(built.text, path)
    with pytest.raises(RuntimeError, match="exited early") as failure:
        with running_bot(tmp_path / "servers", with_actions=False, credentials=path,
                         extra_env=env):
            pass
    return str(failure.value)


def test_a_refused_telegram_token_stops_the_server(tmp_path: Path, channel_bot: Bot) -> None:
    log = start_and_expect_failure(tmp_path, {
        "TELEGRAM_BOT_TOKEN": "99999:not-the-token",
        "TELEGRAM_BOT_NAME": TELEGRAM_NAME,
        "TELEGRAM_WEBHOOK_URL": "https://heavy-legs.example.org/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": channel_bot.telegram.url,
    })
    assert "Telegram refused the bot token (TELEGRAM_BOT_TOKEN)" in log


def test_a_refused_slack_token_stops_the_server(tmp_path: Path, channel_bot: Bot) -> None:
    log = start_and_expect_failure(tmp_path, {
        "SLACK_BOT_TOKEN": "xoxb-not-the-token",
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_API_URL": channel_bot.slack.api_url,
    })
    assert "Slack refused the bot token (SLACK_BOT_TOKEN): invalid_auth" in log
