"""The import wizard: pick a CSV/XLSX file, see every problem row by row, then import.

Nothing is written until the last page. The review page runs the import's own field rules
(:func:`mentormatch_desktop.domain.participants.validate_table`) on the file; checks that
need the database (e-mail conflicts, unknown managers) run inside the import itself, which
is one transaction and reports the same way, so a failed import still writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from mentormatch_desktop.domain.participants import (
    COLUMNS,
    REQUIRED_COLUMNS,
    ImportFailed,
    ImportRowError,
    validate_table,
)
from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.services import participants as participant_service
from mentormatch_desktop.services.participant_files import read_table
from mentormatch_desktop.services.participants import ImportSummary
from mentormatch_desktop.services.profiles import program_choices
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import make_button
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

PREVIEW_ROWS = 500


@dataclass(frozen=True)
class FileCheck:
    """What the review page shows: the file's rows and every problem found in them."""

    path: str
    header: list[str]
    rows: list[dict[str, str]]
    errors: list[ImportRowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_file(path: str, *, program_given: bool) -> FileCheck:
    """Read and validate ``path`` without touching the database (runs in a worker)."""
    try:
        header, rows = read_table(path)
    except ImportFailed as failed:
        return FileCheck(path, [], [], failed.errors)
    _, errors = validate_table(path, header, rows, program_given=program_given)
    return FileCheck(path, header, rows, errors)


class _ChooseFilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Choose a participant file")
        self.setSubTitle("A CSV (UTF-8) or Excel .xlsx file with one participant per row.")
        form = QFormLayout(self)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(12)
        row = QHBoxLayout()
        self.path = QLineEdit(placeholderText="/path/to/participants.csv")
        self.path.textChanged.connect(self.completeChanged)
        row.addWidget(self.path, 1)
        row.addWidget(make_button("Browse…", "file", on_click=self._browse))
        form.addRow("File", row)
        self.program = QComboBox()
        self.program.addItem("Do not enrol (update profiles only)", None)
        form.addRow("Enrol in", self.program)
        columns = QLabel(
            f"<b>Required columns:</b> {', '.join(REQUIRED_COLUMNS)} (and <i>role</i> when "
            f"enrolling).<br><b>Optional:</b> "
            f"{', '.join(c for c in COLUMNS if c not in REQUIRED_COLUMNS)}.<br>"
            "Re-importing a file updates people (matched by external_id, then e-mail); "
            "it never creates duplicates.",
            objectName="hint",
        )
        columns.setWordWrap(True)
        form.addRow("", columns)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Participant file", "", "Participant files (*.csv *.xlsx)"
        )
        if path:
            self.path.setText(path)

    def isComplete(self) -> bool:
        return bool(self.path.text().strip())


