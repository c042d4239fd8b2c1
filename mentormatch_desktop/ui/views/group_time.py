""" "Find a time" for a group: pick a circle (or tick people), see ranked common slots with
every member's local time side by side, and invite them all to one session. With a
session to reschedule (the organiser's), the same people are asked again for the new time.

Choices and slots come from :mod:`~mentormatch_desktop.services.my_schedule` on workers
(progress, cancel); proposing is :func:`~.group_sessions.propose_group_session` in a unit
of work of its own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.services import group_sessions
from mentormatch_desktop.services.my_schedule import (
    GroupChoices,
    GroupTimeChoice,
    SessionRow,
    find_group_time,
    group_choices,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.slot_picker import (
    SlotPicker,
    SlotPickerDialog,
    ZoneColumn,
    when,
)
from mentormatch_desktop.ui.widgets import Banner, section_title
from mentormatch_desktop.ui.workers import Task, run_in_background


class GroupTimeDialog(SlotPickerDialog):
    """Find and propose one session for a group of 3–8 people."""

    def __init__(
        self,
        context: AppContext,
        *,
        as_person: int | None = None,
        reschedule: SessionRow | None = None,
        attendee_ids: tuple[int, ...] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.as_person = as_person
        self.reschedule = reschedule
        self.preset = set(attendee_ids)
        self.choices: GroupChoices | None = None
        self.choice: GroupTimeChoice | None = None
        self.setWindowTitle("Move the group session" if reschedule else "Find a time for a group")
        self.resize(1100, 700)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.title = QLabel(
            "Move the group session" if reschedule else "Find a time for a group",
            objectName="pageTitle",
        )
        self.subtitle = QLabel(
            "Choose a group or tick 2–7 people, then pick a slot that suits everyone.",
            objectName="pageSubtitle",
        )
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        self.banner = Banner()
        layout.addWidget(self.banner)

        body = QHBoxLayout()
        side = QVBoxLayout()
        side.addWidget(section_title("Who"))
        self.group_box = QComboBox()
        self.group_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.group_box.addItem("Choose people below", None)
        self.group_box.currentIndexChanged.connect(self._group_chosen)
        side.addWidget(self.group_box)
        self.people = QListWidget()
        self.people.itemChanged.connect(lambda _item: self._selection_changed())
        side.addWidget(self.people, 1)
        self.picked_label = QLabel(objectName="muted")
        side.addWidget(self.picked_label)
        body.addLayout(side, 0)  # as wide as the group names need

        self.picker = SlotPicker(
            self.banner,
            default_minutes=60,
            current_minutes=reschedule.minutes if reschedule else None,
            propose_label="Move to this time" if reschedule else "Invite the group to this time",
            agenda_hint="What the group will talk about",
            on_search=self.load,
            on_propose=self.propose_selected,
        )
        self.picker.slots.itemSelectionChanged.connect(self._selection_changed)
        body.addWidget(self.picker, 1)
        layout.addLayout(body, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if reschedule is not None:
            self.group_box.setEnabled(False)
            self.people.setEnabled(False)
        self.load_choices()

    # -- who -----------------------------------------------------------------------------
    def load_choices(self) -> Task:
        def fetch() -> GroupChoices:
            with self.context.unit_of_work() as ctx:
                return group_choices(ctx, self.as_person)

        return run_in_background(
            fetch, on_success=self.show_choices, on_error=self._failed, owner=self
        )

    def show_choices(self, choices: GroupChoices) -> None:
        self.choices = choices
        self.group_box.blockSignals(True)
        for label, program_id, key, members in choices.groups:
            self.group_box.addItem(label, (program_id, key, members))
        self.group_box.blockSignals(False)
        self.people.blockSignals(True)
        self.people.clear()
        for pid, name in choices.people:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, pid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = pid in self.preset
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.people.addItem(item)
        self.people.blockSignals(False)
        if not choices.people:
            self.banner.show_message("No mentoring partners or group members to invite.", "info")
        elif len(choices.groups) == 1 and not self.preset:
            self.group_box.setCurrentIndex(1)  # the one group, ticked for you
        self._selection_changed()
        if self.preset:
            self.load()

    def _group_chosen(self, index: int) -> None:
        data = self.group_box.itemData(index)
        members = set(data[2]) if data else set()
        self.people.blockSignals(True)
        for i in range(self.people.count()):
            item = self.people.item(i)
            pid = item.data(Qt.ItemDataRole.UserRole)
            state = Qt.CheckState.Checked if pid in members else Qt.CheckState.Unchecked
            if data:
                item.setCheckState(state)
        self.people.blockSignals(False)
        self._selection_changed()
        if data:
            self.load()

    def chosen(self) -> list[int]:
        return [
            self.people.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.people.count())
            if self.people.item(i).checkState() == Qt.CheckState.Checked
        ]

    def group(self) -> tuple[int, str] | None:
        data = self.group_box.currentData()
        return (data[0], data[1]) if data else None

    # -- slots ---------------------------------------------------------------------------
    def _fetch(self, people: list[int], minutes: int, weeks: int, *, cancel: CancelToken):  # type: ignore[no-untyped-def]
        with self.context.unit_of_work() as ctx:
            found = find_group_time(
                ctx,
                people,
                minutes=minutes,
                weeks=weeks,
                as_person=self.as_person,
                ignore_meeting=self.reschedule.id if self.reschedule else None,
            )
        cancel.raise_if_cancelled()
        return found

    def load(self) -> Task | None:
        people = self.chosen()
        if not 2 <= len(people) <= 7:
            self.banner.show_message("Tick 2 to 7 people (3–8 with you).", "info")
            return None
        self.banner.hide()
        return self.picker.search(
            self._fetch,
            people,
            self.picker.minutes(),
            self.picker.weeks.value(),
            message=f"Looking for times that suit all {len(people) + 1} of you…",
            on_success=self.show_slots,
            on_error=self._failed,
        )

    def show_slots(self, choice: GroupTimeChoice) -> None:
        self.choice = choice
        viewer, others = choice.people[0], choice.people[1:]
        self.picker.show_slots(
            choice.slots,
            [ZoneColumn(viewer[0], "You", f"{viewer[1]}: {viewer[2]}")]
            + [ZoneColumn(p, n, f"{n}: {z}") for p, n, z in others],
            {viewer[0]: "your"} | {p: f"{n}'s" for p, n, _ in others},
            everyone="all",
        )
        self.subtitle.setText(
            f"{len(choice.people)} people: times in each person's own zone. Best first: inside "
            "everyone's working hours, then the least inconvenient for whoever is worse off."
        )
        if not choice.slots:
            self.show_no_fit(choice.no_fit, viewer[0], {p: n for p, n, _ in others})
        self._selection_changed()

    # -- actions -------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        n = len(self.chosen())
        self.picked_label.setText(f"{n} chosen · {n + 1} with you" if n else "Nobody chosen yet")
        self.picker.propose.setEnabled(self.selected_slot() is not None and 2 <= n <= 7)

    def propose_selected(self) -> Task | None:
        slot = self.selected_slot()
        if slot is None or self.choice is None:
            return None
        minutes, as_person = self.choice.minutes, self.as_person
        (agenda, video), people, group = (
            self.picker.proposal_text(),
            [p for p, _, _ in self.choice.people[1:]],
            self.group(),
        )
        start = slot.start
        if self.reschedule is not None:
            meeting = self.reschedule.id

            def step(ctx):  # type: ignore[no-untyped-def]
                return group_sessions.reschedule_group_session(
                    ctx, meeting, start, minutes, as_person=as_person
                )

            message = f"Moved to {when(slot.people[0].start)}; everyone is asked again."
        else:

            def step(ctx):  # type: ignore[no-untyped-def]
                return group_sessions.propose_group_session(
                    ctx, people, start, minutes, agenda=agenda, video_link=video,
                    group=group, as_person=as_person,
                )  # fmt: skip

            message = f"Invited {len(people)} people to {when(slot.people[0].start)}."
        return self.run_step(step, message, disable=(self.picker.propose,))
