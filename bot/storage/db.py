"""Database URL, engines (cached by URL, built on first use) and sessions."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SQLITE_PATH = ROOT / "var" / "tracker.db"
URL_VARIABLE = "DATABASE_URL"


def normalise_url(url: str) -> str:
    """``postgres://`` (Heroku style) is spelled ``postgresql://`` by SQLAlchemy 1.4."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://"):]
    return url


def database_url() -> str:
    """``$DATABASE_URL`` when set, else the SQLite file ``var/tracker.db``."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return normalise_url(url)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


_ENGINES: Dict[str, Engine] = {}
_SESSIONS: Dict[str, sessionmaker] = {}
_LOCK = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default :func:`database_url`), built once per URL."""
    url = normalise_url(url or database_url())
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _create_engine(url)
        return engine


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The Rasa server and the action server share the file: wait for locks.
        return sa.create_engine(url, future=True, connect_args={"timeout": 30})
    return sa.create_engine(url, future=True, pool_pre_ping=True)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One session per call: committed on success, rolled back on error."""
    url = normalise_url(url or database_url())
    engine = get_engine(url)
    with _LOCK:
        factory = _SESSIONS.get(url)
        if factory is None:
            factory = _SESSIONS[url] = sessionmaker(bind=engine, future=True,
                                                    expire_on_commit=False)
    session: Session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_engines() -> None:
    """Close and forget every cached engine (tests stop databases between runs)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _SESSIONS.clear()
