"""A per-conversation rate limit: one token bucket per sender id (pure Python).

Every channel runs its turns through ``bot.channels.turn_guard.guarded_turn``,
which asks :func:`rate_limiter` before the turn: a conversation may send
``BOT_RATE_LIMIT_BURST`` messages at once (default 30) and then
``BOT_RATE_LIMIT_PER_SECOND`` a second on average (default 1, i.e. 60 a minute,
far above anyone typing). A message over the limit is not run: the runner is
told "You're sending messages faster than I can read them …" with the safety
advice (what to do for chest pain, breathlessness, …), because the refused
message may have carried a warning sign that the bot never read.
``BOT_RATE_LIMIT_BURST=0`` turns the limit off.

The buckets are keyed by sender id (the conversation: a Telegram chat, a Slack
DM, a chat-page conversation, a REST sender) and live in the Rasa process's
memory, so with several replicas each keeps its own (sticky routing sends a
conversation to one replica). At most ``MAX_SENDERS`` buckets are kept, the
least recently used dropped first (a dropped bucket is a full one), so a flood
of fresh ids cannot grow memory without bound. A flood of fresh ids is not
limited here at all: that needs a per-address limit at the proxy in front
(docs/security.md).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

BURST_ENV = "BOT_RATE_LIMIT_BURST"
PER_SECOND_ENV = "BOT_RATE_LIMIT_PER_SECOND"
DEFAULT_BURST = 30
DEFAULT_PER_SECOND = 1.0
MAX_SENDERS = 100_000


@dataclass(frozen=True)
class Decision:
    """Whether a message may be run now."""

    allowed: bool
    retry_after: float = 0.0  # seconds until one message is allowed again
    first_refusal: bool = False  # the first refusal since this sender's last allowed message


class _Bucket:
    __slots__ = ("tokens", "updated", "refusing")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated
        self.refusing = False


class RateLimiter:
    """Token buckets per key: ``burst`` at once, ``per_second`` on average after that."""

    def __init__(self, burst: int = DEFAULT_BURST, per_second: float = DEFAULT_PER_SECOND,
                 max_keys: int = MAX_SENDERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if burst < 0 or per_second <= 0 or max_keys < 1:
            raise ValueError("burst must be 0 or more, per_second and max_keys more than 0")
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.burst > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, key: str) -> Decision:
        """Take one message from ``key``'s bucket, if it has one."""
        if not self.enabled:
            return Decision(True)
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_second)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.refusing = False
            return Decision(True)
        first = not bucket.refusing
        bucket.refusing = True
        return Decision(False, retry_after=(1.0 - bucket.tokens) / self.per_second,
                        first_refusal=first)


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def limiter_from_env() -> RateLimiter:
    """A limiter from BOT_RATE_LIMIT_BURST and BOT_RATE_LIMIT_PER_SECOND."""
    burst = _number(BURST_ENV, DEFAULT_BURST)
    if burst != int(burst):
        raise ValueError(f"{BURST_ENV} must be a whole number")
    return RateLimiter(int(burst), _number(PER_SECOND_ENV, DEFAULT_PER_SECOND))


_limiter: RateLimiter | None = None


def rate_limiter() -> RateLimiter:
    """The process's limiter (built from the environment on first use)."""
    global _limiter
    if _limiter is None:
        _limiter = limiter_from_env()
    return _limiter


def reset_rate_limiter(limiter: RateLimiter | None = None) -> None:
    """Replace the process's limiter (tests), or forget it to rebuild from the environment."""
    global _limiter
    _limiter = limiter
