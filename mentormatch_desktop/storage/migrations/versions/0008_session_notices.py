"""session notices (changes and reminders, once each) and calendar sync status

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00

``session_notices`` holds one row per thing the people of a session are told: a change
(proposed, accepted, declined, countered, rescheduled, cancelled) or a reminder (24 h and
1 h before each occurrence). Its unique key (session, kind, occurrence, sequence) is what
makes a reminder go out once however many workers run or restart. ``calendar_connections``
gains when the worker last tried to sync it and why that failed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
UTC = mentormatch_desktop.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'session_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('occurrence_at', UTC(timezone=True), nullable=False),
        sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('details', JSON, nullable=False),
        sa.Column('ics', sa.Text(), server_default='', nullable=False),
        sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('posted_at', UTC(timezone=True), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_session_notices_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_session_notices_actor_id_people'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_session_notices_message_id_messages'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_notices')),
        sa.UniqueConstraint('meeting_id', 'kind', 'occurrence_at', 'sequence', name=op.f('uq_session_notices_meeting_id_kind_occurrence_at_sequence')),
    )
    op.create_index(op.f('ix_session_notices_meeting_id'), 'session_notices', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_session_notices_message_id'), 'session_notices', ['message_id'], unique=False)
    op.create_index('ix_session_notices_unposted', 'session_notices', ['posted_at', 'id'], unique=False)
    with op.batch_alter_table('calendar_connections') as batch:
        batch.add_column(sa.Column('last_attempt_at', UTC(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_error', sa.Text(), server_default='', nullable=False))
    apply_security(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('calendar_connections') as batch:
        batch.drop_column('last_error')
        batch.drop_column('last_attempt_at')
    op.drop_index('ix_session_notices_unposted', table_name='session_notices')
    op.drop_index(op.f('ix_session_notices_message_id'), table_name='session_notices')
    op.drop_index(op.f('ix_session_notices_meeting_id'), table_name='session_notices')
    # Policies, triggers and grants go with the table; 87_session_notices.sql has no view.
    op.drop_table('session_notices')
