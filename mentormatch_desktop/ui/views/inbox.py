"""The Inbox: a participant's conversations, and a coordinator's own ones (Message both), live.

Left, the threads (newest first, unread in bold with a count, a preview of the last message),
a search box over all of one's own messages and "New group…"; right, the open conversation
and the composer (Ctrl+Enter sends). The conversation is a ``QListView`` over
:class:`~mentormatch_desktop.ui.models.messages.MessageListModel`, which holds only the pages
looked at: opening a thread reads its newest page, scrolling near the top reads the page
before (keyset on ``(created_at, id)``, in a worker), so a 10,000-message thread opens as
fast as a short one. :class:`~mentormatch_desktop.ui.views.message_bubbles.BubbleDelegate`
draws the bubbles. Opening a thread marks it read.

Activating a search result opens its thread *at* that message (:meth:`InboxView.open_at`):
the page around it, centred and tinted with the searched words marked; scrolling down reads
the pages after it until the newest. While the newest page is not loaded nothing live is
appended (it would sit after a gap) and "Jump to latest ↓" shows; the thread is marked read
only through the newest message the reader has had on screen
(:mod:`~mentormatch_desktop.ui.views.conversation_position`). One's own messages can be edited or
deleted for :data:`~mentormatch_desktop.services.inbox.EDIT_WINDOW` after sending them:
"Edit" and "Delete" on the bubble and the same in its context menu (right click);
afterwards the menu's actions are disabled, with a tooltip saying why. What is typed in
the composer stays with its thread (switching threads, editing a message and coming back
give it back). Everything runs in workers through the services as the signed-in person.

The screen re-reads when ``AppContext.inbox_changed`` fires: a notification woke the app
(PostgreSQL LISTEN/NOTIFY) or the poll saw a change (SQLite) — see ``ui/live.py`` — and
asks only for what is new or changed since what the open conversation holds
(:func:`~mentormatch_desktop.services.conversation.updates`); if the open thread got a
message and the screen is visible, it is marked read straight away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QFont,
    QKeySequence,
    QPainter,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
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
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import conversation, inbox
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.models.messages import MESSAGE_ROLE, MessageListModel
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.conversation_position import ReadingPosition
from mentormatch_desktop.ui.views.message_bubbles import (
    BubbleDelegate,
    ConversationList,
    aware,
    message_html,
)
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
KIND_LABEL = {"announcement": "Announcement", "group": "Group", "direct": "", "mentorship": ""}
#: Scrolled this close to the top (pixels), the page before is fetched.
FETCH_MARGIN = 400

__all__ = ["InboxView", "change_refusal", "message_html", "short_time"]


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


def change_refusal(
    m: inbox.MessageView, me: int | None, now: datetime | None = None, *, coordinator: bool = False
) -> str | None:
    """Why the signed-in person may not edit or delete ``m`` (None: they may).

    A coordinator's messages stay as sent: on PostgreSQL their role may add messages but
    change none (the grants give participants alone an update of their own), so the app
    says so on both databases rather than offer what would fail there."""
    if m.deleted:
        return "This message was deleted."
    if me is None or m.sender_id != me:
        return "You can only edit or delete your own messages."
    if coordinator:
        return "A coordinator's messages stay as sent: write another one to correct it."
    minutes = int(inbox.EDIT_WINDOW.total_seconds() // 60)
    if (now or datetime.now(UTC)) - aware(m.created_at) > inbox.EDIT_WINDOW:
        sent = aware(m.created_at).astimezone()
        return (
            f"Messages can be edited or deleted for {minutes} minutes after sending; "
            f"this one was sent at {sent:%H:%M}."
        )
    return None


@dataclass
class InboxState:
    """One read of the screen: the threads, their previews, and the open thread's news."""

    threads: list[inbox.ThreadSummary]
    previews: dict[int, inbox.LastMessage]
    thread_id: int | None = None
    page: conversation.Page | None = None  # a fresh newest page (opening, or catching up)
    updates: conversation.Updates | None = None  # what changed since the model's sync point
    marked: int = 0
    sent: inbox.SentMessage | None = None
    focus: int | None = None  # the page was read around this message (a search hit)


@dataclass
class _Request:
    thread_id: int | None
    mark: bool
    fresh: bool  # replace the open conversation rather than update it
    then_mark: bool = False  # a live update's second step: mark read what was shown
    extras: list[object] = field(default_factory=list)
    around: int | None = None  # open the page around this message, not the newest


