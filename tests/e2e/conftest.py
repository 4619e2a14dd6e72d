"""Fixtures that run the real servers (no mocks) for end-to-end tests."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from typing import Any, Dict, List

import pytest

from bot.servers import RunningBot, running_bot


class Chat:
    """A runner talking to the bot through the REST channel."""

    def __init__(self, bot: RunningBot, sender: str | None = None) -> None:
        self.bot = bot
        self.sender = sender or f"runner-{secrets.token_hex(6)}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.bot.url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def text(self, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(text))

    def tracker(self) -> Dict[str, Any]:
        url = f"{self.bot.url}/conversations/{self.sender}/tracker"
        if self.bot.token:
            url += f"?token={self.bot.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def slot(self, name: str) -> Any:
        return self.tracker()["slots"].get(name)

    def new_session(self) -> None:
        """Start a new session, as after the session expires (Rasa's
        ``action_session_start`` through the token-protected HTTP API; the "/session_start"
        text is just text on every channel since issue 12)."""
        url = f"{self.bot.url}/conversations/{self.sender}/execute"
        if self.bot.token:
            url += f"?token={self.bot.token}"
        request = urllib.request.Request(
            url, data=json.dumps({"name": "action_session_start"}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200

    def last_answer(self, text: str) -> str:
        """Say ``text`` (the last core answer), skip any follow-up question, and return
        the text of the bot's final reply (the explanation)."""
        said = self.say(text)
        said = self.skip_followups() or said
        return "\n".join(m.get("text", "") for m in said)

    def skip_followups(self, reply: str = "not sure") -> List[Dict[str, Any]]:
        """Answer ``reply`` to each follow-up question until none is pending; the bot's
        messages to the last reply (the explanation, when the core questions are done)."""
        said: List[Dict[str, Any]] = []
        for _ in range(6):
            if self.slot("requested_slot") != "followup_answer":
                break
            said = self.say(reply)
        assert self.slot("requested_slot") != "followup_answer", "follow-ups never ended"
        return said


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory):
    token = secrets.token_hex(16)
    with running_bot(tmp_path_factory.mktemp("bot"), token=token) as running:
        yield running


@pytest.fixture
def chat(bot: RunningBot) -> Chat:
    return Chat(bot)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
