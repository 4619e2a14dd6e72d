"""The project's tracker store when PostgreSQL is lost and comes back (no Rasa server:
the store is called as Rasa's processor calls it, through FailSafeTrackerStore).

* a failed read gives a detached blank tracker that is never saved, and reports LOAD;
* a failed write reports SAVE and leaves the stored conversation as it was;
* a tracker that does not continue the stored conversation is not appended to it;
* after the restart the stored conversation is read again, unchanged.
"""

from __future__ import annotations

import asyncio
import time
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.storage import outage
from bot.storage.db import ROOT
from bot.storage.endpoints import tracker_store_config
from bot.storage.tracker_store import ForgetfulSQLTrackerStore, is_detached
from tests.storage.postgres import PostgresServer


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with PostgresServer.running() as server:
        yield server


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def make_store(url: str, domain: Domain) -> FailSafeTrackerStore:
    config = tracker_store_config(url)
    config.pop("type")
    store = ForgetfulSQLTrackerStore(
        domain=domain, dialect=config.pop("dialect"), host=config.pop("url", None), **config)
    return FailSafeTrackerStore(store)  # as Rasa's Agent wraps it


def run(coroutine):  # noqa: ANN001, ANN201 - a small helper for async store calls
    return asyncio.run(coroutine)


def stored(url: str, sender: str) -> List[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, type_name, timestamp FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender}).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def started(store: FailSafeTrackerStore, sender: str, domain: Domain):  # noqa: ANN201
    tracker = run(store.get_or_create_tracker(sender, append_action_listen=False))
    now = time.time()
    for offset, event in enumerate([
        ActionExecuted("action_session_start"), SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("my legs feel heavy", {"name": "heavy_legs", "confidence": 1.0}),
        SlotSet("weekly_distance_km", 40.0),
    ]):
        event.timestamp = now + offset / 1000
        tracker.update(event, domain)
    run(store.save(tracker))
    return tracker


def test_lost_database_read_write_and_recovery(server: PostgresServer, domain: Domain) -> None:
    url = server.new_database()
    store = make_store(url, domain)
    sender = "runner-outage"
    started(store, sender, domain)
    before = stored(url, sender)
    assert len(before) == 5

    # Loaded while the database was up, then the database goes before the save.
    tracker = run(store.retrieve(sender))
    assert tracker.get_slot("weekly_distance_km") == 40.0
    tracker.update(UserUttered("about 50", {"name": "inform", "confidence": 1.0}), domain)
    server.stop()
    try:
        with outage.watch_storage() as problems:
            start = time.monotonic()
            run(store.save(tracker))
            assert time.monotonic() - start < 10
        assert problems == [outage.SAVE]
        assert outage.storage_note(problems) == outage.SAVE_NOTE

        # A read during the outage: a blank detached tracker, never saved.
        with outage.watch_storage() as problems:
            detached = run(store.get_or_create_tracker(sender, append_action_listen=False))
            assert is_detached(detached) and not detached.events
            detached.update(UserUttered("I have chest pain", {"name": "x", "confidence": 1}),
                            domain)
            run(store.save(detached))
        assert problems == [outage.LOAD]
        assert outage.storage_note(problems) == outage.LOAD_NOTE
    finally:
        server.start()

    # The database is back: the detached tracker is still not written.
    run(store.save(detached))
    assert stored(url, sender) == before
    again = run(store.retrieve(sender))
    assert not is_detached(again)
    assert again.get_slot("weekly_distance_km") == 40.0
    # As read before the outage (Rasa reads the session from its SessionStarted on).
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events][:4]

    # The conversation goes on from the saved state, appended once, in order.
    again.update(UserUttered("about 50", {"name": "inform", "confidence": 1.0}), domain)
    with outage.watch_storage() as problems:
        run(store.save(again))
        run(store.save(again))  # a second save adds nothing
    assert problems == []
    after = stored(url, sender)
    assert after[:5] == before and len(after) == 6


def test_a_tracker_that_does_not_continue_the_stored_one_is_not_appended(
    server: PostgresServer, domain: Domain
) -> None:
    url = server.new_database()
    store = make_store(url, domain)
    started(store, "runner-a", domain)
    before = stored(url, "runner-a")
    # What Rasa's FailSafeTrackerStore did: a new tracker for a known sender, longer
    # than the stored conversation. Rasa's save would append its tail.
    stranger = started(make_store(url, domain), "runner-b", domain)
    stranger.sender_id = "runner-a"
    stranger.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}), domain)
    with outage.watch_storage() as problems:
        run(store.save(stranger))
    assert problems == [outage.SAVE]
    assert stored(url, "runner-a") == before
