"""The project's tables (Rasa's own ``events`` table is not described here).

* ``runner_profiles``: one row per runner (channel + sender id) with what is
  probably still true next time: the last weekly distance, the shoes' distance
  and when it was given, diet facts, first and last visit.
* ``assessments``: one row per explanation given: when, the answers, the
  likely causes, the escalation level and the warning signs heard.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class RunnerProfile(Base):
    __tablename__ = "runner_profiles"
    __table_args__ = (sa.UniqueConstraint("channel", "sender_id", name="uq_runner_channel_sender"),)

    id = sa.Column(sa.Integer, primary_key=True)
    channel = sa.Column(sa.String(64), nullable=False)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    weekly_distance_km = sa.Column(sa.Float)
    weekly_distance_at = sa.Column(sa.DateTime)
    shoe_distance_km = sa.Column(sa.Float)
    shoe_distance_at = sa.Column(sa.DateTime)
    diet_factors = sa.Column(sa.JSON)  # added by revision 0002

    assessments = relationship(
        "Assessment", back_populates="profile", cascade="all, delete-orphan",
        order_by="Assessment.created_at",
    )


class Assessment(Base):
    __tablename__ = "assessments"

    id = sa.Column(sa.Integer, primary_key=True)
    profile_id = sa.Column(
        sa.Integer, sa.ForeignKey("runner_profiles.id", ondelete="CASCADE"),
        nullable=False, index=True,
    )
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    answers = sa.Column(sa.JSON, nullable=False, default=dict)
    likely_causes = sa.Column(sa.JSON, nullable=False, default=list)
    escalation_level = sa.Column(sa.String(32), nullable=False, default="none")
    red_flags = sa.Column(sa.JSON, nullable=False, default=list)  # added by revision 0002

    profile = relationship("RunnerProfile", back_populates="assessments")
