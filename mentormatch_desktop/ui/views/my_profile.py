""" "My mentoring": a participant's own profile (editable) and their mentorships.

Everything is read and written through :mod:`mentormatch_desktop.services.me` in a worker,
as the signed-in login: on a shared database row-level security keeps this screen to the
participant's own rows whatever it asks for.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidgetItem,
    QWidget,
)

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.domain.names import PREFERRED_NAME_LIMIT
from mentormatch_desktop.services.me import (
    MyMentorship,
    MyProfile,
    my_profile,
    update_my_profile,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_date
from mentormatch_desktop.ui.models.mentorships import STATUS_LABELS
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.my_mentorship import MyMentorshipDialog
from mentormatch_desktop.ui.widgets import (
    Banner,
    PageHeader,
    make_button,
    page_layout,
    read_only_table,
    section_title,
    set_invalid,
)
from mentormatch_desktop.ui.workers import TaskError


class MyProfileView(View):
    watches = ("participants", "mentorships")
    #: a mentorship's page asked for the inbox (with its thread) or the schedule
    open_requested = Signal(str, int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        layout = page_layout(self)
        self.header = PageHeader("My profile", "Your profile and the people you mentor with.")
        self.save_button = self.header.add_action("Save profile", "check", primary=True)
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        layout.addWidget(self.header)
        self.banner = Banner()
        layout.addWidget(self.banner)
        form = QFormLayout()
        self.full_name = QLineEdit()
        self.preferred_name = QLineEdit(
            placeholderText="What should we call you? (if empty: the first word of your name)"
        )
        self.preferred_name.setMaxLength(PREFERRED_NAME_LIMIT)
        self.preferred_name.setToolTip(
            "How the app greets you and how your messages are signed in previews and"
            " introductions, e.g. “Jun Jie” for Jun Jie Goh."
        )
        self.title = QLineEdit()
        self.time_zone = QLineEdit(placeholderText="e.g. Europe/London")
        # The zone must be an IANA name; completing from the list saves a round trip
        # to the "unknown time zone" error for a typo.
        zones = QCompleter(sorted(available_timezones()), self.time_zone)
        zones.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        zones.setFilterMode(Qt.MatchFlag.MatchContains)
        self.time_zone.setCompleter(zones)
        self.email = QLabel()
        self.department = QLabel()
        self.bio = QPlainTextEdit()
        self.bio.setMaximumHeight(120)
        form.addRow("Name", self.full_name)
        form.addRow("Preferred name", self.preferred_name)
        form.addRow("Title", self.title)
        form.addRow("Department", self.department)
        form.addRow("E-mail", self.email)
        form.addRow("Time zone", self.time_zone)
        form.addRow("About me", self.bio)
        layout.addLayout(form)
        heading = QHBoxLayout()
        heading.addWidget(section_title("My mentorships"), 1)
        self.details_button = make_button("Details", "info", on_click=self.open_details)
        self.details_button.setToolTip("Goals, sessions and notes of the selected mentorship")
        self.details_button.setEnabled(False)
        heading.addWidget(self.details_button)
        layout.addLayout(heading)
        self.mentorships = read_only_table(
            ["Program", "With", "I am", "Status", "Since"],
            empty="No mentorships yet: once your coordinator approves a match it is listed here.",
        )
        self.mentorships.itemSelectionChanged.connect(self._update_details)
        self.mentorships.doubleClicked.connect(lambda _i: self.open_details())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.mentorships)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self.open_details)
        layout.addWidget(self.mentorships, 1)
        self.profile: MyProfile | None = None
        # Saving is offered once something differs from what is stored.
        for edit in (self.full_name, self.preferred_name, self.title, self.time_zone):
            edit.textChanged.connect(self._update_save)
        self.bio.textChanged.connect(self._update_save)

    def _load(self) -> MyProfile:
        with self.context.unit_of_work() as ctx:
            return my_profile(ctx)

    def reload(self) -> None:
        self.run(self._load, on_success=self.show_profile, on_error=self._failed)

    def show_profile(self, profile: MyProfile) -> None:
        self.profile = profile
        self.full_name.setText(profile.full_name)
        self.preferred_name.setText(profile.preferred_name)
        self.title.setText(profile.title)
        self.time_zone.setText(profile.time_zone)
        self.bio.setPlainText(profile.bio)
        self.email.setText(profile.email)
        self.department.setText(profile.department or "—")
        self.mentorships.setRowCount(len(profile.mentorships))
        for row, m in enumerate(profile.mentorships):
            values = [
                m.program,
                m.partner,
                m.my_side.capitalize(),
                STATUS_LABELS.get(MentorshipStatus(m.status), m.status),
                format_date(m.started_at),
            ]
            for column, value in enumerate(values):
                self.mentorships.setItem(row, column, QTableWidgetItem(value))
        self._update_save()
        self._update_details()

    # -- a mentorship's own page ---------------------------------------------------------
    def selected_mentorship(self) -> MyMentorship | None:
        rows = self.mentorships.selectionModel().selectedRows()
        if self.profile is None or not rows or rows[0].row() >= len(self.profile.mentorships):
            return None
        return self.profile.mentorships[rows[0].row()]

    def _update_details(self) -> None:
        self.details_button.setEnabled(self.selected_mentorship() is not None)

    def open_details(self) -> MyMentorshipDialog | None:
        """The selected mentorship's page (goals, sessions, notes, feedback given)."""
        m = self.selected_mentorship()
        if m is None:
            return None
        dialog = MyMentorshipDialog(self.context, m.id, m.partner, self)
        dialog.changed.connect(lambda: self.context.notify("mentorships", source=self))
        dialog.open_requested.connect(self.open_requested)
        dialog.open()
        return dialog

    def _fields(self) -> dict[str, str]:
        return {
            "full_name": self.full_name.text(),
            "preferred_name": self.preferred_name.text(),
            "title": self.title.text(),
            "time_zone": self.time_zone.text(),
            "bio": self.bio.toPlainText(),
        }

    def has_changes(self) -> bool:
        """Whether the form differs from the profile as last read or saved."""
        p = self.profile
        if p is None:
            return False
        stored = {
            "full_name": p.full_name,
            "preferred_name": p.preferred_name,
            "title": p.title,
            "time_zone": p.time_zone,
            "bio": p.bio,
        }
        return self._fields() != stored

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.has_changes())

    def save(self) -> None:
        fields = self._fields()
        for widget in (self.full_name, self.preferred_name, self.time_zone):
            set_invalid(widget, False)

        def write() -> MyProfile:
            with self.context.unit_of_work() as ctx:
                update_my_profile(ctx, **fields)
            return self._load()

        self.save_button.setEnabled(False)
        self.run(write, on_success=self._saved, on_error=self._failed)

    def _saved(self, profile: MyProfile) -> None:
        self.banner.show_message("Profile saved", "info")
        self.show_profile(profile)
        self.context.notify("participants", source=self)

    def _failed(self, error: TaskError) -> None:
        self._update_save()
        exc = error.exception
        if isinstance(exc, FieldError):
            widget = {
                "full_name": self.full_name,
                "preferred_name": self.preferred_name,
                "time_zone": self.time_zone,
            }.get(exc.field)
            if widget is not None:
                set_invalid(widget, True, exc.message)
            self.banner.show_message(exc.message, "error")
            return
        self.banner.show_message(error.message, "error")
