"""The Inbox: a participant's conversations, live.

Left, the threads (newest first, unread in bold with a count, a preview of the last message)
and a search box over all of one's own messages; right, the open conversation (a page of 50
messages at a time, "Load earlier messages" fetching the page before) and the composer
(Ctrl+Enter sends). Opening a thread marks it read. One's own messages can be edited or
deleted for :data:`~mentormatch_desktop.services.inbox.EDIT_WINDOW` after sending them:
"Edit" and "Delete" links on the message and the same in its context menu (right click);
afterwards the menu's actions are disabled, with a tooltip saying why. Everything runs in
workers through :mod:`mentormatch_desktop.services.inbox` as the signed-in person.

The screen re-reads when ``AppContext.inbox_changed`` fires: a notification woke the app
(PostgreSQL LISTEN/NOTIFY) or the poll saw a change (SQLite) — see ``ui/live.py`` — so a
message someone sends appears without the user doing anything; if the open thread got it
and the screen is visible, it is marked read straight away.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import (
    Banner,
    EmptyState,
    PageHeader,
    card,
    make_button,
    section_title,
)
from mentormatch_desktop.ui.workers import Task, TaskError

THREAD_ROLE = Qt.ItemDataRole.UserRole
PREVIEW_ROLE = Qt.ItemDataRole.UserRole + 1
RESULT_ROLE = Qt.ItemDataRole.UserRole + 2
URL = re.compile(r"(https?://[^\s<>\"']+)")
KIND_LABEL = {"announcement": "Announcement", "group": "Group", "direct": "", "mentorship": ""}


def short_time(value: datetime | None, now: datetime | None = None) -> str:
    """``14:05`` today, ``Mon`` this week, ``3 Jun`` this year, else ``3 Jun 2025``."""
    if value is None:
        return ""
    local = value.astimezone()
    today = (now or datetime.now().astimezone()).astimezone()
    days = (today.date() - local.date()).days
    if days == 0:
        return f"{local:%H:%M}"
    if 0 < days < 7:
        return f"{local:%a}"
    if local.year == today.year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def _aware(value: datetime) -> datetime:
    """Stored times are UTC; SQLite gives them back without a zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def change_refusal(m: inbox.MessageView, me: int | None, now: datetime | None = None) -> str | None:
    """Why the signed-in person may not edit or delete ``m`` (None: they may)."""
    if m.deleted:
        return "This message was deleted."
    if me is None or m.sender_id != me:
        return "You can only edit or delete your own messages."
    minutes = int(inbox.EDIT_WINDOW.total_seconds() // 60)
    if (now or datetime.now(UTC)) - _aware(m.created_at) > inbox.EDIT_WINDOW:
        sent = _aware(m.created_at).astimezone()
        return (
            f"Messages can be edited or deleted for {minutes} minutes after sending; "
            f"this one was sent at {sent:%H:%M}."
        )
    return None


def message_html(text: str) -> str:
    """A message body as safe HTML: escaped, links clickable, line breaks kept."""
    escaped = html.escape(text)
    linked = URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
    return linked.replace("\n", "<br>")


@dataclass
class InboxState:
    """One read of the screen: the threads, their previews, and the open thread's page."""

    threads: list[inbox.ThreadSummary]
    previews: dict[int, inbox.LastMessage]
    thread_id: int | None = None
    page: inbox.MessagePage | None = None
    marked: int = 0
    sent: inbox.SentMessage | None = None


@dataclass
class _Request:
    thread_id: int | None
    mark: bool
    fresh: bool  # replace the open conversation rather than merge into it
    then_mark: bool = False  # a live update's second step: mark read what was shown
    extras: list[object] = field(default_factory=list)


class ThreadDelegate(QStyledItemDelegate):
    """Draws a thread (subject, time, preview, unread pill) or a search result."""

    HEIGHT = 66

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, self.HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        p = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(6, 3, -6, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(p.accent_soft if selected else p.hover))
            painter.drawRoundedRect(rect, 6, 6)
        inner = rect.adjusted(12, 8, -12, -8)
        thread: inbox.ThreadSummary | None = index.data(THREAD_ROLE)
        result: inbox.MessageView | None = index.data(RESULT_ROLE)
        base = QFont(option.font)
        if thread is not None:
            title, when = thread.subject, short_time(thread.last_message_at)
            preview: inbox.LastMessage | None = index.data(PREVIEW_ROLE)
            kind = KIND_LABEL.get(thread.kind, "")
            second = f"{preview.sender_name.split()[0]}: {preview.body}" if preview else ""
            if kind:
                second = f"{kind} · {second}" if second else kind
            unread = thread.unread
            muted = thread.muted
        else:
            assert result is not None
            title, when = result.sender_name, short_time(result.created_at)
            second, unread, muted = result.body, 0, False
        second = " ".join(second.split())
        bold = QFont(base)
        bold.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        top = QRect(inner.left(), inner.top(), inner.width(), inner.height() // 2)
        bottom = QRect(
            inner.left(), inner.top() + inner.height() // 2, inner.width(), inner.height() // 2
        )
        # the time, top right
        painter.setFont(small)
        painter.setPen(QColor(p.accent_text if unread else p.muted))
        time_width = painter.fontMetrics().horizontalAdvance(when) + 4
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        # the subject
        painter.setFont(bold)
        painter.setPen(QColor(p.muted if muted else p.text))
        subject_rect = top.adjusted(0, 0, -time_width - 8, 0)
        elided = painter.fontMetrics().elidedText(
            title, Qt.TextElideMode.ElideRight, subject_rect.width()
        )
        painter.drawText(
            subject_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
        )
        # the unread pill, bottom right
        pill_width = 0
        if unread:
            painter.setFont(small)
            label = str(unread) if unread < 100 else "99+"
            pill_width = max(20, painter.fontMetrics().horizontalAdvance(label) + 12)
            pill = QRect(bottom.right() - pill_width, bottom.center().y() - 9, pill_width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(p.muted if muted else p.accent))
            painter.drawRoundedRect(pill, 9, 9)
            painter.setPen(QColor(p.on_accent))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
        # the preview
        painter.setFont(small)
        painter.setPen(QColor(p.text if unread else p.muted))
        preview_rect = bottom.adjusted(0, 0, -pill_width - (8 if pill_width else 0), 0)
        elided = painter.fontMetrics().elidedText(
            second, Qt.TextElideMode.ElideRight, preview_rect.width()
        )
        painter.drawText(
            preview_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
        )
        painter.restore()


class InboxView(View):
    """Threads on the left, the open conversation and the composer on the right."""

    watches = ("mentorships",)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.me = context.identity.person_id
        self.state: InboxState | None = None
        self.thread_id: int | None = None
        self.messages: list[inbox.MessageView] = []
        self.older: int | None = None
        self.results: list[inbox.MessageView] | None = None
        self._task: Task | None = None
        self._pending: _Request | None = None
        self.editing: int | None = None  # the message the composer is editing
        self._anchors: list[tuple[int, int]] = []  # (document position, message id)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        self.header = PageHeader(
            "Inbox", "Conversations with your mentors, mentees and coordinators."
        )
        layout.addWidget(self.header)
        self.banner = Banner()
        layout.addWidget(self.banner)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(12)
        splitter.setStyleSheet("QSplitter::handle { background: transparent; }")
        layout.addWidget(splitter, 1)

        left = card()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(8, 10, 8, 8)
        left_column.setSpacing(8)
        self.search_box = QLineEdit(placeholderText="Search your messages")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(
            QAction(theme.icon("search", theme.current().muted, 16), "", self.search_box),
            QLineEdit.ActionPosition.LeadingPosition,
        )
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.search_box.textChanged.connect(self._search_text_changed)
        left_column.addWidget(self.search_box)
        self.list_title = QLabel("", objectName="hint")
        self.list_title.setContentsMargins(6, 0, 0, 0)
        left_column.addWidget(self.list_title)
        self.thread_list = QListWidget(objectName="threads")
        self.thread_list.setItemDelegate(ThreadDelegate(self.thread_list))
        self.thread_list.setMouseTracking(True)
        self.thread_list.setFrameShape(QListWidget.Shape.NoFrame)
        self.thread_list.setStyleSheet(
            "QListWidget#threads { background: transparent; border: none; outline: 0; }"
        )
        self.thread_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.thread_list.itemClicked.connect(self._item_clicked)
        self.thread_list.itemActivated.connect(self._item_clicked)
        left_column.addWidget(self.thread_list, 1)
        left.setMinimumWidth(300)
        splitter.addWidget(left)

        right = card()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.setSpacing(0)
        self.right_stack = QStackedWidget()
        right_column.addWidget(self.right_stack)
        self.empty = EmptyState(
            "inbox", "Choose a conversation", "Pick a thread on the left to read and reply."
        )
        self.right_stack.addWidget(self.empty)
        conversation = QWidget()
        conv = QVBoxLayout(conversation)
        conv.setContentsMargins(0, 0, 0, 0)
        conv.setSpacing(0)
        head = QWidget()
        head_row = QHBoxLayout(head)
        head_row.setContentsMargins(18, 12, 12, 10)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.thread_title = section_title("")
        self.thread_members = QLabel("", objectName="muted")
        self.thread_members.setIndent(0)
        titles.addWidget(self.thread_title)
        titles.addWidget(self.thread_members)
        head_row.addLayout(titles, 1)
        self.mute_button = make_button("Mute")
        self.mute_button.setToolTip(
            "A muted thread still counts unread here but sends no e-mail or chat notifications"
        )
        self.mute_button.clicked.connect(self.toggle_mute)
        head_row.addWidget(self.mute_button)
        conv.addWidget(head)
        line = QWidget()
        line.setFixedHeight(1)
        line.setStyleSheet(f"background: {theme.current().border};")
        conv.addWidget(line)
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._anchor)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.view.setStyleSheet(
            f"QTextBrowser {{ border: none; background: {theme.current().surface}; }}"
        )
        self.view.document().setDocumentMargin(14)
        conv.addWidget(self.view, 1)
        self.edit_bar = QWidget(objectName="editBar")
        edit_row = QHBoxLayout(self.edit_bar)
        edit_row.setContentsMargins(18, 8, 12, 0)
        self.edit_label = QLabel("Editing your message", objectName="hint")
        edit_row.addWidget(self.edit_label, 1)
        self.cancel_edit_button = make_button("Cancel", on_click=self.cancel_edit)
        edit_row.addWidget(self.cancel_edit_button)
        self.edit_bar.hide()
        conv.addWidget(self.edit_bar)
        composer = QWidget()
        comp = QHBoxLayout(composer)
        comp.setContentsMargins(12, 10, 12, 12)
        comp.setSpacing(10)
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText("Write a message…  (Ctrl+Enter to send)")
        self.composer.setFixedHeight(76)
        self.composer.textChanged.connect(self._update_send)
        self.send_button = make_button("Send", "send", primary=True)
        self.send_button.clicked.connect(self.send)
        self.send_button.setEnabled(False)
        comp.addWidget(self.composer, 1)
        comp.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.composer)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.send)
        escape = QShortcut(QKeySequence("Escape"), self.composer)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(self.cancel_edit)
        self.read_only_hint = QLabel("Announcements are read-only.", objectName="hint")
        self.read_only_hint.setContentsMargins(18, 8, 18, 12)
        self.read_only_hint.hide()
        conv.addWidget(composer)
        conv.addWidget(self.read_only_hint)
        self.composer_box = composer
        self.right_stack.addWidget(conversation)
        self.conversation = conversation
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 900])
        context.inbox_changed.connect(self._on_inbox_changed)

    # -- what tests and other screens use ---------------------------------------------
    def thread_ids(self) -> list[int]:
        return [t.id for t in self.state.threads] if self.state else []

    def unread_of(self, thread_id: int) -> int:
        for t in self.state.threads if self.state else []:
            if t.id == thread_id:
                return t.unread
        raise KeyError(thread_id)

    def conversation_text(self) -> str:
        return self.view.toPlainText()

    def open_thread(self, thread_id: int, *, mark: bool = True) -> Task | None:
        """Show ``thread_id`` (its newest page) and mark it read (unless ``mark`` is False)."""
        if thread_id != self.thread_id:
            self.cancel_edit()
        self.thread_id = thread_id
        self.messages, self.older = [], None
        self._select(thread_id)
        return self._request(_Request(thread_id, mark=mark, fresh=True))

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self._request(_Request(self.thread_id, mark=self.isVisible(), fresh=False))

    def _request(self, request: _Request) -> Task | None:
        if self._task is not None and not self._task.done:
            waiting = self._pending
            if waiting is not None and not request.fresh and waiting.thread_id == request.thread_id:
                waiting.mark = waiting.mark or request.mark
            else:
                self._pending = request
            return self._task
        thread_id = request.thread_id
        # A live update shows the new message first and marks it read in a second step,
        # so the write is not on the path from "sent" to "seen"; opening a thread does both.
        mark = request.mark and (request.fresh or request.then_mark)

        def load(ctx: ServiceContext) -> InboxState:
            page = inbox.read_page(ctx, thread_id) if thread_id is not None else None
            marked = 0
            if thread_id is not None and mark:
                marked = inbox.mark_read(ctx, thread_id)
            threads = inbox.list_threads(ctx)
            previews = inbox.last_messages(ctx, [t.id for t in threads])
            return InboxState(threads, previews, thread_id, page, marked)

        self._task = self.run(
            self.in_unit_of_work(load),
            on_success=lambda state: self._loaded(state, request.fresh, request.mark and not mark),
            on_error=self._failed,
        )
        self._task.finished.connect(self._next)
        return self._task

    def _next(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._request(pending)

    def _loaded(self, state: InboxState, fresh: bool, mark_next: bool = False) -> None:
        self.banner.hide()
        self.state = state
        self._fill_threads()
        current = self._current_summary()
        if mark_next and current is not None and current.unread and self._pending is None:
            self._pending = _Request(current.id, mark=True, fresh=False, then_mark=True)
        if state.thread_id is not None and state.thread_id == self.thread_id and state.page:
            if fresh:
                self.messages, self.older = list(state.page.messages), state.page.older
            else:
                self._merge(state.page)
            self._show_conversation(scroll_to_end="end" if fresh else "follow")
        if state.marked:
            self.context.inbox_changed.emit(
                {"thread_ids": [state.thread_id], "read": True, "source": id(self)}
            )

    def _merge(self, page: inbox.MessagePage) -> None:
        known = {m.id: m for m in self.messages}
        newest_known = max(known, default=0)
        if page.messages and page.older is not None and page.messages[0].id > newest_known:
            # more arrived than one page holds: start again from the newest page
            self.messages, self.older = list(page.messages), page.older
            return
        for m in page.messages:
            known[m.id] = m  # new ones, and edits or deletions of the ones shown
        self.messages = [known[i] for i in sorted(known)]

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")

    def _on_inbox_changed(self, payload: object) -> None:
        if isinstance(payload, dict) and payload.get("source") == id(self):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    # -- the thread list -------------------------------------------------------------------
    def _fill_threads(self) -> None:
        if self.results is not None:
            return
        assert self.state is not None
        self.thread_list.blockSignals(True)
        self.thread_list.clear()
        for t in self.state.threads:
            item = QListWidgetItem(t.subject)
            item.setData(THREAD_ROLE, t)
            item.setData(PREVIEW_ROLE, self.state.previews.get(t.id))
            item.setToolTip(", ".join(t.members))
            self.thread_list.addItem(item)
            if t.id == self.thread_id:
                item.setSelected(True)
                self.thread_list.setCurrentItem(item)
        self.thread_list.blockSignals(False)
        unread = sum(t.unread for t in self.state.threads)
        self.list_title.setText(
            f"{plural(len(self.state.threads), 'conversation')} · {unread} unread"
            if self.state.threads
            else "No conversations yet"
        )
        current = self._current_summary()
        if current is not None:
            self._show_header(current)

    def _select(self, thread_id: int) -> None:
        for row in range(self.thread_list.count()):
            item = self.thread_list.item(row)
            t = item.data(THREAD_ROLE)
            if t is not None and t.id == thread_id:
                self.thread_list.setCurrentItem(item)
                return

    def _item_clicked(self, item: QListWidgetItem) -> None:
        t = item.data(THREAD_ROLE)
        result = item.data(RESULT_ROLE)
        target = t.id if t is not None else result.thread_id if result is not None else None
        if target is not None and (target != self.thread_id or result is not None):
            self.open_thread(target)

    def _current_summary(self) -> inbox.ThreadSummary | None:
        for t in self.state.threads if self.state else []:
            if t.id == self.thread_id:
                return t
        return None

    # -- the conversation ------------------------------------------------------------------
    def _show_header(self, t: inbox.ThreadSummary) -> None:
        self.thread_title.setText(t.subject)
        kind = KIND_LABEL.get(t.kind, "")
        members = ", ".join(t.members) or "only you"
        self.thread_members.setText(f"{kind + ' · ' if kind else ''}with {members}")
        self.mute_button.setText("Unmute" if t.muted else "Mute")
        read_only = t.kind == "announcement"
        self.composer_box.setVisible(not read_only)
        self.read_only_hint.setVisible(read_only)

    def _show_conversation(self, *, scroll_to_end: str) -> None:
        """Render the messages; ``scroll_to_end``: "end" always, "follow" if the reader was
        at the end already (a new message arrived), "keep" never."""
        self.right_stack.setCurrentWidget(self.conversation)
        p = theme.current()
        zone = ZoneInfo("UTC")
        parts = [f"<html><body style='color:{p.text}'>"]
        if self.older is not None:
            parts.append(
                f"<p align='center'><a href='mm:older' style='color:{p.accent_text}'>"
                "Load earlier messages</a></p>"
            )
        elif self.messages:
            parts.append(
                f"<p align='center' style='color:{p.muted}'>"
                "This is the start of the conversation.</p>"
            )
        last_day = None
        now = datetime.now(UTC)
        for m in self.messages:
            local = (
                m.created_at.astimezone()
                if m.created_at.tzinfo
                else m.created_at.replace(tzinfo=zone)
            )
            day = local.date()
            if day != last_day:
                parts.append(  # a table: a paragraph's top margin collapses after a table
                    "<table width='100%' cellspacing='0' cellpadding='0' style='margin-top:14px'>"
                    f"<tr><td align='center' style='color:{p.muted}; font-size:9pt'>"
                    f"{local:%A} {local.day} {local:%B %Y}</td></tr></table>"
                )
                last_day = day
            mine = self.me is not None and m.sender_id == self.me
            if m.deleted:
                body = f"<i style='color:{p.muted}'>Message deleted</i>"
            else:
                body = message_html(m.body)
            edited = " · edited" if m.edited_at and not m.deleted else ""
            who = "You" if mine else html.escape(m.sender_name)
            actions = ""
            if mine and change_refusal(m, self.me, now) is None:
                link = f"color:{p.accent_text}; text-decoration:none"
                actions = (
                    f"&nbsp;&nbsp;<a href='mm:edit:{m.id}' style='{link}'>Edit</a>"
                    f"&nbsp;·&nbsp;<a href='mm:delete:{m.id}' style='{link}'>Delete</a>"
                )
            meta = (
                f"<a name='mm-msg-{m.id}'></a>"
                f"<span style='font-weight:600'>{who}</span>"
                f"<span style='color:{p.muted}; font-size:9pt'>"
                f"&nbsp;&nbsp;{local:%H:%M}{edited}{actions}</span>"
            )
            colour = p.accent_soft if mine else p.surface_alt
            bubble = f"<td bgcolor='{colour}' style='padding:8px 12px'>{meta}<br>{body}</td>"
            spacer = "<td width='22%'></td>"
            row = spacer + bubble if mine else bubble + spacer
            parts.append(
                "<table width='100%' cellspacing='0' cellpadding='0' style='margin-top:6px'>"
                f"<tr>{row}</tr></table>"
            )
        parts.append("</body></html>")
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        keep = bar.maximum() - bar.value()
        self.view.setHtml("".join(parts))
        self._index_anchors()
        if scroll_to_end == "end" or (scroll_to_end == "follow" and at_end):
            bar.setValue(bar.maximum())
        else:
            bar.setValue(max(0, bar.maximum() - keep))

    def _index_anchors(self) -> None:
        """Where each message starts in the document, to find the one under the mouse."""
        anchors: list[tuple[int, int]] = []
        block = self.view.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                for name in fragment.charFormat().anchorNames():
                    if name.startswith("mm-msg-"):
                        anchors.append((fragment.position(), int(name[7:])))
                it += 1
            block = block.next()
        self._anchors = sorted(anchors)

    def message_at(self, pos: QPoint) -> inbox.MessageView | None:
        """The message shown at ``pos`` (viewport coordinates of the conversation)."""
        where = self.view.cursorForPosition(pos).position()
        i = bisect.bisect_right(self._anchors, (where, 1 << 62)) - 1
        if i < 0:
            return None
        wanted = self._anchors[i][1]
        return next((m for m in self.messages if m.id == wanted), None)

    def message_menu(self, message: inbox.MessageView) -> QMenu:
        """Edit and delete ``message`` — disabled, with the reason as tooltip, if not allowed."""
        menu = QMenu(self.view)
        menu.setToolTipsVisible(True)
        refusal = change_refusal(message, self.me)
        edit = menu.addAction("Edit message")
        edit.triggered.connect(lambda: self.start_edit(message.id))
        delete = menu.addAction("Delete message")
        delete.triggered.connect(lambda: self.delete_message(message.id))
        for action in (edit, delete):
            action.setEnabled(refusal is None)
            if refusal is not None:
                action.setToolTip(refusal)
        if not message.deleted and message.body:
            menu.addSeparator()
            copy = menu.addAction("Copy text")
            body = message.body
            copy.triggered.connect(lambda: QApplication.clipboard().setText(body))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        message = self.message_at(pos)
        if message is None:
            self.view.createStandardContextMenu().exec(self.view.viewport().mapToGlobal(pos))
            return
        self.message_menu(message).exec(self.view.viewport().mapToGlobal(pos))

    def _anchor(self, url: QUrl) -> None:
        target = url.toString()
        if target == "mm:older":
            self.load_older()
            return
        if target.startswith("mm:edit:"):
            self.start_edit(int(target[8:]))
            return
        if target.startswith("mm:delete:"):
            self.delete_message(int(target[10:]))
            return
        from PySide6.QtGui import QDesktopServices

        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def load_older(self) -> Task | None:
        """Fetch the page before the oldest message shown."""
        if self.thread_id is None or self.older is None:
            return None
        thread_id, before = self.thread_id, self.older

        def older(ctx: ServiceContext) -> inbox.MessagePage:
            return inbox.read_page(ctx, thread_id, before=before)

        def shown(page: inbox.MessagePage) -> None:
            if self.thread_id != thread_id:
                return
            self.messages = list(page.messages) + self.messages
            self.older = page.older
            self._show_conversation(scroll_to_end="keep")
            self.view.verticalScrollBar().setValue(0)

        return self.run(self.in_unit_of_work(older), on_success=shown, on_error=self._failed)

    # -- writing ---------------------------------------------------------------------------
    def _update_send(self) -> None:
        self.send_button.setEnabled(
            bool(self.composer.toPlainText().strip()) and self.thread_id is not None
        )

    def send(self) -> Task | None:
        """Send what the composer holds into the open thread."""
        text = self.composer.toPlainText()
        thread_id = self.thread_id
        if thread_id is None or not text.strip():
            return None
        if self.editing is not None:
            return self._save_edit(self.editing, text)
        self.send_button.setEnabled(False)
        self.composer.setReadOnly(True)

        def write(ctx: ServiceContext) -> InboxState:
            sent = inbox.send_message(ctx, thread_id, text)
            page = inbox.read_page(ctx, thread_id)
            threads = inbox.list_threads(ctx)
            previews = inbox.last_messages(ctx, [t.id for t in threads])
            return InboxState(threads, previews, thread_id, page, sent=sent)

        def sent(state: InboxState) -> None:
            self.composer.setReadOnly(False)
            self.composer.clear()
            self._loaded(state, fresh=False)
            self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())
            self.context.inbox_changed.emit(
                {"thread_ids": [thread_id], "sent": True, "source": id(self)}
            )

        def failed(error: TaskError) -> None:
            self.composer.setReadOnly(False)
            self._update_send()
            exc = error.exception
            self.banner.show_message(
                exc.message if isinstance(exc, MessagingError) else error.message, "error"
            )

        return self.run(self.in_unit_of_work(write), on_success=sent, on_error=failed)

    # -- editing and deleting one's own messages -------------------------------------------
    def _message(self, message_id: int) -> inbox.MessageView | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def start_edit(self, message_id: int) -> bool:
        """Put the message into the composer to change it (False if that is not allowed)."""
        message = self._message(message_id)
        if message is None:
            return False
        refusal = change_refusal(message, self.me)
        if refusal is not None:
            self.banner.show_message(refusal, "warning")
            return False
        self.editing = message_id
        self.composer.setPlainText(message.body)
        self.composer.setFocus()
        self.edit_label.setText(
            f"Editing your message of {_aware(message.created_at).astimezone():%H:%M} "
            "· Esc to cancel"
        )
        self.edit_bar.show()
        self.send_button.setText("Save")
        self.send_button.setIcon(theme.icon("check", theme.current().on_accent, 18))
        return True

    def cancel_edit(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        self.edit_bar.hide()
        self.send_button.setText("Send")
        self.send_button.setIcon(theme.icon("send", theme.current().on_accent, 18))
        self.composer.clear()

    def _changed(self, thread_id: int) -> Callable[[InboxState], None]:
        def shown(state: InboxState) -> None:
            self._loaded(state, fresh=False)
            self.context.inbox_changed.emit({"thread_ids": [thread_id], "source": id(self)})

        return shown

    def _change_failed(self, error: TaskError) -> None:
        exc = error.exception
        self.banner.show_message(
            exc.message if isinstance(exc, MessagingError) else error.message, "error"
        )
        self.reload()

    def _save_edit(self, message_id: int, text: str) -> Task | None:
        thread_id = self.thread_id
        assert thread_id is not None
        self.send_button.setEnabled(False)
        self.composer.setReadOnly(True)

        def write(ctx: ServiceContext) -> InboxState:
            inbox.edit_message(ctx, message_id, text)
            return self._read_state(ctx, thread_id)

        def saved(state: InboxState) -> None:
            self.composer.setReadOnly(False)
            self.cancel_edit()
            self._changed(thread_id)(state)

        def failed(error: TaskError) -> None:
            self.composer.setReadOnly(False)
            self._update_send()
            self._change_failed(error)

        return self.run(self.in_unit_of_work(write), on_success=saved, on_error=failed)

    def delete_message(self, message_id: int, *, confirm: bool = True) -> Task | None:
        """Delete one's own message (after asking, unless ``confirm`` is False)."""
        message = self._message(message_id)
        thread_id = self.thread_id
        if message is None or thread_id is None:
            return None
        refusal = change_refusal(message, self.me)
        if refusal is not None:
            self.banner.show_message(refusal, "warning")
            return None
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete message",
                "Delete this message for everyone in the conversation? "
                "Notifications not yet sent are cancelled.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        if self.editing == message_id:
            self.cancel_edit()

        def remove(ctx: ServiceContext) -> InboxState:
            inbox.delete_message(ctx, message_id)
            return self._read_state(ctx, thread_id)

        return self.run(
            self.in_unit_of_work(remove),
            on_success=self._changed(thread_id),
            on_error=self._change_failed,
        )

    @staticmethod
    def _read_state(ctx: ServiceContext, thread_id: int) -> InboxState:
        page = inbox.read_page(ctx, thread_id)
        threads = inbox.list_threads(ctx)
        previews = inbox.last_messages(ctx, [t.id for t in threads])
        return InboxState(threads, previews, thread_id, page)

    def toggle_mute(self) -> Task | None:
        current = self._current_summary()
        if current is None:
            return None
        thread_id, muted = current.id, not current.muted

        def mute(ctx: ServiceContext) -> None:
            inbox.set_muted(ctx, thread_id, muted)

        return self.run(self.in_unit_of_work(mute), on_success=lambda _: self.reload())

    # -- search ------------------------------------------------------------------------------
    def search(self, text: str) -> Task | None:
        """Show the messages containing ``text`` in place of the thread list."""
        query = text.strip()
        if len(query) < 2:
            return None

        def find(ctx: ServiceContext) -> list[inbox.MessageView]:
            return inbox.search_messages(ctx, query)

        return self.run(
            self.in_unit_of_work(find), on_success=self._show_results, on_error=self._failed
        )

    def _show_results(self, results: list[inbox.MessageView]) -> None:
        self.results = results
        self.thread_list.clear()
        for m in results:
            item = QListWidgetItem(m.body)
            item.setData(RESULT_ROLE, m)
            self.thread_list.addItem(item)
        found = len(results)
        self.list_title.setText(
            f"{found} message{'s' if found != 1 else ''} found" if found else "Nothing found"
        )

    def _search_text_changed(self, text: str) -> None:
        if not text.strip() and self.results is not None:
            self.results = None
            if self.state is not None:
                self._fill_threads()

    # -- screenshots -----------------------------------------------------------------------
    def prepare_screenshot(self) -> None:
        """Open the newest thread, as a user would after starting the app — without
        marking it read: taking screenshots changes nothing in the database."""
        if self.state and self.state.threads and self.thread_id is None:
            self.open_thread(self.state.threads[0].id, mark=False)