class _ReviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.result: FileCheck | None = None
        self.checking = False
        self.setTitle("Review")
        self.setSubTitle("Every problem is listed with its row and column. Nothing is saved yet.")
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.recheck = make_button("Check again", "refresh", on_click=self.start_check)
        top.addWidget(self.recheck)
        column.addLayout(top)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.errors = QTableWidget(0, 3)
        self.errors.setHorizontalHeaderLabels(["Row", "Column", "Problem"])
        self.preview = QTableWidget(0, 0)
        for table in (self.errors, self.preview):
            table.verticalHeader().hide()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setAlternatingRowColors(True)
            table.horizontalHeader().setDefaultAlignment(
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            )
        self.errors.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.errors.horizontalHeader().setStretchLastSection(True)
        splitter.addWidget(self.errors)
        splitter.addWidget(self.preview)
        column.addWidget(splitter, 1)

    def initializePage(self) -> None:
        self.start_check()

    def start_check(self) -> None:
        self.checking = True
        self.result = None
        self.completeChanged.emit()
        self.summary.setText("Checking the file…")
        path = self.wizard_.file_path()
        program_given = self.wizard_.program_id() is not None
        self.wizard_.task = run_in_background(
            check_file, path, program_given=program_given, on_success=self._show, owner=self
        )

    def _show(self, result: FileCheck) -> None:
        self.checking = False
        self.result = result
        palette = theme.current()
        n_rows = len(result.rows)
        if result.ok:
            self.summary.setText(
                f"<span style='color:{palette.success}'>✔</span> All {n_rows} rows are valid. "
                "Click Import to save them."
            )
        else:
            bad_rows = len({e.row for e in result.errors if e.row})
            self.summary.setText(
                f"<span style='color:{palette.error}'>✖</span> <b>{len(result.errors)} "
                f"problem(s)</b> in {bad_rows} row(s) of {n_rows}. Fix the file, save it and "
                "click <i>Check again</i>."
            )
        self.errors.setVisible(not result.ok)
        self.errors.setRowCount(len(result.errors))
        for r, error in enumerate(result.errors):
            for c, text in enumerate(
                (str(error.row) if error.row else "—", error.field or "—", error.message)
            ):
                self.errors.setItem(r, c, QTableWidgetItem(text))
        self._fill_preview(result)
        self.completeChanged.emit()
        self.wizard_.checked.emit(result)

    def _fill_preview(self, result: FileCheck) -> None:
        bad = {(e.row, e.field): e.message for e in result.errors}
        header = result.header
        rows = result.rows[:PREVIEW_ROWS]
        self.preview.clear()
        self.preview.setColumnCount(len(header) + 1)
        self.preview.setHorizontalHeaderLabels(["Row", *header])
        self.preview.setRowCount(len(rows))
        error_bg = QColor(theme.current().error_soft)
        for r, values in enumerate(rows):
            file_row = r + 2  # row 1 is the header
            self.preview.setItem(r, 0, QTableWidgetItem(str(file_row)))
            for c, name in enumerate(header, start=1):
                item = QTableWidgetItem(values.get(name, ""))
                message = bad.get((file_row, name))
                if message:
                    item.setBackground(error_bg)
                    item.setToolTip(message)
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()
        for c in range(self.preview.columnCount()):
            self.preview.setColumnWidth(c, min(self.preview.columnWidth(c), 260))

    def isComplete(self) -> bool:
        return self.result is not None and self.result.ok


