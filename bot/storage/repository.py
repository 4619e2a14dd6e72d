"""The one door between the actions and the database.

Every function opens one session (one transaction) and returns plain data
(dicts, numbers), never ORM objects. ``url`` defaults to ``$DATABASE_URL`` or
the SQLite file ``var/tracker.db``: the same database as Rasa's tracker store,
so that forgetting a runner can also remove the conversation (Rasa's ``events``
table).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List

import sqlalchemy as sa

from bot.storage.db import get_engine, session_scope
from bot.storage.models import Assessment, RunnerProfile, utcnow

RASA_EVENTS_TABLE = "events"

# The answers kept with an assessment (slot names of the tracker contract and a few more).
ANSWER_SLOTS = (
    "weekly_distance_km", "previous_weekly_distance_km", "distance_increase_pct",
    "runs_per_week", "sleep_hours", "diet_factors", "shoe_distance_km", "shoe_age_months",
    "symptoms", "symptom_timing", "volunteered_causes", "conditions_hints",
)


def _profile(session, channel: str, sender_id: str) -> RunnerProfile | None:
    return session.execute(
        sa.select(RunnerProfile).where(RunnerProfile.channel == channel,
                                       RunnerProfile.sender_id == sender_id)
    ).scalar_one_or_none()


def _assessment_dict(assessment: Assessment) -> Dict[str, Any]:
    return {
        "id": assessment.id,
        "created_at": assessment.created_at,
        "answers": dict(assessment.answers or {}),
        "likely_causes": list(assessment.likely_causes or []),
        "escalation_level": assessment.escalation_level or "none",
        "red_flags": list(assessment.red_flags or []),
    }


def _profile_dict(profile: RunnerProfile) -> Dict[str, Any]:
    return {
        "channel": profile.channel,
        "sender_id": profile.sender_id,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
        "weekly_distance_km": profile.weekly_distance_km,
        "weekly_distance_at": profile.weekly_distance_at,
        "shoe_distance_km": profile.shoe_distance_km,
        "shoe_distance_at": profile.shoe_distance_at,
        "diet_factors": list(profile.diet_factors or []),
    }


def get_profile(channel: str, sender_id: str, url: str | None = None) -> Dict[str, Any] | None:
    with session_scope(url) as session:
        profile = _profile(session, channel, sender_id)
        return _profile_dict(profile) if profile else None


def latest_assessment(
    channel: str, sender_id: str, url: str | None = None
) -> Dict[str, Any] | None:
    with session_scope(url) as session:
        row = session.execute(
            sa.select(Assessment).join(RunnerProfile)
            .where(RunnerProfile.channel == channel, RunnerProfile.sender_id == sender_id)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1)
        ).scalar_one_or_none()
        return _assessment_dict(row) if row else None


def save_assessment(
    channel: str,
    sender_id: str,
    slots: Dict[str, Any],
    likely_causes: Iterable[str],
    escalation_level: str = "none",
    red_flags: Iterable[str] = (),
    when: datetime | None = None,
    url: str | None = None,
) -> int:
    """Store an assessment and update the runner's profile; returns the assessment id."""
    when = when or utcnow()
    answers = {name: slots.get(name) for name in ANSWER_SLOTS if slots.get(name) is not None}
    with session_scope(url) as session:
        profile = _profile(session, channel, sender_id)
        if profile is None:
            profile = RunnerProfile(channel=channel, sender_id=sender_id, created_at=when)
            session.add(profile)
        profile.updated_at = when
        if answers.get("weekly_distance_km") is not None:
            profile.weekly_distance_km = float(answers["weekly_distance_km"])
            profile.weekly_distance_at = when
        if answers.get("shoe_distance_km") is not None:
            profile.shoe_distance_km = float(answers["shoe_distance_km"])
            profile.shoe_distance_at = when
        if answers.get("diet_factors"):
            profile.diet_factors = list(answers["diet_factors"])
        assessment = Assessment(
            profile=profile, created_at=when, answers=answers,
            likely_causes=list(likely_causes), escalation_level=escalation_level or "none",
            red_flags=list(red_flags or []),
        )
        session.add(assessment)
        session.flush()
        return int(assessment.id)


def _events_table(url: str | None) -> sa.Table | None:
    engine = get_engine(url)
    if not sa.inspect(engine).has_table(RASA_EVENTS_TABLE):
        return None
    return sa.Table(RASA_EVENTS_TABLE, sa.MetaData(),
                    sa.Column("id", sa.Integer), sa.Column("sender_id", sa.String(255)),
                    sa.Column("timestamp", sa.Float))


