"""The repository on SQLite and PostgreSQL: save, recall, forget, purge."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.storage import repository
from bot.storage.migrate import upgrade
from bot.storage.recall import compare_with_last, confirmation_question, recall, summary_text


def _with_events(url: str, rows: list[tuple[str, float]]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) "
            "NOT NULL, type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))
        for number, (sender, timestamp) in enumerate(rows, start=1):
            connection.execute(sa.text(
                "INSERT INTO events (id, sender_id, type_name, timestamp) "
                "VALUES (:id, :s, 'user', :t)"), {"id": number, "s": sender, "t": timestamp})
    engine.dispose()


def test_save_recall_and_prefill(database_url: str) -> None:
    upgrade(database_url)
    then = datetime(2024, 6, 1, 8, 0)
    repository.save_assessment(
        "rest", "ann", {"weekly_distance_km": 50.0, "shoe_distance_km": 700.0, "sleep_hours": 6.0,
                        "distance_increase_pct": 25.0, "diet_factors": ["balanced"],
                        "symptoms": ["heavy"]},
        ["training_load", "sleep"], when=then, url=database_url)
    profile, assessment = repository.find_runner(None, "ann", url=database_url)
    recalled = recall(profile, assessment, then + timedelta(days=12))
    assert recalled["days_ago"] == 12 and recalled["shoe_estimate_km"] == 790.0
    question = confirmation_question("shoe_distance_km", recalled)
    assert question == ("12 days ago your shoes had 700 km and you run about 50 km a week: "
                        "are they the same pair, so about 790 km now?")
    comparison = compare_with_last(assessment, {"weekly_distance_km": 60.0, "sleep_hours": 7.5})
    assert "went up again" in comparison and "sleep got better" in comparison
    summary = summary_text(assessment)
    assert "2024-06-01" in summary and "Training load" in summary and "heavy" in summary
    assert repository.find_runner("telegram", "ann", url=database_url) == (None, None)


def test_forget_leaves_no_row_for_the_sender(database_url: str) -> None:
    upgrade(database_url)
    _with_events(database_url, [("ann", 1.0), ("ann", 2.0), ("bob", 3.0)])
    for channel in ("rest", "telegram"):
        repository.save_assessment(channel, "ann", {"weekly_distance_km": 30.0}, ["sleep"],
                                   url=database_url)
    repository.save_assessment("rest", "bob", {"weekly_distance_km": 20.0}, ["shoes"],
                               url=database_url)
    removed = repository.forget_sender("ann", url=database_url)
    assert removed == {"runner_profiles": 2, "assessments": 2, "events": 2}
    assert repository.count_rows_for_sender("ann", url=database_url) == {
        "runner_profiles": 0, "assessments": 0, "events": 0}
    assert repository.count_rows_for_sender("bob", url=database_url) == {
        "runner_profiles": 1, "assessments": 1, "events": 1}


def test_purge_removes_only_what_is_older(database_url: str) -> None:
    upgrade(database_url)
    now = datetime(2024, 6, 30)
    old, recent = now - timedelta(days=40), now - timedelta(days=5)
    epoch = datetime(1970, 1, 1)
    _with_events(database_url, [("old", (old - epoch).total_seconds()),
                                ("new", (old - epoch).total_seconds()),
                                ("new", (recent - epoch).total_seconds())])
    repository.save_assessment("rest", "old", {"sleep_hours": 6.0}, ["sleep"], when=old,
                               url=database_url)
    repository.save_assessment("rest", "new", {"sleep_hours": 6.0}, ["sleep"], when=old,
                               url=database_url)
    repository.save_assessment("rest", "new", {"sleep_hours": 7.0}, ["sleep"], when=recent,
                               url=database_url)
    removed = repository.purge_older_than(30, url=database_url, now=now)
    assert removed == {"runner_profiles": 1, "assessments": 2, "events": 1}
    assert repository.count_rows_for_sender("old", url=database_url) == {
        "runner_profiles": 0, "assessments": 0, "events": 0}
    assert repository.count_rows_for_sender("new", url=database_url) == {
        "runner_profiles": 1, "assessments": 1, "events": 2}
