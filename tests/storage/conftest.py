"""Databases for the storage tests: a SQLite file, and a real PostgreSQL server
that the fixture starts itself (initdb + pg_ctl in a temporary directory, on a
free local port, as the ``postgres`` user when run as root)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.storage.db import dispose_engines
from tests.storage.postgres import PostgresServer, new_postgres_database

__all__ = ["new_postgres_database", "postgres_server", "database_url"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this test session; yields its base URL (no database)."""
    with PostgresServer.running() as server:
        try:
            yield server.url
        finally:
            dispose_engines()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        yield new_postgres_database(request.getfixturevalue("postgres_server"))
    dispose_engines()
