"""The web origins the chat widget may be embedded on (docs/web.md, "Only the sites you allow").

One list, from the environment, used everywhere a browser's origin is judged:

* ``WEB_ORIGIN``: the chat page's own origin (``make run``: ``http://127.0.0.1:8080``);
* ``ALLOWED_ORIGINS``: the other sites that embed the widget, separated by spaces or
  commas (``https://club.example.org https://physio.example.com``).

Rasa's ``--cors`` (HTTP), the socket.io channel (``bot.web.channel``: the polling
*and* the websocket transport) and the page server (the widget's files and
``config.json``) all take their list from :func:`allowed_origins`, so they cannot
disagree. Each entry must be an exact origin: ``scheme://host[:port]``, http or
https, no path, no wildcard. ``python -m bot.web.origins`` prints the list for shell
scripts (``rasa run --cors $(python -m bot.web.origins)``) and fails on a bad entry.
"""

from __future__ import annotations

import os
import re
import sys
from typing import List, Mapping, Sequence
from urllib.parse import urlsplit

_SEPARATORS = re.compile(r"[\s,]+")


class BadOrigin(ValueError):
    """An entry of WEB_ORIGIN / ALLOWED_ORIGINS that is not an exact origin."""


def exact_origin(value: str) -> str:
    """``value`` as a normalised origin (lower-case scheme and host, no default port)."""
    if "*" in value:
        raise BadOrigin(f"{value!r}: wildcards are not allowed, name each site")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOrigin(f"{value!r} is not an http(s) origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise BadOrigin(f"{value!r}: an origin is scheme://host[:port], without a path")
    try:
        port = parts.port
    except ValueError as error:
        raise BadOrigin(f"{value!r}: {error}") from None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(text: str) -> List[str]:
    return [exact_origin(entry) for entry in _SEPARATORS.split(text.strip()) if entry]


def allowed_origins(environ: Mapping[str, str] | None = None) -> List[str]:
    """WEB_ORIGIN then ALLOWED_ORIGINS, normalised, without repeats (BadOrigin on junk)."""
    env = os.environ if environ is None else environ
    seen: List[str] = []
    for name in ("WEB_ORIGIN", "ALLOWED_ORIGINS"):
        for origin in parse_origins(env.get(name, "")):
            if origin not in seen:
                seen.append(origin)
    return seen


def is_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    """Whether a request's ``Origin`` header is on the list.

    A request without ``Origin`` is not a browser's cross-site request (the Python
    socket.io client, curl, the Telegram and Slack webhooks): browsers send ``Origin``
    on every socket.io request, polling and websocket alike, so the list still decides
    for every page. ``Origin: null`` (sandboxed frames, file:// pages) is refused.
    """
    if origin is None:
        return True
    try:
        return exact_origin(origin) in allowed
    except BadOrigin:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    try:
        origins = allowed_origins()
    except BadOrigin as error:
        print(f"bot.web.origins: {error}", file=sys.stderr)
        return 2
    if not origins:
        print("bot.web.origins: set WEB_ORIGIN (the chat page) and/or ALLOWED_ORIGINS",
              file=sys.stderr)
        return 2
    print(" ".join(origins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
