"""coordinators read and answer the conversations they are a member of

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 15:15:00

No schema change: re-applies the security files (all idempotent). New in them
(89_member_messages.sql): ``mm_member_messages()``, a definer function returning the full
rows of the messages in the threads the acting person is a member of, so a coordinator who
is a person reads their own conversations (Message both) although their grants leave out
message bodies; and two triggers so that membership can be trusted: a coordinator adds
themselves only to a conversation they started outside any mentorship or group program,
and no client changes who started a thread, its mentorship or its group key. No-op on
SQLite.
"""

from collections.abc import Sequence

from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    apply_security(op.get_bind())


def downgrade() -> None:
    # The function and triggers stay until `mentormatch org init` of the version downgraded
    # to re-creates the rules (remove.sql drops them all); they only narrow what clients do.
    pass