class _ImportPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.summary: ImportSummary | None = None
        self.setTitle("Import")
        self.setSubTitle("The whole file is saved in one transaction.")
        column = QVBoxLayout(self)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setFormat("%p%")
        self.bar.setTextVisible(True)
        self.phase = QLabel(objectName="muted")  # "Validating 1,200 rows", "Saving row 5 of 9"
        self.cancel_button = make_button("Cancel import", "stop", on_click=self.cancel_import)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.problems = QTableWidget(0, 3)
        self.problems.setHorizontalHeaderLabels(["Row", "Column", "Problem"])
        self.problems.verticalHeader().hide()
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.hide()
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.bar, 1)
        bar_row.addWidget(self.cancel_button)
        column.addLayout(bar_row)
        column.addWidget(self.phase)
        column.addWidget(self.message)
        column.addWidget(self.problems, 1)
        column.addStretch(1)

    def initializePage(self) -> None:
        self.summary = None
        # Saved is saved: no way back unless the import fails (then Back fixes the file).
        self.wizard_.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.bar.setRange(0, 0)  # busy until the first report
        self.bar.show()
        self.phase.setText("Importing…")
        self.phase.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.problems.hide()
        self.message.setText("")  # the phase line says what is happening
        self.completeChanged.emit()
        context = self.wizard_.context
        path, program = self.wizard_.file_path(), self.wizard_.program_id()

        def run(*, progress: Progress, cancel: CancelToken) -> ImportSummary:
            with context.unit_of_work() as ctx:
                return participant_service.import_participants(
                    ctx, path, program=program, progress=progress, cancel=cancel
                )

        self.wizard_.task = run_in_background(
            run,
            progress=self._progress,
            cancel=True,
            on_success=self._done,
            on_error=self._failed,
            on_cancelled=self._cancelled,
            owner=self,
        )

    def _progress(self, fraction: float, message: str) -> None:
        self.bar.setRange(0, 100)
        self.bar.setValue(round(fraction * 100))
        self.phase.setText(message)
        if fraction >= 0.95:  # the commit has begun: it can no longer be called off
            self.cancel_button.setEnabled(False)

    def cancel_import(self) -> None:
        task = self.wizard_.task
        if task is not None and not task.done:
            self.cancel_button.setEnabled(False)
            self.phase.setText("Cancelling…")
            task.cancel()

    def _stopped(self) -> None:
        self.bar.hide()
        self.phase.hide()
        self.cancel_button.hide()
        self.wizard_.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)

    def _cancelled(self) -> None:
        self._stopped()
        self.message.setText(
            "<b>Import cancelled:</b> nothing was written. Go Back to import again."
        )
        self.wizard_.cancelled.emit()

    def _done(self, summary: ImportSummary) -> None:
        self.summary = summary
        self.bar.hide()
        self.phase.hide()
        self.cancel_button.hide()
        parts = [f"{summary.created} new", f"{summary.updated} updated"]
        if summary.unchanged:
            parts.append(f"{summary.unchanged} unchanged")
        noun = "participant" if summary.rows == 1 else "participants"
        text = f"<b>Imported {summary.rows} {noun}</b>: {', '.join(parts)}."
        if summary.created_skills:
            text += f"<br>New skills added to the taxonomy: {', '.join(summary.created_skills)}."
        if summary.created_departments:
            text += f"<br>New departments: {', '.join(summary.created_departments)}."
        for warning in summary.warnings:
            text += f"<br>⚠ {warning}"
        self.message.setText(text)
        self.completeChanged.emit()
        self.wizard_.imported.emit(summary)

    def _failed(self, error: TaskError) -> None:
        self._stopped()
        if isinstance(error.exception, ImportFailed):
            errors = error.exception.errors
            self.message.setText(
                f"<b>Nothing was imported:</b> {len(errors)} problem(s) found while checking "
                "against the database. Fix the file, then go Back and check again."
            )
            self.problems.setRowCount(len(errors))
            for r, e in enumerate(errors):
                for c, text in enumerate((str(e.row or "—"), e.field or "—", e.message)):
                    self.problems.setItem(r, c, QTableWidgetItem(text))
            self.problems.show()
        else:
            self.message.setText(f"<b>Nothing was imported:</b> {error.message}")
        self.wizard_.failed.emit(error)

    def isComplete(self) -> bool:
        return self.summary is not None


class ImportWizard(QWizard):
    """Three pages: file → review (errors row by row) → import. Emits ``imported(summary)``."""

    checked = Signal(object)  # FileCheck
    imported = Signal(object)  # ImportSummary
    failed = Signal(object)  # TaskError
    cancelled = Signal()  # the import was called off before its commit; nothing written

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.task: Task | None = None
        self.setWindowTitle("Import participants")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        # Once imported there is nothing to go back to; a failed import says to go Back
        # explicitly, so the button stays until then (see _ImportPage._failed).
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(980, 660)
        self.choose = _ChooseFilePage(self)
        self.review = _ReviewPage(self)
        self.run_page = _ImportPage(self)
        for page in (self.choose, self.review, self.run_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.NextButton, "Next")
        self.currentIdChanged.connect(self._label_buttons)
        run_in_background(self._programs, on_success=self._fill_programs, owner=self)

    def _programs(self) -> list[tuple[int, str]]:
        with self.context.unit_of_work() as ctx:
            return program_choices(ctx)

    def _fill_programs(self, programs: list[tuple[int, str]]) -> None:
        for pid, name in programs:
            self.choose.program.addItem(name, pid)

    def _label_buttons(self, page_id: int) -> None:
        label = "Import" if self.page(page_id) is self.review else "Next"
        self.setButtonText(QWizard.WizardButton.NextButton, label)

    def file_path(self) -> str:
        return str(Path(self.choose.path.text().strip()).expanduser())

    def program_id(self) -> int | None:
        return self.choose.program.currentData()

    def set_file(self, path: str | Path, program_id: int | None = None) -> None:
        """Fill the first page (tests, drag and drop, the command line)."""
        self.choose.path.setText(str(path))
        if program_id is not None:
            self.choose.program.setCurrentIndex(max(0, self.choose.program.findData(program_id)))
