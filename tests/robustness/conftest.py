"""Helpers for the robustness tests: raw HTTP posts that never raise on 4xx/5xx."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict

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
