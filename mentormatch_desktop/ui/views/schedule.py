"""Schedule: a participant's sessions (upcoming and past, with whose move it is), weekly
availability painted on a week grid, time off, and their calendars, all in their own zone.

A coordinator opens the same screen for one person (by e-mail) and acts for them; the
services check that, and on a shared database row-level security decides what either can
read. Everything runs on workers, one unit of work per action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidgetItem,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import group_sessions, sessions
from mentormatch_desktop.services.my_schedule import (
    MySchedule,
    SessionRow,
    add_exception,
    my_schedule,
    nothing_fits_example,
    person_by_email,
    remove_exception,
    save_weekly_availability,
    showcase_person,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.availability_grid import AvailabilityGrid
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.calendar_settings import CalendarSettingsDialog
from mentormatch_desktop.ui.views.find_time import FindTimeDialog, LogSessionDialog, when
from mentormatch_desktop.ui.views.group_time import GroupTimeDialog
from mentormatch_desktop.ui.views.nudges_panel import NudgesPanel
from mentormatch_desktop.ui.widgets import (
    Banner,
    PageHeader,
    make_button,
    page_layout,
    read_only_table,
)
from mentormatch_desktop.ui.workers import Task, TaskError

STATE_TEXT = {
    "proposed": "Proposed",
    "scheduled": "Booked",
    "held": "Held",
    "missed": "Missed",
    "cancelled": "Cancelled",
    "declined": "Declined",
}


ANSWER_TEXT = {
    "needs-action": "no answer yet",
    "accepted": "coming",
    "declined": "not coming",
    "tentative": "maybe",
    "organiser": "organiser",
}


#: a past session still in one of these states was never logged or never answered:
#: "Booked" under *Past* read as if nothing were left to do
PAST_STATE_TEXT = {
    "scheduled": "Not logged yet",
    "proposed": "Never answered",
}


def state_of(s: SessionRow, *, own: bool = True, past: bool = False) -> str:
    """ "Proposed · your answer" (``own``: the signed-in person's schedule, else "their";
    ``past``: the session has begun, so what it still waits for is a log, not an answer)."""
    if past and s.status in PAST_STATE_TEXT:
        text = PAST_STATE_TEXT[s.status]
        if s.is_group:
            text = "Group · " + text
        return text + (" · logged" if s.logged_by_me else "")
    text = STATE_TEXT.get(s.status, s.status)
    if s.is_group:
        coming = sum(1 for _, r in s.attendees if r in ("accepted", "organiser"))
        text = "Group · " + text
        if s.awaiting_me:
            text += " · your answer" if own else " · their answer"
        elif s.my_response and not s.organised_by_me:
            text += f" · {'you' if own else 'they'}: {ANSWER_TEXT[s.my_response]}"
        elif s.organised_by_me:
            text += f" · {coming} of {len(s.attendees)} coming"
        return text + (" · logged" if s.logged_by_me else "")
    if s.status == "proposed":
        if s.awaiting_me:
            text += " · your answer" if own else " · their answer"
        else:
            text += " · waiting for the other side"
    if s.logged_by_me:
        text += " · logged"
    return text


class ScheduleView(View):
    watches = ("mentorships", "schedule", "participants")  # participants: a changed zone
    #: (screen, thread id): "Message <partner>" from Find a time opens the conversation.
    open_requested = Signal(str, int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.schedule: MySchedule | None = None
        self.person_id: int | None = None  # None: the signed-in person
        self.participant = context.identity.role == "participant"
        layout = page_layout(self)
        self.header = PageHeader(
            "Schedule", "Your sessions, when you can meet, and your calendars."
        )
        self.find_button = self.header.add_action("Find a time…", "calendar", primary=True)
        self.find_button.clicked.connect(lambda _=False: self.find_time())
        self.pair_menu = QMenu(self)  # one entry per running mentorship when there are several
        self.group_button = self.header.add_action("Group session…", "participants")
        self.group_button.clicked.connect(lambda _=False: self.find_group_time())
        self.calendars_button = self.header.add_action("Calendars…", "refresh")
        self.calendars_button.clicked.connect(lambda _=False: self.open_calendars())
        layout.addWidget(self.header)

        self.chooser = QWidget()
        row = QHBoxLayout(self.chooser)
        row.setContentsMargins(0, 0, 0, 0)
        self.email = QLineEdit(placeholderText="participant@example.org")
        self.email.returnPressed.connect(self.open_person)
        row.addWidget(QLabel("Schedule of"))
        row.addWidget(self.email, 1)
        row.addWidget(make_button("Open", "search", on_click=self.open_person))
        self.chooser.setVisible(not self.participant)
        layout.addWidget(self.chooser)

        self.zone_label = QLabel(objectName="muted")
        layout.addWidget(self.zone_label)
        self.banner = Banner()
        layout.addWidget(self.banner)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._sessions_tab(), "Sessions")
        self.nudges: NudgesPanel | None = None
        layout.addWidget(self.tabs, 1)
        # The tabs behind the first are built on the next event-loop turns, one each:
        # building all four at once held the GUI thread for over 100 ms on first open
        # (issue 12). What loads meanwhile is shown once they exist (``View.run``).
        self.steps.add(lambda: self.tabs.addTab(self._availability_tab(), "Weekly availability"))
        self.steps.add(lambda: self.tabs.addTab(self._time_off_tab(), "Time off"))
        if not self.participant:  # coordinators: pairs that never met, and a nudge
            self.steps.add(self._add_nudges_tab)
        self.steps.add(self._update_buttons)

    def _add_nudges_tab(self) -> None:
        self.nudges = NudgesPanel(self)
        self.tabs.addTab(self.nudges, "Waiting for a first session")
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- tabs ----------------------------------------------------------------------------
    def _sessions_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.addWidget(QLabel("Upcoming", objectName="sectionTitle"))
        self.upcoming = read_only_table(
            ["When (your time)", "With", "Length", "State", "Agenda"],
            empty="No upcoming sessions. Use Find a time… to propose one.",
        )
        self.upcoming.itemSelectionChanged.connect(lambda: self._picked(self.upcoming))
        col.addWidget(self.upcoming, 3)
        actions = QHBoxLayout()
        self.accept_button = make_button("Accept", "approve", on_click=self.accept_selected)
        self.decline_button = make_button("Decline", "reject", on_click=self.decline_selected)
        self.maybe_button = make_button("Maybe", "info", on_click=self.maybe_selected)
        self.maybe_button.setToolTip("Answer a group session tentatively")
        self.reschedule_button = make_button(
            "Reschedule…", "swap", on_click=self.reschedule_selected
        )
        self.cancel_button = make_button("Cancel session", "stop", on_click=self.cancel_selected)
        for b in (
            self.accept_button,
            self.decline_button,
            self.maybe_button,
            self.reschedule_button,
            self.cancel_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)
        col.addLayout(actions)
        self.attendees_label = QLabel(objectName="muted")
        self.attendees_label.setWordWrap(True)
        col.addWidget(self.attendees_label)
        col.addWidget(QLabel("Past", objectName="sectionTitle"))
        self.past = read_only_table(
            ["When (your time)", "With", "Length", "State", "Agenda"],
            empty="No past sessions yet.",
        )
        self.past.itemSelectionChanged.connect(lambda: self._picked(self.past))
        col.addWidget(self.past, 2)
        past_actions = QHBoxLayout()
        self.log_button = make_button("Log this session…", "edit", on_click=self.log_selected)
        past_actions.addWidget(self.log_button)
        past_actions.addStretch(1)
        col.addLayout(past_actions)
        # What the others shared after the selected past session (never their private notes).
        self.notes_title = QLabel("Shared notes", objectName="sectionTitle")
        self.notes_view = QLabel(objectName="muted")
        self.notes_view.setWordWrap(True)
        self.notes_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.notes_title)
        col.addWidget(self.notes_view)
        return page

    def _availability_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        top = QHBoxLayout()
        self.grid_hint = QLabel(
            "Drag across the week to mark when you can meet; drag over marked time to clear "
            "it. Shaded: working hours (ranked first). Green: this week's sessions; "
            "hatched: busy in a connected calendar.",
            objectName="muted",
        )
        self.grid_hint.setWordWrap(True)
        top.addWidget(self.grid_hint, 1)
        self.all_hours = QCheckBox("Show all 24 hours")
        self.all_hours.toggled.connect(lambda on: self.grid.show_all_hours(on))
        top.addWidget(self.all_hours)
        col.addLayout(top)
        self.grid = AvailabilityGrid()
        self.grid.changed.connect(self._grid_changed)
        col.addWidget(self.grid, 1)
        bottom = QHBoxLayout()
        self.hours_label = QLabel(objectName="muted")
        bottom.addWidget(self.hours_label, 1)
        self.revert_button = make_button("Undo changes", "refresh", on_click=self._revert_grid)
        self.save_grid_button = make_button(
            "Save availability", "check", primary=True, on_click=self.save_availability
        )
        self.revert_button.setEnabled(False)
        self.save_grid_button.setEnabled(False)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_grid_button)
        col.addLayout(bottom)
        return page

    def _time_off_tab(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.addWidget(
            QLabel(
                "Days or hours you cannot meet (holidays, a travel week), in your own dates.",
                objectName="muted",
            )
        )
        self.exceptions = read_only_table(
            ["From", "To", "Hours", "Note"],
            empty="No time off planned. Add days or hours you cannot meet below.",
        )
        self.exceptions.itemSelectionChanged.connect(self._update_buttons)
        col.addWidget(self.exceptions, 1)
        form = QHBoxLayout()
        today = QDate.currentDate()
        self.off_from = QDateEdit(today, calendarPopup=True, displayFormat="d MMM yyyy")
        self.off_to = QDateEdit(today, calendarPopup=True, displayFormat="d MMM yyyy")
        # The last day cannot come before the first: the form follows instead of the
        # save failing with an error about the dates.
        self.off_from.dateChanged.connect(self.off_to.setMinimumDate)
        self.off_to.setMinimumDate(today)
        self.whole_day = QCheckBox("Whole days")
        self.whole_day.setChecked(True)
        self.off_start = QTimeEdit(QTime(9, 0), displayFormat="HH:mm")
        self.off_end = QTimeEdit(QTime(17, 0), displayFormat="HH:mm")
        self.whole_day.toggled.connect(
            lambda on: (self.off_start.setEnabled(not on), self.off_end.setEnabled(not on))
        )
        self.off_start.setEnabled(False)
        self.off_end.setEnabled(False)
        self.off_note = QLineEdit(placeholderText="Note (only you and coordinators see it)")
        for w in (
            QLabel("From"),
            self.off_from,
            QLabel("to"),
            self.off_to,
            self.whole_day,
            self.off_start,
            self.off_end,
        ):
            form.addWidget(w)  # fmt: skip
        form.addStretch(1)
        col.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.off_note, 1)
        self.add_off_button = make_button(
            "Add time off", "add", primary=True, on_click=self.add_time_off
        )
        self.remove_off_button = make_button("Remove", "delete", on_click=self.remove_time_off)
        row.addWidget(self.add_off_button)
        row.addWidget(self.remove_off_button)
        col.addLayout(row)
        return page

    # -- loading -------------------------------------------------------------------------
    def _load(self) -> MySchedule:
        with self.context.unit_of_work() as ctx:
            return my_schedule(ctx, self.person_id)

    def _tab_changed(self, index: int) -> None:
        if self.nudges is not None and self.tabs.widget(index) is self.nudges:
            self.nudges.reload()

    def reload(self) -> None:
        if self.nudges is not None and self.tabs.currentWidget() is self.nudges:
            self.nudges.reload()
        if not self.participant and self.person_id is None:
            self.banner.show_message("Enter a participant's e-mail to open their schedule.", "info")
            self._update_buttons()
            return
        self.run(self._load, on_success=self.show_schedule, on_error=self._failed)

    def open_person(self) -> Task | None:
        self.finish_building()
        email = self.email.text().strip()
        if not email:
            return None

        def find() -> MySchedule:
            with self.context.unit_of_work() as ctx:
                pid = person_by_email(ctx, email)
                return my_schedule(ctx, pid)

        def ok(s: MySchedule) -> None:
            self.person_id = s.person_id
            self.banner.hide()
            self.show_schedule(s)

        return self.run(find, on_success=ok, on_error=self._failed)

    def show_schedule(self, s: MySchedule) -> None:
        self.schedule = s
        offset = s.now.astimezone(self._tz()).strftime("UTC%z")
        whose = "Your" if self.participant else f"{s.full_name}'s"
        self.zone_label.setText(
            f"{whose} time zone: {s.time_zone} ({offset[:-2]}:{offset[-2:]}). "
            "All times on this screen are in it."
        )
        column = "When (your time)" if self.participant else "When (their time)"
        for table in (self.upcoming, self.past):
            table.horizontalHeaderItem(0).setText(column)
        self._fill(self.upcoming, s.upcoming)
        self._fill(self.past, s.past, past=True)
        self.grid.working = s.working_hours
        self.grid.set_windows(s.weekly)
        tz = self._tz()
        local_now = s.now.astimezone(tz).date()
        self.grid.week_of = local_now - timedelta(days=local_now.weekday())
        self.grid.set_overlay(
            (i.start.astimezone(tz), i.end.astimezone(tz), i.kind, i.label) for i in s.week
        )
        self._saved_windows = list(s.weekly)
        self._grid_changed(dirty=False)
        self.exceptions.setRowCount(len(s.exceptions))
        for row, x in enumerate(s.exceptions):
            hours = (
                "whole day"
                if x.start_minute is None
                else f"{x.start_minute // 60:02d}:{x.start_minute % 60:02d}–"
                f"{x.end_minute // 60:02d}:{x.end_minute % 60:02d}"  # type: ignore[operator]
            )
            if x.available:
                hours += " (extra time)"
            for column, text in enumerate(
                [f"{x.first_day:%a} {x.first_day.day} {x.first_day:%b %Y}",
                 f"{x.last_day:%a} {x.last_day.day} {x.last_day:%b %Y}", hours, x.note or "—"]
            ):  # fmt: skip
                self.exceptions.setItem(row, column, QTableWidgetItem(text))
        self._fill_pair_menu(s)
        awaiting = sum(1 for x in s.upcoming if x.awaiting_me)
        if awaiting:
            self.banner.show_message(
                f"{awaiting} session{'s' if awaiting > 1 else ''} waiting for "
                f"{'your' if self.participant else 'their'} answer.",
                "info",
            )
        elif not s.pairs:
            self.banner.show_message("No running mentorship yet: nothing to schedule.", "info")
        else:
            self.banner.hide()
        self._update_buttons()

    def _fill_pair_menu(self, s: MySchedule) -> None:
        """Several running mentorships: Find a time asks with whom (a menu on the button)."""
        self.pair_menu.clear()
        for pair in s.pairs:
            action = self.pair_menu.addAction(f"With {pair.partner} ({pair.program})")
            action.triggered.connect(lambda _=False, m=pair.id: self.find_time(m))
        self.find_button.setMenu(self.pair_menu if len(s.pairs) > 1 else None)

    def _tz(self):  # type: ignore[no-untyped-def]
        from mentormatch_desktop.scheduling.zones import zone

        return zone(self.schedule.time_zone if self.schedule else "UTC")

    def _fill(self, table, rows: list[SessionRow], *, past: bool = False) -> None:  # type: ignore[no-untyped-def]
        table.setRowCount(len(rows))
        tz = self._tz()
        for row, s in enumerate(rows):
            local = s.starts_at.astimezone(tz)
            cells = [
                when(local) + (" · weekly" if s.recurring else ""),
                s.partner,
                f"{s.minutes} min",
                state_of(s, own=self.participant, past=past),
                s.agenda or "—",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                if column == 3 and s.awaiting_me and not past:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(row, column, item)

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")
        self._update_buttons()

    # -- selection -----------------------------------------------------------------------
    def _selected(self, table, rows: list[SessionRow]) -> SessionRow | None:  # type: ignore[no-untyped-def]
        picked = table.selectionModel().selectedRows()
        return rows[picked[0].row()] if picked and picked[0].row() < len(rows) else None

    def selected_upcoming(self) -> SessionRow | None:
        return self._selected(self.upcoming, self.schedule.upcoming) if self.schedule else None

    def selected_past(self) -> SessionRow | None:
        return self._selected(self.past, self.schedule.past) if self.schedule else None

    def _picked(self, table) -> None:  # type: ignore[no-untyped-def]
        """One session selected at a time: with a row picked in both tables, which one
        would the buttons act on? Picking in one clears the other."""
        other = self.past if table is self.upcoming else self.upcoming
        if table.selectionModel().hasSelection() and other.selectionModel().hasSelection():
            other.clearSelection()
        self._update_buttons()

    def _update_buttons(self) -> None:
        s = self.selected_upcoming()
        loaded = self.schedule is not None
        self.find_button.setEnabled(loaded and bool(self.schedule.pairs))  # type: ignore[union-attr]
        self.calendars_button.setEnabled(loaded)
        self.group_button.setEnabled(loaded and bool(self.schedule.pairs))  # type: ignore[union-attr]
        answering = bool(s and s.is_group and not s.organised_by_me and s.status == "scheduled")
        mine = s.my_response if s is not None else None
        self.accept_button.setEnabled(
            bool(s and s.awaiting_me) or (answering and mine != "accepted")
        )
        self.decline_button.setEnabled(
            bool(s and s.awaiting_me) or (answering and mine != "declined")
        )
        self.maybe_button.setVisible(bool(s and s.is_group))
        self.maybe_button.setEnabled(answering and mine != "tentative")
        movable = bool(s and s.status in ("proposed", "scheduled"))
        if s is not None and s.is_group:
            movable = movable and s.organised_by_me
        self.reschedule_button.setEnabled(movable)
        self.cancel_button.setEnabled(movable)
        if s is not None and s.is_group:
            self.attendees_label.setText(
                "With: " + ", ".join(f"{n} ({ANSWER_TEXT.get(r, r)})" for n, r in s.attendees)
            )
        self.attendees_label.setVisible(bool(s and s.is_group))
        p = self.selected_past()
        self.log_button.setEnabled(bool(p and self.schedule and p.can_log(self.schedule.now)))
        self._show_notes(p)
        if hasattr(self, "exceptions"):  # the time-off tab is built on a later turn
            picked = self.exceptions.selectionModel().selectedRows()
            self.remove_off_button.setEnabled(bool(picked))

    def _show_notes(self, p: SessionRow | None) -> None:
        """The selected past session's shared notes by the others: partner or attendees."""
        self.notes_title.setVisible(p is not None)
        self.notes_view.setVisible(p is not None)
        if p is None:
            return
        if p.shared_notes:
            self.notes_view.setText(
                "\n\n".join(f"{author}: {text}" for author, text in p.shared_notes)
            )
        else:
            whom = "the others" if p.is_group else p.partner
            self.notes_view.setText(f"No shared notes from {whom} for this session yet.")

    # -- actions -------------------------------------------------------------------------
    def _as(self) -> int | None:
        return None if self.participant else self.person_id

    def _act(self, fn, message: str) -> Task:  # type: ignore[no-untyped-def]
        def work():  # type: ignore[no-untyped-def]
            with self.context.unit_of_work() as ctx:
                fn(ctx)
            return self._load()

        def ok(s: MySchedule) -> None:
            self.show_schedule(s)
            self.banner.show_message(message, "info")
            self.context.notify("mentorships", source=self)

        return self.run(work, on_success=ok, on_error=self._failed)

    def _answer(self, s: SessionRow, answer: str, message: str) -> Task:
        who = self._as()
        return self._act(
            lambda ctx: group_sessions.respond_group_session(ctx, s.id, answer, as_person=who),
            message,
        )

    def maybe_selected(self) -> Task | None:
        s = self.selected_upcoming()
        if s is None or not s.is_group:
            return None
        return self._answer(s, "tentative", "Answered maybe; the organiser is told.")

    def accept_selected(self) -> Task | None:
        s, who = self.selected_upcoming(), self._as()
        if s is None:
            return None
        if s.is_group:
            return self._answer(s, "accepted", "You are coming; the group is told.")
        return self._act(
            lambda ctx: sessions.accept_session(ctx, s.id, as_person=who),
            f"Booked with {s.partner}.",
        )

    def decline_selected(self) -> Task | None:
        s, who = self.selected_upcoming(), self._as()
        if s is None:
            return None
        if s.is_group:
            return self._answer(s, "declined", "Declined; the group session leaves your calendar.")
        return self._act(
            lambda ctx: sessions.decline_session(ctx, s.id, as_person=who),
            f"Declined. Use Find a time to suggest another time to {s.partner}.",
        )

    def cancel_selected(self) -> Task | None:
        s, who = self.selected_upcoming(), self._as()
        if s is None:
            return None
        return self._act(
            lambda ctx: sessions.cancel_session(ctx, s.id, as_person=who),
            f"Cancelled; {s.partner}'s calendar gets the cancellation.",
        )

    def log_selected(self, values: dict[str, object] | None = None) -> Task | None:
        s, who = self.selected_past(), self._as()
        if s is None:
            return None
        if values is None:
            dialog = LogSessionDialog(s, self._tz(), self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            values = dialog.values()
        logged = dict(values)
        return self._act(
            lambda ctx: sessions.log_session(ctx, s.id, as_person=who, **logged),  # type: ignore[arg-type]
            "Session logged. Thank you!",
        )

    def find_time(self, mentorship_id: int | None = None) -> FindTimeDialog | None:
        if self.schedule is None or not self.schedule.pairs:
            return None
        pair = mentorship_id or self.schedule.pairs[0].id
        dialog = FindTimeDialog(self.context, pair, as_person=self._as(), parent=self)
        self._wire(dialog)
        dialog.open()
        return dialog

    def _wire(self, dialog: FindTimeDialog | GroupTimeDialog) -> None:
        """What a Find a time dialog may ask of this screen: reload after a step, show
        Weekly availability or the partner's conversation after nothing fitted."""
        dialog.changed.connect(self.reload)
        dialog.edit_availability_requested.connect(lambda: self.edit_availability(dialog))
        dialog.offers_editing_availability = True
        if isinstance(dialog, FindTimeDialog):
            dialog.message_requested.connect(lambda thread: self._message(dialog, thread))
            dialog.offers_messaging = True

    def edit_availability(self, dialog: QDialog | None = None) -> None:
        """Close the dialog and show the Weekly availability tab."""
        if dialog is not None:
            dialog.close()
        self.finish_building()
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == "Weekly availability":
                self.tabs.setCurrentIndex(index)

    def _message(self, dialog: QDialog, thread_id: int) -> None:
        dialog.close()
        self.open_requested.emit("inbox", thread_id)

    def find_group_time(self) -> GroupTimeDialog | None:
        if self.schedule is None:
            return None
        dialog = GroupTimeDialog(self.context, as_person=self._as(), parent=self)
        self._wire(dialog)
        dialog.open()
        return dialog

    def reschedule_selected(self) -> FindTimeDialog | GroupTimeDialog | None:
        s = self.selected_upcoming()
        if s is None:
            return None
        if s.is_group:
            group = GroupTimeDialog(
                self.context,
                as_person=self._as(),
                reschedule=s,
                attendee_ids=s.attendee_ids,
                parent=self,
            )
            self._wire(group)
            group.open()
            return group
        dialog = FindTimeDialog(
            self.context, s.mentorship_id, as_person=self._as(), reschedule=s, parent=self
        )
        self._wire(dialog)
        dialog.open()
        return dialog

    # -- screenshots -----------------------------------------------------------------------
    def prepare_screenshot(self) -> Task:
        """``--screenshots``: a coordinator's Schedule opens the demo's showcase participant
        (sessions ahead and behind, a partner in another zone) instead of an empty form;
        for either, find a real search of theirs that finds nothing (the "nothing fits"
        picture). Read-only, on a worker: nothing in the database changes."""
        coordinator = not self.participant and self.person_id is None

        def find() -> tuple[str | None, tuple[int, int, int] | None]:
            with self.context.unit_of_work() as ctx:
                email = None
                person = self.person_id
                if coordinator:
                    showcase = showcase_person(ctx)
                    if showcase is None:
                        return None, None
                    person, email = showcase
                return email, nothing_fits_example(ctx, person)

        def found(result: tuple[str | None, tuple[int, int, int] | None]) -> None:
            email, self._nothing_fits = result
            if email:
                self.email.setText(email)
                self.open_person()

        self._nothing_fits: tuple[int, int, int] | None = None
        return self.run(find, on_success=found, on_error=self._failed)

    def screenshot_extras(self) -> list[tuple[str, Callable[[], QWidget]]]:
        """Find a time with the partner of the next session, and the "nothing fits" state."""
        if self.schedule is None or not self.schedule.pairs:
            return []
        upcoming = [s for s in self.schedule.upcoming if not s.is_group]
        pair = upcoming[0].mentorship_id if upcoming else self.schedule.pairs[0].id
        extras: list[tuple[str, Callable[[], QWidget]]] = [
            ("find-a-time", lambda: self._shown_find_time(pair))
        ]
        example = getattr(self, "_nothing_fits", None)
        if example is not None:
            ms, minutes, weeks = example
            extras.append(
                ("find-a-time-nothing-fits", lambda: self._shown_find_time(ms, minutes, weeks))
            )
        return extras

    def _shown_find_time(
        self, pair: int, minutes: int | None = None, weeks: int | None = None
    ) -> FindTimeDialog:
        dialog = FindTimeDialog(self.context, pair, as_person=self._as(), parent=self)
        self._wire(dialog)
        if minutes is not None and weeks is not None:
            dialog.picker.set_search(minutes, weeks)
            dialog.load()  # replaces the search the dialog started with
        dialog.show()
        return dialog

    def open_calendars(self) -> CalendarSettingsDialog | None:
        if self.schedule is None:
            return None
        dialog = CalendarSettingsDialog(self.context, person_id=self._as(), parent=self)
        dialog.changed.connect(self.reload)
        dialog.open()
        return dialog

    # -- availability --------------------------------------------------------------------
    def _grid_changed(self, dirty: bool = True) -> None:
        self.hours_label.setText(f"{self.grid.hours_per_week():g} hours a week")
        changed = dirty and self.grid.windows() != list(getattr(self, "_saved_windows", []))
        self.save_grid_button.setEnabled(changed)
        self.revert_button.setEnabled(changed)

    def _revert_grid(self) -> None:
        self.grid.set_windows(getattr(self, "_saved_windows", []))
        self._grid_changed(dirty=False)

    def save_availability(self) -> Task:
        self.finish_building()
        windows, who = self.grid.windows(), self._as()
        self.save_grid_button.setEnabled(False)
        return self._act(
            lambda ctx: save_weekly_availability(ctx, windows, person_id=who),
            f"Availability saved: {self.grid.hours_per_week():g} hours a week.",
        )

    def add_time_off(self) -> Task:
        first: date = self.off_from.date().toPython()  # type: ignore[assignment]
        last: date = self.off_to.date().toPython()  # type: ignore[assignment]
        whole = self.whole_day.isChecked()
        start = (
            None if whole else self.off_start.time().hour() * 60 + self.off_start.time().minute()
        )
        end = None if whole else self.off_end.time().hour() * 60 + self.off_end.time().minute()
        note, who = self.off_note.text(), self._as()

        def write(ctx) -> None:  # type: ignore[no-untyped-def]
            add_exception(
                ctx, first, last, start_minute=start, end_minute=end, note=note, person_id=who
            )

        self.off_note.clear()
        return self._act(write, "Time off added.")

    def remove_time_off(self) -> Task | None:
        picked = self.exceptions.selectionModel().selectedRows()
        if not picked or self.schedule is None:
            return None
        x = self.schedule.exceptions[picked[0].row()]
        return self._act(lambda ctx: remove_exception(ctx, x.id), "Time off removed.")
