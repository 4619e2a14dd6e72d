"""Add the action server token to an endpoints file: ``python -m bot.security.endpoints FILE``.

Sets ``action_endpoint.headers.Authorization: Bearer ${ACTIONS_TOKEN}``; the value
stays a placeholder that Rasa fills in from its environment (unquoted, because
Rasa expands ``${VAR}`` only in plain YAML scalars). Used by scripts/run.sh on
var/endpoints.yml, so endpoints.yml itself keeps working without the variable
(``make shell``, ``make conversations``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HEADER = "Bearer ${ACTIONS_TOKEN}"


def add_token_header(path: Path) -> None:
    config = yaml.safe_load(path.read_text()) or {}
    endpoint = config.get("action_endpoint")
    if not isinstance(endpoint, dict):
        raise SystemExit(f"{path}: no action_endpoint to protect")
    endpoint.setdefault("headers", {})["Authorization"] = HEADER
    text = yaml.safe_dump(config, sort_keys=False)
    assert f"Authorization: {HEADER}\n" in text  # plain scalar, so Rasa expands it
    path.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m bot.security.endpoints ENDPOINTS_FILE")
    add_token_header(Path(sys.argv[1]))
