"""Runner profiles and assessments.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runner_profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("weekly_distance_km", sa.Float),
        sa.Column("weekly_distance_at", sa.DateTime),
        sa.Column("shoe_distance_km", sa.Float),
        sa.Column("shoe_distance_at", sa.DateTime),
        sa.UniqueConstraint("channel", "sender_id", name="uq_runner_channel_sender"),
    )
    op.create_index("ix_runner_profiles_sender_id", "runner_profiles", ["sender_id"])
    op.create_index("ix_runner_profiles_updated_at", "runner_profiles", ["updated_at"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("profile_id", sa.Integer,
                  sa.ForeignKey("runner_profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("likely_causes", sa.JSON, nullable=False),
        sa.Column("escalation_level", sa.String(32), nullable=False, server_default="none"),
    )
    op.create_index("ix_assessments_profile_id", "assessments", ["profile_id"])
    op.create_index("ix_assessments_created_at", "assessments", ["created_at"])


def downgrade() -> None:
    op.drop_table("assessments")
    op.drop_table("runner_profiles")
