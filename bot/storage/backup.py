"""Back up and restore the conversations and the project's tables, without stopping anything.

    python -m bot.storage.backup backup  [--url URL] [--dir var/backups] [--keep 14]
    python -m bot.storage.backup restore FILE [--url URL] [--force]

``--url`` defaults to ``$DATABASE_URL``, else the SQLite file ``var/tracker.db`` (the
database ``make run`` uses). The tracker store and the project's tables live in that one
database, so one backup holds a whole conversation and the runner's profile together.

* SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot while the servers keep writing (a writer is never blocked for long: pages are
  copied in steps); the copy is checked with ``PRAGMA integrity_check``. File:
  ``heavylegs-sqlite-<UTC time>.db``.
* PostgreSQL: ``pg_dump --format=custom`` (one transaction snapshot, no lock that stops
  writers); ``pg_restore`` restores it. File: ``heavylegs-pg-<UTC time>.dump``. The
  password goes to the tools through ``PGPASSWORD``, never on a command line.

Restore writes into a database that is new or empty (a PostgreSQL database that does not
exist is created), and refuses one that already holds conversations unless ``--force``
(SQLite: the file is replaced; PostgreSQL: ``pg_restore --clean``). Backups older than
the newest ``--keep`` in the directory are deleted after a successful backup. Files are
written with mode 600: they hold health conversations. docs/operations.md says how often
to back up and where to keep the files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Dict, List, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.storage.db import ROOT, database_url, normalise_url

DEFAULT_DIR = ROOT / "var" / "backups"
PREFIX = "heavylegs-"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, with the reason for the operator."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"not a SQLite file: {url}")
    return Path(database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()],
    )
    if not candidates:
        raise BackupError(f"{name} not found (install PostgreSQL's client tools: make postgres)")
    return str(candidates[-1])


def _pg_args(url: str) -> tuple[List[str], Dict[str, str]]:
    """libpq connection options for ``url`` and an environment with its password."""
    parsed = make_url(url)
    args = [
        "--host",
        parsed.host or "127.0.0.1",
        "--port",
        str(parsed.port or 5432),
        "--username",
        parsed.username or "postgres",
        "--dbname",
        parsed.database or "postgres",
    ]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _private_file(path: Path) -> None:
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)


def backup(url: str | None = None, directory: Path = DEFAULT_DIR, keep: int = 14) -> Path:
    """Write one backup of ``url``'s database into ``directory``; return its path."""
    url = normalise_url(url or database_url())
    directory.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        target = directory / f"{PREFIX}sqlite-{_stamp()}.db"
        partial = target.with_suffix(".db.partial")
        _private_file(partial)
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst, pages=256, sleep=0.005)  # steps, so writers get turns
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if check != "ok":
            partial.unlink()
            raise BackupError(f"the copy failed SQLite's integrity check: {check}")
        partial.rename(target)
    elif backend == "postgresql":
        target = directory / f"{PREFIX}pg-{_stamp()}.dump"
        partial = target.with_suffix(".dump.partial")
        _private_file(partial)
        args, env = _pg_args(url)
        done = subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        partial.rename(target)
    else:
        raise BackupError(f"backups are made for SQLite and PostgreSQL, not {backend}")
    _prune(directory, target, keep)
    return target


def _prune(directory: Path, newest: Path, keep: int) -> None:
    kind = "sqlite" if newest.suffix == ".db" else "pg"
    ours = sorted(directory.glob(f"{PREFIX}{kind}-*{newest.suffix}"))
    for old in ours[:-keep] if keep > 0 else []:
        old.unlink()


def _has_conversations(engine: sa.engine.Engine) -> bool:
    return "events" in sa.inspect(engine).get_table_names()


def restore(backup_file: Path, url: str | None = None, force: bool = False) -> str:
    """Restore ``backup_file`` into ``url``'s database; return that URL."""
    url = normalise_url(url or database_url())
    backend = make_url(url).get_backend_name()
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    if backend == "sqlite":
        if backup_file.suffix != ".db":
            raise BackupError(f"{backup_file.name} is not a SQLite backup (.db)")
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size and not force:
            engine = sa.create_engine(url)
            try:
                busy = _has_conversations(engine)
            finally:
                engine.dispose()
            if busy:
                raise BackupError(
                    f"{target} already holds conversations; restore into a new file or use --force"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        _private_file(partial)
        with (
            closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
        for stale in (
            target.with_name(target.name + "-wal"),
            target.with_name(target.name + "-shm"),
        ):
            stale.unlink(missing_ok=True)
        partial.replace(target)
    elif backend == "postgresql":
        if backup_file.suffix != ".dump":
            raise BackupError(f"{backup_file.name} is not a PostgreSQL backup (.dump)")
        _create_pg_database_if_missing(url)
        engine = sa.create_engine(url)
        try:
            busy = _has_conversations(engine)
        finally:
            engine.dispose()
        if busy and not force:
            raise BackupError(
                f"{make_url(url).database} already holds conversations; "
                "restore into a new database or use --force"
            )
        args, env = _pg_args(url)
        command = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", *args]
        if busy:
            command += ["--clean", "--if-exists"]
        done = subprocess.run([*command, str(backup_file)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
    else:
        raise BackupError(f"restores are made for SQLite and PostgreSQL, not {backend}")
    return url


def _create_pg_database_if_missing(url: str) -> None:
    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first()
            if not exists:
                quoted = parsed.database.replace('"', '""')
                connection.execute(sa.text(f'CREATE DATABASE "{quoted}"'))
    finally:
        admin.dispose()


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup of the database")
    make.add_argument("--url", help="SQLAlchemy URL (default: $DATABASE_URL or var/tracker.db)")
    make.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    make.add_argument("--keep", type=int, default=14, help="backups of this kind to keep (0: all)")
    back = commands.add_parser("restore", help="restore a backup into a new or empty database")
    back.add_argument("file", type=Path)
    back.add_argument(
        "--url", help="the database to restore into (default: $DATABASE_URL or var/tracker.db)"
    )
    back.add_argument(
        "--force", action="store_true", help="replace a database that holds conversations"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            started = time.monotonic()
            path = backup(args.url, args.dir, args.keep)
            print(
                f"backup: {path} ({path.stat().st_size:,} bytes, "
                f"{time.monotonic() - started:.1f} s)"
            )
        else:
            url = restore(args.file, args.url, args.force)
            print(f"restore: {args.file} -> {_redacted(url)}")
    except (BackupError, sa.exc.SQLAlchemyError, OSError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
