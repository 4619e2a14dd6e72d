"""Helpers for the robustness tests: raw HTTP posts that never raise on 4xx/5xx."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, Iterator

import pytest

from bot.servers import RunningBot, running_bot

TIMEOUT = 60.0


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def texts(self) -> str:
        return "\n".join(m.get("text", "") for m in self.json())


def post_raw(url: str, body: bytes, headers: Dict[str, str] | None = None,
             timeout: float = TIMEOUT) -> Answer:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read(), time.monotonic() - start)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), time.monotonic() - start)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def tracker_url(base: str, sender: str, token: str | None) -> str:
    url = f"{base}/conversations/{urllib.parse.quote(sender, safe='')}/tracker"
    return url + (f"?token={token}" if token else "")


@pytest.fixture(scope="session")
def plain_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """One bot with the default settings and a token, shared by the modules that need
    nothing else (each start-up costs ~35 s of `make test`). Its rate limit is per
    sender, and each test talks as its own senders, so the modules don't interfere."""
    with running_bot(tmp_path_factory.mktemp("plain"), token=secrets.token_hex(16)) as running:
        yield running
