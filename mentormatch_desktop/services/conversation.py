"""Reading one conversation a page at a time, for a view that never holds the whole thread.

A thread is ordered by ``(created_at, id)``: the time the sender's unit of work stamped,
with the id breaking ties. Pages walk that order backwards from the newest with a keyset
cursor (the oldest ``(created_at, id)`` shown), so opening a 10,000-message thread reads one
page of the ``(thread_id, created_at)`` index and scrolling up reads the next one — never an
OFFSET, never all rows. A search hit opens the thread *around* one message
(:func:`around`): the page before it and the page after it by the same keyset, from where
the reader scrolls up (:func:`older`) or down (:func:`newer`) to the newest. Live updates
ask for what is *new* by id (ids only grow, whatever the senders' clocks say) and for what
changed among older messages since the newest edit or deletion already seen, so an open
view stays right without re-reading what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.inbox import (
    MessageView,
    _membership,
    _sender,
    _sender_names,
    _view,
    me,
)
from mentormatch_desktop.services.member_messages import readable
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import Message

PAGE = 50
#: More new messages than this since the view's newest: it starts again from the newest page.
MAX_CATCH_UP = 500

Cursor = tuple[datetime, int]

#: Why each keyset read also says ``created_at <= at`` (or ``>=``), which the ``OR`` after
#: it already implies: PostgreSQL cannot bound an index scan by an ``OR``, so without it the
#: ``(thread_id, created_at)`` index is read from the thread's end and the cursor applied as
#: a filter — 5,000 rows read for a page 5,000 messages in (measured as a participant login
#: under row-level security: 18–23 ms a page; with the bound, the scan starts at the cursor).
_KEYSET_BOUND = "created_at <= / >= the cursor's time, redundant but indexable"


@dataclass(frozen=True)
class Page:
    """Messages oldest first; ``has_older`` / ``has_newer`` say whether messages exist
    before / after this page (the newest page has none after it)."""

    messages: list[MessageView]
    has_older: bool
    #: the thread's latest edit or deletion time when read (None: none yet); what the view
    #: passes back to :func:`updates` to learn of later ones
    watermark: datetime | None = None
    has_newer: bool = False


@dataclass(frozen=True)
class Updates:
    """What happened in a thread since a view's sync point."""

    new: list[MessageView]  # id above the view's newest id, oldest first
    changed: list[MessageView]  # edited or deleted since the view's watermark
    overflow: bool  # more new messages than MAX_CATCH_UP: re-open from the newest page
    watermark: datetime | None = None


def cursor_of(m: MessageView) -> Cursor:
    return (m.created_at, m.id)


def _check(ctx: ServiceContext, thread_id: int, limit: int) -> None:
    _membership(ctx, thread_id, me(ctx))
    if not 1 <= limit <= 500:
        raise MessagingError("limit", "a page holds 1 to 500 messages")


def _views(ctx: ServiceContext, rows: list[Message]) -> list[MessageView]:
    names = _sender_names(ctx, rows)
    return [_view(m, _sender(names, m)) for m in rows]


def newest(ctx: ServiceContext, thread_id: int, *, limit: int = PAGE) -> Page:
    """The newest ``limit`` messages of a thread the acting person belongs to."""
    # The watermark first: an edit committed meanwhile is then reported again, never missed.
    mark = _watermark(ctx, thread_id) if _is_member(ctx, thread_id) else None
    page = older(ctx, thread_id, None, limit=limit)
    return Page(page.messages, page.has_older, mark)


def _is_member(ctx: ServiceContext, thread_id: int) -> bool:
    _membership(ctx, thread_id, me(ctx))
    return True


def _watermark(ctx: ServiceContext, thread_id: int) -> datetime | None:
    msg = readable(ctx)
    edited, deleted = ctx.session.execute(
        sa.select(sa.func.max(msg.edited_at), sa.func.max(msg.deleted_at)).where(
            msg.thread_id == thread_id
        )
    ).one()
    present = [t for t in (edited, deleted) if t is not None]
    return max(present) if present else None


def older(ctx: ServiceContext, thread_id: int, before: Cursor | None, *, limit: int = PAGE) -> Page:
    """The ``limit`` messages just before ``before`` (None: the newest), oldest first."""
    _check(ctx, thread_id, limit)
    rows, has_older = _rows_before(ctx, thread_id, before, limit)
    return Page(_views(ctx, rows), has_older)


def newer(ctx: ServiceContext, thread_id: int, after: Cursor, *, limit: int = PAGE) -> Page:
    """The ``limit`` messages just after ``after``, oldest first; ``has_newer`` is False
    once the page reaches the thread's newest message."""
    _check(ctx, thread_id, limit)
    rows, has_newer = _rows_after(ctx, thread_id, after, limit)
    return Page(_views(ctx, rows), True, has_newer=has_newer)


