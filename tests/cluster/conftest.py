"""A real redis-server per test session (bot.cluster.redis_server), and the
PostgreSQL server of the storage tests."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from bot.cluster.redis_server import running_redis
from tests.storage.conftest import new_postgres_database, postgres_server  # noqa: F401

__all__ = ["new_postgres_database", "postgres_server"]


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    with running_redis() as port:
        yield port


@pytest.fixture
def redis_client(redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=redis_port, db=1)
    client.flushdb()
    yield client
    client.close()
