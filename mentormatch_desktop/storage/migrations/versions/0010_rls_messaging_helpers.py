"""rls messaging helpers: worker fan-out flag, definer helpers for participants

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:45:00

Adds ``messages.fanout_pending`` (a participant's message whose notifications the delivery
worker queues) and applies ``storage/security/87_rls_helpers.sql``: addressing a person by
e-mail, opening a conversation with them, the thread's ``last_message_at`` trigger and the
busy intervals of people one schedules with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELPERS = (
    'mm_may_message(integer)',
    'mm_messageable_person(text)',
    'mm_thread_with(integer, text)',
    'mm_busy_intervals(integer[], timestamptz, timestamptz, integer)',
    'mm_touch_thread()',
)


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('fanout_pending', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        'ix_messages_fanout_pending',
        'messages',
        ['id'],
        unique=False,
        postgresql_where=sa.text('fanout_pending'),
        sqlite_where=sa.text('fanout_pending'),
    )
    # Every security file is idempotent: the whole set runs again, 87_rls_helpers.sql now
    # finds the column it waits for. No-op on SQLite.
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS mm_touch_thread ON messages')
        for fn in HELPERS:
            op.execute(f'DROP FUNCTION IF EXISTS {fn}')
    op.drop_index('ix_messages_fanout_pending', table_name='messages')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('fanout_pending')
