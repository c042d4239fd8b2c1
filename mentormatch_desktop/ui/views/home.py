""" "Home" for a participant: their mentorships, next sessions, unread messages, goals, and
what waits for them.

Read in one worker through :func:`mentormatch_desktop.services.home.my_home` as the
signed-in person; it reloads by itself when the inbox changes (``inbox_changed``: a message
arrived, or they read one), so the unread figures never go stale.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services.home import Home, HomeMentorship, my_home
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.charts.kpi import KpiTile
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_date, plural
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.milestones_dialog import MilestonesDialog
from mentormatch_desktop.ui.views.my_mentorship import MyMentorshipDialog
from mentormatch_desktop.ui.widgets import Banner, PageHeader, card, make_button, section_title
from mentormatch_desktop.ui.workers import Task, TaskError


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def session_text(when: datetime | None, zone: str, confirmed: bool = True) -> str:
    """``Tue 9 Jun, 14:00`` in the person's own zone (``proposed`` when not yet agreed)."""
    if when is None:
        return "No session planned"
    local = when.astimezone(_zone(zone))
    text = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    return text if confirmed else f"{text} (proposed)"


class MentorshipCard(QFrame):
    """A mentorship on Home: double-click it, or Enter while it has focus, to open it."""

    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class HomeView(View):
    """The participant's start screen."""

    watches = ("mentorships", "participants")
    #: the screen a click leads to ("inbox", "schedule") and, for a thread, its id (else 0)
    open_requested = Signal(str, int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.home: Home | None = None
        self._loading: Task | None = None
        self._again = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        page = QWidget()
        scroll.setWidget(page)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(14)

        self.header = PageHeader("Home", "Your mentoring at a glance.")
        inbox = self.header.add_action("Open inbox", "inbox", primary=True)
        inbox.clicked.connect(lambda: self.open_requested.emit("inbox", 0))
        layout.addWidget(self.header)
        self.banner = Banner()
        layout.addWidget(self.banner)

        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        self.unread_tile = KpiTile("Unread messages", "across all your conversations")
        self.unread_tile.make_clickable()
        self.unread_tile.clicked.connect(lambda: self.open_requested.emit("inbox", 0))
        self.mentorship_tile = KpiTile("Mentorships", "running now")
        self.session_tile = KpiTile("Next session", "")
        self.session_tile.make_clickable()  # like the unread tile: to where it is managed
        self.session_tile.setToolTip("Open your schedule")
        self.session_tile.clicked.connect(lambda: self.open_requested.emit("schedule", 0))
        self.goal_tile = KpiTile("Open goals", "")
        for tile in (self.unread_tile, self.mentorship_tile, self.session_tile, self.goal_tile):
            tiles.addWidget(tile, 1)
        layout.addLayout(tiles)

        # Side by side on a wide window; stacked when the page is too narrow for both
        # (a sideways scroll bar hid the right-hand column at 1100 px), with what waits
        # for the person on top: bottom-to-top puts the second column first.
        self.columns = columns = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        columns.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(10)
        left.addWidget(section_title("My mentorships"))
        self.mentorship_box = QVBoxLayout()
        self.mentorship_box.setSpacing(10)
        left.addLayout(self.mentorship_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(section_title("Needs your attention"))
        self.todo_card = card()
        self.todo_box = QVBoxLayout(self.todo_card)
        self.todo_box.setContentsMargins(14, 10, 14, 10)
        self.todo_box.setSpacing(6)
        right.addWidget(self.todo_card)
        right.addWidget(section_title("My goals"))
        self.goal_card = card()
        self.goal_box = QVBoxLayout(self.goal_card)
        self.goal_box.setContentsMargins(14, 10, 14, 10)
        self.goal_box.setSpacing(6)
        right.addWidget(self.goal_card)
        right.addStretch(1)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        layout.addLayout(columns, 1)
        context.inbox_changed.connect(self._on_inbox_changed)

    #: below this page width the two columns are stacked
    STACK_BELOW = 1000

    def stacked(self) -> bool:
        """Whether "Needs your attention" and "My goals" sit above the mentorships."""
        return self.columns.direction() == QBoxLayout.Direction.BottomToTop

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wanted = (
            QBoxLayout.Direction.BottomToTop
            if event.size().width() < self.STACK_BELOW
            else QBoxLayout.Direction.LeftToRight
        )
        if self.columns.direction() != wanted:
            self.columns.setDirection(wanted)

    # -- loading -------------------------------------------------------------------------
    def _load(self) -> Home:
        with self.context.unit_of_work() as ctx:
            return my_home(ctx)

    def reload(self) -> None:
        if self._loading is not None and not self._loading.done:
            self._again = True  # one more read once this one is back
            return
        self._loading = self.run(self._load, on_success=self.show_home, on_error=self._failed)
        self._loading.finished.connect(self._reload_again)

    def _reload_again(self) -> None:
        if self._again:
            self._again = False
            self.reload()

    def _on_inbox_changed(self, _payload: object) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")

    # -- showing -------------------------------------------------------------------------
    def show_home(self, home: Home) -> None:
        self.home = home
        self.banner.hide()
        # The service decides how to address the person (preferred name, else first word).
        self.header.title.setText(f"Welcome back, {home.address}" if home.address else "Home")
        self.unread_tile.set_value(
            f"{home.unread:,}", tone="warn" if home.unread else "", hint=None
        )
        self.mentorship_tile.set_value(
            str(len(home.mentorships)),
            ", ".join(sorted({m.program for m in home.mentorships})) or "none running now",
        )
        upcoming = [m for m in home.mentorships if m.next_session is not None]
        soonest = min(upcoming, key=lambda m: m.next_session) if upcoming else None
        if soonest is not None:
            local = soonest.next_session.astimezone(_zone(home.time_zone))
            self.session_tile.set_value(
                f"{local:%a} {local.day} {local:%b}",
                f"{local:%H:%M} with {soonest.partner}"
                + ("" if soonest.next_session_confirmed else " (proposed)"),
            )
        else:
            self.session_tile.set_value("—", "nothing planned yet")
        due = [g for g in home.goals if g.target_date is not None]
        if due:
            goal_hint = f"next due {format_date(min(g.target_date for g in due))}"
        else:  # never a blank line under the number, as the other tiles have one
            goal_hint = "no due dates set" if home.goals else "none open"
        self.goal_tile.set_value(str(len(home.goals)), goal_hint)
        self._fill_mentorships(home)
        self._fill_todo(home)
        self._fill_goals(home)

    def _clear(self, box: QVBoxLayout) -> None:
        while box.count():
            item = box.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()

    def _fill_mentorships(self, home: Home) -> None:
        self._clear(self.mentorship_box)
        if not home.mentorships:
            empty = card()
            row = QVBoxLayout(empty)
            row.setContentsMargins(16, 14, 16, 14)
            row.addWidget(QLabel("<b>No running mentorship yet</b>"))
            text = QLabel(
                "When your coordinator approves a match, your mentor or mentee appears here "
                "and your conversation opens in the inbox.",
                objectName="muted",
            )
            text.setWordWrap(True)
            row.addWidget(text)
            self.mentorship_box.addWidget(empty)
            return
        for m in home.mentorships:
            self.mentorship_box.addWidget(self._mentorship_card(m, home.time_zone))

    def _mentorship_card(self, m: HomeMentorship, zone: str) -> QFrame:
        frame = MentorshipCard()
        frame.setToolTip("Double-click or press Enter for the details")
        frame.activated.connect(lambda: self.open_details(m.id, m.partner))
        frame.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        grid = QGridLayout(frame)
        grid.setContentsMargins(16, 12, 16, 12)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        avatar = QLabel()
        avatar.setPixmap(theme.pixmap("person", theme.current().accent, 28))
        grid.addWidget(avatar, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        role = "Your mentee" if m.my_side == "mentor" else "Your mentor"
        name = QLabel(
            f"<span style='font-size:12pt; font-weight:600'>{html.escape(m.partner)}</span>"
        )
        grid.addWidget(name, 0, 1)
        paused = " · paused" if m.status == "paused" else ""
        grid.addWidget(
            QLabel(
                f"{role} · {m.program} · since {format_date(m.started_at)}{paused}",
                objectName="muted",
            ),
            1,
            1,
        )
        facts = QHBoxLayout()
        facts.setSpacing(18)
        facts.addWidget(
            self._fact("calendar", session_text(m.next_session, zone, m.next_session_confirmed))
        )
        milestones = self._fact(
            "check",
            plural(m.open_milestones, "open milestone"),
            on_click=lambda: self.open_milestones(m.id, m.partner),
        )
        milestones.setToolTip("See the milestones and mark yours done")
        facts.addWidget(milestones)
        unread = plural(m.unread, "unread message") if m.unread else "All caught up"
        facts.addWidget(self._fact("chat", unread, strong=bool(m.unread)))
        facts.addStretch(1)
        grid.addLayout(facts, 2, 1, 1, 2)  # under the button too: the widest row
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        details = make_button("Details", "info")
        details.clicked.connect(lambda: self.open_details(m.id, m.partner))
        details.setObjectName("mentorshipDetails")
        details.setToolTip("Goals, sessions and notes of this mentorship")
        button = make_button("Message", "chat")
        thread_id = m.thread_id or 0
        button.clicked.connect(lambda: self.open_requested.emit("inbox", thread_id))
        buttons.addWidget(details)
        buttons.addWidget(button)
        grid.addLayout(buttons, 0, 2, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        return frame

    def open_details(self, mentorship_id: int, partner: str) -> MyMentorshipDialog:
        """The mentorship's own page (goals, sessions, notes, feedback given); its Message
        and Schedule buttons lead where this screen's own links do."""
        dialog = MyMentorshipDialog(self.context, mentorship_id, partner, self)
        dialog.changed.connect(self._milestone_done)
        dialog.open_requested.connect(self.open_requested)
        dialog.open()
        return dialog

    def screenshot_extras(self) -> list[tuple[str, object]]:
        """The detail of the first mentorship (``--screenshots`` as a participant)."""
        if self.home is None or not self.home.mentorships:
            return []
        first = self.home.mentorships[0]
        return [("my-mentorship-detail", lambda: self.open_details(first.id, first.partner))]

    def open_milestones(self, mentorship_id: int, partner: str) -> MilestonesDialog:
        """The pair's milestones; marking one done refreshes the counts here and on the
        other screens."""
        dialog = MilestonesDialog(self.context, mentorship_id, partner, self)
        dialog.changed.connect(self._milestone_done)
        dialog.open()
        return dialog

    def _milestone_done(self) -> None:
        self.reload()
        self.context.notify("mentorships", source=self)

    def _fact(
        self,
        icon: str,
        text: str,
        *,
        strong: bool = False,
        on_click: Callable[[], object] | None = None,
    ) -> QWidget:
        """An icon and a few words; with ``on_click`` the words are a link."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 4, 0, 0)
        row.setSpacing(6)
        picture = QLabel()
        colour = theme.current().accent if strong else theme.current().muted
        picture.setPixmap(theme.pixmap(icon, colour, 16))
        label = QLabel(f"<b>{html.escape(text)}</b>" if strong else html.escape(text))
        if on_click is not None:
            label.setText(f"<a href='#'>{html.escape(text)}</a>")
            label.setObjectName("factLink")
            label.linkActivated.connect(lambda _=None: on_click())
        row.addWidget(picture)
        row.addWidget(label)
        return box

    def _fill_todo(self, home: Home) -> None:
        self._clear(self.todo_box)
        if not home.todo:
            self.todo_box.addWidget(QLabel("Nothing waiting for you. ✓", objectName="muted"))
            return
        for item in home.todo[:8]:
            icon = "chat" if item.kind == "reply" else "calendar"
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 2, 0, 2)
            line.setSpacing(8)
            picture = QLabel()
            picture.setPixmap(theme.pixmap(icon, theme.current().warning, 16))
            text = QLabel(item.text)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            line.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
            line.addWidget(text, 1)
            # Every item leads to where it is done: a proposal waiting for an answer had
            # no link, and the person had to find it on the Schedule themselves.
            if item.thread_id is not None:
                link = QLabel("<a href='#'>Reply</a>", objectName="todoLink")
                thread_id = item.thread_id
                link.linkActivated.connect(
                    lambda _=None, t=thread_id: self.open_requested.emit("inbox", t)
                )
                line.addWidget(link)
            elif item.kind == "confirm":
                link = QLabel("<a href='#'>Answer</a>", objectName="todoLink")
                link.linkActivated.connect(lambda _=None: self.open_requested.emit("schedule", 0))
                line.addWidget(link)
            self.todo_box.addWidget(row)

    def _fill_goals(self, home: Home) -> None:
        self._clear(self.goal_box)
        if not home.goals:
            self.goal_box.addWidget(QLabel("No open goals.", objectName="muted"))
            return
        for goal in home.goals[:8]:
            due = (
                f" <span style='color:{theme.current().muted}'>"
                f"· due {format_date(goal.target_date)}</span>"
                if goal.target_date
                else ""
            )
            label = QLabel(f"• {html.escape(goal.title)}{due}")
            label.setWordWrap(True)
            self.goal_box.addWidget(label)
