"""Start a group conversation (a peer circle), or add people to one's own group.

The member picker lists exactly the people the signed-in person may write to
(:func:`mentormatch_desktop.services.groups.messageable_people`: on PostgreSQL the database
answers through its own rule), with a filter box; creating and adding run in a worker as
one unit of work each, and the database refuses the same again if the list was stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from mentormatch_desktop.services import groups
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.widgets import Banner, make_button, section_title
from mentormatch_desktop.ui.workers import Task, TaskError

if TYPE_CHECKING:
    from mentormatch_desktop.ui.views.inbox import InboxView

ID_ROLE = Qt.ItemDataRole.UserRole


class GroupDialog(QDialog):
    """Name and members of a new group; or, with ``thread_id``, people to add to it."""

    done_with = Signal(int)  # the group's thread id, once created or extended

    def __init__(self, view: InboxView, *, thread_id: int | None = None, subject: str = "") -> None:
        super().__init__(view)
        self.view = view
        self.thread_id = thread_id
        self.members: set[int] = set()
        self.result_thread: int | None = None
        self.loaded = False
        self._task: Task | None = None
        adding = thread_id is not None
        self.setWindowTitle(f"Add people to {subject}" if adding else "New group")
        self.setMinimumSize(460, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(section_title("Add people" if adding else "Start a group conversation"))
        intro = QLabel(
            "Everyone you choose can read the whole conversation, earlier messages included."
            if adding
            else "Name the group and choose who is in it. You can add more people later; "
            "only you can add them.",
            objectName="hint",
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.banner = Banner()
        layout.addWidget(self.banner)
        self.name_label = QLabel("Name")
        self.name_label.setVisible(not adding)
        layout.addWidget(self.name_label)
        self.name = QLineEdit(placeholderText="e.g. Sales peer circle")
        self.name.setMaxLength(groups.MAX_SUBJECT)
        self.name.textChanged.connect(self._update)
        self.name.setVisible(not adding)
        layout.addWidget(self.name)
        layout.addWidget(QLabel("People you may write to"))
        self.filter = QLineEdit(placeholderText="Filter people")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        layout.addWidget(self.filter)
        self.people = QListWidget()
        self.people.itemChanged.connect(self._update)
        layout.addWidget(self.people, 1)
        self.hint = QLabel("Loading the people you may write to…", objectName="hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        buttons = QDialogButtonBox()
        self.ok_button = make_button("Add" if adding else "Create group", primary=True)
        self.ok_button.setEnabled(False)
        self.ok_button.clicked.connect(self.accept_choice)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = make_button("Cancel")
        cancel.clicked.connect(self.reject)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        layout.addWidget(buttons)
        self._load()

    # -- loading -----------------------------------------------------------------------------
    def _load(self) -> None:
        thread_id = self.thread_id

        def read(ctx: ServiceContext) -> tuple[list[groups.Contact], set[int]]:
            contacts = groups.messageable_people(ctx)
            members: set[int] = set()
            if thread_id is not None:
                can_add, members = groups.group_info(ctx, thread_id)
                if not can_add:
                    raise MessagingError(
                        "thread", "only the person who started a group adds its members"
                    )
            return contacts, members

        self._task = self.view.run(
            self.view.in_unit_of_work(read), on_success=self._fill, on_error=self._failed
        )

    def _fill(self, result: tuple[list[groups.Contact], set[int]]) -> None:
        contacts, self.members = result
        self.people.blockSignals(True)
        self.people.clear()
        for c in contacts:
            item = QListWidgetItem(c.name)
            item.setData(ID_ROLE, c.id)
            if c.id in self.members:
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable)  # shown, not changeable
                item.setCheckState(Qt.CheckState.Checked)
                item.setToolTip("Already in the group")
            else:
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                item.setCheckState(Qt.CheckState.Unchecked)
            self.people.addItem(item)
        self.people.blockSignals(False)
        self.loaded = True
        if not contacts:
            self.hint.setText(
                "There is nobody you may write to yet: groups are for your mentors, "
                "mentees and your programs' coordinators."
            )
        self._update()

    def _failed(self, error: TaskError) -> None:
        exc = error.exception
        self.banner.show_message(
            exc.message if isinstance(exc, MessagingError) else error.message, "error"
        )
        self.ok_button.setEnabled(True)
        self._update()

    # -- choosing ------------------------------------------------------------------------------
    def chosen(self) -> list[int]:
        return [
            int(item.data(ID_ROLE))
            for item in (self.people.item(i) for i in range(self.people.count()))
            if item.checkState() == Qt.CheckState.Checked
            and int(item.data(ID_ROLE)) not in self.members
        ]

    def check(self, person_ids: list[int]) -> None:
        """Tick these people (what a click on each does)."""
        for i in range(self.people.count()):
            item = self.people.item(i)
            if int(item.data(ID_ROLE)) in person_ids and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                item.setCheckState(Qt.CheckState.Checked)

    def _filter(self, text: str) -> None:
        words = text.strip().lower()
        for i in range(self.people.count()):
            item = self.people.item(i)
            item.setHidden(bool(words) and words not in item.text().lower())

    def _update(self) -> None:
        chosen = self.chosen()
        picked = len(chosen)
        named = self.thread_id is not None or bool(self.name.text().strip())
        busy = self._task is not None and not self._task.done and self.loaded
        self.ok_button.setEnabled(self.loaded and picked > 0 and named and not busy)
        if self.loaded and self.people.count():
            if picked:
                names = [
                    self.people.item(i).text()
                    for i in range(self.people.count())
                    if int(self.people.item(i).data(ID_ROLE)) in chosen
                ]
                self.hint.setText(
                    f"{plural(picked, 'person', 'people')} chosen: {', '.join(names)}."
                )
            elif self.thread_id is None:
                self.hint.setText("Choose at least one person.")
            else:
                self.hint.setText("Choose who to add.")

    def accept_choice(self) -> Task | None:
        """Create the group (or add the people) in a worker; closes when done."""
        people = self.chosen()
        if not people:
            return None
        thread_id, name = self.thread_id, self.name.text()
        self.ok_button.setEnabled(False)

        def write(ctx: ServiceContext) -> int:
            if thread_id is None:
                return groups.start_group(ctx, name, people).id
            groups.add_members(ctx, thread_id, people)
            return thread_id

        def done(tid: int) -> None:
            self.result_thread = tid
            self.done_with.emit(tid)
            self.accept()

        self._task = self.view.run(
            self.view.in_unit_of_work(write), on_success=done, on_error=self._failed
        )
        return self._task
