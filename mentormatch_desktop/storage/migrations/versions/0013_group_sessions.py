"""group sessions: meeting attendees, per-attendee reminders

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 07:40:00

A group session (a peer circle, a mentor with several mentees) is ONE ``meetings`` row
(one ICS UID) with one ``meeting_attendees`` row per person and their answer
(needs-action / accepted / declined / tentative). ``meetings`` gains ``is_group``,
``group_key`` and ``thread_id`` (the conversation its notices go to). ``session_notices``
gains ``recipient_id`` and its once-only key now includes it (NULL counting as one value),
so a group session's reminder is written once per attendee. The security files run again:
``89_group_sessions.sql`` finds the new table and lets attendees — and nobody else — read
the meeting, the attendee list and the shared half of each other's logs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = mentormatch_desktop.storage.types.UTCDateTime
OLD_UNIQUE = 'uq_session_notices_meeting_id_kind_occurrence_at_sequence'


def upgrade() -> None:
    op.create_table(
        'meeting_attendees',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('response', sa.String(length=20), server_default='needs-action', nullable=False),
        sa.Column('responded_at', UTC(timezone=True), nullable=True),
        sa.Column('is_organiser', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "response IN ('needs-action', 'accepted', 'declined', 'tentative')",
            name=op.f('ck_meeting_attendees_response_known'),
        ),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendees_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_meeting_attendees_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('meeting_id', 'person_id', name=op.f('pk_meeting_attendees')),
    )
    op.create_index(op.f('ix_meeting_attendees_person_id'), 'meeting_attendees', ['person_id'], unique=False)
    with op.batch_alter_table('meetings') as batch:
        batch.add_column(sa.Column('is_group', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('group_key', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('thread_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_meetings_thread_id_threads'), 'threads', ['thread_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('session_notices') as batch:
        batch.add_column(sa.Column('recipient_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_session_notices_recipient_id_people'), 'people', ['recipient_id'], ['id'], ondelete='CASCADE')
        batch.drop_constraint(OLD_UNIQUE, type_='unique')
    op.create_index(
        'uq_session_notices_once',
        'session_notices',
        ['meeting_id', 'kind', 'occurrence_at', 'sequence', sa.text('coalesce(recipient_id, 0)')],
        unique=True,
    )
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for fn in ('mm_my_meetings()', 'mm_meeting_people(integer)', 'mm_mark_group_meeting(integer, boolean)'):
            op.execute(f'DROP FUNCTION IF EXISTS {fn} CASCADE')
    op.drop_index('uq_session_notices_once', table_name='session_notices')
    op.execute('DELETE FROM session_notices WHERE recipient_id IS NOT NULL')
    with op.batch_alter_table('session_notices') as batch:
        batch.drop_constraint(op.f('fk_session_notices_recipient_id_people'), type_='foreignkey')
        batch.drop_column('recipient_id')
        batch.create_unique_constraint(OLD_UNIQUE, ['meeting_id', 'kind', 'occurrence_at', 'sequence'])
    # The attendee table first: its policies read meetings.is_group.
    op.drop_index(op.f('ix_meeting_attendees_person_id'), table_name='meeting_attendees')
    op.drop_table('meeting_attendees')
    with op.batch_alter_table('meetings') as batch:
        batch.drop_constraint(op.f('fk_meetings_thread_id_threads'), type_='foreignkey')
        batch.drop_column('thread_id')
        batch.drop_column('group_key')
        batch.drop_column('is_group')
    apply_security(op.get_bind())
