"""Small helpers shared by the channels."""

from __future__ import annotations

from collections import OrderedDict
from typing import Hashable
from urllib.parse import urlparse


class SeenKeys:
    """A bounded memory of keys already handled (update ids, event ids).

    Platforms redeliver a webhook when they think it failed; remembering the
    last few thousand keys is enough to answer each delivery only once.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def add(self, key: Hashable) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def check_and_add(self, *keys: Hashable) -> bool:
        """Return True when any of ``keys`` was seen before; remember them all."""
        usable = [key for key in keys if key is not None]
        seen = any(key in self._keys for key in usable)
        for key in usable:
            self.add(key)
        return seen


def is_http_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def with_progress(text: str, kwargs: dict) -> str:
    """``text`` with "Question 3 of 6" on a line before it, when the response's metadata
    says where the runner is in the questions (actions/questions.py); the chat page
    draws it, the text channels write it."""
    metadata = kwargs.get("metadata")
    progress = metadata.get("progress") if isinstance(metadata, dict) else None
    if not isinstance(progress, dict):
        return text
    step, total = progress.get("step"), progress.get("of")
    if not (isinstance(step, int) and isinstance(total, int) and 0 < step <= total):
        return text
    return f"Question {step} of {total}\n{text}"
