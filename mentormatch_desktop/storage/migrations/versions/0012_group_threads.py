"""group threads started by participants: RLS policies and the member picker helper

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 08:00:00

No schema change: applies ``storage/security/89_group_threads.sql`` (with every other
security file, all idempotent), which lets a participant create a group conversation of
their own and, as its creator, add people they may write to. No-op on SQLite.
"""

from collections.abc import Sequence

from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for policy, table in (
            ('mm_participant_own_group', 'threads'),
            ('mm_participant_start_group', 'threads'),
            ('mm_participant_add_member', 'thread_participants'),
        ):
            op.execute(f'DROP POLICY IF EXISTS {policy} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS mm_messageable_people()')
        op.execute('REVOKE INSERT ON threads, thread_participants FROM mentormatch_participant')
