"""Where the acting person's reads of message rows come from.

A participant reads the ``messages`` table itself: row-level security leaves them the
threads they are a member of. A coordinator's grants on PostgreSQL leave out the body and
deletion columns (they see that messages exist in their programs, not what the pairs
wrote), and a column grant holds for every row; so a coordinator who is a member of a
conversation (Message both) reads its rows through ``mm_member_messages()``, a definer
function that returns the full rows of the caller's own threads and nothing else
(``storage/security/89_member_messages.sql``). Every inbox and conversation query names its
rows through :func:`readable`, so both kinds of reader run the same query shapes.

SQLite has no grants: the table itself, always.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import Message

_KEY = "mm_reads_member_messages"


def through_membership(ctx: ServiceContext) -> bool:
    """True when this login may not read message bodies and so reads its own threads
    through the definer function. Asked once per session (a login's grants do not change
    under it)."""
    info = ctx.session.info
    if _KEY not in info:
        bind = ctx.session.get_bind()
        info[_KEY] = bind.dialect.name == "postgresql" and not ctx.session.scalar(
            sa.text("SELECT has_column_privilege('messages', 'body', 'SELECT')")
        )
    return bool(info[_KEY])


def readable(ctx: ServiceContext) -> type[Message]:
    """The ``Message`` entity, or the same entity over the acting person's own threads'
    rows when their grants hide the bodies (see the module docstring)."""
    if not through_membership(ctx):
        return Message
    rows = (
        sa.func.mm_member_messages()
        .table_valued(*(sa.column(c.name, c.type) for c in Message.__table__.columns))
        .alias("member_messages")
    )
    return aliased(Message, rows, adapt_on_names=True)  # type: ignore[return-value]
