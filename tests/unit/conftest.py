"""Unit tests never touch the project's var/tracker.db: each test session gets
its own migrated SQLite file for the actions that store assessments."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.storage.db import dispose_engines
from bot.storage.migrate import upgrade


@pytest.fixture(scope="session", autouse=True)
def unit_test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'unit.db'}"
    patcher = pytest.MonkeyPatch()
    patcher.setenv("DATABASE_URL", url)
    upgrade(url)
    yield url
    dispose_engines()
    patcher.undo()
