"""A throw-away PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary
directory, on a free local port, as the ``postgres`` user when run as root.

It can be stopped and started again (same data, same port) to test what happens
when the database is lost while the bot runs (tests/robustness/test_database_outage.py).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from bot.servers import free_port


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        pytest.fail("PostgreSQL is not installed (make storage-test installs it: "
                    "apt-get install -y postgresql)")
    return Path(found[-1]).parent


def _as_db_user(command: List[str]) -> List[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresServer:
    """One server; :attr:`url` is its base URL (no database)."""

    def __init__(self) -> None:
        self.bindir = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="heavylegs-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "sockets"
        self.sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self.port = free_port()
        self.log = self.root / "server.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        subprocess.run(_as_db_user([str(self.bindir / "initdb"), "-D", str(self.data),
                                    "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                    "--no-sync"]),
                       check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run(_as_db_user([
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "60", "-o",
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start"]), check=True, capture_output=True)

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, new ones refused."""
        subprocess.run(_as_db_user([str(self.bindir / "pg_ctl"), "-D", str(self.data),
                                    "-m", "fast", "-w", "stop"]), capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator["PostgresServer"]:
        """A started server, removed (stopped, files deleted) afterwards."""
        server = cls()
        server.start()
        try:
            yield server
        finally:
            server.remove()

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        return new_postgres_database(self.url)


def new_postgres_database(server_url: str) -> str:
    name = f"heavylegs_{secrets.token_hex(4)}"
    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server_url}/{name}"
