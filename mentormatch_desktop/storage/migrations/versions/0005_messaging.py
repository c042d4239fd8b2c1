"""messaging: thread kinds, soft delete, delivery topics, notification preferences

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:20:00

Chained on 0004 (row-level security, merged); 0003 (integrity) is written on another
branch and chains on 0002 or 0004 — whichever merges last must keep one head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mentormatch_desktop.storage.types
from mentormatch_desktop.storage.security import apply_security

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.types.TypeEngine:
    return mentormatch_desktop.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=20), server_default='direct', nullable=False)
        )
        batch_op.add_column(sa.Column('group_key', sa.String(length=40), nullable=True))
        batch_op.drop_index('ix_threads_mentorship_id')
        batch_op.create_index('uq_threads_mentorship_id', ['mentorship_id'], unique=True)
    # Threads that existed before kinds did: a mentorship's thread is its thread.
    op.execute("UPDATE threads SET kind = 'mentorship' WHERE mentorship_id IS NOT NULL")

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', _utc(), nullable=True))
        batch_op.create_index('ix_messages_thread_id_id', ['thread_id', 'id'], unique=False)

    with op.batch_alter_table('message_deliveries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'topic', sa.String(length=30), server_default='new_message', nullable=False
            )
        )

    op.create_table(
        'notification_preferences',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('topic', sa.String(length=30), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('updated_at', _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ['person_id'], ['people.id'],
            name=op.f('fk_notification_preferences_person_id_people'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'person_id', 'channel', 'topic', name=op.f('pk_notification_preferences')
        ),
    )
    op.create_table(
        'program_notification_defaults',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('topic', sa.String(length=30), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['program_id'], ['programs.id'],
            name=op.f('fk_program_notification_defaults_program_id_programs'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'program_id', 'channel', 'topic', name=op.f('pk_program_notification_defaults')
        ),
    )
    op.create_table(
        'unsubscribe_tokens',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('topic', sa.String(length=30), server_default=sa.text("'*'"), nullable=False),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('used_at', _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ['person_id'], ['people.id'],
            name=op.f('fk_unsubscribe_tokens_person_id_people'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_unsubscribe_tokens')),
    )
    op.create_index(
        'uq_unsubscribe_tokens_person_channel_topic',
        'unsubscribe_tokens',
        ['person_id', 'channel', 'topic'],
        unique=True,
    )
    # Security for the new tables (storage/security/86_messaging.sql skipped them at 0004):
    # every file is idempotent, so the whole set runs again. No-op on SQLite.
    apply_security(op.get_bind())


def downgrade() -> None:
    op.drop_index('uq_unsubscribe_tokens_person_channel_topic', table_name='unsubscribe_tokens')
    op.drop_table('unsubscribe_tokens')
    op.drop_table('program_notification_defaults')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('message_deliveries', schema=None) as batch_op:
        batch_op.drop_column('topic')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread_id_id')
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('uq_threads_mentorship_id')
        batch_op.create_index('ix_threads_mentorship_id', ['mentorship_id'], unique=False)
        batch_op.drop_column('group_key')
        batch_op.drop_column('kind')
