"""The action server with a shared token: rasa_sdk's app plus a token check.

rasa_sdk 3.6 has no authentication: anyone who can reach its port can run any
action for any sender id (e.g. ``action_share_summary`` or ``action_forget_me``),
and its default CORS (``*``) lets any web page the runner opens do the same
through the browser. This module builds rasa_sdk's own Sanic app and adds:

* a request middleware: every route except ``GET /health`` needs the token from
  ``ACTIONS_TOKEN``, as ``Authorization: Bearer <token>`` (what Rasa sends, see
  ``action_endpoint.headers`` in the endpoints file), ``X-Actions-Token`` or
  ``?token=``; none gives 401, a wrong one 403 (constant-time comparison);
* no CORS headers at all (Rasa calls it server to server);
* errors answered without rasa_sdk's echo of the request body (the tracker);
* listening on 127.0.0.1 unless ``--host``/``ACTIONS_HOST`` says otherwise.

Run: ``ACTIONS_TOKEN=... python -m bot.security.action_server --port 5055``.
Without a token it refuses to start (exit 2) unless ``--allow-no-token`` is given.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from typing import Sequence

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_ENV = "ACTIONS_TOKEN"
OPEN_PATHS = frozenset({"/health"})
logger = logging.getLogger(__name__)


def supplied_token(request: Request) -> str | None:
    """The token the caller sent: Bearer header, X-Actions-Token header or ?token=."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    header = request.headers.get("x-actions-token")
    if header:
        return header.strip()
    query = request.args.get("token")
    return query or None


def add_token_check(app: Sanic, token: str) -> None:
    """Refuse every request but GET /health without the right token."""
    expected = token.encode()

    @app.middleware("request")
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
            return None
        given = supplied_token(request)
        if not given:
            return response.json({"error": "the action server token is missing"}, status=401)
        if not hmac.compare_digest(given.encode(), expected):
            return response.json({"error": "the action server token is wrong"}, status=403)
        return None


def create_app(token: str | None, actions: str = "actions") -> Sanic:
    """rasa_sdk's app for ``actions``, with the token check (when a token is given)."""
    from rasa_sdk.endpoint import create_app as sdk_create_app

    app = sdk_create_app(actions, cors_origins=None)
    if token:
        add_token_check(app, token)

    @app.exception(Exception)
    async def quiet_errors(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's handler answers with the request body (the whole tracker).
        logger.error("action server error: %s", type(exception).__name__)
        return response.json({"error": type(exception).__name__}, status=500)

    return app


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="package with the actions")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--allow-no-token", action="store_true",
                        help=f"start without {TOKEN_ENV} (anyone reaching the port can "
                             "run actions); only for local experiments")
    parser.add_argument("--loglevel", default="INFO")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token and not args.allow_no_token:
        print(f"action server: {TOKEN_ENV} is not set; refusing to start without a token "
              "(scripts/run.sh generates one into var/actions_token; "
              "--allow-no-token to run open)", file=sys.stderr)
        return 2
    if token and len(token) < 16:
        print(f"action server: {TOKEN_ENV} is too short (use at least 16 characters, e.g. "
              "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
              file=sys.stderr)
        return 2
    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    app = create_app(token or None, args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action server on http://%s:%s (token %s)", args.host, args.port,
                "required" if token else "NOT required")
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(),
            access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
