"""The storage actions on rasa_sdk's real Tracker and CollectingDispatcher, with a
real SQLite database (DATABASE_URL points at a temporary file)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.assessment_form import ValidateAssessmentForm
from actions.conversation import ActionShowDisclaimer
from actions.explanation import ActionExplainCauses
from actions.privacy import ActionForgetMe, ActionShareSummary
from actions.profile import ActionAskShoeDistance
from bot.storage import repository
from bot.storage.db import dispose_engines
from bot.storage.migrate import upgrade
from bot.storage.models import utcnow
from tests.unit.test_actions import DOMAIN, make_tracker


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    yield url
    dispose_engines()


def run(action, tracker):  # noqa: ANN001, ANN201
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


def test_explanation_is_saved_and_compared_next_time(sqlite_url: str) -> None:
    first = {"weekly_distance_km": 40.0, "distance_increase_pct": 10.0, "sleep_hours": 6.0,
             "diet_factors": ["balanced"], "shoe_distance_km": 300.0}
    messages, _ = run(ActionExplainCauses(), make_tracker(first))
    assert "Compared with last time" not in messages[0]["text"]
    tracker = make_tracker({**first, "weekly_distance_km": 50.0, "sleep_hours": 7.5})
    messages, _ = run(ActionExplainCauses(), tracker)
    assert "went up again (40 to 50 km)" in messages[0]["text"]
    assert "sleep got better (6 to 7.5 hours)" in messages[0]["text"]
    assert repository.count_rows_for_sender(tracker.sender_id, url=sqlite_url)["assessments"] == 2


def test_returning_runner_session_start_and_shoe_confirmation(sqlite_url: str) -> None:
    tracker = make_tracker()
    repository.save_assessment(
        "rest", tracker.sender_id,
        {"weekly_distance_km": 50.0, "shoe_distance_km": 700.0, "sleep_hours": 6.0},
        ["training_load"], when=utcnow() - timedelta(days=12), url=sqlite_url)
    new_visit = [{"event": "session_started", "timestamp": time.time()},
                 {"event": "action", "name": "action_listen"},
                 {"event": "user", "text": "my legs feel heavy again",
                  "parse_data": {"intent": {"name": "describe_symptoms"}, "entities": []}}]
    carried = {"weekly_distance_km": 50.0, "disclaimer_shown": True}
    messages, events = run(ActionShowDisclaimer(), make_tracker(carried, events=new_visit))
    assert len(messages) == 1 and "Welcome back" in messages[0]["text"]
    names = {e.get("name"): e.get("value") for e in events if e["event"] == "slot"}
    assert names["weekly_distance_km"] is None and names["recalled"]["shoe_estimate_km"] == 790.0
    # Welcomed once per visit; an assessment made in this session is no return visit.
    welcomed = make_tracker({**carried, "recalled": names["recalled"]}, events=new_visit)
    assert run(ActionShowDisclaimer(), welcomed) == ([], [])
    recalled = names["recalled"]
    messages, events = run(ActionAskShoeDistance(), make_tracker({"recalled": recalled}))
    assert messages[0]["text"] == ("12 days ago your shoes had 700 km and you run about 50 km "
                                   "a week: are they the same pair, so about 790 km now?")
    answer = make_tracker({"recalled": recalled, "prefill_offer": "shoe_distance_km",
                           "requested_slot": "shoe_distance_km"}, text="yes", intent="affirm",
                          active_loop="assessment_form")
    _, events = run(ValidateAssessmentForm(), answer)
    assert {"event": "slot", "name": "shoe_distance_km", "value": 790.0} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]
    summary, _ = run(ActionShareSummary(), make_tracker())
    assert "Training load" in summary[0]["text"]


def test_forget_me_erases_and_restarts(sqlite_url: str) -> None:
    tracker = make_tracker()
    repository.save_assessment("rest", tracker.sender_id, {"sleep_hours": 6.0}, ["sleep"],
                               url=sqlite_url)
    messages, events = run(ActionForgetMe(), tracker)
    assert "deleted" in messages[0]["text"]
    assert [e["event"] for e in events] == ["restart", "followup"]
    assert repository.count_rows_for_sender(tracker.sender_id, url=sqlite_url) == {
        "runner_profiles": 0, "assessments": 0, "events": 0}


def test_summary_is_in_the_runners_unit_and_says_no_signs_once(sqlite_url: str) -> None:
    slots = {"weekly_distance_km": 48.28, "distance_increase_pct": 50.0, "sleep_hours": 7.0,
             "shoe_distance_km": 321.9, "distance_unit": "mi",
             "likely_causes": ["training_load", "sleep"]}
    summary, _ = run(ActionShareSummary(), make_tracker(slots))
    text = summary[0]["text"]
    assert "30 miles a week" in text and "shoes 200 miles" in text and " km" not in text
    assert text.count("- Warning signs: none reported") == 1
    assert "No warning signs" not in text and "Advice given" not in text
    in_km, _ = run(ActionShareSummary(), make_tracker({**slots, "distance_unit": None}))
    assert "48.3 km a week" in in_km[0]["text"]
