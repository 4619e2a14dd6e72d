"""Rasa endpoints for the chosen database.

``python -m bot.storage.endpoints --out var/endpoints.yml`` (run by ``make run``)
copies endpoints.yml and, when ``$DATABASE_URL`` is set (e.g.
``postgresql://user:pw@host:5432/db``), points the tracker store at it. The
password is not written: the file says ``${DATABASE_PASSWORD}`` and Rasa fills
it in from the environment (``--password`` prints it for scripts/run.sh).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict

import sqlalchemy as sa
import yaml

from bot.storage.db import ROOT, URL_VARIABLE, normalise_url

STORE_TYPE = "bot.storage.tracker_store.ForgetfulSQLTrackerStore"


def tracker_store_config(url: str, password: str | None = None) -> Dict[str, Any]:
    """Rasa SQL tracker store settings (dialect, url, port, db, ...) for a URL.

    ``password`` replaces the URL's password in the result (e.g. a ``${VAR}``).
    """
    parsed = sa.engine.make_url(normalise_url(url))
    config: Dict[str, Any] = {"type": STORE_TYPE, "dialect": parsed.drivername,
                              "db": parsed.database}
    if parsed.host:
        config["url"] = parsed.host
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if password is not None or parsed.password:
        config["password"] = password if password is not None else parsed.password
    if parsed.query:
        config["query"] = dict(parsed.query)
    return config


def build_endpoints(source: Path, url: str | None) -> Dict[str, Any]:
    endpoints = yaml.safe_load(source.read_text()) or {}
    if url:
        has_password = sa.engine.make_url(normalise_url(url)).password is not None
        endpoints["tracker_store"] = tracker_store_config(
            url, "${DATABASE_PASSWORD}" if has_password else None)
    return endpoints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--password", action="store_true",
                        help="print the password of $DATABASE_URL (empty if none)")
    args = parser.parse_args(argv)
    url = os.environ.get(URL_VARIABLE, "").strip() or None
    if args.password:
        print(sa.engine.make_url(normalise_url(url)).password or "" if url else "")
        return 0
    if args.out is None:
        parser.error("--out is required")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(build_endpoints(args.source, url), sort_keys=False))
    backend = sa.engine.make_url(normalise_url(url)).get_backend_name() if url else "sqlite"
    print(f"Tracker store and profiles: {backend} ({'$DATABASE_URL' if url else 'var/tracker.db'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
