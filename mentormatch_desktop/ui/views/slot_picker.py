"""The slot picker both "Find a time" dialogs (a pair's and a group's) are built around: how
long and how far ahead to look, the search on a worker, the ranked slots with one column per
person in their own zone and how well each slot fits, then the agenda, video link and the
button that proposes the chosen slot.

One widget so the two dialogs cannot drift apart in what a search does: a newer search
replaces a running one silently, only the user's Cancel says "Search cancelled.", and the
search button is back once the worker is done. What is searched for, and what proposing
does, stay with each dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.scheduling import Slot
from mentormatch_desktop.scheduling.explain import Cause, NoFit, Remedy
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner, ProgressPanel, make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

LENGTHS = (30, 45, 60, 90)
#: Both dialogs' search button: the same words whether it is the first search or not.
SEARCH_LABEL = "Find times"
#: The "Fits" column never gets narrower than this; its text wraps onto a second line
#: rather than being cut, and the table scrolls sideways only when the people's time
#: columns alone leave less room than this.
FITS_MIN_WIDTH = 220


def zone_label(value: datetime) -> str:
    """The zone's abbreviation (``CET``); ``UTC+08`` where the zone has none and the
    database gives a bare offset (``+08`` for Asia/Singapore read like a typo, and the
    Schedule's heading says ``UTC+08:00``)."""
    name = f"{value:%Z}"
    return f"UTC{name}" if name[:1] in "+-" and name[1:2].isdigit() else name


def when(value: datetime, tz_label: bool = True) -> str:
    """``Tue 3 Mar 14:30`` (and the zone abbreviation) in the time the value carries."""
    text = f"{value:%a} {value.day} {value:%b %H:%M}"
    return f"{text} {zone_label(value)}" if tz_label else text


def when_range(start: datetime, end: datetime) -> str:
    """``Tue 3 Mar 14:30–15:15 CET``."""
    return f"{when(start, False)}–{end:%H:%M} {zone_label(start)}"


def day_and_time(start: datetime, end: datetime) -> str:
    """``Tue 3 Mar`` over ``14:30–15:15 CET``: a slot table cell. Two short lines keep a
    column per person narrow enough that eight people and "Fits" share a dialog."""
    return f"{start:%a} {start.day} {start:%b}\n{start:%H:%M}–{end:%H:%M} {zone_label(start)}"


def fits(slot: Slot, names: dict[int, str] | None = None, everyone: str = "both") -> str:
    """How well a slot suits everyone (``everyone``: "both" for a pair, "all" for a group):
    inside their working hours, or how far outside for whoever is worst off."""
    if slot.all_preferred:
        return f"Inside {everyone} working hours"
    worst = max(slot.people, key=lambda v: v.inconvenience_minutes)
    who = (names or {}).get(worst.person_id, worst.label or "someone")
    return f"{duration(worst.inconvenience_minutes)} outside {who} working hours"


def duration(minutes: int) -> str:
    """``45 min``, ``2 h``, ``1 h 15 min``."""
    h, m = divmod(int(minutes), 60)
    if not h:
        return f"{m} min"
    return f"{h} h {m} min" if m else f"{h} h"


@dataclass(frozen=True)
class ZoneColumn:
    """One person's column: their slot times in their own zone."""

    person_id: int
    header: str
    tooltip: str = ""


class SlotPicker(QWidget):
    """Length and look-ahead, the search worker, the slot table, agenda, video, propose.

    The dialog says what a search fetches (:meth:`search`) and what proposing does
    (``on_propose``); it reports failures and cancellations in its own ``banner``.
    """

    def __init__(
        self,
        banner: Banner,
        *,
        default_minutes: int,
        current_minutes: int | None = None,
        propose_label: str,
        agenda_hint: str,
        on_search: Callable[[], object],
        on_propose: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.banner = banner
        self.task: Task | None = None
        self.shown: list[Slot] = []
        self._user_cancelled = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        controls = QHBoxLayout()
        self.length = QComboBox()
        for minutes in LENGTHS:
            self.length.addItem(f"{minutes} minutes", minutes)
        # A session being moved keeps its length when it is one of ours; otherwise the
        # dialog's usual length is offered.
        start = current_minutes if current_minutes in LENGTHS else default_minutes
        self.length.setCurrentIndex(LENGTHS.index(start))
        self.weeks = QSpinBox(minimum=1, maximum=8, value=2, suffix=" weeks")
        # "1 week", not "1 weeks" (the "nothing fits" search often looks one week ahead).
        self.weeks.valueChanged.connect(
            lambda n: self.weeks.setSuffix(" week" if n == 1 else " weeks")
        )
        self.search_button = make_button(SEARCH_LABEL, "search", on_click=on_search)
        controls.addWidget(QLabel("Length"))
        controls.addWidget(self.length)
        controls.addWidget(QLabel("Look ahead"))
        controls.addWidget(self.weeks)
        controls.addStretch(1)
        controls.addWidget(self.search_button)
        layout.addLayout(controls)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self._cancel)
        layout.addWidget(self.progress)
        # What fixes "nothing fits" (a shorter session, further ahead, …): set per search.
        self.remedies = QWidget()
        self._remedy_row = QHBoxLayout(self.remedies)
        self._remedy_row.setContentsMargins(0, 0, 0, 0)
        self.remedies.setVisible(False)
        layout.addWidget(self.remedies)

        self.slots = read_only_table(["Your time", "Fits"])
        self.slots.setWordWrap(True)
        self.slots.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.slots.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.slots, 1)

        form = QFormLayout()
        self.agenda = QLineEdit(placeholderText=agenda_hint)
        self.video = QLineEdit(placeholderText="https://meet.example.org/…")
        form.addRow("Agenda", self.agenda)
        form.addRow("Video link", self.video)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.propose = make_button(propose_label, "calendar", primary=True, on_click=on_propose)
        self.propose.setEnabled(False)
        row.addWidget(self.propose)
        layout.addLayout(row)

    # -- searching -------------------------------------------------------------------------
    def minutes(self) -> int:
        return int(self.length.currentData())

    def set_search(self, minutes: int, weeks: int) -> None:
        """Set length and look-ahead without starting a search (the caller runs one)."""
        for widget in (self.length, self.weeks):
            widget.blockSignals(True)
        self.length.setCurrentIndex(self.length.findData(minutes))
        self.weeks.setValue(weeks)
        self.weeks.setSuffix(" week" if weeks == 1 else " weeks")
        for widget in (self.length, self.weeks):
            widget.blockSignals(False)

    def shorter_length(self, at_most: int | None = None) -> int | None:
        """The longest offered length under the current one (and within ``at_most``)."""
        fits = [m for m in LENGTHS if m < self.minutes() and (at_most is None or m <= at_most)]
        return fits[-1] if fits else None

    def further_weeks(self) -> int | None:
        """Twice as far ahead, up to the spin box's limit (``None`` at the limit)."""
        weeks, top = self.weeks.value(), self.weeks.maximum()
        return min(top, weeks * 2) if weeks < top else None

    def set_remedies(self, actions: Sequence[tuple[str, str, Callable[[], object]]]) -> None:
        """Buttons under the controls, one per ``(label, icon, action)``; none hides the row."""
        while self._remedy_row.count():
            item = self._remedy_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for label, icon, action in actions:
            self._remedy_row.addWidget(make_button(label, icon, on_click=action))
        self._remedy_row.addStretch(1)
        self.remedies.setVisible(bool(actions))

    def remedy_labels(self) -> list[str]:
        """The remedy buttons' texts, in order (what tests and screenshots read)."""
        out = []
        for i in range(self._remedy_row.count()):
            w = self._remedy_row.itemAt(i).widget()
            if w is not None:
                out.append(w.text())
        return out

    def search(
        self,
        fetch: Callable[..., Any],
        *args: Any,
        message: str,
        on_success: Callable[[Any], object],
        on_error: Callable[[TaskError], object],
    ) -> Task:
        """Run ``fetch(*args, cancel=token)`` on a worker with the progress panel showing.

        A search still running is cancelled without a word: the new one replaces it, and
        nothing of the old one reaches the screen. Cancelling is only a request: a search
        whose answer was already on its way used to show its slots (for the people ticked
        before) and stop the progress panel while the new search still ran, so "Propose"
        could invite the wrong people.
        """
        if self.task is not None and not self.task.done:
            self.task.cancel()  # superseded by this search: no "cancelled" message
        self._user_cancelled = False
        self.set_remedies([])
        self.progress.start(message)
        self.search_button.setEnabled(False)
        task: Task | None = None

        def current(callback: Callable[..., object]) -> Callable[..., None]:
            def call(*answer: Any) -> None:
                if self.task is task:
                    callback(*answer)

            return call

        task = run_in_background(
            fetch,
            *args,
            cancel=True,
            on_success=current(on_success),
            on_error=current(on_error),
            on_cancelled=current(self._cancelled),
            on_finished=current(self._finished),
            owner=self,
        )
        self.task = task
        return task

    def _cancel(self) -> None:
        self._user_cancelled = True
        if self.task is not None:
            self.task.cancel()
        self.progress.cancel.setEnabled(False)

    def _cancelled(self) -> None:
        if self._user_cancelled:
            self.banner.show_message("Search cancelled.", "info")

    def _finished(self) -> None:
        self.progress.stop()
        self.search_button.setEnabled(True)

    # -- the slots -------------------------------------------------------------------------
    def show_slots(
        self,
        slots: Sequence[Slot],
        columns: Sequence[ZoneColumn],
        names: dict[int, str],
        *,
        everyone: str,
    ) -> None:
        """One row a slot: each person's local time, then how well it fits everyone.

        The time columns are as wide as their text; "Fits" takes the rest of the width
        (at least :data:`FITS_MIN_WIDTH`) and wraps, so it is read in full in the table.
        """
        self.shown = list(slots)
        headers = [c.header for c in columns] + ["Fits"]
        self.slots.clearContents()
        self.slots.setColumnCount(len(headers))
        self.slots.setHorizontalHeaderLabels(headers)
        for column, c in enumerate(columns):
            self.slots.horizontalHeaderItem(column).setToolTip(c.tooltip)
        self.slots.setRowCount(len(slots))
        for row, slot in enumerate(slots):
            views = {v.person_id: v for v in slot.people}
            notes = "; ".join(slot.notes)
            cells = [
                day_and_time(views[c.person_id].start, views[c.person_id].end) for c in columns
            ]
            cells.append(fits(slot, names, everyone) + (f" · {notes}" if notes else ""))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, row)
                self.slots.setItem(row, column, item)
        self._size_columns()

    def _size_columns(self) -> None:
        head = self.slots.horizontalHeader()
        last = self.slots.columnCount() - 1
        for column in range(last):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(False)
        self._fits_width()

    def _fits_width(self) -> None:
        """Stretch "Fits" over the room left, but never under :data:`FITS_MIN_WIDTH`: with
        many people the table then scrolls sideways instead of squeezing it to nothing."""
        head = self.slots.horizontalHeader()
        last = self.slots.columnCount() - 1
        if last < 0:
            return
        # What the time columns will take once laid out (their sizes are updated lazily).
        taken = sum(
            max(self.slots.sizeHintForColumn(c), head.sectionSizeHint(c)) for c in range(last)
        )
        room = self.slots.viewport().width() - taken
        mode = (
            QHeaderView.ResizeMode.Stretch
            if room >= FITS_MIN_WIDTH or not self.shown
            else QHeaderView.ResizeMode.Interactive
        )
        head.setSectionResizeMode(last, mode)
        if mode is QHeaderView.ResizeMode.Interactive:
            head.resizeSection(last, FITS_MIN_WIDTH)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.shown:
            self._fits_width()

    def selected_slot(self) -> Slot | None:
        rows = self.slots.selectionModel().selectedRows()
        return self.shown[rows[0].row()] if rows and rows[0].row() < len(self.shown) else None

    def proposal_text(self) -> tuple[str, str]:
        """The agenda and video link as typed."""
        return self.agenda.text(), self.video.text()