def around(ctx: ServiceContext, thread_id: int, message_id: int, *, limit: int = PAGE) -> Page:
    """A page of ``limit`` messages with ``message_id`` in its middle: what a search hit
    opens on. Two keyset reads from the message's own ``(created_at, id)`` (a third near
    the newest, to fill the page from above), so a hit 5,000 messages back costs about what
    the newest page does. A message of another thread, or one the acting person may not
    read (row-level security hides it), is refused alike."""
    _check(ctx, thread_id, limit)
    mark = _watermark(ctx, thread_id)  # first, as in newest()
    msg = readable(ctx)
    target = ctx.session.scalar(
        sa.select(msg).where(msg.id == message_id, msg.thread_id == thread_id)
    )
    if target is None:
        raise MessagingError("message", f"no message {message_id} in this conversation")
    key = (target.created_at, target.id)
    earlier, has_older = _rows_before(ctx, thread_id, key, max(1, (limit - 1) // 2))
    later, has_newer = _rows_after(ctx, thread_id, key, max(1, limit - 1 - len(earlier)))
    short = limit - 1 - len(earlier) - len(later)
    if short > 0 and has_older:  # near the newest: fill the page from above instead
        top = (earlier[0].created_at, earlier[0].id)
        more, has_older = _rows_before(ctx, thread_id, top, short)
        earlier = more + earlier
    return Page(_views(ctx, [*earlier, target, *later]), has_older, mark, has_newer=has_newer)


def _rows_before(
    ctx: ServiceContext, thread_id: int, before: Cursor | None, limit: int
) -> tuple[list[Message], bool]:
    """Up to ``limit`` rows just before ``before`` (None: the newest), oldest first, and
    whether more lie before them."""
    msg = readable(ctx)
    query = (
        sa.select(msg)
        .where(msg.thread_id == thread_id)
        .order_by(msg.created_at.desc(), msg.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        at, mid = before
        query = query.where(
            msg.created_at <= at,  # the index's bound: see _KEYSET_BOUND
            sa.or_(
                msg.created_at < at,
                sa.and_(msg.created_at == at, msg.id < mid),
            ),
        )
    rows = list(ctx.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, more


def _rows_after(
    ctx: ServiceContext, thread_id: int, after: Cursor, limit: int
) -> tuple[list[Message], bool]:
    """Up to ``limit`` rows just after ``after``, oldest first, and whether more follow."""
    at, mid = after
    msg = readable(ctx)
    rows = list(
        ctx.session.scalars(
            sa.select(msg)
            .where(
                msg.thread_id == thread_id,
                msg.created_at >= at,  # the index's bound: see _KEYSET_BOUND
                sa.or_(
                    msg.created_at > at,
                    sa.and_(msg.created_at == at, msg.id > mid),
                ),
            )
            .order_by(msg.created_at, msg.id)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def updates(
    ctx: ServiceContext,
    thread_id: int,
    *,
    after_id: int,
    changed_since: datetime | None,
    oldest: Cursor | None,
    newest: Cursor | None = None,
) -> Updates:
    """Messages with an id above ``after_id``, and the edits and deletions (after
    ``changed_since``) of messages from ``oldest`` on — what a view holding that range needs.

    A view that does not hold the thread's newest page passes the ``newest`` row it holds:
    it is then told only of changes between ``oldest`` and ``newest``, never of new
    messages, which belong after a gap it has not loaded (it reads them with
    :func:`newer` as the reader scrolls down, or starts again from :func:`newest`).
    """
    _check(ctx, thread_id, 1)
    mark = _watermark(ctx, thread_id)  # first, as in newest()
    msg = readable(ctx)
    new_rows: list[Message] = []
    if newest is None:
        new_rows = list(
            ctx.session.scalars(
                sa.select(msg)
                .where(msg.thread_id == thread_id, msg.id > after_id)
                .order_by(msg.id)
                .limit(MAX_CATCH_UP + 1)
            )
        )
    if len(new_rows) > MAX_CATCH_UP:
        return Updates([], [], True)
    if changed_since is None:
        changed = sa.or_(msg.edited_at.is_not(None), msg.deleted_at.is_not(None))
    else:
        changed = sa.or_(msg.edited_at > changed_since, msg.deleted_at > changed_since)
    changed_rows: list[Message] = []
    if oldest is not None:
        query = sa.select(msg).where(msg.thread_id == thread_id, msg.id <= after_id, changed)
        at, mid = oldest
        query = query.where(
            sa.or_(msg.created_at > at, sa.and_(msg.created_at == at, msg.id >= mid))
        )
        if newest is not None:
            top, top_id = newest
            query = query.where(
                sa.or_(
                    msg.created_at < top,
                    sa.and_(msg.created_at == top, msg.id <= top_id),
                )
            )
        changed_rows = list(ctx.session.scalars(query.order_by(msg.id)))
    new_rows.sort(key=lambda m: (m.created_at, m.id))
    views = _views(ctx, new_rows + changed_rows)
    return Updates(views[: len(new_rows)], views[len(new_rows) :], False, mark)


def count(ctx: ServiceContext, thread_id: int) -> int:
    """How many messages the thread holds (deleted ones too: they keep their place)."""
    _check(ctx, thread_id, 1)
    msg = readable(ctx)
    return int(
        ctx.session.scalar(sa.select(sa.func.count(msg.id)).where(msg.thread_id == thread_id)) or 0
    )
