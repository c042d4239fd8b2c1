"""long text columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 14:04:41.875446
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# (table, column) pairs that held prose in VARCHAR(255) and now take any length.
COLUMNS = [
    ("enrolments", "motivation"),
    ("feedback", "comment"),
    ("goals", "description"),
    ("match_proposals", "explanation"),
    ("match_proposals", "note"),
    ("match_runs", "diagnosis"),
    ("meetings", "location"),
    ("meetings", "agenda"),
    ("meetings", "notes"),
    ("mentorships", "end_reason"),
    ("message_deliveries", "last_error"),
    ("messages", "body"),
    ("milestones", "description"),
    ("pair_preferences", "reason"),
    ("people", "bio"),
    ("programs", "description"),
    ("skills", "description"),
    ("weight_sets", "notes"),
]


def upgrade() -> None:
    """Widen prose columns to TEXT on PostgreSQL.

    SQLite stores VARCHAR(n) and TEXT alike (no length is enforced), and rebuilding tables
    there would run with foreign keys on, so the change is a no-op on SQLite; the schema
    comparison treats the two as equal there (see ``migrations.compare_type``).
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(255))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.String(255),
            existing_type=sa.Text(),
            postgresql_using=f"left({column}, 255)",
        )
