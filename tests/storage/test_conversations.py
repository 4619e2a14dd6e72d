"""The real servers on SQLite and on PostgreSQL: a conversation survives a
restart of both servers, a returning runner is recognised, forget-me can be
declined (everything kept), and forget-me leaves no row for the sender in any table."""

from __future__ import annotations

import secrets
from pathlib import Path

from bot.servers import running_bot
from bot.storage import repository
from tests.e2e.conftest import Chat


def _events(chat: Chat) -> list[dict]:
    return [{k: v for k, v in event.items()} for event in chat.tracker()["events"]]


def test_restart_returning_runner_and_forget_me(database_url: str, tmp_path: Path) -> None:
    token = secrets.token_hex(8)
    sender = f"runner-{secrets.token_hex(6)}"

    # First visit, interrupted by a restart of both servers mid-way through the questions.
    with running_bot(tmp_path / "first", token=token, tracker_store_url=database_url) as bot:
        chat = Chat(bot, sender)
        chat.say("my legs have felt really heavy on my runs lately")
        chat.say("about 50 km")
        chat.say("went from 40 to 50")
        assert chat.slot("requested_slot") == "sleep_hours"
        before = _events(chat)
    with running_bot(tmp_path / "second", token=token, tracker_store_url=database_url) as bot:
        chat = Chat(bot, sender)
        assert _events(chat) == before  # nothing lost
        slots = chat.tracker()["slots"]
        assert slots["weekly_distance_km"] == 50.0 and slots["requested_slot"] == "sleep_hours"
        chat.say("6 hours")
        chat.say("pretty balanced")
        explanation = chat.last_answer("about 700 km on them")
        assert chat.slot("likely_causes") and "700" in explanation
        assert repository.count_rows_for_sender(sender, url=database_url)["assessments"] == 1

        # A new visit: recognised, last time's figures offered for confirmation.
        chat.new_session()  # a new visit (as after the session expires)
        question = chat.text("my legs feel heavy again")
        assert "Welcome back" in question
        assert "50 km a week" in question and "still about right" in question
        assert chat.slot("weekly_distance_km") is None and chat.slot("recalled")
        chat.say("yes")
        assert chat.slot("weekly_distance_km") == 50.0
        assert chat.slot("requested_slot") == "distance_increase_pct"
        chat.say("went from 50 to 60")
        chat.say("7 and a half")
        shoes = chat.text("balanced")
        assert "same pair" in shoes and "700 km" in shoes
        explanation = chat.last_answer("yes")
        assert chat.slot("shoe_distance_km") == 700.0
        assert "Compared with last time" in explanation and "sleep got better" in explanation
        assert "weekly distance went up again (50 to 60 km)" in explanation
        summary = chat.text("can I get a summary for my physio")
        assert "Likely causes" in summary and "not a diagnosis" in summary
        assert repository.count_rows_for_sender(sender, url=database_url)["assessments"] == 2

        # Another runner on the same servers declines forget-me: everything is kept.
        # (On the running servers rather than a third start-up: each costs ~35 s.)
        other = Chat(bot)
        other.say("I run 30 km a week, sleep 7 hours, shoes have 200 km, legs feel heavy")
        other.say("steady")
        other.last_answer("balanced")
        other.say("forget me")
        assert "haven't deleted" in other.text("no")
        counts = repository.count_rows_for_sender(other.sender, url=database_url)
        assert counts["assessments"] == 1 and counts["events"] > 0

        # Forget me: asked to confirm, then nothing is left in any table.
        assert "delete" in chat.text("please delete my data").lower()
        done = chat.text("yes")
        assert "deleted" in done
        assert repository.count_rows_for_sender(sender, url=database_url) == {
            "runner_profiles": 0, "assessments": 0, "events": 0}