def forget_sender(sender_id: str, url: str | None = None) -> Dict[str, int]:
    """Erase everything stored about ``sender_id``: profiles (on every channel),
    their assessments, and the conversation's rows in Rasa's ``events`` table.
    Returns how many rows went from each table."""
    events = _events_table(url)
    with session_scope(url) as session:
        profile_ids = session.execute(
            sa.select(RunnerProfile.id).where(RunnerProfile.sender_id == sender_id)
        ).scalars().all()
        removed_assessments = 0
        if profile_ids:
            removed_assessments = session.execute(
                sa.delete(Assessment).where(Assessment.profile_id.in_(profile_ids))
            ).rowcount
        removed_profiles = session.execute(
            sa.delete(RunnerProfile).where(RunnerProfile.sender_id == sender_id)
        ).rowcount
        removed_events = 0
        if events is not None:
            removed_events = session.execute(
                events.delete().where(events.c.sender_id == sender_id)
            ).rowcount
    return {"runner_profiles": removed_profiles, "assessments": removed_assessments,
            RASA_EVENTS_TABLE: removed_events}


def purge_older_than(days: float, url: str | None = None,
                     now: datetime | None = None) -> Dict[str, int]:
    """Delete assessments made more than ``days`` ago, conversations (all of a
    sender's Rasa events) whose last event is older than that, and profiles not
    seen since then that have no assessment left."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    cutoff_ts = (cutoff - datetime(1970, 1, 1)).total_seconds()
    events = _events_table(url)
    with session_scope(url) as session:
        removed_assessments = session.execute(
            sa.delete(Assessment).where(Assessment.created_at < cutoff)
        ).rowcount
        still_assessed = sa.select(Assessment.profile_id)
        removed_profiles = session.execute(
            sa.delete(RunnerProfile).where(RunnerProfile.updated_at < cutoff,
                                           RunnerProfile.id.not_in(still_assessed))
            .execution_options(synchronize_session=False)
        ).rowcount
        removed_events = 0
        if events is not None:
            stale: List[str] = session.execute(
                sa.select(events.c.sender_id).group_by(events.c.sender_id)
                .having(sa.func.max(events.c.timestamp) < cutoff_ts)
            ).scalars().all()
            for start in range(0, len(stale), 500):
                removed_events += session.execute(
                    events.delete().where(events.c.sender_id.in_(stale[start:start + 500]))
                ).rowcount
    return {"runner_profiles": removed_profiles, "assessments": removed_assessments,
            RASA_EVENTS_TABLE: removed_events}


def count_rows_for_sender(sender_id: str, url: str | None = None) -> Dict[str, int]:
    """How many rows mention ``sender_id`` in each table (used by tests and audits)."""
    events = _events_table(url)
    with session_scope(url) as session:
        profiles = session.execute(
            sa.select(sa.func.count()).select_from(RunnerProfile)
            .where(RunnerProfile.sender_id == sender_id)).scalar_one()
        assessments = session.execute(
            sa.select(sa.func.count()).select_from(Assessment).join(RunnerProfile)
            .where(RunnerProfile.sender_id == sender_id)).scalar_one()
        event_rows = 0
        if events is not None:
            event_rows = session.execute(
                sa.select(sa.func.count()).select_from(events)
                .where(events.c.sender_id == sender_id)).scalar_one()
    return {"runner_profiles": profiles, "assessments": assessments,
            RASA_EVENTS_TABLE: event_rows}


def find_runner(
    channel: str | None, sender_id: str, url: str | None = None
) -> tuple[Dict[str, Any] | None, Dict[str, Any] | None]:
    """The runner's profile and latest assessment. Without a channel (the first
    message of a new conversation), the most recently seen profile of the sender."""
    with session_scope(url) as session:
        query = sa.select(RunnerProfile).where(RunnerProfile.sender_id == sender_id)
        if channel:
            query = query.where(RunnerProfile.channel == channel)
        profile = session.execute(
            query.order_by(RunnerProfile.updated_at.desc()).limit(1)
        ).scalar_one_or_none()
        if profile is None:
            return None, None
        latest = session.execute(
            sa.select(Assessment).where(Assessment.profile_id == profile.id)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1)
        ).scalar_one_or_none()
        return _profile_dict(profile), (_assessment_dict(latest) if latest else None)
