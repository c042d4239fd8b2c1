"""Where the reader is in a conversation opened away from its end: the hit they came for,
the pages below it, what they have seen, and the way back to the newest message.

A thread opened at a search hit far back shows a page from its middle.
:class:`ReadingPosition` then, over the conversation's list view and model:

* centres and highlights the hit (:meth:`ReadingPosition.focus`), and lets the tint go at
  the reader's next click or key in the conversation;
* reads the page after the last row when the reader scrolls near the bottom, until the
  newest message is in (then asks the Inbox to catch up with what arrived meanwhile);
* says what has been **seen**: :func:`newest_seen` is the lowest message on screen, and
  :meth:`ReadingPosition.take_seen` hands the Inbox each new one to mark the thread read
  through — never everything merely because an old message was opened;
* shows **"Jump to latest ↓"** (:class:`LatestButton`) over the bottom centre while the
  newest page is not loaded, or the reader is more than a screen and a half above the end.

It holds no database code: the Inbox reads and writes through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QGraphicsDropShadowEffect, QPushButton, QWidget

from mentormatch_desktop.services.conversation import cursor_of
from mentormatch_desktop.services.inbox import MessageView
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.models.messages import MessageListModel
from mentormatch_desktop.ui.views.message_bubbles import ConversationList
from mentormatch_desktop.ui.views.message_highlight import Highlight

#: Scrolled this close to the bottom (pixels), the page after is fetched.
FETCH_MARGIN = 400
#: How far above the end (in viewport heights) "Jump to latest" shows on a loaded end.
FAR_FROM_END = 1.5
#: Of the bottom row, this much must be on screen to count as seen (pixels).
SEEN_PIXELS = 24
#: Marking read through what is on screen waits for the scrolling to settle (ms).
SETTLE_MS = 600


def newest_seen(view: QAbstractItemView, model: MessageListModel) -> MessageView | None:
    """The newest message on screen (its top ``SEEN_PIXELS`` at least), or None."""
    if not model.rows:
        return None
    viewport = view.viewport()
    bottom = viewport.height() - 1
    for y in (bottom, bottom - SEEN_PIXELS):
        index = view.indexAt(QPoint(viewport.width() // 2, max(0, y)))
        if index.isValid():
            rect = view.visualRect(index)
            row = index.row() if rect.top() <= bottom - SEEN_PIXELS else index.row() - 1
            return model.rows[row] if row >= 0 else None
    # nothing under the bottom edge: the messages end above it, the last one is in view
    last = view.visualRect(model.index(len(model.rows) - 1))
    return model.rows[-1] if last.top() <= bottom else None


def far_from_end(view: QAbstractItemView) -> bool:
    bar = view.verticalScrollBar()
    return bar.maximum() - bar.value() > FAR_FROM_END * max(1, view.viewport().height())


def near_end(view: QAbstractItemView) -> bool:
    bar = view.verticalScrollBar()
    return bar.value() >= bar.maximum() - FETCH_MARGIN


class LatestButton(QPushButton):
    """A pill button floating at the bottom centre of ``host`` (kept there as it resizes):
    between the left lane of the others' bubbles and the right lane of one's own, where it
    hides the least of them."""

    MARGIN = 16
    LABEL = "Jump to latest  ↓"

    def __init__(self, host: QWidget) -> None:
        super().__init__(self.LABEL, host)
        p = theme.current()
        self.setObjectName("jumpToLatest")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Leave this place in the conversation and show its newest messages")
        self.setStyleSheet(
            f"QPushButton#jumpToLatest {{ background: {p.accent}; color: {p.on_accent};"
            " border: none; border-radius: 15px; padding: 6px 16px; font-weight: 600; }"
            f" QPushButton#jumpToLatest:hover {{ background: {p.accent_hover}; }}"
        )
        self.setFixedHeight(30)
        shadow = QGraphicsDropShadowEffect(self)  # lifts it off the bubbles it floats over
        shadow.setBlurRadius(14)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(0, 0, 0, 70))
        self.setGraphicsEffect(shadow)
        self.hide()
        host.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        self.adjustSize()
        self.move((host.width() - self.width()) // 2, host.height() - self.height() - self.MARGIN)
        self.raise_()

    def set_shown(self, shown: bool, unread_below: int = 0) -> None:
        """Show or hide it; ``unread_below`` (when known) is said on it: "12 unread · …"."""
        text = f"{unread_below:,} unread  ·  {self.LABEL}" if unread_below else self.LABEL
        if text != self.text():
            self.setText(text)
            self.place()
        if shown != self.isVisibleTo(self.parentWidget()):
            self.setVisible(shown)
            if shown:
                self.place()


class ReadingPosition(QObject):
    """The reader's place in a conversation opened at a message (see the module's doc)."""

    #: the reader has new messages on screen: the Inbox marks read through them
    seen_moved = Signal()
    #: the newest page came in by scrolling down: what arrived since is to be read now
    caught_up = Signal()

    def __init__(
        self,
        view: ConversationList,
        model: MessageListModel,
        highlight: Highlight,
        unread: Callable[[], int],
    ) -> None:
        super().__init__(view)
        self.view, self.model, self.highlight = view, model, highlight
        self._unread = unread  # the open thread's unread count, as last read
        #: opened away from the end: read only through what was on screen
        self.partial = False
        self._read_through: tuple[datetime, int] | None = None
        self.button = LatestButton(view)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.seen_moved)
        model.newer_loaded.connect(self._after_newer)
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)

    # -- what the Inbox tells it -----------------------------------------------------------
    def leave(self) -> None:
        """Another conversation (or the same one afresh): nothing highlighted or pending."""
        self.highlight.clear()
        self.partial = False
        self._read_through = None
        self._settle.stop()
        self.button.set_shown(False)

    def focus(self, message_id: int, term: str) -> None:
        """The page around ``message_id`` is in: centre it, highlight it, ``term`` marked."""
        self.partial = True
        self.highlight.show(message_id, term)
        self.view.doItemsLayout()
        self.view.anchor_bottom()  # a short thread still sits down by the composer
        row = self.model.row_of(message_id)
        if row is not None:
            self.view.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.scrolled()

    def at_newest(self) -> None:
        """The newest page replaced a middle one (a message sent, or a catch-up)."""
        if self.highlight.message_id is not None or self.partial:
            self.highlight.clear()
            self.partial = False

    def scrolled(self) -> None:
        """The reader moved (or rows came): fetch below if near it, update the button, and
        mark read once the scrolling settles."""
        self.fetch_newer_if_near()
        self.update_button()
        if self.partial:
            self._settle.start()

    def fetch_newer_if_near(self) -> None:
        if self.model.has_newer and near_end(self.view):
            self.model.fetch_newer()

    def update_button(self) -> None:
        shown = self.model.thread_id is not None and (
            self.model.has_newer or far_from_end(self.view)
        )
        # Read through what was seen, what is unread lies below: it says where to go.
        self.button.set_shown(shown, self._unread() if self.partial else 0)

    def take_seen(self) -> tuple[MessageView, bool] | None:
        """The newest message on screen, if the thread is to be marked read through it
        (unread messages left, and further down than what was marked), with whether it is
        the thread's newest — from then on, the thread is read as usual."""
        seen = newest_seen(self.view, self.model)
        if not self.partial or seen is None:
            return None
        at_end = not self.model.has_newer and seen.id == self.model.rows[-1].id
        if at_end:
            self.partial = False
        key = cursor_of(seen)
        if not self._unread() or (self._read_through is not None and key <= self._read_through):
            return None
        self._read_through = key
        return seen, at_end

    # -- reacting to the model and the reader ----------------------------------------------
    def _after_newer(self, _count: int) -> None:
        if self.model.has_newer:
            QTimer.singleShot(0, self.fetch_newer_if_near)  # still near the bottom: one more
        else:
            self.caught_up.emit()
        self.scrolled()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A click or key in the conversation: the reader found the hit, let its tint go."""
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress):
            self.highlight.fade()
        return False
