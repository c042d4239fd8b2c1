"""The import wizard: pick a CSV/XLSX file, see every problem row by row, then import.

Nothing is written until the last page. The review page runs the import's own field rules
(:func:`mentormatch_desktop.domain.participants.validate_table`) on the file; checks that
need the database (e-mail conflicts, unknown managers) run inside the import itself, which
is one transaction and reports the same way, so a failed import still writes nothing.
"""

from __future__ import annotations

import html
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
)
from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.services import participants as participant_service
from mentormatch_desktop.services.participants import ImportReview, ImportSummary
from mentormatch_desktop.services.profiles import program_choices
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.widgets import make_button
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

PREVIEW_ROWS = 500


#: What the review page shows (the file's rows and every problem found in them).
FileCheck = ImportReview


def check_file(context: AppContext, path: str, *, program: int | None,
               cancel: CancelToken | None = None) -> ImportReview:  # fmt: skip
    """Every problem of ``path`` in one pass, writing nothing (runs in a worker): columns,
    fields, duplicates, and what needs the database (conflicting e-mails, unknown
    managers, roles the program does not take)."""
    with context.unit_of_work() as ctx:
        return participant_service.review_import(ctx, path, program=program, cancel=cancel)


def _problems(n: int) -> str:
    return plural(n, "problem")


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
        self.setSubTitle(
            "Every problem in the file, with its row and column, found in one pass "
            "(including the ones only the database can tell). Nothing is saved yet."
        )
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
        self.wizard_.task = run_in_background(
            check_file, self.wizard_.context, path, program=self.wizard_.program_id(),
            cancel=True, on_success=self._show, on_error=self._check_failed, owner=self,
        )  # fmt: skip

    def _check_failed(self, error: TaskError) -> None:
        self.checking = False
        self.summary.setText(f"Could not check the file: {error.message}")
        self.completeChanged.emit()

    def _show(self, result: FileCheck) -> None:
        self.checking = False
        self.result = result
        palette = theme.current()
        n_rows = len(result.rows)
        # The file's name in the sentence: a coordinator fixing several files sees which
        # one this report is about (the row and column are in the table below).
        name = html.escape(Path(result.file).name)
        if result.ok:
            where = f" into <b>{result.program}</b>" if result.program else ""
            self.summary.setText(
                f"<span style='color:{palette.success}'>✔</span> All {plural(n_rows, 'row')} "
                f"of {name} are valid: {plural(result.new_people, 'new person', 'new people')} and "
                f"{plural(result.known_people, 'update')} of people already here. "
                f"Click Import to save them{where}."
            )
        else:
            bad_rows = len({e.row for e in result.errors if e.row and e.row > 1})
            header = [e for e in result.errors if e.row == 1]
            where = f"in {name}, on {plural(bad_rows, 'row')} of {n_rows}"
            if header:
                where += f" and {plural(len(header), 'column problem')}"
            self.summary.setText(
                f"<span style='color:{palette.error}'>✖</span> <b>{_problems(len(result.errors))}"
                f"</b> {where}. All of them are listed below; fix the file, save it and "
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


def success_text(summary: ImportSummary) -> str:
    """What the import did, in one sentence a coordinator can repeat to someone else."""
    noun = "participant" if summary.rows == 1 else "participants"
    into = f" into <b>{summary.program}</b>" if summary.program else ""
    parts = [plural(summary.created, "new person", "new people"),
             plural(summary.updated, "update"), f"{summary.unchanged:,} unchanged"]  # fmt: skip
    text = (
        f"<span style='color:{theme.current().success}'>✔</span> <b>Imported "
        f"{summary.rows:,} {noun}{into}</b> from {Path(summary.file).name}: {', '.join(parts)}."
    )
    if summary.created_skills:
        text += (
            f"<br>{plural(len(summary.created_skills), 'new skill')} added: "
            f"{', '.join(summary.created_skills[:12])}"
            + (" …" if len(summary.created_skills) > 12 else "")
        )
    if summary.created_departments:
        text += (
            f"<br>{plural(len(summary.created_departments), 'new department')}: "
            f"{', '.join(summary.created_departments)}"
        )
    for warning in summary.warnings:
        text += f"<br>⚠ {warning}"
    return text


def next_steps_text(summary: ImportSummary) -> str:
    """What to do now, depending on what was imported."""
    steps = ["Find them on the <b>Participants</b> screen (search by name or skill)."]
    if summary.program:
        steps.append(
            f"Run matching for <b>{summary.program}</b> on the <b>Matching</b> screen; "
            "nobody is paired until you approve a run."
        )
    else:
        steps.append("To match them, import the file again with a program chosen, "
                     "or enrol them from their profiles.")  # fmt: skip
    if summary.created_skills:
        steps.append("New skills may be other spellings of existing ones: review them "
                     "before matching.")  # fmt: skip
    return "<b>Next</b><ul>" + "".join(f"<li>{s}</li>" for s in steps) + "</ul>"


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
        self.next_steps = QLabel(objectName="hint")
        self.next_steps.setWordWrap(True)
        self.next_steps.hide()
        column.addWidget(self.next_steps)
        self.merges_button = make_button(
            "Review duplicate skills…", "filter", on_click=wizard.skill_merges_requested.emit
        )
        self.merges_button.hide()
        merges_row = QHBoxLayout()
        merges_row.addWidget(self.merges_button)
        merges_row.addStretch(1)
        column.addLayout(merges_row)
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
        self.next_steps.hide()
        self.merges_button.hide()
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
        self.message.setText(success_text(summary))
        self.next_steps.setText(next_steps_text(summary))
        self.next_steps.show()
        self.merges_button.setVisible(bool(summary.created_skills))
        self.completeChanged.emit()
        self.wizard_.imported.emit(summary)

    def _failed(self, error: TaskError) -> None:
        self._stopped()
        if isinstance(error.exception, ImportFailed):
            errors = error.exception.errors
            self.message.setText(
                f"<b>Nothing was imported:</b> {_problems(len(errors))} found while checking "
                "against the database (it changed since the review). Fix the file, then go "
                "Back and check again."
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
    skill_merges_requested = Signal()  # "Review duplicate skills…" on the success page

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
