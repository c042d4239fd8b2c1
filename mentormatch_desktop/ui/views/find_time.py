""" "Find a time" for one mentorship: ranked common free slots of both people, each in their
own local time, and proposing one; proposals the other side made are answered here too
(accept, decline, or counter with a selected slot). Reschedules a booked session when
given one.

Slots are computed by :func:`~mentormatch_desktop.services.my_schedule.find_a_time` on a
worker; every step is a service in a unit of work of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.scheduling.zones import zone
from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.my_schedule import (
    MySchedule,
    SessionRow,
    TimeChoice,
    find_a_time,
    my_schedule,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.slot_picker import (
    SlotPicker,
    SlotPickerDialog,
    ZoneColumn,
    when,
    when_range,
)
from mentormatch_desktop.ui.widgets import Banner, make_button, read_only_table, section_title
from mentormatch_desktop.ui.workers import Task

__all__ = ["FindTimeDialog", "LogSessionDialog", "when"]


class FindTimeDialog(SlotPickerDialog):
    """Find, propose and answer session times for one mentorship."""

    #: "Message <partner>" chosen after nothing fitted: the pair's conversation id.
    message_requested = Signal(int)
    offers_messaging = False  # set by a screen that listens to message_requested

    def __init__(
        self,
        context: AppContext,
        mentorship_id: int,
        *,
        as_person: int | None = None,
        reschedule: SessionRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.mentorship_id = mentorship_id
        self.as_person = as_person
        self.reschedule = reschedule
        self.choice: TimeChoice | None = None
        self.received: list[SessionRow] = []
        self.setWindowTitle("Reschedule the session" if reschedule else "Find a time")
        self.resize(820, 680)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.title = QLabel("Finding common free time…", objectName="pageTitle")
        self.zones = QLabel(objectName="pageSubtitle")
        self.zones.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.zones)
        self.banner = Banner()
        layout.addWidget(self.banner)
        self.picker = SlotPicker(
            self.banner,
            default_minutes=45,
            current_minutes=reschedule.minutes if reschedule else None,
            propose_label="Move to this time" if reschedule else "Propose this time",
            agenda_hint="What you would like to talk about",
            on_search=self.load,
            on_propose=self.propose_selected,
        )
        self.picker.slots.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.picker, 3)

        self.received_title = section_title("Proposals waiting for your answer")
        layout.addWidget(self.received_title)
        self.received_table = read_only_table(["Proposed time", "Length", "Agenda"])
        self.received_table.setMaximumHeight(110)
        self.received_table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.received_table, 1)
        answers = QHBoxLayout()
        self.accept_button = make_button("Accept", "approve", on_click=self.accept_selected)
        self.decline_button = make_button("Decline", "reject", on_click=self.decline_selected)
        self.counter_button = make_button(
            "Suggest the selected slot instead", "swap", on_click=self.counter_selected
        )
        for b in (self.accept_button, self.decline_button, self.counter_button):
            b.setEnabled(False)
            answers.addWidget(b)
        answers.addStretch(1)
        layout.addLayout(answers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.picker.length.currentIndexChanged.connect(lambda _=0: self.load())
        self.picker.weeks.valueChanged.connect(lambda _=0: self.load())
        self.load()

    # -- loading -------------------------------------------------------------------------
    def _fetch(
        self, minutes: int, weeks: int, *, cancel: CancelToken
    ) -> tuple[TimeChoice, list[SessionRow]]:
        with self.context.unit_of_work() as ctx:
            choice = find_a_time(
                ctx,
                self.mentorship_id,
                minutes=minutes,
                weeks=weeks,
                as_person=self.as_person,
                ignore_meeting=self.reschedule.id if self.reschedule else None,
            )
            cancel.raise_if_cancelled()
            mine: MySchedule = my_schedule(ctx, choice.viewer_id)
        cancel.raise_if_cancelled()
        received = [
            s for s in mine.sessions if s.mentorship_id == self.mentorship_id and s.awaiting_me
        ]
        return choice, received

    def load(self) -> Task:
        return self.picker.search(
            self._fetch,
            self.picker.minutes(),
            self.picker.weeks.value(),
            message="Looking for times that suit you both…",
            on_success=self.show_choice,
            on_error=self._failed,
        )

    def show_choice(self, result: tuple[TimeChoice, list[SessionRow]]) -> None:
        choice, received = result
        self.choice, self.received = choice, received
        self.title.setText(
            f"Reschedule with {choice.partner}"
            if self.reschedule
            else f"Find a time with {choice.partner}"
        )
        self.zones.setText(
            f"Times are shown in your zone ({choice.viewer_zone}) and in "
            f"{choice.partner}'s ({choice.partner_zone}). Best first: inside both people's "
            "working hours, then the least inconvenient for whoever is worse off."
        )
        self.picker.show_slots(
            choice.slots,
            [
                ZoneColumn(
                    choice.viewer_id,
                    f"Your time ({choice.viewer_zone})",
                    f"You: {choice.viewer_zone}",
                ),
                ZoneColumn(
                    choice.partner_id,
                    f"{choice.partner}'s time",
                    f"{choice.partner}: {choice.partner_zone}",
                ),
            ],
            {choice.viewer_id: "your", choice.partner_id: f"{choice.partner}'s"},
            everyone="both",
        )
        if not choice.slots:
            thread = choice.thread_id
            # Only the signed-in person writes as themselves: a coordinator looking at
            # someone's schedule is not offered to write in their name.
            message = (
                (f"Message {choice.partner}", lambda: self.message_requested.emit(thread))
                if thread and self.as_person is None and self.offers_messaging
                else None
            )
            self.show_no_fit(
                choice.no_fit,
                choice.viewer_id,
                {choice.partner_id: choice.partner},
                message_partner=message,
            )
        else:
            self.banner.hide()
        self.received_table.setRowCount(len(received))
        for row, s in enumerate(received):
            local = s.starts_at.astimezone(zone(choice.viewer_zone))
            end = s.ends_at.astimezone(zone(choice.viewer_zone))
            cells = [when_range(local, end), f"{s.minutes} min", s.agenda or "—"]
            for column, text in enumerate(cells):
                self.received_table.setItem(row, column, QTableWidgetItem(text))
        has_received = bool(received)
        self.received_title.setVisible(has_received)
        self.received_table.setVisible(has_received)
        for b in (self.accept_button, self.decline_button, self.counter_button):
            b.setVisible(has_received)
        self._selection_changed()

    # -- selection and actions ------------------------------------------------------------
    def selected_received(self) -> SessionRow | None:
        rows = self.received_table.selectionModel().selectedRows()
        return self.received[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        slot, proposal = self.selected_slot(), self.selected_received()
        self.picker.propose.setEnabled(slot is not None)
        self.accept_button.setEnabled(proposal is not None)
        self.decline_button.setEnabled(proposal is not None)
        self.counter_button.setEnabled(proposal is not None and slot is not None)

    def _step(self, step: Callable[[ServiceContext], object], done_message: str) -> Task:
        """A session step; no other step can start until the reload after it."""
        buttons = (
            self.picker.propose,
            self.accept_button,
            self.decline_button,
            self.counter_button,
        )
        return self.run_step(step, done_message, disable=buttons)

    def propose_selected(self) -> Task | None:
        slot = self.selected_slot()
        if slot is None or self.choice is None:
            return None
        minutes = self.choice.minutes
        as_person = self.as_person
        agenda, video = self.picker.proposal_text()
        if self.reschedule is not None:
            meeting = self.reschedule.id
            return self._step(
                lambda ctx: sessions.reschedule_session(
                    ctx, meeting, slot.start, minutes, as_person=as_person
                ),
                f"Moved to {when(slot.people[0].start)}; {self.choice.partner} is asked to accept.",
            )
        ms = self.mentorship_id
        return self._step(
            lambda ctx: sessions.propose_session(
                ctx, ms, slot.start, minutes, agenda=agenda, video_link=video, as_person=as_person
            ),
            f"Proposed {when(slot.people[0].start)} to {self.choice.partner}.",
        )

    def accept_selected(self) -> Task | None:
        proposal = self.selected_received()
        if proposal is None:
            return None
        as_person = self.as_person
        return self._step(
            lambda ctx: sessions.accept_session(ctx, proposal.id, as_person=as_person),
            "Accepted: the session is booked for you both.",
        )

    def decline_selected(self) -> Task | None:
        proposal = self.selected_received()
        if proposal is None:
            return None
        as_person = self.as_person
        return self._step(
            lambda ctx: sessions.decline_session(ctx, proposal.id, as_person=as_person),
            "Declined. Suggest another time from the list above.",
        )

    def counter_selected(self) -> Task | None:
        proposal, slot = self.selected_received(), self.selected_slot()
        if proposal is None or slot is None or self.choice is None:
            return None
        minutes, as_person = self.choice.minutes, self.as_person
        return self._step(
            lambda ctx: sessions.counter_propose(
                ctx, proposal.id, slot.start, minutes, as_person=as_person
            ),
            f"Suggested {when(slot.people[0].start)} instead.",
        )


class LogSessionDialog(QDialog):
    """After a session: held or not, a 1–5 rating, shared and private notes, next steps."""

    def __init__(
        self, session: SessionRow, tz: tzinfo | None = None, parent: QWidget | None = None
    ) -> None:
        """``tz``: the person's own time zone, the one their Schedule shows the session
        in (without it the title showed the stored UTC time, hours off the table's)."""
        super().__init__(parent)
        from PySide6.QtWidgets import QCheckBox, QPlainTextEdit

        self.setWindowTitle("Log the session")
        self.resize(520, 460)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"Session with {session.partner}, "
                f"{when(session.starts_at.astimezone(tz) if tz else session.starts_at)}",
                objectName="sectionTitle",
            )
        )
        form = QFormLayout()
        self.held = QComboBox()
        self.held.addItem("Yes, we met", True)
        self.held.addItem("No, it did not happen", False)
        self.rating = QComboBox()
        self.rating.addItem("No rating", None)
        for n in range(5, 0, -1):
            self.rating.addItem("★" * n + "☆" * (5 - n), n)
        self.shared = QPlainTextEdit(placeholderText="Your partner sees these notes")
        self.private = QPlainTextEdit(placeholderText="Only you see these notes")
        self.steps = QPlainTextEdit(placeholderText="One next step per line")
        for box in (self.shared, self.private, self.steps):
            box.setMaximumHeight(80)
        self.as_milestones = QCheckBox("Add the next steps as milestones")
        # A session that did not happen has nothing to rate: a rating left on one was
        # stored as feedback about a meeting nobody had.
        self.held.currentIndexChanged.connect(self._held_changed)
        form.addRow("Did it happen?", self.held)
        form.addRow("How useful was it?", self.rating)
        form.addRow("Shared notes", self.shared)
        form.addRow("Private notes", self.private)
        form.addRow("Next steps", self.steps)
        form.addRow("", self.as_milestones)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _held_changed(self) -> None:
        held = bool(self.held.currentData())
        if not held:
            self.rating.setCurrentIndex(0)  # "No rating"
        self.rating.setEnabled(held)

    def values(self) -> dict[str, object]:
        held = bool(self.held.currentData())
        return {
            "held": held,
            "rating": self.rating.currentData() if held else None,
            "shared_notes": self.shared.toPlainText().strip(),
            "private_notes": self.private.toPlainText().strip(),
            "next_steps": [s for s in self.steps.toPlainText().splitlines() if s.strip()],
            "steps_as_milestones": self.as_milestones.isChecked(),
        }
