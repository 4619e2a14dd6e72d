"""Add the action server token to an endpoints file: ``python -m bot.security.endpoints FILE``.

Sets ``action_endpoint.headers.Authorization: Bearer ${ACTIONS_TOKEN}``; the value
stays a placeholder that Rasa fills in from its environment (unquoted, because
Rasa expands ``${VAR}`` only in plain YAML scalars). Used by scripts/run.sh on
var/endpoints.yml, and by scripts/with_action_server.sh (``make shell``,
``make conversations``) on a copy of endpoints.yml, so endpoints.yml itself
stays unchanged.

``--source FILE`` copies FILE to the target first; ``--url URL`` replaces the
action endpoint's URL (e.g. another port).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HEADER = "Bearer ${ACTIONS_TOKEN}"


def add_token_header(path: Path, source: Path | None = None, url: str | None = None) -> None:
    config = yaml.safe_load((source or path).read_text()) or {}
    endpoint = config.get("action_endpoint")
    if not isinstance(endpoint, dict):
        raise SystemExit(f"{source or path}: no action_endpoint to protect")
    if url:
        endpoint["url"] = url
    endpoint.setdefault("headers", {})["Authorization"] = HEADER
    text = yaml.safe_dump(config, sort_keys=False)
    assert f"Authorization: {HEADER}\n" in text  # plain scalar, so Rasa expands it
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="the endpoints file to write")
    parser.add_argument("--source", type=Path, help="copy this endpoints file first")
    parser.add_argument("--url", help="the action server's webhook URL")
    args = parser.parse_args(argv)
    add_token_header(args.file, args.source, args.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
