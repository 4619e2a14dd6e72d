"""JSON Web Tokens for Rasa's HTTP API: ``python -m bot.security.api_token``.

With ``BOT_JWT_SECRET`` set, ``scripts/run.sh`` starts Rasa with
``--jwt-secret $BOT_JWT_SECRET --jwt-method HS256``; callers then send
``Authorization: Bearer <jwt>`` (a header, so the credential stays out of access
logs, unlike ``?token=``). Rasa 3.6 (``rasa.server.requires_auth``) reads the
payload's ``user`` object:

* ``{"user": {"username": "...", "role": "admin"}}`` may call every endpoint;
* ``{"user": {"username": "<conversation id>", "role": "user"}}`` may call only the
  endpoints of that conversation (``/conversations/<id>/...``), others give 403.

sanic-jwt checks the signature and ``exp`` (with 3 minutes' leeway). It does not
require ``exp``: a token minted without one would be valid for ever, so this tool
always sets it.

Examples::

    python -m bot.security.api_token --new-secret          # a secret for BOT_JWT_SECRET
    BOT_JWT_SECRET=... python -m bot.security.api_token    # admin, valid 1 hour
    BOT_JWT_SECRET=... python -m bot.security.api_token --runner SENDER_ID --ttl 600
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from typing import Any, Dict, Sequence

import jwt

SECRET_ENV = "BOT_JWT_SECRET"
ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32  # HS256 keys should carry at least 256 bits
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 30 * 24 * 3600


def payload(username: str, role: str, ttl_seconds: int,
            now: float | None = None) -> Dict[str, Any]:
    """The claims Rasa 3.6 expects, with issue and expiry times."""
    if role not in ("admin", "user"):
        raise ValueError("role must be 'admin' or 'user'")
    if ttl_seconds <= 0 or ttl_seconds > MAX_TTL_SECONDS:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL_SECONDS} seconds")
    issued = int(now if now is not None else time.time())
    return {"user": {"username": username, "role": role},
            "iat": issued, "exp": issued + int(ttl_seconds)}


def mint(secret: str, username: str = "admin", role: str = "admin",
         ttl_seconds: int = DEFAULT_TTL_SECONDS, now: float | None = None) -> str:
    """A signed HS256 token for the HTTP API."""
    token = jwt.encode(payload(username, role, ttl_seconds, now), secret, algorithm=ALGORITHM)
    return token if isinstance(token, str) else token.decode()


def check_secret(secret: str) -> str | None:
    """None when ``secret`` is usable, else the problem."""
    if len(secret) < MIN_SECRET_CHARS:
        return (f"{SECRET_ENV} is too short (use at least {MIN_SECRET_CHARS} characters, "
                "e.g. python -m bot.security.api_token --new-secret)")
    return None


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--admin", default="admin", metavar="NAME",
                     help="an admin token for NAME (default)")
    who.add_argument("--runner", metavar="CONVERSATION_ID",
                     help="a token limited to one conversation")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS,
                        help=f"seconds until it expires (default {DEFAULT_TTL_SECONDS})")
    parser.add_argument("--new-secret", action="store_true",
                        help=f"print a new random secret for {SECRET_ENV} and exit")
    args = parser.parse_args(argv)
    if args.new_secret:
        print(new_secret())
        return 0
    # The secret comes from the environment only, never the command line (ps shows argv).
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        print(f"api_token: {SECRET_ENV} is not set", file=sys.stderr)
        return 2
    problem = check_secret(secret)
    if problem:
        print(f"api_token: {problem}", file=sys.stderr)
        return 2
    try:
        if args.runner is not None:
            token = mint(secret, args.runner, "user", args.ttl)
        else:
            token = mint(secret, args.admin, "admin", args.ttl)
    except ValueError as error:
        print(f"api_token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
