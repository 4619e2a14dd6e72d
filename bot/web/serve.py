"""Serve the chat page (``build/web/``) and its config, for ``make run``.

    python -m bot.web.serve --port 8080 --rasa-url http://127.0.0.1:5005

The page (``web/src/``, built into ``build/web/`` by ``scripts/build_web.sh``) talks
to Rasa's socket.io channel directly; this server only hands out the files and
``/config.json`` (where the socket is). It binds 127.0.0.1 unless told otherwise.
Rasa must allow this page's origin with ``--cors`` (see docs/web.md).

The same files are the widget other sites embed (``<script src=".../widget.js">``):
the sites on the allow-list (``bot.web.origins``) get ``Access-Control-Allow-Origin``
for them, which the widget's lazily imported socket.io module and ``config.json``
need; other sites get no CORS header, so their pages cannot import or read them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import web

from bot.web.origins import BadOrigin, allowed_origins, is_allowed

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROOT = ROOT / "build" / "web"
DEFAULT_PORT = 8080
DEFAULT_RASA_URL = "http://127.0.0.1:5005"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL; raises ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def page_config(rasa_url: str) -> dict:
    """What the page needs to know: where Rasa's socket.io endpoint is."""
    return {
        "socketUrl": origin_of(rasa_url),
        "socketPath": "/socket.io",
        "userMessageEvent": "user_uttered",
        "botMessageEvent": "bot_uttered",
    }


def security_headers(rasa_url: str) -> dict:
    """Headers sent with every answer: the page may talk to itself and to Rasa only."""
    rasa = origin_of(rasa_url)
    socket = rasa.replace("http", "ws", 1)
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src 'self' {rasa} {socket}; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(root: Path, rasa_url: str, origins: Sequence[str] = ()) -> web.Application:
    """The page server; ``origins``: the sites that may embed the widget (CORS)."""
    root = root.resolve()
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"{root / 'index.html'} is missing: run scripts/build_web.sh")
    config = json.dumps(page_config(rasa_url))
    headers = security_headers(rasa_url)

    @web.middleware
    async def add_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers.update(headers)
            raise
        response.headers.update(headers)
        origin = request.headers.get("Origin")
        if origin and is_allowed(origin, origins):
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        return response

    async def index(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(root / "index.html")

    async def config_json(_: web.Request) -> web.Response:
        return web.Response(text=config, content_type="application/json")

    app = web.Application(middlewares=[add_headers])
    app.router.add_get("/", index)
    app.router.add_get("/config.json", config_json)
    app.router.add_static("/", root, follow_symlinks=False)
    return app


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", DEFAULT_PORT)))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", DEFAULT_RASA_URL),
                        help="where the page finds Rasa's socket.io channel")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the built page")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        app = make_app(args.root, args.rasa_url, allowed_origins())
    except (FileNotFoundError, ValueError, BadOrigin) as error:
        print(f"bot.web.serve: {error}", file=sys.stderr)
        return 2
    print(f"Chat page: http://{args.host}:{args.port}/ (Rasa at {origin_of(args.rasa_url)})",
          flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None,
                handle_signals=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
