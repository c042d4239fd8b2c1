"""The detail of one mentorship: people, why matched, history, sessions, goals, feedback.

Opened by double-click or Enter on a row of the Mentorships screen. The page is a grid of
cards built from :data:`SECTIONS`; another area adds its own card with
:func:`register_section` without touching this module. Actions live in the header: End
and Re-match (the existing dialogs) and Message both (:mod:`.message_both_dialog`: a new
conversation of the coordinator with the two of them, never their own thread). Message
both is disabled, with a tooltip saying why and what to do, for a coordinator who is no
person (the local coordinator of an embedded database): the pair would have nobody to
reply to (:func:`mentormatch_desktop.services.pair_messages.refusal`).

:class:`DetailPage` and the section builders are shared with the participant's view of
their own mentorship (:mod:`.my_mentorship`): the builders draw what the detail holds, and
the participant's service leaves out what is not theirs to see.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.services.mentorship_detail import (
    MentorshipDetail,
    MilestoneEntry,
    SessionEntry,
    mentorship_detail,
)
from mentormatch_desktop.services.mentorships import RUNNING, MentorshipRow
from mentormatch_desktop.services.pair_messages import refusal
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_date, plural
from mentormatch_desktop.ui.widgets import Banner, card, make_button, read_only_table, section_title
from mentormatch_desktop.ui.workers import TaskError, run_in_background

MESSAGE_TOOLTIP = (
    "Start a new conversation with both of them (their own conversation stays private)"
)


@dataclass(frozen=True)
class DetailSection:
    """One card of the detail page. ``build`` returns None when it has nothing to show."""

    key: str
    title: str
    column: int  # 0: left (who and why), 1: right (what happened)
    build: Callable[[MentorshipDetail], QWidget | None]


SECTIONS: list[DetailSection] = []


def register_section(section: DetailSection, *, before: str | None = None) -> None:
    """Add a card (replacing one with the same key); ``before`` places it before that key."""
    SECTIONS[:] = [s for s in SECTIONS if s.key != section.key]
    keys = [s.key for s in SECTIONS]
    SECTIONS.insert(keys.index(before) if before in keys else len(SECTIONS), section)


class DetailPage(QDialog):
    """The page both detail views share: a title, a line under it, header actions, and a
    grid of cards built from ``sections`` once ``load`` (run in a worker) returns.

    The coordinator's :class:`MentorshipDetailDialog` and the participant's
    :class:`~mentormatch_desktop.ui.views.my_mentorship.MyMentorshipDialog` differ only in
    what they load, which sections they draw and which actions they offer.
    """

    loaded = Signal()

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: MentorshipDetail | None = None
        # As large as the page wants, but never past the window it opens over (on a
        # 1100 × 700 window the page stuck out of it).
        window = parent.window() if parent is not None else None
        width, height = 1180, 780
        if window is not None and window.width() > 400 and window.height() > 300:
            width, height = min(width, window.width() - 40), min(height, window.height() - 40)
        self.resize(width, height)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(10)

        self.header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel(title, objectName="pageTitle")
        self.subtitle = QLabel(subtitle, objectName="muted")
        self.health = QLabel("")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        titles.addWidget(self.health)
        self.header.addLayout(titles, 1)
        outer.addLayout(self.header)
        self.banner = Banner("error")
        outer.addWidget(self.banner)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        columns = QHBoxLayout(self.body)
        columns.setContentsMargins(0, 0, 4, 0)
        columns.setSpacing(14)
        self.columns: list[QVBoxLayout] = []
        for stretch in (4, 6):  # who and why | what happened
            column = QVBoxLayout()
            column.setSpacing(14)
            columns.addLayout(column, stretch)
            self.columns.append(column)
        self.placeholder = QLabel("Loading the mentorship…", objectName="muted")
        self.columns[0].addWidget(self.placeholder)
        self.scroll.setWidget(self.body)
        outer.addWidget(self.scroll, 1)
        close = QHBoxLayout()
        close.addStretch(1)
        close.addWidget(make_button("Close", on_click=self.accept))
        outer.addLayout(close)
        self.cards: dict[str, QWidget] = {}

    def add_action(self, button: QWidget) -> None:
        self.header.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)

    # -- what a page decides -------------------------------------------------------------
    #: Reads the detail (runs in a worker): each page defines it with the read its viewer
    #: is allowed (the coordinator's or the participant's own).
    load: Callable[[], MentorshipDetail]

    def sections(self) -> list[DetailSection]:
        return SECTIONS

    def show_header(self, detail: MentorshipDetail) -> None:
        """The line under the title and the coloured health line."""

    # -- loading -------------------------------------------------------------------------
    def reload(self) -> None:
        task = run_in_background(self.load, on_success=self._show, on_error=self._failed,
                                 owner=self)  # fmt: skip
        task.handles_errors = True

    def _failed(self, error: TaskError) -> None:
        self.placeholder.setText("")
        self.banner.show_message(f"Cannot open this mentorship: {error.message}", "error")

    def _show(self, detail: MentorshipDetail) -> None:
        self.detail = detail
        self.placeholder.hide()
        self.show_header(detail)
        for box in self.cards.values():  # a reload draws the cards afresh
            box.setParent(None)
            box.deleteLater()
        self.cards.clear()
        for column in self.columns:  # the stretch the last draw ended with
            last = column.itemAt(column.count() - 1) if column.count() else None
            if last is not None and last.spacerItem() is not None:
                column.takeAt(column.count() - 1)
        for section in self.sections():
            widget = section.build(detail)
            if widget is None:
                continue
            box = card()
            column = QVBoxLayout(box)
            column.setContentsMargins(14, 12, 14, 12)
            column.setSpacing(8)
            column.addWidget(section_title(section.title))
            column.addWidget(widget)
            self.cards[section.key] = box
            self.columns[1 if section.column else 0].addWidget(box)
        for column in self.columns:
            column.addStretch(1)
        self.loaded.emit()


class MentorshipDetailDialog(DetailPage):
    """The coordinator's detail page; ``changed`` carries the id after an end/re-match."""

    changed = Signal(int)

    def __init__(self, context: AppContext, row: MentorshipRow, parent: QWidget | None = None):
        super().__init__(f"{row.mentee} ↔ {row.mentor}", row.program, parent)
        self.context = context
        self.row = row
        self.setWindowTitle(f"Mentorship · {row.mentee} ↔ {row.mentor}")
        running = row.status in RUNNING
        self.end_button = make_button("End…", "stop", on_click=self.end)
        self.rematch_button = make_button("Re-match…", "swap", on_click=self.rematch)
        self.message_button = make_button("Message both…", "mail", on_click=self.message_both)
        embedded = make_url(context.database_url).get_backend_name() == "sqlite"
        refused = refusal(context.actor, embedded=embedded)
        self.message_button.setEnabled(refused is None)
        self.message_button.setToolTip(refused or MESSAGE_TOOLTIP)
        for button in (self.message_button, self.end_button, self.rematch_button):
            self.add_action(button)
        self.end_button.setEnabled(running)
        self.rematch_button.setEnabled(running)
        if not running:
            tip = "Only an active or paused mentorship can be ended or re-matched"
            self.end_button.setToolTip(tip)
            self.rematch_button.setToolTip(tip)
        self.reload()

    def load(self) -> MentorshipDetail:
        with self.context.unit_of_work() as ctx:
            return mentorship_detail(ctx, self.row.id)

    def show_header(self, detail: MentorshipDetail) -> None:
        self.subtitle.setText(f"{detail.program} · {status_and_dates(detail)}")
        palette = theme.current()
        colour = (
            palette.error
            if detail.at_risk
            else palette.success
            if detail.health == "On track"
            else palette.muted
        )
        self.health.setText(detail.health)
        self.health.setStyleSheet(f"color: {colour}; font-weight: 600;")

    # -- actions -------------------------------------------------------------------------
    def end(self) -> QWidget:
        from mentormatch_desktop.ui.views.mentorship_dialogs import EndMentorshipDialog

        dialog = EndMentorshipDialog(self.context, self.row, parent=self)
        dialog.done_signal.connect(self._acted)
        dialog.open()
        return dialog

    def rematch(self) -> QWidget:
        from mentormatch_desktop.ui.views.mentorship_dialogs import RematchDialog

        dialog = RematchDialog(self.context, self.row, parent=self)
        dialog.done_signal.connect(self._acted)
        dialog.open()
        return dialog

    def message_both(self) -> QWidget:
        from mentormatch_desktop.ui.views.message_both_dialog import MessageBothDialog

        program = self.detail.program if self.detail is not None else self.row.program
        dialog = MessageBothDialog(
            self.context,
            self.row.id,
            mentee=self.row.mentee,
            mentor=self.row.mentor,
            program=program,
            mentee_address=self.detail.mentee.address if self.detail is not None else "",
            mentor_address=self.detail.mentor.address if self.detail is not None else "",
            parent=self,
        )
        dialog.sent.connect(self._messaged)
        dialog.open()
        return dialog

    def _messaged(self, _sent: object) -> None:
        self.banner.show_message(
            f"Sent to {self.row.mentee} and {self.row.mentor}. Their replies reach you by e-mail.",
            "info",
        )

    def _acted(self, mentorship_id: int) -> None:
        self.changed.emit(mentorship_id)
        self.accept()


