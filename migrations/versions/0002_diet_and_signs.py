"""Diet facts on the profile, warning signs on the assessment.

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runner_profiles") as batch:
        batch.add_column(sa.Column("diet_factors", sa.JSON))
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("red_flags", sa.JSON, nullable=False, server_default="[]"))
    # Older assessments kept their signs (if any) inside the answers.
    assessments = sa.table("assessments", sa.column("id", sa.Integer),
                           sa.column("answers", sa.JSON), sa.column("red_flags", sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(assessments.c.id, assessments.c.answers)).fetchall():
        signs = (row.answers or {}).get("red_flags") if isinstance(row.answers, dict) else None
        if signs:
            connection.execute(assessments.update().where(assessments.c.id == row.id)
                               .values(red_flags=list(signs)))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("red_flags")
    with op.batch_alter_table("runner_profiles") as batch:
        batch.drop_column("diet_factors")
