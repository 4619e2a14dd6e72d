"""Alembic migrations: an old database (first revision, with data) upgrades to head."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from bot.storage import repository
from bot.storage.migrate import upgrade


def test_old_database_upgrades_to_head_with_its_data(database_url: str) -> None:
    upgrade(database_url, "0001")
    engine = sa.create_engine(database_url)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("assessments")}
    assert "red_flags" not in columns  # really the old schema
    created = datetime(2024, 5, 1, 9, 30)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO runner_profiles (channel, sender_id, created_at, updated_at, "
            "weekly_distance_km, weekly_distance_at, shoe_distance_km, shoe_distance_at) "
            "VALUES ('rest', 'old-runner', :t, :t, 50, :t, 700, :t)"), {"t": created})
        profile_id = connection.execute(sa.text(
            "SELECT id FROM runner_profiles WHERE sender_id = 'old-runner'")).scalar_one()
        connection.execute(sa.text(
            "INSERT INTO assessments (profile_id, created_at, answers, likely_causes, "
            "escalation_level) VALUES (:p, :t, :answers, :causes, 'see_professional')"),
            {"p": profile_id, "t": created, "answers": json.dumps({"weekly_distance_km": 50,
                                                  "red_flags": ["swelling"]}),
             "causes": json.dumps(["training_load", "shoes"])})
    engine.dispose()

    upgrade(database_url, "head")

    profile, assessment = repository.find_runner("rest", "old-runner", url=database_url)
    assert profile["weekly_distance_km"] == 50 and profile["shoe_distance_km"] == 700
    assert profile["shoe_distance_at"] == created and profile["diet_factors"] == []
    assert assessment["likely_causes"] == ["training_load", "shoes"]
    assert assessment["escalation_level"] == "see_professional"
    assert assessment["red_flags"] == ["swelling"]  # moved out of the answers
    assert assessment["created_at"] == created
    # The upgraded database takes new data through the current models.
    repository.save_assessment("rest", "old-runner", {"weekly_distance_km": 60.0,
                                                      "diet_factors": ["low_carb"]},
                               ["glycogen"], url=database_url)
    profile, assessment = repository.find_runner("rest", "old-runner", url=database_url)
    assert profile["diet_factors"] == ["low_carb"] and assessment["likely_causes"] == ["glycogen"]


def test_upgrading_twice_is_harmless_and_leaves_rasa_tables_alone(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, "
                                   "sender_id VARCHAR(255), timestamp FLOAT)"))
        connection.execute(sa.text("INSERT INTO events VALUES (1, 'someone', 1.0)"))
    upgrade(database_url)
    upgrade(database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() == 1
    engine.dispose()
