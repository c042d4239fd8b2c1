"""A conversation as a list model that holds only the pages the user has looked at.

Opening a thread loads its newest page (:func:`services.conversation.newest`); scrolling up
asks for the page before the oldest row (:meth:`MessageListModel.fetch_older`, keyset on
``(created_at, id)``, in a worker); live updates add what is new and replace what was
edited or deleted (:meth:`apply_updates`). Rows are kept in ``(created_at, id)`` order.

A thread opened at a search hit holds a page from its middle (``has_newer``): scrolling down
asks for the page after the newest row (:meth:`MessageListModel.fetch_newer`) until the
newest message is in. Until then the model has a gap below it, so live updates bring it
only edits and deletions of the rows it holds, never new messages (they would land after
the gap, out of order) — see :meth:`sync_point`.

Qt's own ``canFetchMore``/``fetchMore`` are not used: views call them when scrolled to the
*bottom*, where a chat sits all the time, so they would pull in the whole history. The view
asks for older pages when its scroll bar nears the top instead.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from mentormatch_desktop.services import conversation
from mentormatch_desktop.services.inbox import MessageView

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 20
#: True when the row starts a new day (the delegate draws the date above it)
NEW_DAY_ROLE = Qt.ItemDataRole.UserRole + 21
#: True when the previous row is by the same sender within a few minutes (no name repeated)
CONTINUED_ROLE = Qt.ItemDataRole.UserRole + 22

GROUP_SECONDS = 5 * 60

Runner = Callable[..., Any]  # (fn(ctx), on_success, on_error) -> Task, see InboxView


def local_day(value: datetime) -> date:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone().date()


class MessageListModel(QAbstractListModel):
    """The loaded part of one thread; ``fetch_older`` grows it upwards a page at a time."""

    loading_changed = Signal(bool)
    #: rows were added at the top (count): the view keeps what the reader looked at in place
    prepended = Signal(int)
    #: rows were added at the bottom (count)
    appended = Signal(int)
    #: a page after the last row came in (count, maybe 0); ``has_newer`` is up to date
    newer_loaded = Signal(int)
    fetch_failed = Signal(object)  # TaskError

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run = runner
        self.rows: list[MessageView] = []
        self._keys: list[tuple[datetime, int]] = []
        self._days: list[date] = []  # each row's local day (computed once per row)
        self._ids: set[int] = set()
        self.thread_id: int | None = None
        self.has_older = False
        #: the thread goes on below the last row (opened in its middle): nothing live is added
        self.has_newer = False
        self.watermark: datetime | None = None
        self.loading = False
        self.page_size = conversation.PAGE
        self._generation = 0  # bumped by reset: answers for an earlier thread are dropped

    # -- Qt ----------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        m = self.rows[index.row()]
        if role == MESSAGE_ROLE:
            return m
        if role == Qt.ItemDataRole.DisplayRole:
            return "Message deleted" if m.deleted else m.body
        if role == NEW_DAY_ROLE:
            return self.row_flags(index.row())[0]
        if role == CONTINUED_ROLE:
            return self.row_flags(index.row())[1]
        return None

    def row_flags(self, row: int) -> tuple[bool, bool]:
        """(starts a new day, continues the previous sender's run) for ``row``.

        Plain Python on the model's lists: the delegate asks for every loaded row on each
        layout, and going through ``QModelIndex.data`` for that costs more than the layout.
        """
        if row == 0:
            return True, False
        m, before = self.rows[row], self.rows[row - 1]
        if self._days[row] != self._days[row - 1]:
            return True, False
        gap = (m.created_at - before.created_at).total_seconds()
        return False, before.sender_id == m.sender_id and 0 <= gap <= GROUP_SECONDS

    # -- loading -------------------------------------------------------------------------------
    def reset(self, thread_id: int | None, page: conversation.Page | None = None) -> None:
        """Show ``page`` of ``thread_id`` (or nothing), dropping whatever was loaded."""
        self._generation += 1
        self.beginResetModel()
        self.thread_id = thread_id
        self.rows = list(page.messages) if page else []
        self._keys = [conversation.cursor_of(m) for m in self.rows]
        self._days = [local_day(m.created_at) for m in self.rows]
        self._ids = {m.id for m in self.rows}
        self.has_older = bool(page and page.has_older)
        self.has_newer = bool(page and page.has_newer)
        self.watermark = page.watermark if page else None
        self.endResetModel()
        self._set_loading(False)

    def sync_point(self) -> dict[str, Any]:
        """What :func:`services.conversation.updates` needs to bring this model up to date."""
        return {
            "after_id": max(self._ids, default=0),
            "changed_since": self.watermark,
            "oldest": self._keys[0] if self._keys else None,
            "newest": self._keys[-1] if self.has_newer and self._keys else None,
        }

    def apply_updates(self, updates: conversation.Updates) -> int:
        """Insert new messages in order and replace changed ones; returns how many are new."""
        for m in updates.changed:
            self._replace(m)
        added = 0
        appended = 0
        for m in updates.new:
            if m.id in self._ids:
                self._replace(m)
                continue
            key = conversation.cursor_of(m)
            at = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), at, at)
            self.rows.insert(at, m)
            self._keys.insert(at, key)
            self._days.insert(at, local_day(m.created_at))
            self._ids.add(m.id)
            self.endInsertRows()
            added += 1
            if at == len(self.rows) - 1:
                appended += 1
            if at + 1 < len(self.rows):  # the next row's "continued" / day may change
                nxt = self.index(at + 1)
                self.dataChanged.emit(nxt, nxt)
        if updates.watermark is not None:
            self.watermark = updates.watermark
        if appended:
            self.appended.emit(appended)
        return added

    def _replace(self, m: MessageView) -> None:
        if m.id not in self._ids:
            return
        row = next(i for i, r in enumerate(self.rows) if r.id == m.id)
        self.rows[row] = m
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def fetch_older(self) -> Any:
        """Load the page before the oldest row in a worker (None when there is none or a
        fetch is already under way)."""
        if self.loading or not self.has_older or self.thread_id is None or not self._keys:
            return None
        thread_id, before, limit = self.thread_id, self._keys[0], self.page_size

        def read(ctx: Any) -> conversation.Page:
            return conversation.older(ctx, thread_id, before, limit=limit)

        return self._fetch(read, self._prepend)

    def fetch_newer(self) -> Any:
        """Load the page after the newest row in a worker, for a thread opened in its
        middle (None when the newest message is in or a fetch is under way)."""
        if self.loading or not self.has_newer or self.thread_id is None or not self._keys:
            return None
        thread_id, after, limit = self.thread_id, self._keys[-1], self.page_size

        def read(ctx: Any) -> conversation.Page:
            return conversation.newer(ctx, thread_id, after, limit=limit)

        return self._fetch(read, self._append)

    def _fetch(
        self, read: Callable[[Any], conversation.Page], add: Callable[[conversation.Page], None]
    ) -> Any:
        generation = self._generation
        self._set_loading(True)

        def loaded(page: conversation.Page) -> None:
            if generation == self._generation:
                add(page)

        def failed(error: Any) -> None:
            if generation == self._generation:
                self._set_loading(False)
                self.fetch_failed.emit(error)

        return self._run(read, loaded, failed)

    def _prepend(self, page: conversation.Page) -> None:
        fresh = [m for m in page.messages if m.id not in self._ids]
        self.has_older = page.has_older
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self.rows[:0] = fresh
            self._keys[:0] = [conversation.cursor_of(m) for m in fresh]
            self._days[:0] = [local_day(m.created_at) for m in fresh]
            self._ids.update(m.id for m in fresh)
            self.endInsertRows()
            after = self.index(len(fresh))
            self.dataChanged.emit(after, after)  # the old first row may join the group
        self._set_loading(False)
        if fresh:
            self.prepended.emit(len(fresh))

    def _append(self, page: conversation.Page) -> None:
        # Keyset from the last row: every message here sorts after it, none is held yet.
        fresh = [m for m in page.messages if m.id not in self._ids]
        self.has_newer = page.has_newer
        if fresh:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self.rows.extend(fresh)
            self._keys.extend(conversation.cursor_of(m) for m in fresh)
            self._days.extend(local_day(m.created_at) for m in fresh)
            self._ids.update(m.id for m in fresh)
            self.endInsertRows()
        self._set_loading(False)
        if fresh:
            self.appended.emit(len(fresh))
        self.newer_loaded.emit(len(fresh))

    def _set_loading(self, value: bool) -> None:
        if value != self.loading:
            self.loading = value
            self.loading_changed.emit(value)

    # -- lookups -------------------------------------------------------------------------------
    def row_of(self, message_id: int) -> int | None:
        for i, m in enumerate(self.rows):
            if m.id == message_id:
                return i
        return None

    def message(self, message_id: int) -> MessageView | None:
        row = self.row_of(message_id)
        return None if row is None else self.rows[row]
