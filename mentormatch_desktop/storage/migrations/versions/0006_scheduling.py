"""scheduling: availability exceptions, scheduling preferences, session logs, meeting workflow

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'availability_exceptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('available', sa.Boolean(), nullable=False),
        sa.Column('start_minute', sa.SmallInteger(), nullable=True),
        sa.Column('end_minute', sa.SmallInteger(), nullable=True),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.CheckConstraint('last_day >= first_day', name=op.f('ck_availability_exceptions_days_ordered')),
        sa.CheckConstraint(
            '(start_minute IS NULL AND end_minute IS NULL) OR '
            '(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)',
            name=op.f('ck_availability_exceptions_minute_range'),
        ),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_availability_exceptions_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exceptions')),
    )
    op.create_index('ix_availability_exceptions_person_days', 'availability_exceptions', ['person_id', 'first_day'], unique=False)

    op.create_table(
        'scheduling_preferences',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('work_start_minute', sa.SmallInteger(), nullable=False),
        sa.Column('work_end_minute', sa.SmallInteger(), nullable=False),
        sa.Column('work_weekdays', sa.String(length=20), nullable=False),
        sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
        sa.Column('buffer_minutes', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            'work_start_minute >= 0 AND work_end_minute <= 1440 AND work_start_minute < work_end_minute',
            name=op.f('ck_scheduling_preferences_work_range'),
        ),
        sa.CheckConstraint('min_notice_minutes >= 0 AND buffer_minutes >= 0', name=op.f('ck_scheduling_preferences_non_negative')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_scheduling_preferences_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_scheduling_preferences')),
    )

    op.create_table(
        'session_logs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('private_notes', sa.Text(), server_default='', nullable=False),
        sa.Column('shared_notes', sa.Text(), server_default='', nullable=False),
        sa.Column('rating', sa.SmallInteger(), nullable=True),
        sa.Column('next_steps', JSON, nullable=False),
        sa.Column('logged_at', mentormatch_desktop.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', mentormatch_desktop.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_session_logs_rating_range')),
        sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_session_logs_author_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_session_logs_meeting_id_meetings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_logs')),
        sa.UniqueConstraint('meeting_id', 'author_id', name=op.f('uq_session_logs_meeting_id_author_id')),
    )
    op.create_index(op.f('ix_session_logs_meeting_id'), 'session_logs', ['meeting_id'], unique=False)

    with op.batch_alter_table('meetings') as batch:
        batch.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('video_link', sa.Text(), server_default='', nullable=False))
        batch.add_column(sa.Column('responded_at', mentormatch_desktop.storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_meetings_proposed_by_id_people'), 'people', ['proposed_by_id'], ['id'])
    # Security for the new tables (storage/security/85_scheduling.sql skipped them at 0004):
    # every file is idempotent, so the whole set runs again. No-op on SQLite.
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # Policies, triggers and grants go with the tables; the view and its function do not.
        op.execute('DROP VIEW IF EXISTS shared_session_logs')
        op.execute('DROP FUNCTION IF EXISTS mm_shared_session_logs()')
    with op.batch_alter_table('meetings') as batch:
        batch.drop_constraint(op.f('fk_meetings_proposed_by_id_people'), type_='foreignkey')
        batch.drop_column('responded_at')
        batch.drop_column('video_link')
        batch.drop_column('sequence')
        batch.drop_column('proposed_by_id')
    op.drop_index(op.f('ix_session_logs_meeting_id'), table_name='session_logs')
    op.drop_table('session_logs')
    op.drop_table('scheduling_preferences')
    op.drop_index('ix_availability_exceptions_person_days', table_name='availability_exceptions')
    op.drop_table('availability_exceptions')
