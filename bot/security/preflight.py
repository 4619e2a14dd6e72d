"""Checks before the servers start, with one clear line per problem.

Without them: an unreachable database makes Rasa's SQL tracker store retry
every 5 s for ever (no error, no answer), and a missing or corrupt model ends
in a long traceback. ``scripts/run.sh`` runs ``python -m bot.security.preflight``
first; exit status 1 and messages on stderr when something is wrong.

``--api-only --api-host HOST`` checks only the HTTP API's authentication (run.sh
runs it before writing anything): Rasa's ``--enable-api`` on an interface other
than loopback needs ``BOT_JWT_SECRET`` or ``BOT_API_TOKEN`` (or ``BOT_ENABLE_API=0``
to serve the channels without the API), and a secret that is set must be long
enough wherever the API listens.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tarfile
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def check_model(path: Path | None) -> str | None:
    """None when ``path`` is a readable Rasa model archive, else the problem."""
    if path is None:
        current = ROOT / "models" / "current"
        if not current.exists():
            return "no trained model: models/current is missing (run `make train`)"
        path = ROOT / "models" / current.read_text().strip()
    if not path.exists():
        return f"model {path} does not exist (run `make train`)"
    try:
        with tarfile.open(path, "r:gz") as archive:
            names = set(archive.getnames())
    except (tarfile.TarError, OSError, EOFError) as error:
        return f"model {path} is not a readable model archive ({type(error).__name__}); " \
               "delete it and run `make train`"
    if not any(name.lstrip("/").startswith("metadata.json") for name in names):
        return f"model {path} has no metadata.json: not a Rasa model; run `make train`"
    return check_safety_actions(path)


def check_safety_actions(path: Path) -> str | None:
    """None when the model's domain has every escalation response and action."""
    import json

    from bot.dialogue.safety_names import missing_safety_actions

    try:
        with tarfile.open(path, "r:gz") as archive:
            member = next(m for m in archive.getmembers()
                          if m.name.lstrip("/") == "metadata.json")
            handle = archive.extractfile(member)
            domain = json.load(handle)["domain"] if handle else {}
    except (StopIteration, tarfile.TarError, OSError, EOFError, ValueError, KeyError) as error:
        return f"model {path}: cannot read its domain ({type(error).__name__}); run `make train`"
    names = [*(domain.get("actions") or []), *(domain.get("responses") or {}),
             *(domain.get("forms") or {})]
    missing = missing_safety_actions(names)
    if missing:
        return (f"model {path} lacks the escalation actions/responses {', '.join(missing)}: "
                "warning signs could not be answered; fix domain.yml and run `make train`")
    return None


def check_database(url: str, timeout: int = 5) -> str | None:
    """None when the database answers ``SELECT 1`` within ``timeout`` seconds."""
    import sqlalchemy as sa

    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any parse error is a bad URL
        return "DATABASE_URL is not a valid database URL"
    shown = parsed.render_as_string(hide_password=True)
    connect_args = {"connect_timeout": timeout} if parsed.get_backend_name() == "postgresql" \
        else {}
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - reported, not raised
        reason = str(getattr(error, "orig", error)).strip().splitlines()
        return f"database {shown} is unreachable: {type(error).__name__}: " \
               f"{reason[0] if reason else ''} (check DATABASE_URL and that the server runs)"
    return None


MIN_API_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an interface address or name) is reachable only locally."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name or 0.0.0.0-like value: assume reachable


def check_api_auth(host: str, enable_api: bool = True, api_token: str = "",
                   jwt_secret: str = "") -> str | None:
    """None when the HTTP API may start as configured, else the problem."""
    from bot.security.api_token import SECRET_ENV, check_secret

    if jwt_secret:
        problem = check_secret(jwt_secret)
        if problem:
            return problem
    if api_token and len(api_token) < MIN_API_TOKEN_CHARS:
        return f"BOT_API_TOKEN is too short (use at least {MIN_API_TOKEN_CHARS} characters)"
    if not enable_api or jwt_secret or api_token or is_loopback(host):
        return None
    return (f"the HTTP API would listen on {host} without authentication: set {SECRET_ENV} "
            "(JWT in an Authorization header; python -m bot.security.api_token --new-secret) "
            "or BOT_API_TOKEN, or BOT_ENABLE_API=0 to serve only the channels")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model archive (default: models/current)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or DEFAULT_DATABASE)
    parser.add_argument("--api-host", help="check the HTTP API's authentication for this "
                        "interface (BOT_API_TOKEN, BOT_JWT_SECRET, BOT_ENABLE_API)")
    parser.add_argument("--api-only", action="store_true",
                        help="check only the HTTP API's authentication")
    args = parser.parse_args(argv)
    checks = []
    if args.api_host is not None:
        checks.append(check_api_auth(
            args.api_host, enable_api=os.environ.get("BOT_ENABLE_API", "1") != "0",
            api_token=os.environ.get("BOT_API_TOKEN", ""),
            jwt_secret=os.environ.get("BOT_JWT_SECRET", "")))
    if not args.api_only:
        checks += [check_model(args.model), check_database(args.database_url)]
    problems = [p for p in checks if p]
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
