"""The Programs screen: create and edit programs, weights as sliders with a live ranking preview."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.enums import ProgramKind, ProgramStatus
from mentormatch_desktop.services import programs as program_service
from mentormatch_desktop.services.programs import (
    NudgePolicy,
    ProgramDetails,
    ProgramError,
    ProgramInput,
    ProgramValidationError,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.announcement_dialog import AnnouncementDialog
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.program_rules import RulesBox, date_edit, pydate, qdate
from mentormatch_desktop.ui.views.ranking_preview import (
    CriterionInfo,
    RankingPreview,
    WeightSliders,
)
from mentormatch_desktop.ui.widgets import (
    Banner,
    EmptyState,
    PageHeader,
    make_button,
    page_layout,
    set_invalid,
)
from mentormatch_desktop.ui.workers import TaskError

KIND_LABELS = {
    ProgramKind.ONE_TO_ONE: "1:1 mentoring",
    ProgramKind.PEER: "Peer mentoring",
    ProgramKind.GROUP: "Group mentoring",
}
STATUS_LABELS = {
    ProgramStatus.DRAFT: "Draft",
    ProgramStatus.ACTIVE: "Active",
    ProgramStatus.CLOSED: "Closed",
}


LEARN_TIP = "Compare the current weights with weights learned from past outcomes"


class ProgramsView(View):
    watches = ("programs", "participants", "mentorships", "*")
    loaded = Signal()
    saved = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.programs: list[ProgramDetails] = []
        self.criteria: list[CriterionInfo] = []
        self.current_id: int | None = None
        layout = page_layout(self)
        header = PageHeader(
            "Programs",
            "Each program has its own format, schedule, matching criteria and rules.",
        )
        self.announce_button = header.add_action("New announcement", "send")
        self.announce_button.setToolTip(
            "Write to the active participants of the selected program (or one cohort)"
        )
        self.announce_button.clicked.connect(self.new_announcement)
        self.announce_button.setVisible(context.actor.is_coordinator)
        self.announce_button.setEnabled(False)
        self.new_button = header.add_action("New program", "add", primary=True)
        self.new_button.clicked.connect(self.new_program)
        layout.addWidget(header)

        self.pages = QStackedWidget()
        self.empty = EmptyState(
            "programs",
            "No programs yet",
            "Create a program to enrol participants and match them, or load the demo "
            "organisation from the Participants screen.",
        )
        self.empty.add_button(
            make_button("New program", "add", primary=True, on_click=self.new_program)
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        self.list = QListWidget(objectName="cards")
        self.list.setMinimumWidth(250)
        self.list.setMaximumWidth(330)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.currentRowChanged.connect(self._on_selected)
        splitter.addWidget(self.list)
        splitter.addWidget(self._build_editor())
        splitter.setStretchFactor(1, 1)
        self.pages.addWidget(splitter)
        self.pages.addWidget(self.empty)
        self.main_page = splitter
        layout.addWidget(self.pages, 1)

    # -- editor ------------------------------------------------------------------------
    def _build_editor(self) -> QWidget:
        editor = QWidget()
        column = QVBoxLayout(editor)
        column.setContentsMargins(12, 0, 0, 0)
        column.setSpacing(10)
        self.banner = Banner("error")
        column.addWidget(self.banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        form_column = QVBoxLayout(body)
        form_column.setContentsMargins(0, 0, 8, 0)
        form_column.setSpacing(14)
        # The form's three sections are built on the next event-loop turns, one per turn:
        # the whole editor at once held the GUI thread for well over 100 ms when the
        # screen was first opened (issue 12). The programs load in a worker meanwhile.
        self.steps.add(lambda: self._build_details(form_column))
        self.steps.add(lambda: self._build_matching(form_column))
        self.steps.add(lambda: self._build_rules(form_column))
        scroll.setWidget(body)
        column.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.saved_label = QLabel(objectName="muted")
        buttons.addWidget(self.saved_label, 1)
        self.learn_button = make_button(
            "Learned weights…", "demo", on_click=self.open_weights_review
        )
        self.learn_button.setToolTip(LEARN_TIP)
        buttons.addWidget(self.learn_button)
        self.revert_button = make_button("Revert", on_click=self._revert)
        self.save_button = make_button("Save program", "check", primary=True, on_click=self.save)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        column.addLayout(buttons)
        return editor

    def _build_details(self, form_column: QVBoxLayout) -> None:
        details = QGroupBox("Program")
        form = QFormLayout(details)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.name = QLineEdit(placeholderText="e.g. Engineering mentoring 2026")
        self.kind = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.status = QComboBox()
        for status, label in STATUS_LABELS.items():
            self.status.addItem(label, status)
        dates = QHBoxLayout()
        self.starts_on = date_edit()
        self.ends_on = date_edit()
        dates.addWidget(self.starts_on)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.ends_on)
        dates.addStretch(1)
        self.cadence = QSpinBox(minimum=1, maximum=365, suffix=" days")
        # When the Schedule screen lists a pair as waiting for a first session, and how
        # often a coordinator may nudge it (services/nudges.py reads both per program).
        self.nudge_after = QSpinBox(minimum=0, maximum=365, suffix=" days without a session")
        self.nudge_after.setToolTip(
            "A running pair counts as waiting for a first session after this many days."
        )
        self.nudge_cooldown = QSpinBox(minimum=0, maximum=365, suffix=" days")
        self.nudge_cooldown.setToolTip("A pair is nudged at most once in this many days.")
        self.group_size = QSpinBox(minimum=2, maximum=20)
        self.group_size_label = QLabel("Group size")
        self.description = QPlainTextEdit(placeholderText="What participants get out of it")
        self.description.setFixedHeight(70)
        form.addRow("Name", self.name)
        form.addRow("Format", self.kind)
        form.addRow("Status", self.status)
        form.addRow("Runs", dates)
        form.addRow("Meet every", self.cadence)
        form.addRow("Nudge pairs after", self.nudge_after)
        form.addRow("Nudge again after", self.nudge_cooldown)
        form.addRow(self.group_size_label, self.group_size)
        form.addRow("Description", self.description)
        form_column.addWidget(details)

    def _build_matching(self, form_column: QVBoxLayout) -> None:
        matching = QHBoxLayout()
        matching.setSpacing(14)
        weights_box = QGroupBox("Criteria weights")
        weights_layout = QVBoxLayout(weights_box)
        hint = QLabel("How much each criterion counts when scoring a pair.", objectName="hint")
        weights_layout.addWidget(hint)
        self.sliders = WeightSliders()
        weights_layout.addWidget(self.sliders)
        weights_layout.addStretch(1)
        matching.addWidget(weights_box, 1)
        self.preview = RankingPreview(self.context)
        self.sliders.weights_changed.connect(self._on_weights_changed)
        matching.addWidget(self.preview, 1)
        form_column.addLayout(matching)

    def _build_rules(self, form_column: QVBoxLayout) -> None:
        self.rules = rules = RulesBox()
        # the rule inputs, by name (tests and error marking use them)
        self.min_score_on, self.min_score = rules.min_score_on, rules.min_score
        self.cross_share_on, self.cross_share = rules.cross_share_on, rules.cross_share
        form_column.addWidget(rules)
        form_column.addStretch(1)

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        context = self.context

        def load() -> tuple[list[ProgramDetails], list[CriterionInfo]]:
            with context.unit_of_work() as ctx:
                programs = program_service.list_programs(ctx)
            criteria = [
                CriterionInfo(c.name, c.label, c.description, float(c.default_weight))
                for c in context.plugins.criteria().values()
            ]
            return programs, criteria

        self.run(load, on_success=self._on_loaded)

    def _on_loaded(self, result: tuple[list[ProgramDetails], list[CriterionInfo]]) -> None:
        self.programs, self.criteria = result
        self.sliders.set_criteria(self.criteria)
        self.list.blockSignals(True)
        self.list.clear()
        for program in self.programs:
            item = QListWidgetItem(_list_text(program))
            item.setData(Qt.ItemDataRole.UserRole, program.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if not self.programs and self.current_id is None:
            self.pages.setCurrentWidget(self.empty)
        else:
            self.pages.setCurrentWidget(self.main_page)
            ids = [p.id for p in self.programs]
            row = ids.index(self.current_id) if self.current_id in ids else 0
            if self.programs:
                self.list.setCurrentRow(row)
                self._on_selected(row)
        self.announce_button.setEnabled(bool(self.programs))
        self.loaded.emit()

    def _on_selected(self, row: int) -> None:
        if 0 <= row < len(self.programs):
            program = self.programs[row]
            self.current_id = program.id
            self._set_learn_enabled()
            self._fill(program.to_input())
            self.saved_label.setText(
                f"{program.mentors} mentors · {program.mentees} mentees · {program.peers} peers · "
                f"{program.active_mentorships} active mentorships"
                + (f" · weights v{program.weights_version}" if program.weights_version else "")
            )
            # The baseline is what the sliders show (they round), so an untouched form
            # never reports changes.
            self.preview.set_program(program.id, self.sliders.weights())
            self.preview.request(self.sliders.weights(), immediately=True)

    def new_announcement(self, *, show: bool = True) -> AnnouncementDialog:
        """The announcement dialog for the selected program (``show`` False: not opened,
        for tests)."""
        dialog = AnnouncementDialog(
            self, [(p.id, p.name) for p in self.programs], self.current_id, parent=self
        )
        dialog.setModal(True)
        if show:
            dialog.open()
        return dialog

    def new_program(self) -> None:
        """An empty form with default weights; nothing is written until Save."""
        self.finish_building()
        self.current_id = None
        # No card stays current: clicking the one that was selected must load it again
        # (it kept the row, so the click changed nothing and Save created a new program).
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self._set_learn_enabled()
        self.pages.setCurrentWidget(self.main_page)
        defaults = {c.name: c.default_weight for c in self.criteria}
        self._fill(ProgramInput(name="", weights=defaults, starts_on=date.today()))
        self.saved_label.setText("New program: not saved yet")
        self.preview.set_program(None)
        self.name.setFocus()

    def _fill(self, data: ProgramInput) -> None:
        self.banner.hide()
        for widget in (
            self.name,
            self.ends_on,
            self.cadence,
            self.group_size,
            self.min_score,
            self.nudge_after,
            self.nudge_cooldown,
        ):
            set_invalid(widget, False)
        self.name.setText(data.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(data.kind)))
        self.status.setCurrentIndex(max(0, self.status.findData(data.status)))
        self.starts_on.setDate(qdate(data.starts_on))
        self.ends_on.setDate(qdate(data.ends_on))
        self.cadence.setValue(data.session_cadence_days)
        self.nudge_after.setValue(data.nudges.after_days)
        self.nudge_cooldown.setValue(data.nudges.cooldown_days)
        self.group_size.setValue(data.group_size)
        self.description.setPlainText(data.description)
        self.rules.set_constraints(data.constraints)
        self.sliders.set_weights(self._known_weights(data.weights))
        self._on_kind_changed()

    def _known_weights(self, saved: dict[str, float]) -> dict[str, float]:
        """Saved weights for installed criteria; defaults for criteria the set lacks."""
        return {c.name: saved.get(c.name, c.default_weight) for c in self.criteria}

    def form_input(self) -> ProgramInput:
        """The form as a :class:`ProgramInput` (the screen's state, independent of widgets)."""
        self.finish_building()
        return ProgramInput(
            name=self.name.text(),
            kind=ProgramKind(self.kind.currentData()),
            status=ProgramStatus(self.status.currentData()),
            description=self.description.toPlainText(),
            starts_on=pydate(self.starts_on),
            ends_on=pydate(self.ends_on),
            session_cadence_days=self.cadence.value(),
            group_size=self.group_size.value(),
            constraints=self.rules.constraints(),
            weights=self.sliders.weights(),
            nudges=NudgePolicy(self.nudge_after.value(), self.nudge_cooldown.value()),
        )

    def _on_kind_changed(self, _index: int = 0) -> None:
        kind = self.kind.currentData()
        grouped = kind in (ProgramKind.PEER, ProgramKind.GROUP)
        self.group_size.setVisible(grouped)
        self.group_size_label.setVisible(grouped)
        self.group_size_label.setText(
            "People per group" if kind == ProgramKind.PEER else "Mentees per group"
        )

    def _on_weights_changed(self, weights: dict[str, float]) -> None:
        self.preview.request(weights)

    # -- saving ------------------------------------------------------------------------
    def save(self) -> None:
        self.finish_building()
        data = self.form_input()
        errors = program_service.validate_program(data)
        if errors:
            self._show_errors(errors)
            return
        program_id = self.current_id
        context = self.context

        def write() -> ProgramDetails:
            with context.unit_of_work() as ctx:
                if program_id is None:
                    return program_service.create_program(ctx, data)
                return program_service.update_program(ctx, program_id, data)

        self.save_button.setEnabled(False)
        task = self.run(write, on_success=self._on_saved, on_error=self._on_save_failed)
        task.finished.connect(lambda: self.save_button.setEnabled(True))

    def _on_saved(self, program: ProgramDetails) -> None:
        self.current_id = program.id
        self.banner.show_message(f"Saved “{program.name}”.", "info")
        self.saved.emit(program.id)
        self.context.notify("programs")
        if not self.isVisible():
            self.reload()

    def _on_save_failed(self, error: TaskError) -> None:
        exc = error.exception
        if isinstance(exc, ProgramValidationError):
            self._show_errors(exc.errors)
        elif isinstance(exc, ProgramError):
            self._show_errors([exc])
        else:
            self.banner.show_message(f"Could not save the program: {error.message}", "error")

    def _show_errors(self, errors: list[ProgramError]) -> None:
        fields = {
            "name": self.name,
            "ends_on": self.ends_on,
            "session_cadence_days": self.cadence,
            "group_size": self.group_size,
            "min_score": self.min_score,
            "nudge_after_days": self.nudge_after,
            "nudge_cooldown_days": self.nudge_cooldown,
        }
        for widget in fields.values():
            set_invalid(widget, False)
        for error in errors:
            widget = fields.get(error.field)
            if widget is not None:
                set_invalid(widget, True, error.message)
        lines = "<br>".join(f"• {_field_label(e.field)}: {e.message}" for e in errors)
        self.banner.show_message(f"<b>Please fix before saving:</b><br>{lines}", "error")

    def _revert(self) -> None:
        self.finish_building()
        if self.current_id is None:
            self.new_program()
        else:
            self._on_selected(self.list.currentRow())

    def _set_learn_enabled(self) -> None:
        saved = self.current_id is not None
        self.learn_button.setEnabled(saved)
        self.learn_button.setToolTip(
            LEARN_TIP
            if saved
            else "Save the program first: weights are learned from its mentorships' outcomes"
        )

    def open_weights_review(self) -> QWidget | None:
        """The learned-weights review for the selected program (saved programs only)."""
        from mentormatch_desktop.ui.views.weights_review import WeightsReviewDialog

        if self.current_id is None:
            self.banner.show_message("Save the program first.", "warning")
            return None
        dialog = WeightsReviewDialog(self.context, self.current_id, parent=self)
        dialog.applied.connect(lambda _version: self.context.notify("programs"))
        dialog.open()
        return dialog

    def select_program(self, program_id: int) -> None:
        self.finish_building()
        ids = [p.id for p in self.programs]
        if program_id in ids:
            self.list.setCurrentRow(ids.index(program_id))


def _list_text(program: ProgramDetails) -> str:
    when = program.starts_on.strftime("%b %Y") if program.starts_on else "no dates"
    people = program.mentors + program.mentees + program.peers
    return (
        f"{program.name}\n{KIND_LABELS[program.kind]} · {STATUS_LABELS[program.status]} · "
        f"{when} · {people:,} enrolled"
    )


def _field_label(name: str) -> str:
    return {
        "name": "Name",
        "ends_on": "End date",
        "session_cadence_days": "Cadence",
        "group_size": "Group size",
        "min_score": "Minimum score",
        "weights": "Weights",
        "nudge_after_days": "Nudge pairs after",
        "nudge_cooldown_days": "Nudge again after",
    }.get(name, name.replace("_", " ").capitalize())
