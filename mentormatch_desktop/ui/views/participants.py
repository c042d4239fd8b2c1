"""The Participants screen: a fast, filterable table of everyone, with import and editing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QWidget,
)

from mentormatch_desktop.domain.enums import EnrolmentRole
from mentormatch_desktop.services import directory
from mentormatch_desktop.services.directory import FilterOptions, ParticipantFilter
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.models.participants import MATCH_COLUMN, ParticipantsTableModel
from mentormatch_desktop.ui.tables import ColumnChooser, ElidedToolTipDelegate, freeze_first_column
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import (
    EmptyState,
    PageHeader,
    ProgressPanel,
    make_button,
    page_layout,
)
from mentormatch_desktop.ui.workers import Task

ROLE_LABELS = {
    EnrolmentRole.MENTOR: "Mentors",
    EnrolmentRole.MENTEE: "Mentees",
    EnrolmentRole.PEER: "Peers",
}
COLUMN_WIDTHS = (180, 230, 160, 160, 90, 170, 160, 220, 220)
HIDDEN_BY_DEFAULT = (3,)  # Title: shown from the header's menu; the rest fit at 1280 px
MATCH_WIDTH = 260


@dataclass(frozen=True)
class ParticipantsState:
    """What the coordinator narrowed the table to (kept out of the widgets)."""

    filter: ParticipantFilter = field(default_factory=ParticipantFilter)
    search: str = ""


@dataclass(frozen=True)
class _Loaded:
    table: directory.ParticipantTable
    options: FilterOptions | None


class ParticipantsView(View):
    watches = ("participants", "programs", "*")
    loaded = Signal()  # after every (re)load, for tests and screenshots

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.state = ParticipantsState()
        self.options: FilterOptions | None = None
        self._generation = 0
        self._task: Task | None = None
        layout = page_layout(self)

        header = PageHeader(
            "Participants",
            "Everyone who can be matched: profiles, skills, availability and enrolments.",
        )
        self.import_button = header.add_action("Import…", "import")
        self.import_button.clicked.connect(self.open_import_wizard)
        self.export_button = header.add_action("Export…", "export")
        self.export_button.clicked.connect(self._ask_export)
        self.merges_button = header.add_action("Skill merges…", "filter")
        self.merges_button.setToolTip("Review skills that look like the same skill spelt twice")
        self.merges_button.clicked.connect(self.open_skill_merges)
        self.new_button = header.add_action("New participant", "add", primary=True)
        self.new_button.clicked.connect(lambda: self.open_profile(None))
        layout.addWidget(header)

        self.filter_bar = QWidget()
        bar = QHBoxLayout(self.filter_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(8)
        self.search = QLineEdit(
            placeholderText="Search name, e-mail, title, department or skill; "
            "each row then says where it matched"
        )
        self.search.setClearButtonEnabled(True)
        self.search.addAction(
            theme.icon("search", theme.current().muted), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMinimumWidth(160)  # the bar must fit a 900 px window
        self.search.textChanged.connect(self._on_search)
        bar.addWidget(self.search, 2)
        self.program_combo = self._combo("All programs")
        self.role_combo = self._combo("All roles")
        for role, label in ROLE_LABELS.items():
            self.role_combo.addItem(label, role)
        self.department_combo = self._combo("All departments")
        self.skill_combo = self._combo("Any skill")
        self.skill_combo.setEditable(True)
        self.skill_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.skill_combo.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.skill_combo.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        for combo in (self.program_combo, self.role_combo, self.department_combo, self.skill_combo):
            bar.addWidget(combo, 1)
        layout.addWidget(self.filter_bar)

        status = QHBoxLayout()
        self.count_label = QLabel(objectName="muted")
        status.addWidget(self.count_label, 1)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self._cancel_task)
        status.addWidget(self.progress, 2)
        layout.addLayout(status)

        self.model = ParticipantsTableModel(self)
        self.loading = EmptyState("participants", "Loading participants…")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.loading)
        layout.addWidget(self.pages, 1)
        # The table (with its frozen name column) and the empty states are built on the
        # next event-loop turns: this is the first screen, and building it all at once
        # held the GUI thread for over 100 ms at start-up (issue 12). The data loads in a
        # worker meanwhile and is shown once they exist (``View.run``).
        self.steps.add(self._build_table)
        self.steps.add(self._build_frozen_column)
        self.steps.add(self._build_empty_states)

        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(self._apply_search)

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring
        vertical.setDefaultSectionSize(30)
        horizontal = self.table.horizontalHeader()
        horizontal.setHighlightSections(False)
        horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        horizontal.setStretchLastSection(True)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(MATCH_COLUMN, MATCH_WIDTH)
        horizontal.moveSection(horizontal.visualIndex(MATCH_COLUMN), 1)  # next to the name
        self.table.setColumnHidden(MATCH_COLUMN, True)  # shown while searching
        self.table.setItemDelegate(ElidedToolTipDelegate(self.table))
        self.table.doubleClicked.connect(self._on_double_click)
        self.pages.addWidget(self.table)

    def _build_frozen_column(self) -> None:
        self.frozen = freeze_first_column(self.table)  # names stay when scrolling sideways
        self.columns = ColumnChooser(self.table, "participants/hidden_columns",
                                     hidden_by_default=HIDDEN_BY_DEFAULT,
                                     managed_elsewhere=(MATCH_COLUMN,))  # fmt: skip

    def _build_empty_states(self) -> None:
        self.empty = EmptyState(
            "participants",
            "No participants yet",
            "Import a CSV or Excel file of your people, or load the demo organisation "
            "to explore MentorMatch with realistic data.",
        )
        self.empty.add_button(
            make_button("Import a CSV…", "import", primary=True, on_click=self.open_import_wizard)
        )
        self.demo_button = self.empty.add_button(
            make_button("Load the demo", "demo", on_click=self.load_demo)
        )
        self.no_results = EmptyState(
            "search", "No one matches these filters", "Try fewer words or another filter."
        )
        self.no_results.add_button(
            make_button("Clear filters", "filter", on_click=self.clear_filters)
        )
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.no_results)

    def _combo(self, any_label: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(any_label, None)
        combo.setMinimumWidth(110)
        combo.currentIndexChanged.connect(self._on_filter_changed)
        return combo

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch rows (and filter choices) in a worker; stale answers are dropped."""
        self._generation += 1
        generation = self._generation
        flt = self.state.filter
        with_options = self.options is None or flt == ParticipantFilter()
        context = self.context

        def load() -> _Loaded:
            with context.unit_of_work() as ctx:
                options = directory.filter_options(ctx) if with_options else None
                return _Loaded(directory.participant_table(ctx, flt), options)

        if self.model.total == 0:
            self.pages.setCurrentWidget(self.loading)
        self.progress.start("Loading participants…", cancellable=False)
        self.run(load, on_success=lambda result: self._on_loaded(generation, result))

    def _on_loaded(self, generation: int, loaded: _Loaded) -> None:
        if generation != self._generation:
            return  # a newer filter is already being loaded
        self.progress.stop()
        if loaded.options is not None:
            self._fill_options(loaded.options)
        self.model.set_table(loaded.table)
        self._update_page()
        self.loaded.emit()

    def _fill_options(self, options: FilterOptions) -> None:
        self.options = options
        for combo, choices in (
            (self.program_combo, options.programs),
            (self.department_combo, options.departments),
            (self.skill_combo, options.skills),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for choice in choices:
                combo.addItem(choice.label, choice.id)
            index = combo.findData(current)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def _update_page(self) -> None:
        shown, loaded = self.model.rowCount(), self.model.total
        everyone = self.options.people_total if self.options else loaded
        self.filter_bar.setVisible(everyone > 0)
        if everyone == 0:
            self.pages.setCurrentWidget(self.empty)
            self.count_label.setText("")
            return
        self.pages.setCurrentWidget(self.table if shown else self.no_results)
        if shown == everyone:
            self.count_label.setText(f"{everyone:,} participants")
        else:
            self.count_label.setText(f"{shown:,} of {everyone:,} participants")

    # -- filters -----------------------------------------------------------------------
    def _on_filter_changed(self, _index: int = 0) -> None:
        role = self.role_combo.currentData()
        flt = replace(
            self.state.filter,
            program_id=self.program_combo.currentData(),
            role=EnrolmentRole(role) if role else None,
            department_id=self.department_combo.currentData(),
            skill_id=self.skill_combo.currentData(),
        )
        if flt != self.state.filter:
            self.state = replace(self.state, filter=flt)
            self.reload()

    def _on_search(self, _text: str) -> None:
        self._search_timer.start()

    def _apply_search(self) -> None:
        self.finish_building()
        self.state = replace(self.state, search=self.search.text())
        self.model.set_search(self.state.search)
        self.table.setColumnHidden(MATCH_COLUMN, not self.model.search_text)
        self._update_page()

    def set_search(self, text: str) -> None:
        """Search immediately (tests, and callers that know what they want)."""
        self.search.setText(text)
        self._search_timer.stop()
        self._apply_search()

    def clear_filters(self) -> None:
        self.finish_building()
        for combo in (self.program_combo, self.role_combo, self.department_combo, self.skill_combo):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search.clear()
        self._apply_search()
        self._on_filter_changed()

    # -- actions -----------------------------------------------------------------------
    def _on_double_click(self, index: QModelIndex) -> None:
        self.open_profile(self.model.person_id(index.row()))

    def open_profile(self, person_id: int | None) -> QWidget:
        from mentormatch_desktop.ui.views.profile_editor import ProfileEditor

        editor = ProfileEditor(self.context, person_id, parent=self)
        editor.saved.connect(lambda _pid: self.context.notify("participants"))
        editor.open()
        return editor

    def open_import_wizard(self) -> QWidget:
        from mentormatch_desktop.ui.views.import_wizard import ImportWizard

        wizard = ImportWizard(self.context, parent=self)
        wizard.imported.connect(lambda _report: self.context.notify("participants"))
        wizard.skill_merges_requested.connect(self.open_skill_merges)
        wizard.open()
        return wizard

    def open_skill_merges(self) -> QWidget:
        from mentormatch_desktop.ui.views.skill_merges import SkillMergesDialog

        dialog = SkillMergesDialog(self.context, parent=self)
        dialog.merged.connect(lambda _id: self.context.notify("participants"))
        dialog.open()
        return dialog

    def _ask_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(
            self, "Export participants", "participants.csv", "CSV (*.csv);;Excel (*.xlsx)"
        )
        if path:
            self.export(path)

    def export(self, path: str | Path) -> Task:
        """Write the participants (of the program filtered on, if any) in the import format."""
        from mentormatch_desktop.services.participants import export_participants

        context, program = self.context, self.state.filter.program_id

        def write() -> object:
            with context.unit_of_work() as ctx:
                return export_participants(ctx, path, program=program)

        self.progress.start("Exporting…", cancellable=False)
        task = self.run(write, on_success=self._exported)
        task.finished.connect(self.progress.stop)
        return task

    def _exported(self, summary: object) -> None:
        self.count_label.setText(
            f"Exported {summary.rows:,} participants to {summary.file}"  # type: ignore[attr-defined]
        )

    def load_demo(self) -> Task:
        """Fill the (empty) database with the demo organisation, in a worker."""
        from mentormatch_desktop.services.demo import ensure_demo_database

        self.finish_building()
        self.demo_button.setEnabled(False)
        self.progress.start("Creating the demo organisation…")
        self._task = self.run(
            self.in_unit_of_work(ensure_demo_database),
            progress=self.progress.update_progress,
            cancel=True,
            on_success=lambda _r: self.context.notify("*"),
        )
        self._task.finished.connect(self._demo_finished)
        return self._task

    def _demo_finished(self) -> None:
        self.progress.stop()
        self.demo_button.setEnabled(True)
        self._task = None

    def screenshot_extras(self) -> list[tuple[str, Callable[[], QWidget]]]:
        """The profile editor (first row) and the import wizard, for ``--screenshots``."""
        extras: list[tuple[str, Callable[[], QWidget]]] = [
            ("import-review", self._import_review_example)
        ]
        if self.model.rowCount():
            first = self.model.person_id(0)
            extras.insert(0, ("profile", lambda: self.open_profile(first)))
        return extras

    def _import_review_example(self) -> QWidget:
        """The wizard's review page on a small file with an unknown column and two row
        mistakes, all reported in one pass (for screenshots)."""
        import tempfile

        from PySide6.QtWidgets import QWizard

        folder = Path(tempfile.mkdtemp(prefix="mentormatch-example-"))
        path = folder / "new-joiners.csv"
        path.write_text(
            "email,full_name,time_zone,languages,teaches,learns,availability,phone\n"
            "lin.wei@example.org,Lin Wei,Asia/Shanghai,zh:native; en,Python:5; SQL:4,,"
            "Tue 09:00-11:00,555-0101\n"
            "omar.haddad@example,Omar Haddad,Europe/Paris,fr:native,,Python:2,"
            "Wed 14:00-15:00,555-0102\n"
            "sara.nilsson@example.org,Sara Nilsson,Europe/Stockholm,sv; en,,SQL:1,"
            "Thu 16:00-15:00,\n"
            "ana.lima@example.org,Ana Lima,America/Sao_Paulo,pt:native,Negotiation:4,,"
            "Mon 10:00-12:00,\n",
            encoding="utf-8",
        )
        wizard = self.open_import_wizard()
        wizard.set_file(path)
        wizard.button(QWizard.WizardButton.NextButton).click()
        return wizard

    def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
