"""Conversation ids for the chat page, issued and signed by the server.

With Rasa's socket.io channel (and the REST webhook) the conversation id was the
only credential: a ``session_request`` with another runner's id joined their
room (their replies, live) and "summary" returned their figures. Now the
server issues each chat-page conversation an id *and* a token that proves it
(docs/security.md):

* the id: ``web-`` and 32 hex digits (128 random bits), a format REST can
  recognise (:func:`is_web_id`);
* the token: ``<expiry>.<mac>``, where ``expiry`` is a Unix time in seconds and
  ``mac`` is HMAC-SHA256(secret, ``"<id>.<expiry>"``) in unpadded base64url. The
  token is the credential: the id alone no longer lets anyone in. It is checked
  in constant time, never stored in the tracker and never logged.

The secret is ``BOT_SESSION_SECRET`` (at least 32 characters; ``make run``
generates one into ``var/session_secret``, the cluster keeps one in its
``secrets.env``, Kubernetes reads it from the ``heavylegs-secrets`` Secret).
Without it, a random secret is made for the process (with a warning): tokens
then die with the process and are not shared between replicas. The lifetime is
``BOT_SESSION_TTL_DAYS`` (default 30) from the last (re)connection: each
``session_request`` with a valid token is answered with a fresh one.

Pure Python, no Rasa: used by ``bot.web.channel`` (issues and checks) and
``bot.channels.rest`` (checks web ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

logger = logging.getLogger(__name__)

SECRET_ENV = "BOT_SESSION_SECRET"
TTL_ENV = "BOT_SESSION_TTL_DAYS"
DEFAULT_TTL_DAYS = 30.0
MIN_SECRET_CHARS = 32
WEB_ID_PREFIX = "web-"
_WEB_ID = re.compile(r"web-[0-9a-f]{32}")
_TOKEN = re.compile(r"([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
# The REST webhook reads the token of a web id from this header.
TOKEN_HEADER = "X-Session-Token"


class SessionSecretError(ValueError):
    """BOT_SESSION_SECRET or BOT_SESSION_TTL_DAYS is unusable."""


def is_web_id(value: Any) -> bool:
    """True for an id in the chat page's format (``web-`` + 32 lower-case hex digits)."""
    return isinstance(value, str) and _WEB_ID.fullmatch(value) is not None


def new_web_id() -> str:
    """A fresh chat-page conversation id: 128 random bits."""
    return WEB_ID_PREFIX + secrets.token_hex(16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SessionSigner:
    """Signs and checks chat-page conversation ids with one secret."""

    secret: bytes
    ttl_seconds: float = DEFAULT_TTL_DAYS * 86400
    clock: Callable[[], float] = time.time

    def _mac(self, session_id: str, expiry: int) -> str:
        message = f"{session_id}.{expiry}".encode()
        return _b64(hmac.new(self.secret, message, hashlib.sha256).digest())

    def token_for(self, session_id: str, expiry: int | None = None) -> str:
        """The token proving ``session_id`` until ``expiry`` (default: now + the lifetime)."""
        if expiry is None:
            expiry = int(self.clock() + self.ttl_seconds)
        return f"{expiry}.{self._mac(session_id, expiry)}"

    def verify(self, session_id: Any, token: Any) -> bool:
        """True when ``token`` is this server's unexpired token for ``session_id``.

        The id's format is not checked here (the server issues only ``web-`` ids,
        and only the secret's holder can make a token for any id); REST uses the
        format to decide that a token is required (:func:`is_web_id`).
        """
        if not isinstance(session_id, str) or not isinstance(token, str):
            return False
        match = _TOKEN.fullmatch(token)
        if match is None:
            return False
        expiry = int(match.group(1))
        if expiry <= self.clock():
            return False
        try:
            expected = self._mac(session_id, expiry)
        except UnicodeEncodeError:  # a lone surrogate: never an id this server issued
            return False
        return hmac.compare_digest(expected.encode("ascii"), match.group(2).encode("ascii"))

    def issue(self) -> tuple[str, str]:
        """A new conversation id and its token."""
        session_id = new_web_id()
        return session_id, self.token_for(session_id)


def ttl_seconds_from_env() -> float:
    raw = os.environ.get(TTL_ENV, "").strip()
    if not raw:
        return DEFAULT_TTL_DAYS * 86400
    try:
        days = float(raw)
    except ValueError:
        raise SessionSecretError(f"{TTL_ENV} must be a number of days, not {raw!r}") from None
    if not 0 < days <= 3650:
        raise SessionSecretError(f"{TTL_ENV} must be more than 0 and at most 3650 days")
    return days * 86400


_signer: SessionSigner | None = None


def signer_from_env() -> SessionSigner:
    """The process's signer (built once from BOT_SESSION_SECRET and BOT_SESSION_TTL_DAYS).

    Raises SessionSecretError for a secret shorter than 32 characters or a bad
    lifetime; without a secret, uses a random one for this process (warned).
    """
    global _signer
    if _signer is None:
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            logger.warning("%s is not set: chat-page conversations are signed with a random "
                           "secret of this process, so they do not survive a restart and are "
                           "not shared between replicas", SECRET_ENV)
            secret = secrets.token_urlsafe(32)
        elif len(secret) < MIN_SECRET_CHARS:
            raise SessionSecretError(
                f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters "
                "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        _signer = SessionSigner(secret.encode("utf-8"), ttl_seconds_from_env())
    return _signer


def reset_signer() -> None:
    """Forget the process's signer (tests that change the environment)."""
    global _signer
    _signer = None
