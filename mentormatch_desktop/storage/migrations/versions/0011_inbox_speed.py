"""inbox speed: a covering index for unread counts, names without the directory scan

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:40:00

Unread counts read, per thread, the messages newer than the reader's ``last_read_at`` that
are not deleted and not their own: ``ix_messages_thread_unread`` holds exactly those
columns for the live rows, so the count is an index-only scan. Re-applies the security
files for ``mm_person_names`` (names of the people in one's threads without building the
whole directory) and the participants' read policy on messages, now a semi-join the
planner can cost (see ``storage/security/20_policies.sql``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_messages_thread_unread',
        'messages',
        ['thread_id', 'created_at'],
        unique=False,
        postgresql_include=['sender_id'],
        postgresql_where=sa.text('deleted_at IS NULL'),
        sqlite_where=sa.text('deleted_at IS NULL'),
    )
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS mm_person_names(integer[])')
    op.drop_index('ix_messages_thread_unread', table_name='messages')
