"""The database lost mid-conversation, on a real PostgreSQL server and the real servers.

A runner is half-way through the questions; PostgreSQL is stopped; the runner and
another runner with a warning sign keep writing; PostgreSQL is started again and
the runner goes on. Required (docs/storage.md, docs/security.md):

* during the outage every turn is answered (200, never a 500 or a hang), with the
  note that the conversation could not be loaded (``bot.storage.outage.LOAD_NOTE``),
  and "I have chest pain" still gets the emergency advice first;
* the Rasa server keeps running;
* afterwards the conversation continues from its saved state: the stored events
  are unchanged, in order, without duplicates, and nothing said during the
  outage was written.

The note is sent by the channel layer (``bot/channels/turn_guard.py`` runs every
turn of every channel inside ``bot.storage.outage.watch_storage`` and sends the
note): here the project's own credentials.yml, so its REST channel, unchanged.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa

from bot.servers import RunningBot, running_bot
from bot.storage.outage import LOAD_NOTE, SAVE_NOTE
from tests.robustness.conftest import Answer, post_raw
from tests.storage.postgres import PostgresServer

TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer.running() as server:
        yield server


@pytest.fixture(scope="module")
def database(postgres: PostgresServer) -> str:
    return postgres.new_database()


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[RunningBot]:
    workdir = tmp_path_factory.mktemp("outage")
    with running_bot(workdir, token=TOKEN, tracker_store_url=database) as running:
        yield running


def say(bot: RunningBot, sender: str, text: str) -> Answer:
    return post_raw(f"{bot.url}/webhooks/rest/webhook",
                    json.dumps({"sender": sender, "message": text}).encode(), timeout=60)


def tracker(bot: RunningBot, sender: str) -> Dict[str, Any]:
    url = f"{bot.url}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def stored_rows(url: str, sender: str) -> List[Dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT id, type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender}).all()
    finally:
        engine.dispose()
    return [{"id": row.id, "type": row.type_name, "data": json.loads(row.data)} for row in rows]


def root_is_up(bot: RunningBot) -> bool:
    with urllib.request.urlopen(f"{bot.url}/", timeout=10) as response:
        return response.status == 200


def test_conversation_survives_a_lost_database(
    bot: RunningBot, postgres: PostgresServer, database: str
) -> None:
    runner = f"runner-{secrets.token_hex(6)}"
    other = f"runner-{secrets.token_hex(6)}"
    for text in ("my legs have felt really heavy on my runs lately", "about 50 km"):
        answer = say(bot, runner, text)
        assert answer.status == 200 and LOAD_NOTE not in answer.texts()
    before = tracker(bot, runner)
    assert before["slots"]["weekly_distance_km"] == 50.0
    assert before["slots"]["requested_slot"] == "distance_increase_pct"
    rows_before = stored_rows(database, runner)

    postgres.stop()
    try:
        answer = say(bot, runner, "went from 40 to 50")
        assert answer.status == 200, answer.body[:300]
        assert answer.seconds < 30
        assert LOAD_NOTE in answer.texts()

        for sender in (runner, other):
            answer = say(bot, sender, "I have chest pain")
            assert answer.status == 200, answer.body[:300]
            texts = answer.texts()
            assert "emergency number" in texts and LOAD_NOTE in texts
            # The escalation itself comes first, the note after it.
            assert texts.index("emergency number") < texts.index(LOAD_NOTE)
        assert root_is_up(bot)
    finally:
        postgres.start()

    # Back: the runner is where they were, and goes on.
    answer = say(bot, runner, "went from 40 to 50")
    assert answer.status == 200
    assert LOAD_NOTE not in answer.texts() and SAVE_NOTE not in answer.texts()
    after = tracker(bot, runner)
    assert after["events"][:len(before["events"])] == before["events"]
    assert after["slots"]["weekly_distance_km"] == 50.0
    assert after["slots"]["distance_increase_pct"] == 25.0
    assert after["slots"]["requested_slot"] == "sleep_hours"

    rows = stored_rows(database, runner)
    assert rows[:len(rows_before)] == rows_before  # nothing rewritten
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    keys = [(row["type"], row["data"].get("timestamp")) for row in rows]
    assert len(keys) == len(set(keys))  # no event written twice
    said = [row["data"].get("text") for row in rows if row["type"] == "user"]
    assert "I have chest pain" not in said
    assert said.count("went from 40 to 50") == 1
    # The other runner's outage turn was not written either.
    assert stored_rows(database, other) == []


def test_server_answers_promptly_after_recovery(bot: RunningBot) -> None:
    start = time.monotonic()
    answer = say(bot, f"runner-{secrets.token_hex(6)}", "my legs feel heavy")
    assert answer.status == 200 and LOAD_NOTE not in answer.texts()
    assert time.monotonic() - start < 30
