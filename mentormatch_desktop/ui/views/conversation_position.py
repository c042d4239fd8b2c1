"""Where the reader is in a conversation opened away from its end: what they have seen, and
the way back to the newest message.

A thread opened at a search hit far back shows a page from its middle. Two things then
differ from a thread opened at its end:

* **What is read** is what the reader has had on screen: :func:`newest_seen` gives the
  lowest message in the viewport, and the Inbox marks the thread read through it (never
  everything merely because an old message was opened).
* **"Jump to latest ↓"** (:class:`LatestButton`) floats over the conversation's bottom
  right while the newest page is not loaded, or the reader is more than a screen above the
  end; it leaves the middle and opens the newest page.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QWidget

from mentormatch_desktop.services.inbox import MessageView
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.models.messages import MessageListModel

#: Scrolled this close to the bottom (pixels), the page after is fetched.
FETCH_MARGIN = 400
#: How far above the end (in viewport heights) "Jump to latest" shows on a loaded end.
FAR_FROM_END = 1.5
#: Of the bottom row, this much must be on screen to count as seen (pixels).
SEEN_PIXELS = 24


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
    """A pill button floating at the bottom right of ``host`` (kept there as it resizes)."""

    MARGIN = 16

    def __init__(self, host: QWidget) -> None:
        super().__init__("Jump to latest  ↓", host)
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
        self.move(
            host.width() - self.width() - self.MARGIN - 12,  # clear of the scroll bar
            host.height() - self.height() - self.MARGIN,
        )
        self.raise_()

    def set_shown(self, shown: bool) -> None:
        if shown != self.isVisibleTo(self.parentWidget()):
            self.setVisible(shown)
            if shown:
                self.place()