def status_and_dates(detail: MentorshipDetail) -> str:
    """``Active since 2 Mar 2026``, ``Paused · started 2 Mar 2026`` or ``Completed 2 Mar
    2026 – 1 Sep 2026``. Only an active pair is "since" its start: "Paused since" the start
    date read as if the pair had paused the day it began (when it paused is not stored)."""
    status = detail.status.value.replace("_", " ").capitalize()
    if detail.ended_at is not None:
        return f"{status} {format_date(detail.started_at)} – {format_date(detail.ended_at)}"
    if detail.status is MentorshipStatus.ACTIVE:
        return f"{status} since {format_date(detail.started_at)}"
    return f"{status} · started {format_date(detail.started_at)}"


# -- the built-in sections --------------------------------------------------------------
def _label(text: str, name: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text, objectName=name) if name else QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _vbox(spacing: int = 6) -> tuple[QWidget, QVBoxLayout]:
    widget = QWidget()
    box = QVBoxLayout(widget)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(spacing)
    return widget, box


class PeopleRow(QWidget):
    """The two people side by side, or one above the other when the card is too narrow
    for both (long e-mail addresses do not wrap: side by side they held the left column
    at 500 px, and on a small window the sessions table beside it was cut off)."""

    def __init__(self, sides: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sides = sides
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(16)
        for side in sides:
            self.row.addWidget(side, 1)

    def side_by_side_width(self) -> int:
        return sum(s.minimumSizeHint().width() for s in self.sides) + 16 * (len(self.sides) - 1)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(s.minimumSizeHint().width() for s in self.sides), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wanted = (
            QBoxLayout.Direction.LeftToRight
            if event.size().width() >= self.side_by_side_width()
            else QBoxLayout.Direction.TopToBottom
        )
        if self.row.direction() != wanted:
            self.row.setDirection(wanted)


def people_section(detail: MentorshipDetail) -> QWidget:
    sides = []
    for person in (detail.mentee, detail.mentor):
        side, box = _vbox(2)
        box.addWidget(_label(person.role.upper(), "hint"))
        box.addWidget(_label(f"<b>{html.escape(person.name)}</b>"))
        role = " · ".join(x for x in (person.title, person.department) if x)
        if role:
            box.addWidget(_label(role, "muted"))
        if person.email:
            box.addWidget(_label(person.email, "muted"))
        if person.time_zone:
            box.addWidget(_label(f"Time zone: {person.time_zone}", "muted"))
        box.addStretch(1)
        sides.append(side)
    return PeopleRow(sides)


def _why(detail: MentorshipDetail) -> QWidget:
    widget, box = _vbox()
    score = "—" if detail.score is None else f"{detail.score:.2f}"
    box.addWidget(_label(f"<span style='font-size:20px; font-weight:600'>{score}</span> "
                         "match score"))  # fmt: skip
    if detail.explanation:
        box.addWidget(_label(detail.explanation))
    for reason in detail.reasons[:6]:
        line = QHBoxLayout()
        name = _label(reason.criterion, wrap=False)
        name.setMinimumWidth(140)
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setValue(round(max(0.0, min(1.0, reason.value)) * 100))
        bar.setObjectName("meter")
        bar.setTextVisible(False)
        value = _label(f"{reason.value:.2f}", "muted", wrap=False)
        value.setFixedWidth(34)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        line.addWidget(name)
        line.addWidget(bar, 1)
        line.addWidget(value)
        box.addLayout(line)
    return widget


def history_section(detail: MentorshipDetail) -> QWidget:
    widget, box = _vbox(4)
    for change in detail.history:
        text = f"<b>{format_date(change.at)}</b> · {change.label}"
        if change.detail:
            text += f" — {change.detail}"
        box.addWidget(_label(text))
    return widget


def _session_notes(s: SessionEntry, participant: bool) -> str:
    """What a row says about the session: for a participant what each wrote for the other
    and their own private note; for a coordinator the meeting's notes or agenda."""
    if not participant:
        return s.notes or s.agenda or ""
    parts = [f"{who}: {text}" for who, text in s.shared_notes]
    if s.private_note:
        parts.append(f"Your private note: {s.private_note}")
    return " · ".join(parts) or s.notes or s.agenda or ""


def _session_table(detail: MentorshipDetail, sessions: list[SessionEntry]) -> QWidget:
    participant = detail.viewer_id is not None
    zone = zone_of(detail.viewer_time_zone)
    table = read_only_table(
        ["Date", "Length", "Status", "Your rating" if participant else "Rating", "Notes"],
        selection=QAbstractItemView.SelectionMode.NoSelection,
    )
    table.setRowCount(len(sessions))
    for r, s in enumerate(sessions):
        rating = " ".join("★" * x for x in s.ratings) if s.ratings else "—"
        when = (
            f"{format_date(s.starts_at)} {s.starts_at.astimezone(zone):%H:%M}"
            if participant
            else format_date(s.starts_at)
        )
        notes = _session_notes(s, participant)
        cells = (when, f"{s.minutes} min", s.status, rating, notes)
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c == 4 and text:
                item.setToolTip(text)
            table.setItem(r, c, item)
    # The notes column takes what is left and elides (the whole text is its tooltip): a
    # sideways scroll bar inside a fixed-height table hid its last row.
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setFixedHeight(min(260, 32 + 30 * len(sessions)))
    table.verticalHeader().setDefaultSectionSize(28)
    return table


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def sessions_section(detail: MentorshipDetail) -> QWidget:
    if not detail.sessions:
        if detail.viewer_id is not None:
            return _label("No sessions yet: propose one from your Schedule.", "muted")
        return _label("No sessions yet.", "muted")
    held = detail.sessions_held
    widget, box = _vbox()
    box.addWidget(_label(f"{plural(held, 'session')} held of {len(detail.sessions)} planned",
                         "muted"))  # fmt: skip
    if detail.viewer_id is None or detail.as_of is None:
        box.addWidget(_session_table(detail, list(reversed(detail.sessions))))  # latest first
        return widget
    # A participant: what is coming (soonest first) apart from what happened (latest first).
    upcoming = [s for s in detail.sessions if s.starts_at >= detail.as_of]
    past = [s for s in reversed(detail.sessions) if s.starts_at < detail.as_of]
    for title, rows, empty in (
        ("Upcoming", upcoming, "Nothing planned yet."),
        ("Past", past, "None yet."),
    ):
        box.addWidget(_label(f"<b>{title}</b>"))
        box.addWidget(_session_table(detail, rows) if rows else _label(empty, "muted"))
    return widget


def goals_section(
    on_done: Callable[[MilestoneEntry], object] | None = None,
) -> Callable[[MentorshipDetail], QWidget]:
    """The goals card; with ``on_done`` each of the viewer's own open milestones gets a
    "Mark done" link that calls it (the participant's view)."""
    return lambda detail: _goals(detail, on_done)


def _goals(
    detail: MentorshipDetail, on_done: Callable[[MilestoneEntry], object] | None = None
) -> QWidget:
    widget, box = _vbox(8)
    if not detail.goals and not detail.loose_milestones:
        box.addWidget(_label("No goals or milestones set.", "muted"))
        return widget
    groups = [(g.title, g.owner, g.status, g.progress, g.milestones) for g in detail.goals]
    if detail.loose_milestones:
        done = sum(m.completed_at is not None for m in detail.loose_milestones)
        groups.append(("Other milestones", "", "", done / len(detail.loose_milestones),
                       tuple(detail.loose_milestones)))  # fmt: skip
    for title, owner, status, progress, milestones in groups:
        head = QHBoxLayout()
        who = f" · {html.escape(owner)}" if owner else ""
        state = f" · {status}" if status else ""
        head.addWidget(_label(f"<b>{html.escape(title)}</b>"
                              f"<span style='color:gray'>{who}{state}</span>"), 1)  # fmt: skip
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setValue(round(progress * 100))
        bar.setFormat(f"{round(progress * 100)}%")
        bar.setFixedWidth(120)
        bar.setFixedHeight(16)
        head.addWidget(bar)
        box.addLayout(head)
        for m in milestones:
            if m.completed_at is not None:
                mark, when = "✓", f"done {format_date(m.completed_at)}"
            elif m.overdue:
                mark, when = "!", f"overdue since {format_date(m.due_on)}"
            else:
                mark, when = "○", f"due {format_date(m.due_on)}" if m.due_on else "no date"
            whose = f"{html.escape(m.owner)} · " if m.owner else ""
            line = _label(f"&nbsp;&nbsp;{mark} {html.escape(m.title)} "
                          f"<span style='color:gray'>· {whose}{when}</span>")  # fmt: skip
            if m.overdue:
                line.setStyleSheet(f"color: {theme.current().error};")
            if on_done is not None and m.mine and m.completed_at is None:
                row = QHBoxLayout()
                row.addWidget(line, 1)
                link = QLabel("<a href='#'>Mark done</a>", objectName="markDone")
                link.setToolTip(f"Mark “{m.title}” done")
                link.linkActivated.connect(lambda _=None, m=m: on_done(m))
                row.addWidget(link, 0, Qt.AlignmentFlag.AlignTop)
                box.addLayout(row)
            else:
                box.addWidget(line)
    return widget


def feedback_section(detail: MentorshipDetail) -> QWidget:
    widget, box = _vbox(6)
    if not detail.feedback:
        box.addWidget(_label("No feedback given yet.", "muted"))
        return widget
    mean = detail.mean_rating
    assert mean is not None
    box.addWidget(_label(f"Average {mean:.1f} of 5 from {plural(len(detail.feedback), 'rating')}",
                         "muted"))  # fmt: skip
    for f in detail.feedback[:8]:
        stars = "★" * f.rating + "☆" * (5 - f.rating)
        private = " · <i>private: coordinators do not see it</i>" if f.private else ""
        text = f"<b>{html.escape(f.author)}</b> · {format_date(f.at)} · {stars}{private}"
        if f.comment:
            text += f"<br>{html.escape(f.comment)}"
        box.addWidget(_label(text))
    if len(detail.feedback) > 8:
        box.addWidget(_label(f"… and {len(detail.feedback) - 8} earlier", "muted"))
    return widget


class ActivityChart(QWidget):
    """Events per week as bars, with the first day of each month labelled below."""

    def __init__(self, weeks: list[tuple[date, int]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.weeks = weeks
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(420, 130)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = theme.current()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, bottom, top = 28, 22, 8
        width, height = self.width() - left - 4, self.height() - bottom - top
        peak = max((n for _, n in self.weeks), default=0)
        painter.setPen(QColor(palette.muted))
        painter.drawText(QRectF(0, top - 6, left - 4, 14), Qt.AlignmentFlag.AlignRight,
                         str(peak))  # fmt: skip
        painter.drawText(QRectF(0, top + height - 8, left - 4, 14), Qt.AlignmentFlag.AlignRight,
                         "0")  # fmt: skip
        painter.setPen(QColor(palette.border))
        painter.drawLine(left, top + height, left + width, top + height)
        if not self.weeks:
            return
        step = width / len(self.weeks)
        last_month = None
        for k, (week, n) in enumerate(self.weeks):
            x = left + k * step
            if peak and n:
                bar = height * n / peak
                painter.fillRect(QRectF(x + 1, top + height - bar, max(1.0, step - 2), bar),
                                 QColor(palette.accent))  # fmt: skip
            if week.month != last_month:  # a label under the first week of each month
                painter.setPen(QColor(palette.muted))
                painter.drawText(QRectF(x, top + height + 4, 60, 14), Qt.AlignmentFlag.AlignLeft,
                                 week.strftime("%b"))  # fmt: skip
                last_month = week.month
        painter.end()


def _activity(detail: MentorshipDetail) -> QWidget:
    widget, box = _vbox(4)
    total = sum(n for _, n in detail.activity)
    box.addWidget(_label(f"{plural(total, 'event')} in the last {len(detail.activity)} weeks "
                         "(sessions, messages, milestones, feedback)", "muted"))  # fmt: skip
    box.addWidget(ActivityChart(list(detail.activity)))
    return widget


for _section in (
    DetailSection("people", "People", 0, people_section),
    DetailSection("why", "Why they were matched", 0, _why),
    DetailSection("history", "Status history", 0, history_section),
    DetailSection("feedback", "Feedback", 0, feedback_section),
    DetailSection("activity", "Activity over time", 1, _activity),
    DetailSection("sessions", "Sessions", 1, sessions_section),
    DetailSection("goals", "Goals and milestones", 1, goals_section()),
):
    register_section(_section)
