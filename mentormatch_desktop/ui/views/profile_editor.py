"""The profile editor: one participant's details, skills, goals, languages, availability,
enrolments and must-not-match list, validated with the same rules the service enforces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.enums import EnrolmentRole, SkillDirection
from mentormatch_desktop.domain.names import PREFERRED_NAME_LIMIT
from mentormatch_desktop.services import directory, profiles
from mentormatch_desktop.services.profiles import (
    BlockedPerson,
    EnrolmentEntry,
    Profile,
    ProfileInvalid,
    ProfileIssue,
    SkillEntry,
    SlotEntry,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.steps import StepQueue
from mentormatch_desktop.ui.views import profile_rows as rows
from mentormatch_desktop.ui.widgets import Banner, make_button, section_title, set_invalid
from mentormatch_desktop.ui.workers import TaskError, run_in_background

TAB_OF_FIELD = {
    "full_name": 0, "preferred_name": 0, "email": 0, "title": 0, "department": 0,
    "time_zone": 0,
    "skills": 1, "goals": 1, "languages": 2, "availability": 2,
    "enrolments": 3, "must_not_match": 3,
}  # fmt: skip


class _Lookups:
    """What the editor's pickers offer, loaded with the profile in the same worker."""

    def __init__(self, skills: list[str], departments: list[str], programs: list[tuple[int, str]]):
        self.skills = skills
        self.departments = departments
        self.programs = programs


