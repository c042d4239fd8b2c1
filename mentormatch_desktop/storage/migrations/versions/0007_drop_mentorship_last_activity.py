"""drop mentorships.last_activity_at: the engagement log is the one record of activity

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:00:00

The column was a cache of "the latest session held or message sent" that services kept
moving while every reader (the Mentorships screen, the dashboard, the at-risk rule,
reports) computed last activity from ``engagement_events`` instead. An unread copy can
only drift (the demo generator, the inbox and the session steps each wrote it their own
way), and participants held an UPDATE grant on it, so any participant could move it
freely. Dropping it leaves one source (``domain/activity.py``), and participants with no
UPDATE on ``mentorships`` at all: the security files no longer grant it, and re-applying
them here drops the policy that served it.

Other branches also chain a ``0007`` on ``0006``: whichever merges later must re-chain
(``down_revision``) so that there is one head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:  # the analyst view selects the column; apply_security rebuilds it below
        op.execute('DROP VIEW IF EXISTS mm_analytics.mentorships')
    op.drop_index('ix_mentorships_last_activity', table_name='mentorships')
    # A plain ALTER TABLE, also on SQLite (3.35+): a batch copy of the table would drop
    # the capacity triggers of migration 0003 along with the old table.
    op.drop_column('mentorships', 'last_activity_at')
    apply_security(op.get_bind())


def downgrade() -> None:
    op.add_column(
        'mentorships',
        sa.Column(
            'last_activity_at',
            mentormatch_desktop.storage.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    op.create_index(
        'ix_mentorships_last_activity', 'mentorships', ['status', 'last_activity_at'], unique=False
    )
    # Last activity as the log has it (what the services wrote there before).
    op.execute(
        "UPDATE mentorships SET last_activity_at = (SELECT max(e.occurred_at) "
        "FROM engagement_events e WHERE e.mentorship_id = mentorships.id "
        "AND e.kind IN ('session_held', 'message_sent'))"
    )
    if op.get_bind().dialect.name == 'postgresql':
        # 0006's participant grant and policy (the analyst view gains the column back when
        # that version's security files are applied, e.g. by `mentormatch org init`).
        op.execute('GRANT UPDATE (last_activity_at) ON mentorships TO mentormatch_participant')
        op.execute(
            'CREATE POLICY mm_participant_activity ON mentorships FOR UPDATE '
            'TO mentormatch_participant '
            'USING (mentor_id = (SELECT mm_current_person()) '
            'OR mentee_id = (SELECT mm_current_person())) '
            'WITH CHECK (mentor_id = (SELECT mm_current_person()) '
            'OR mentee_id = (SELECT mm_current_person()))'
        )
