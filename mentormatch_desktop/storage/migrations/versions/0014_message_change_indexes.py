"""message change indexes: a thread's latest edit and deletion without reading the thread

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:40:00

Every conversation page asks for the thread's newest ``edited_at`` and ``deleted_at`` (the
watermark from which edits and deletions are caught up). Without an index that was a read
of the whole thread, about 20 ms for 10,000 messages under row-level security, paid on
every open and every page around a search hit. Few messages are ever edited or deleted, so
two partial indexes over those rows alone answer both maxima, and the catch-up query for
"changed since", from a handful of index entries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("edited_at", "deleted_at"):
        op.create_index(
            f"ix_messages_thread_{column}",
            "messages",
            ["thread_id", column],
            unique=False,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    for column in ("edited_at", "deleted_at"):
        op.drop_index(f"ix_messages_thread_{column}", table_name="messages")