class SlotPickerDialog(QDialog):
    """What a "Find a time" dialog does around its :class:`SlotPicker`: failures in its
    banner, the chosen slot, and each session step (propose, answer, move) run in a unit
    of work of its own, after which the app is told and the slots are searched again.

    A subclass sets ``context``, ``banner``, ``picker`` and ``choice`` (its last search
    result) and defines ``load()``, the search it runs again after each step.
    """

    changed = Signal()  # a session was proposed, answered or moved
    #: "Edit my weekly availability" chosen after nothing fitted: the Schedule shows it.
    edit_availability_requested = Signal()
    #: Set by a screen that listens to :attr:`edit_availability_requested`.
    offers_editing_availability = False

    context: AppContext
    banner: Banner
    picker: SlotPicker
    choice: Any
    load: Callable[[], Task | None]

    def selected_slot(self) -> Slot | None:
        return self.picker.selected_slot() if self.choice else None

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")

    def show_no_fit(
        self,
        no_fit: NoFit | None,
        viewer_id: int,
        names: dict[int, str],
        *,
        message_partner: tuple[str, Callable[[], object]] | None = None,
    ) -> None:
        """Say why nothing fits (the core's reason) and offer the actions this dialog has
        for it: a shorter length, further ahead, editing availability, writing the partner.
        """
        if no_fit is None:  # the core found slots after all (should not happen): stay vague
            self.banner.show_message("No common free time in this period.", "warning")
            return
        self.banner.show_message(no_fit.message(viewer_id, names), "warning")
        picker, actions = self.picker, []
        for remedy in no_fit.remedies:
            if remedy is Remedy.SHORTER:
                limit = no_fit.longest_minutes if no_fit.cause is Cause.SHORT_OVERLAP else None
                shorter = picker.shorter_length(limit)
                if shorter is not None:
                    index = LENGTHS.index(shorter)
                    actions.append(
                        (
                            f"Try {shorter} minutes",
                            "calendar",
                            lambda i=index: picker.length.setCurrentIndex(i),
                        )
                    )
            elif remedy is Remedy.FURTHER_AHEAD:
                weeks = picker.further_weeks()
                if weeks is not None:
                    actions.append(
                        (
                            f"Look {weeks} weeks ahead",
                            "search",
                            lambda w=weeks: picker.weeks.setValue(w),
                        )
                    )
            elif remedy is Remedy.EDIT_AVAILABILITY and self.offers_editing_availability:
                actions.append(
                    ("Edit my weekly availability", "edit", self.edit_availability_requested.emit)
                )
            elif remedy is Remedy.MESSAGE_PARTNER and message_partner is not None:
                actions.append((message_partner[0], "chat", message_partner[1]))
        picker.set_remedies(actions)

    def run_step(
        self,
        step: Callable[[ServiceContext], object],
        done_message: str,
        *,
        disable: Sequence[QAbstractButton] = (),
    ) -> Task:
        """Run ``step`` on a worker in its own unit of work; ``disable`` the buttons that
        could start another step meanwhile (the reload after it enables them again)."""

        def work() -> object:
            with self.context.unit_of_work() as ctx:
                return step(ctx)

        def ok(_: object) -> None:
            self.banner.show_message(done_message, "info")
            self.context.notify("mentorships", source=None)
            self.changed.emit()
            self.load()

        for button in disable:
            button.setEnabled(False)
        return run_in_background(work, on_success=ok, on_error=self._failed, owner=self)