def read_conversation(
    ctx: ServiceContext,
    thread_id: int | None,
    sync: dict[str, Any] | None,
    around: int | None = None,
) -> tuple[conversation.Page | None, conversation.Updates | None]:
    """The newest page (no ``sync``), the page around message ``around``, or what changed
    since ``sync``; a newest page again when too much arrived to catch up."""
    if thread_id is None:
        return None, None
    if around is not None:
        return conversation.around(ctx, thread_id, around), None
    if sync is None:
        return conversation.newest(ctx, thread_id), None
    news = conversation.updates(ctx, thread_id, **sync)
    if news.overflow:
        return conversation.newest(ctx, thread_id), None
    return None, news


def read_threads(ctx: ServiceContext) -> tuple[list[inbox.ThreadSummary], dict[int, Any]]:
    threads = inbox.list_threads(ctx)
    return threads, inbox.last_messages(ctx, [t.id for t in threads])


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
            second = f"{preview.sender_short}: {preview.body}" if preview else ""
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
        #: a coordinator who is a person reads and answers their own conversations here,
        #: but starts them with Message both and edits nothing already sent
        self.coordinator = context.identity.role != "participant"
        self.state: InboxState | None = None
        self.thread_id: int | None = None
        self.results: list[inbox.MessageView] | None = None
        self._query = ""  # what the results shown were searched for
        self._pending_term = ""  # the term to mark in the hit being opened
        self._task: Task | None = None
        self._pending: _Request | None = None
        self.editing: int | None = None  # the message the composer is editing
        self.drafts: dict[int, str] = {}  # what was typed per thread, kept while elsewhere
        self._draft_before_edit = ""
        self._keep_from_bottom: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        self.header = PageHeader(
            "Inbox",
            "Your conversations with the pairs you wrote to (Message both), and their replies."
            if self.coordinator
            else "Conversations with your mentors, mentees and coordinators.",
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
        search_row = QHBoxLayout()
        search_row.setSpacing(6)
        self.search_box = QLineEdit(placeholderText="Search your messages")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(
            QAction(theme.icon("search", theme.current().muted, 16), "", self.search_box),
            QLineEdit.ActionPosition.LeadingPosition,
        )
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.search_box.textChanged.connect(self._search_text_changed)
        search_row.addWidget(self.search_box, 1)
        self.new_group_button = make_button("New group…", "participants")
        self.new_group_button.setToolTip(
            "Start a group conversation with people you may write to, and name it"
        )
        self.new_group_button.clicked.connect(lambda: self.new_group())
        self.new_group_button.setEnabled(self.me is not None)
        self.new_group_button.setVisible(not self.coordinator)
        search_row.addWidget(self.new_group_button)
        left_column.addLayout(search_row)
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
        conversation_box = QWidget()
        conv = QVBoxLayout(conversation_box)
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
        self.add_people_button = make_button("Add people…", "add")
        self.add_people_button.setToolTip("Add people you may write to to this group")
        self.add_people_button.clicked.connect(lambda: self.add_people())
        self.add_people_button.hide()
        head_row.addWidget(self.add_people_button)
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
        self.older_hint = QLabel("", objectName="hint")
        self.older_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.older_hint.setContentsMargins(0, 6, 0, 0)
        conv.addWidget(self.older_hint)

        self.model = MessageListModel(self._run_for_model, self)
        self.view = ConversationList(objectName="conversation")
        self.view.setModel(self.model)
        self.bubbles = BubbleDelegate(self.view, self.me, self._refusal)
        self.view.setItemDelegate(self.bubbles)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.verticalScrollBar().setSingleStep(24)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setMouseTracking(True)
        self.view.setFrameShape(QListView.Shape.NoFrame)
        self.view.setSpacing(0)
        self.view.setStyleSheet(
            f"QListView#conversation {{ border: none; outline: 0;"
            f" background: {theme.current().surface}; }}"
            " QListView#conversation::item { background: transparent; border: none; }"
        )
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.bubbles.edit_requested.connect(self.start_edit)
        self.bubbles.delete_requested.connect(self.delete_message)
        self.bubbles.link_activated.connect(self._open_link)
        self.model.rowsAboutToBeInserted.connect(self._before_insert)
        self.model.prepended.connect(self._after_prepend)
        self.model.loading_changed.connect(self._show_older_hint)
        self.model.fetch_failed.connect(self._failed)
        self.highlight = self.bubbles.highlight
        self.position = ReadingPosition(self.view, self.model, self.highlight, self._unread_here)
        self.position.seen_moved.connect(self.mark_seen)
        self.position.caught_up.connect(self.reload)  # what arrived while below was unread
        self.latest_button = self.position.button
        self.latest_button.clicked.connect(self.jump_to_latest)
        conv.addWidget(self.view, 1)
        # Edit and Delete end after EDIT_WINDOW: repaint now and then so they go in time.
        self._expiry = QTimer(self, interval=30_000)
        self._expiry.timeout.connect(self.view.viewport().update)
        self._expiry.start()

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
        self.right_stack.addWidget(conversation_box)
        self.conversation = conversation_box
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 900])
        context.inbox_changed.connect(self._on_inbox_changed)

    # -- what tests and other screens use ---------------------------------------------
    @property
    def messages(self) -> list[inbox.MessageView]:
        """The messages loaded for the open thread, oldest first."""
        return self.model.rows

    def thread_ids(self) -> list[int]:
        return [t.id for t in self.state.threads] if self.state else []

    def unread_of(self, thread_id: int) -> int:
        for t in self.state.threads if self.state else []:
            if t.id == thread_id:
                return t.unread
        raise KeyError(thread_id)

    def conversation_text(self) -> str:
        """The loaded conversation as plain text (what the bubbles say)."""
        lines = []
        for m in self.model.rows:
            who = "You" if self.me is not None and m.sender_id == self.me else m.sender_name
            edited = " · edited" if m.edited_at and not m.deleted else ""
            body = "Message deleted" if m.deleted else m.body
            lines.append(f"{who} {aware(m.created_at).astimezone():%H:%M}{edited}\n{body}")
        return "\n".join(lines)

    def open_thread(self, thread_id: int, *, mark: bool = True) -> Task | None:
        """Show ``thread_id`` (its newest page) and mark it read (unless ``mark`` is False)."""
        self._leave(thread_id)
        return self._request(_Request(thread_id, mark=mark, fresh=True))

    def open_at(self, message: inbox.MessageView, term: str = "") -> Task | None:
        """Show ``message``'s thread at that message: the page around it, centred, tinted,
        ``term`` marked in it. Nothing is marked read yet: :meth:`mark_seen` does, through
        what the reader then has on screen."""
        self._leave(message.thread_id)
        self.position.partial = True
        self._pending_term = term
        return self._request(_Request(message.thread_id, mark=False, fresh=True, around=message.id))

    def _leave(self, thread_id: int) -> None:
        """Forget the conversation shown (its draft kept) before showing ``thread_id``."""
        if thread_id != self.thread_id:
            self._switch_draft(thread_id)
        self.thread_id = thread_id
        self.model.reset(None)
        self.position.leave()
        self._select(thread_id)

    def jump_to_latest(self) -> Task | None:
        """Leave the middle of the conversation for its end (the newest page if it is not
        loaded); the thread is then read as when opened normally."""
        if self.thread_id is None:
            return None
        if self.model.has_newer or self.model.thread_id != self.thread_id:
            return self.open_thread(self.thread_id)
        self.highlight.fade()
        self._scroll_to_end()
        return None

    def _switch_draft(self, thread_id: int) -> None:
        """Keep what was typed for the thread being left; bring back the one of ``thread_id``."""
        if self.editing is not None:
            self.cancel_edit()
        if self.thread_id is not None:
            text = self.composer.toPlainText()
            if text.strip():
                self.drafts[self.thread_id] = text
            else:
                self.drafts.pop(self.thread_id, None)
        self.composer.setPlainText(self.drafts.get(thread_id, ""))

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self._request(_Request(self.thread_id, mark=self.isVisible(), fresh=False))

    def _sync(self, thread_id: int | None, fresh: bool) -> dict[str, Any] | None:
        """The model's sync point when it holds ``thread_id`` (None: read the newest page)."""
        if fresh or thread_id is None or self.model.thread_id != thread_id:
            return None
        return self.model.sync_point()

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
        sync = self._sync(thread_id, request.fresh)
        around = request.around

        def load(ctx: ServiceContext) -> InboxState:
            page, news = read_conversation(ctx, thread_id, sync, around)
            marked = 0
            if thread_id is not None and mark:
                marked = inbox.mark_read(ctx, thread_id)
            threads, previews = read_threads(ctx)
            return InboxState(threads, previews, thread_id, page, news, marked, focus=around)

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
        if current is not None and self.results is not None:
            self._show_header(current)  # the list shows search results, not this thread
        if self.latest_button.isVisibleTo(self.view):
            self.position.update_button()  # the unread count on it may have moved
        if self.position.partial:
            mark_next = False  # read through what is on screen only (mark_seen)
        if mark_next and current is not None and current.unread and self._pending is None:
            self._pending = _Request(current.id, mark=True, fresh=False, then_mark=True)
        if state.thread_id is not None and state.thread_id == self.thread_id:
            self.right_stack.setCurrentWidget(self.conversation)
            if state.page is not None and state.focus is not None:
                self.model.reset(state.thread_id, state.page)
                self.position.focus(state.focus, self._pending_term)
                self._maybe_fetch_older()
                self._show_older_hint(False)
            elif state.page is not None:
                self.model.reset(state.thread_id, state.page)
                self.position.at_newest()
                self._scroll_to_end()
                self._show_older_hint(False)
            elif state.updates is not None and self.model.thread_id == state.thread_id:
                at_end = self._at_end()
                added = self.model.apply_updates(state.updates)
                if added:
                    self.view.anchor_bottom()
                if added and (at_end or state.sent is not None):
                    self._scroll_to_end()
        if state.marked:
            self.context.inbox_changed.emit(
                {"thread_ids": [state.thread_id], "read": True, "source": id(self)}
            )

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
        self._show_list_title()
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
        if result is not None:
            self.open_at(result, self._query)
        elif t is not None and t.id != self.thread_id:
            self.open_thread(t.id)

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
        self.thread_members.setToolTip(members)
        self.mute_button.setText("Unmute" if t.muted else "Mute")
        read_only = t.kind == "announcement"
        self.composer_box.setVisible(not read_only)
        self.read_only_hint.setVisible(read_only)
        self.add_people_button.setVisible(
            t.kind == "group"
            and self.me is not None
            and t.created_by_id == self.me
            and not self.coordinator  # the picker lists whom a participant may write to
        )
        self.bubbles.group = t.kind in ("group", "announcement")

    def _at_end(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

    def _scroll_to_end(self) -> None:
        self.view.doItemsLayout()
        self.view.anchor_bottom()
        self.view.scrollToBottom()
        self._maybe_fetch_older()

    def _scrolled(self, value: int) -> None:
        if value <= FETCH_MARGIN:
            self._maybe_fetch_older()
        self.position.scrolled()
        self._show_older_hint(self.model.loading)

    # -- a conversation opened at a search hit ---------------------------------------------
    def _unread_here(self) -> int:
        current = self._current_summary()
        return current.unread if current is not None else 0

    def mark_seen(self) -> Task | None:
        """Mark the open thread read through the newest message on screen (a thread opened
        in its middle); once its end is on screen, read as usual from then on."""
        thread_id = self.thread_id
        step = self.position.take_seen() if self.model.thread_id == thread_id else None
        if step is None or thread_id is None:
            return None
        seen, at_end = step
        if at_end:
            return self._request(_Request(thread_id, mark=True, fresh=False, then_mark=True))

        def mark(ctx: ServiceContext) -> tuple[int, list[inbox.ThreadSummary], dict[int, Any]]:
            marked = inbox.mark_read_through(ctx, thread_id, seen.created_at)
            return (marked, *read_threads(ctx))

        def marked(result: tuple[int, list[inbox.ThreadSummary], dict[int, Any]]) -> None:
            count, threads, previews = result
            if self.state is not None:
                self.state.threads, self.state.previews = threads, previews
                self._fill_threads()
                self.position.update_button()
            if count:
                self.context.inbox_changed.emit(
                    {"thread_ids": [thread_id], "read": True, "source": id(self)}
                )

        return self.run(self.in_unit_of_work(mark), on_success=marked, on_error=self._failed)

    def _maybe_fetch_older(self) -> None:
        """Fetch the page before when the reader is near the top (or all of it fits)."""
        bar = self.view.verticalScrollBar()
        if self.model.has_older and bar.value() <= FETCH_MARGIN:
            self.load_older()

    def load_older(self) -> Task | None:
        """Fetch the page before the oldest message shown (in a worker)."""
        return self.model.fetch_older()

    def _run_for_model(
        self, fn: Callable[[ServiceContext], Any], on_success: Any, on_error: Any
    ) -> Task:
        return self.run(self.in_unit_of_work(fn), on_success=on_success, on_error=on_error)

    def _before_insert(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if first == 0 and self.model.loading:
            bar = self.view.verticalScrollBar()
            self._keep_from_bottom = bar.maximum() - bar.value()

    def _after_prepend(self, _count: int) -> None:
        """Rows came in above: keep the messages the reader was looking at where they were."""
        keep, self._keep_from_bottom = self._keep_from_bottom, None
        self.view.doItemsLayout()
        self.view.anchor_bottom()
        bar = self.view.verticalScrollBar()
        if keep is not None:
            bar.setValue(max(0, bar.maximum() - keep))
        self._show_older_hint(False)
        QTimer.singleShot(0, self._maybe_fetch_older)  # still near the top: one more
        QTimer.singleShot(0, self.position.fetch_newer_if_near)  # or near a middle page's end

    def _show_older_hint(self, loading: bool) -> None:
        if loading:
            self.older_hint.setText("Loading earlier messages…")
        elif self.model.rows and not self.model.has_older and self._at_top():
            # Only while the first message is in view: above a half-scrolled list it
            # claimed a start the reader could not see.
            self.older_hint.setText("This is the start of the conversation.")
        else:
            self.older_hint.setText("")
        self.older_hint.setVisible(bool(self.older_hint.text()))

    def _at_top(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() <= bar.minimum()

    def message_at(self, pos: QPoint) -> inbox.MessageView | None:
        """The message shown at ``pos`` (viewport coordinates of the conversation)."""
        index = self.view.indexAt(pos)
        return index.data(MESSAGE_ROLE) if index.isValid() else None

    def point_of(self, message_id: int) -> QPoint | None:
        """The centre of a loaded message's bubble on screen (scrolled into view)."""
        row = self.model.row_of(message_id)
        if row is None:
            return None
        index = self.model.index(row)
        self.view.scrollTo(index)
        rect = self.view.visualRect(index)
        g = self.bubbles.geometry(rect, index, self.view.font())
        return g.bubble.center()

    def _refusal(self, m: inbox.MessageView) -> str | None:
        return change_refusal(m, self.me, coordinator=self.coordinator)

    def message_menu(self, message: inbox.MessageView) -> QMenu:
        """Edit and delete ``message`` — disabled, with the reason as tooltip, if not allowed."""
        menu = QMenu(self.view)
        menu.setToolTipsVisible(True)
        refusal = change_refusal(message, self.me, coordinator=self.coordinator)
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
        if message is not None:
            self.message_menu(message).exec(self.view.viewport().mapToGlobal(pos))

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

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
        # Opened in the middle: the sent message shows at the end, so go there.
        sync = None if self.model.has_newer else self._sync(thread_id, False)

        def write(ctx: ServiceContext) -> InboxState:
            sent = inbox.send_message(ctx, thread_id, text)
            page, news = read_conversation(ctx, thread_id, sync)
            threads, previews = read_threads(ctx)
            return InboxState(threads, previews, thread_id, page, news, sent=sent)

        def sent(state: InboxState) -> None:
            self.composer.setReadOnly(False)
            if self.thread_id == thread_id:
                self.composer.clear()
            self.drafts.pop(thread_id, None)
            self._loaded(state, fresh=False)
            if self.thread_id == thread_id:
                self._scroll_to_end()
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
        return self.model.message(message_id)

    def start_edit(self, message_id: int) -> bool:
        """Put the message into the composer to change it (False if that is not allowed);
        the draft being typed comes back afterwards."""
        message = self._message(message_id)
        if message is None:
            return False
        refusal = change_refusal(message, self.me, coordinator=self.coordinator)
        if refusal is not None:
            self.banner.show_message(refusal, "warning")
            return False
        if self.editing is None:
            self._draft_before_edit = self.composer.toPlainText()
        self.editing = message_id
        self.composer.setPlainText(message.body)
        self.composer.setFocus()
        self.edit_label.setText(
            f"Editing your message of {aware(message.created_at).astimezone():%H:%M} "
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
        self.composer.setPlainText(self._draft_before_edit)
        self._draft_before_edit = ""

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
        sync = self._sync(thread_id, False)

        def write(ctx: ServiceContext) -> InboxState:
            inbox.edit_message(ctx, message_id, text)
            return self._read_state(ctx, thread_id, sync)

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
        refusal = change_refusal(message, self.me, coordinator=self.coordinator)
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
        sync = self._sync(thread_id, False)

        def remove(ctx: ServiceContext) -> InboxState:
            inbox.delete_message(ctx, message_id)
            return self._read_state(ctx, thread_id, sync)

        return self.run(
            self.in_unit_of_work(remove),
            on_success=self._changed(thread_id),
            on_error=self._change_failed,
        )

    @staticmethod
    def _read_state(ctx: ServiceContext, thread_id: int, sync: dict[str, Any] | None) -> InboxState:
        page, news = read_conversation(ctx, thread_id, sync)
        threads, previews = read_threads(ctx)
        return InboxState(threads, previews, thread_id, page, news)

    def toggle_mute(self) -> Task | None:
        current = self._current_summary()
        if current is None:
            return None
        thread_id, muted = current.id, not current.muted

        def mute(ctx: ServiceContext) -> None:
            inbox.set_muted(ctx, thread_id, muted)

        return self.run(self.in_unit_of_work(mute), on_success=lambda _: self.reload())

    # -- groups ------------------------------------------------------------------------------
    def new_group(self, *, show: bool = True) -> Any:
        """The "New group…" dialog; the group opens once it is created."""
        from mentormatch_desktop.ui.views.group_dialog import GroupDialog

        dialog = GroupDialog(self)
        dialog.done_with.connect(self._group_made)
        if show:
            dialog.open()
        return dialog

    def add_people(self, *, show: bool = True) -> Any:
        """Add people to the open group (its creator only)."""
        from mentormatch_desktop.ui.views.group_dialog import GroupDialog

        current = self._current_summary()
        if current is None:
            return None
        dialog = GroupDialog(self, thread_id=current.id, subject=current.subject)
        dialog.done_with.connect(self._group_made)
        if show:
            dialog.open()
        return dialog

    def _group_made(self, thread_id: int) -> None:
        self.context.inbox_changed.emit({"thread_ids": [thread_id], "source": id(self)})
        self.open_thread(thread_id)

    # -- search ------------------------------------------------------------------------------
    def search(self, text: str) -> Task | None:
        """Show the messages containing ``text`` in place of the thread list."""
        query = text.strip()
        if len(query) < 2:
            if query:  # Enter on one letter did nothing, without a word why
                self.list_title.setText("Type at least 2 letters to search")
            return None

        def find(ctx: ServiceContext) -> list[inbox.MessageView]:
            return inbox.search_messages(ctx, query)

        def found(results: list[inbox.MessageView]) -> None:
            self._query = query
            self._show_results(results)

        return self.run(self.in_unit_of_work(find), on_success=found, on_error=self._failed)

    def _show_results(self, results: list[inbox.MessageView]) -> None:
        self.results = results
        self.thread_list.clear()
        for m in results:
            item = QListWidgetItem(m.body)
            item.setData(RESULT_ROLE, m)
            self.thread_list.addItem(item)
        found = len(results)
        self.list_title.setText(
            f"{found} message{'s' if found != 1 else ''} found"
            if found
            else f"No messages contain “{self._query}”"
        )

    def _show_list_title(self) -> None:
        """How many conversations, and how many unread (the thread list is shown)."""
        if self.state is None:
            return
        unread = sum(t.unread for t in self.state.threads)
        self.list_title.setText(
            f"{plural(len(self.state.threads), 'conversation')} · {unread} unread"
            if self.state.threads
            else "No conversations yet"
        )

    def _search_text_changed(self, text: str) -> None:
        if not text.strip() and self.results is not None:
            self.results = None
            if self.state is not None:
                self._fill_threads()
        elif self.results is None:
            self._show_list_title()  # a "type at least 2 letters" hint goes as they type

    # -- screenshots -----------------------------------------------------------------------
    def prepare_screenshot(self) -> None:
        """Open the newest thread, as a user would after starting the app — without
        marking it read: taking screenshots changes nothing in the database."""
        if self.state and self.state.threads and self.thread_id is None:
            self.open_thread(self.state.threads[0].id, mark=False)
