"""worker heartbeats: what `mentormatch worker --status` reads

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
WHEN = mentormatch_desktop.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'worker_heartbeats',
        sa.Column('worker_id', sa.String(length=80), nullable=False),
        sa.Column('hostname', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('jobs', sa.Text(), nullable=False),
        sa.Column('poll_seconds', sa.Float(), nullable=False),
        sa.Column('started_at', WHEN, nullable=False),
        sa.Column('beat_at', WHEN, nullable=False),
        sa.Column('last_success_at', WHEN, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('last_error_at', WHEN, nullable=True),
        sa.Column('stopped_at', WHEN, nullable=True),
        sa.Column('totals', JSON, nullable=False),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeats')),
    )
    # Security for the new table (storage/security/87_workers.sql): every file is
    # idempotent, so the whole set runs again. No-op on SQLite.
    apply_security(op.get_bind())


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