class ProfileEditor(QDialog):
    """Edit (``person_id``) or create (``None``) a participant; emits ``saved(person_id)``."""

    saved = Signal(int)
    loaded = Signal()

    def __init__(
        self, context: AppContext, person_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.person_id = person_id
        self.profile = Profile()
        self.lookups = _Lookups([], [], [])
        self.setWindowTitle("New participant" if person_id is None else "Participant profile")
        self.resize(920, 720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        self.heading = QLabel("New participant" if person_id is None else "Loading…")
        self.heading.setObjectName("pageTitle")
        layout.addWidget(self.heading)
        self.banner = Banner("error")
        layout.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._details_tab(), "Details")
        # The other tabs are built on the next event-loop turns, one each: the whole
        # dialog at once held the GUI thread for over 100 ms (issue 12). The profile
        # loads in a worker meanwhile and fills the form once every tab exists.
        self.steps = StepQueue(self)
        self.steps.add(lambda: self.tabs.addTab(self._skills_tab(), "Skills and goals"))
        self.steps.add(
            lambda: self.tabs.addTab(self._availability_tab(), "Languages and availability")
        )
        self.steps.add(lambda: self.tabs.addTab(self._programs_tab(), "Programs and constraints"))
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = make_button("Cancel", on_click=self.reject)
        self.save_button = make_button("Save", "check", primary=True, on_click=self.save)
        self.save_button.setDefault(True)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.save_button.setEnabled(False)
        self._load()

    # -- tabs --------------------------------------------------------------------------
    def _details_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(16, 16, 16, 16)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.full_name = QLineEdit(placeholderText="First and last name")
        self.preferred_name = QLineEdit(
            placeholderText="What should we call you? (if empty: the first word of the name)"
        )
        self.preferred_name.setMaxLength(PREFERRED_NAME_LIMIT)
        self.preferred_name.setToolTip(
            "How greetings, inbox previews and introductions address this person,"
            " e.g. “Jun Jie” for Jun Jie Goh."
        )
        self.email = QLineEdit(placeholderText="name@example.org")
        self.title = QLineEdit(placeholderText="Job title")
        self.department = QComboBox(editable=True)
        self.department.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone = QComboBox(editable=True)
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone.addItems(sorted(profiles.time_zones()))
        completer = self.time_zone.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.bio = QPlainTextEdit(placeholderText="A few lines about experience and interests")
        form.addRow("Name", self.full_name)
        form.addRow("Preferred name", self.preferred_name)
        form.addRow("E-mail", self.email)
        form.addRow("Title", self.title)
        form.addRow("Department", self.department)
        form.addRow("Time zone", self.time_zone)
        form.addRow("About", self.bio)
        return page

    def _skills_tab(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(16, 16, 16, 16)
        column.addWidget(section_title("Skills"))
        column.addWidget(
            QLabel(
                "Level 1 (novice) to 5 (expert). For skills to learn, the level is where the "
                "person is today.",
                objectName="hint",
            )
        )
        self.skills = rows.editable_table(["Skill", "Teaches or learns", "Level"])
        column.addWidget(self.skills, 3)
        column.addLayout(
            rows.row_buttons(
                make_button(
                    "Add skill",
                    "add",
                    on_click=lambda: self._add_skill(SkillEntry("", SkillDirection.LEARN)),
                ),
                make_button("Remove", "delete", on_click=lambda: rows.remove_selected(self.skills)),
            )
        )
        column.addWidget(section_title("Goals"))
        self.goals = QListWidget()
        self.goals.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        column.addWidget(self.goals, 2)
        column.addLayout(
            rows.row_buttons(
                make_button("Add goal", "add", on_click=self._add_goal),
                make_button("Remove", "delete", on_click=self._remove_goal),
            )
        )
        return page

    def _availability_tab(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(16, 16, 16, 16)
        column.addWidget(section_title("Languages"))
        self.languages = rows.editable_table(["Language (ISO code, e.g. en)", "Level"])
        column.addWidget(self.languages, 2)
        column.addLayout(
            rows.row_buttons(
                make_button(
                    "Add language", "add", on_click=lambda: self._add_language("", "fluent")
                ),
                make_button(
                    "Remove", "delete", on_click=lambda: rows.remove_selected(self.languages)
                ),
            )
        )
        column.addWidget(section_title("Weekly availability"))
        column.addWidget(
            QLabel(
                "In the participant's own time zone; kept across daylight-saving changes.",
                objectName="hint",
            )
        )
        self.availability = rows.editable_table(["Day", "From", "To"])
        column.addWidget(self.availability, 3)
        column.addLayout(
            rows.row_buttons(
                make_button(
                    "Add window", "add", on_click=lambda: self._add_slot(SlotEntry(1, 540, 600))
                ),
                make_button(
                    "Remove", "delete", on_click=lambda: rows.remove_selected(self.availability)
                ),
            )
        )
        return page

    def _programs_tab(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(16, 16, 16, 16)
        column.addWidget(section_title("Enrolments"))
        column.addWidget(
            QLabel(
                "Capacity: how many mentees a mentor takes (or mentors a mentee wants).",
                objectName="hint",
            )
        )
        self.enrolments = rows.editable_table(["Program", "Role", "Capacity"])
        column.addWidget(self.enrolments, 2)
        column.addLayout(
            rows.row_buttons(
                make_button("Enrol in a program", "add", on_click=self._add_enrolment_row),
                make_button(
                    "Remove", "delete", on_click=lambda: rows.remove_selected(self.enrolments)
                ),
            )
        )
        column.addWidget(section_title("Must not be matched with"))
        finder = QHBoxLayout()
        self.person_search = QLineEdit(
            placeholderText="Type a name or e-mail, then pick from the list"
        )
        self.person_search.textEdited.connect(self._search_people)
        self.person_results = QComboBox()
        self.person_results.setMinimumWidth(280)
        finder.addWidget(self.person_search, 1)
        finder.addWidget(self.person_results, 1)
        finder.addWidget(make_button("Add", "add", on_click=self._add_blocked_from_search))
        column.addLayout(finder)
        self.blocked = QListWidget()
        column.addWidget(self.blocked, 2)
        column.addLayout(
            rows.row_buttons(
                make_button(
                    "Remove", "delete", on_click=lambda: self._remove_list_item(self.blocked)
                ),
            )
        )
        return page

    # -- rows --------------------------------------------------------------------------
    def _add_skill(self, entry: SkillEntry) -> None:
        rows.add_skill(self.skills, entry, self.lookups.skills)

    def _add_goal(self, text: str = "New goal") -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.goals.addItem(item)
        if text == "New goal":
            self.goals.editItem(item)

    def _remove_goal(self) -> None:
        self._remove_list_item(self.goals)

    @staticmethod
    def _remove_list_item(widget: QListWidget) -> None:
        row = widget.currentRow() if widget.currentRow() >= 0 else widget.count() - 1
        if row >= 0:
            widget.takeItem(row)

    def _add_language(self, code: str, level: str) -> None:
        rows.add_language(self.languages, code, level)

    def _add_slot(self, slot: SlotEntry) -> None:
        rows.add_slot(self.availability, slot)

    def _add_enrolment_row(self) -> None:
        if self.lookups.programs:
            first = self.lookups.programs[0]
            self._add_enrolment(EnrolmentEntry(first[0], first[1], EnrolmentRole.MENTEE, 1))

    def _add_enrolment(self, entry: EnrolmentEntry) -> None:
        rows.add_enrolment(self.enrolments, entry, self.lookups.programs)

    def _add_blocked(self, blocked: BlockedPerson) -> None:
        item = QListWidgetItem(blocked.label)
        item.setData(Qt.ItemDataRole.UserRole, blocked.person_id)
        self.blocked.addItem(item)

    def _search_people(self, text: str) -> None:
        if len(text.strip()) < 2:
            return
        context, exclude = self.context, self.person_id

        def find() -> list[directory.Choice]:
            with context.unit_of_work() as ctx:
                return directory.find_people(ctx, text, exclude=exclude)

        def show(choices: list[directory.Choice]) -> None:
            self.person_results.clear()
            for choice in choices:
                self.person_results.addItem(choice.label, choice.id)

        run_in_background(find, on_success=show, owner=self)

    def _add_blocked_from_search(self) -> None:
        pid = self.person_results.currentData()
        if pid is None:
            return
        existing = {
            self.blocked.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.blocked.count())
        }
        if pid not in existing:
            self._add_blocked(BlockedPerson(pid, self.person_results.currentText()))

    # -- load / collect / save ---------------------------------------------------------
    def _load(self) -> None:
        context, person_id = self.context, self.person_id

        def load() -> tuple[Profile, _Lookups]:
            with context.unit_of_work() as ctx:
                profile = profiles.load_profile(ctx, person_id) if person_id else Profile()
                lookups = _Lookups(
                    directory.skill_names(ctx),
                    directory.department_names(ctx),
                    profiles.program_choices(ctx),
                )
            return profile, lookups

        run_in_background(
            load,
            on_success=lambda result: self.steps.after(lambda: self._fill(result)),
            on_error=self._load_failed,
            owner=self,
        )

    def _load_failed(self, error: TaskError) -> None:
        self.banner.show_message(f"Could not load the profile: {error.message}", "error")

    def _fill(self, result: tuple[Profile, _Lookups]) -> None:
        self.profile, self.lookups = result
        p = self.profile
        if p.id is not None:
            self.heading.setText(p.full_name)
        self.full_name.setText(p.full_name)
        self.preferred_name.setText(p.preferred_name)
        self.email.setText(p.email)
        self.title.setText(p.title)
        self.department.addItems(self.lookups.departments)
        self.department.setCurrentText(p.department)
        self.time_zone.setCurrentText(p.time_zone)
        self.bio.setPlainText(p.bio)
        # One tab's rows per event-loop turn: every row is a few editors (a skill row
        # holds a combo box of every known skill), and filling them all at once held the
        # GUI thread for over 100 ms (issue 12). Save waits for the last one.
        self.steps.add(lambda: self._fill_rows(p.skills, self._add_skill))
        self.steps.add(lambda: self._fill_rows(p.goals, self._add_goal))
        self.steps.add(lambda: self._fill_rows(p.languages, lambda lang: self._add_language(*lang)))
        self.steps.add(lambda: self._fill_rows(p.availability, self._add_slot))
        self.steps.add(lambda: self._fill_rows(p.enrolments, self._add_enrolment))
        self.steps.add(lambda: self._fill_rows(p.must_not_match, self._add_blocked))
        self.steps.add(self._filled)

    def drawing(self) -> bool:
        """True while tabs are still being built or filled (screenshots wait for it)."""
        return self.steps.pending()

    @staticmethod
    def _fill_rows(items: Sequence[Any], add: Callable[[Any], object]) -> None:
        for item in items:
            add(item)

    def _filled(self) -> None:
        self.save_button.setEnabled(True)
        self.loaded.emit()

    def collect(self) -> Profile:
        """The form as a :class:`Profile` (what would be saved)."""
        if self.steps.pending():
            self.steps.run_all()
        blocked = [
            BlockedPerson(
                self.blocked.item(i).data(Qt.ItemDataRole.UserRole), self.blocked.item(i).text()
            )
            for i in range(self.blocked.count())
        ]
        return Profile(
            id=self.person_id,
            full_name=self.full_name.text(),
            preferred_name=self.preferred_name.text(),
            email=self.email.text(),
            title=self.title.text(),
            department=self.department.currentText(),
            time_zone=self.time_zone.currentText().strip(),
            bio=self.bio.toPlainText(),
            languages=rows.read_languages(self.languages),
            skills=rows.read_skills(self.skills),
            goals=[self.goals.item(i).text() for i in range(self.goals.count())],
            availability=rows.read_slots(self.availability),
            enrolments=rows.read_enrolments(self.enrolments),
            must_not_match=blocked,
        )

    def save(self) -> None:
        profile = self.collect()
        issues = profiles.validate_profile(profile, {s.lower() for s in self.lookups.skills})
        if issues:
            self.show_issues(issues)
            return
        context = self.context

        def write() -> int:
            with context.unit_of_work() as ctx:
                return profiles.save_profile(ctx, profile)

        self.save_button.setEnabled(False)
        task = run_in_background(
            write, on_success=self._saved, on_error=self._save_failed, owner=self
        )
        task.finished.connect(lambda: self.save_button.setEnabled(True))

    def _saved(self, person_id: int) -> None:
        self.person_id = person_id
        self.saved.emit(person_id)
        self.accept()

    def _save_failed(self, error: TaskError) -> None:
        if isinstance(error.exception, ProfileInvalid):
            self.show_issues(error.exception.issues)
        else:
            self.banner.show_message(f"Could not save: {error.message}", "error")

    def show_issues(self, issues: list[ProfileIssue]) -> None:
        """List every problem above the tabs, mark the fields, and open the first tab concerned."""
        singles = {
            "full_name": self.full_name,
            "preferred_name": self.preferred_name,
            "email": self.email,
            "time_zone": self.time_zone,
        }
        for widget in singles.values():
            set_invalid(widget, False)
        for issue in issues:
            if issue.field in singles:
                set_invalid(singles[issue.field], True, issue.message)
        lines = "<br>".join(f"• {_describe_field(i.field)}: {i.message}" for i in issues)
        self.banner.show_message(f"<b>Please fix {len(issues)} problem(s):</b><br>{lines}", "error")
        first = issues[0].field.split("[")[0].split(".")[0]
        self.tabs.setCurrentIndex(TAB_OF_FIELD.get(first, 0))


def _describe_field(field: str) -> str:
    """``skills[2].level`` → "Skill 3, level"."""
    names = {
        "full_name": "Name", "preferred_name": "Preferred name", "email": "E-mail",
        "time_zone": "Time zone", "skills": "Skill",
        "goals": "Goal", "languages": "Language", "availability": "Availability window",
        "enrolments": "Enrolment", "must_not_match": "Must-not-match entry",
    }  # fmt: skip
    base, _, rest = field.partition("[")
    label = names.get(base, base)
    if not rest:
        return label
    index, _, tail = rest.partition("]")
    text = f"{label} {int(index) + 1}"
    return f"{text}, {tail.lstrip('.')}" if tail else text
