"""Review suggested skill merges ("ML" is "Machine learning"): approve or reject each.

Suggestions come from alias rules and sentence embeddings, kept only when the names and
the people who list the skills agree
(:mod:`mentormatch_desktop.services.skills`); none is applied until a coordinator approves
it here (or with ``mentormatch skills approve``). Approving moves people's skills onto the
kept skill and keeps the label as an alias, so future imports resolve it by themselves.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import skills as skill_service
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner, ProgressPanel, make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

HEADERS = ("Skill", "Same as", "How sure", "Why we think so", "People", "Status")
CONFIDENCE = {"sure": "Sure", "likely": "Likely", "unlikely": "Doubtful"}
STATUS = {"pending": "Waiting", "approved": "Merged", "rejected": "Kept apart"}


class SkillMergesDialog(QDialog):
    """Pending (or all) skill merge suggestions with approve / reject actions."""

    merged = Signal(int)  # suggestion id

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.task: Task | None = None
        self.rows: list[skill_service.SkillMergeView] = []
        self.setWindowTitle("Skill merges")
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(QLabel("Duplicate skills", objectName="pageTitle"))
        layout.addWidget(
            QLabel(
                "Skills that look like one skill under two names. A pair is suggested only "
                "when the names agree (same word, abbreviation or typo) and few people list "
                "both; each row says why. Nothing changes until you merge: merging moves "
                "everyone's skill to the kept name and remembers the other as an alias. "
                "Keeping them apart means the pair is not suggested again.",
                objectName="hint",
                wordWrap=True,
            )
        )
        top = QHBoxLayout()
        self.find_button = make_button("Find duplicates", "search", on_click=self.find)
        self.status = QComboBox()
        for text, value in (("Pending", "pending"), ("Approved", "approved"),
                            ("Rejected", "rejected"), ("All", None)):  # fmt: skip
            self.status.addItem(text, value)
        self.status.currentIndexChanged.connect(lambda _i: self.reload())
        top.addWidget(self.find_button)
        top.addStretch(1)
        top.addWidget(QLabel("Show", objectName="muted"))
        top.addWidget(self.status)
        layout.addLayout(top)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(lambda: self.task and self.task.cancel())
        layout.addWidget(self.progress)
        self.banner = Banner("info")
        layout.addWidget(self.banner)

        self.table = read_only_table(
            HEADERS, selection=QTableWidget.SelectionMode.ExtendedSelection
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.approve_button = make_button("Merge…", "approve", on_click=self.approve)
        self.reject_button = make_button("Keep apart", "reject", on_click=self.reject)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        buttons.addWidget(make_button("Close", on_click=self.accept))
        layout.addLayout(buttons)
        self._update_buttons()
        self.reload()

    # ----------------------------------------------------------------------- reading
    def reload(self) -> None:
        context, status = self.context, self.status.currentData()

        def read() -> list[skill_service.SkillMergeView]:
            with context.unit_of_work() as ctx:
                return skill_service.list_skill_merges(ctx, status)

        run_in_background(read, on_success=self.show_rows, on_error=self._failed, owner=self)

    def show_rows(self, rows: list[skill_service.SkillMergeView]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, v in enumerate(rows):
            cells = (v.label, v.skill_name, CONFIDENCE.get(v.confidence, v.confidence),
                     v.reason, str(v.people_affected), STATUS.get(v.status, v.status))  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.table.setColumnWidth(3, 360)
        self._update_buttons()

    def selected(self) -> list[skill_service.SkillMergeView]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.rows[r] for r in rows if r < len(self.rows)]

    def _update_buttons(self) -> None:
        pending = [v for v in self.selected() if v.status == "pending"]
        self.approve_button.setEnabled(bool(pending))
        self.reject_button.setEnabled(bool(pending))

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")

    # ----------------------------------------------------------------------- actions
    def find(self) -> None:
        self.find_button.setEnabled(False)
        self.progress.start("Comparing skills…")
        from mentormatch_desktop.services.process_jobs import suggest_skill_merges_job
        from mentormatch_desktop.ui.processes import run_in_process

        def done(result: skill_service.SuggestResult) -> None:
            note = f" ({result.note})" if result.note else ""
            if not result.used_embeddings:
                note = " (compared by name only: the meaning model is not installed)"
            n = len(result.created)
            self.banner.show_message(
                f"{n} new suggestion{'s' if n != 1 else ''} among {result.skills_checked} "
                f"skills{note}.",
                "info",
            )
            self.reload()

        def finished() -> None:
            self.progress.stop()
            self.find_button.setEnabled(True)

        # The sentence model loads in its own process: a thread would hold the
        # interpreter lock for long stretches and freeze the window.
        self.task = run_in_process(
            suggest_skill_merges_job,
            self.context.database_url,
            progress=self.progress.update_progress,
            cancel=True,
            on_success=done,
            on_error=self._failed,
            on_finished=finished,
            owner=self,
        )

    def _decide(self, approve: bool) -> None:
        chosen = [v.id for v in self.selected() if v.status == "pending"]
        context = self.context

        def decide() -> list[str]:
            lines = []
            for suggestion_id in chosen:
                with context.unit_of_work() as ctx:
                    if approve:
                        out = skill_service.approve_skill_merge(ctx, suggestion_id)
                        lines.append(
                            f"“{out.suggestion.label}” merged into “{out.suggestion.skill_name}”"
                        )
                    else:
                        view = skill_service.reject_skill_merge(ctx, suggestion_id)
                        lines.append(f"“{view.label}” kept apart from “{view.skill_name}”")
            return lines

        def done(lines: list[str]) -> None:
            self.banner.show_message("; ".join(lines) + ".", "info")
            if approve:
                self.context.notify("participants")
                for suggestion_id in chosen:
                    self.merged.emit(suggestion_id)
            self.reload()

        run_in_background(decide, on_success=done, on_error=self._failed, owner=self)

    def confirmation(self) -> str:
        """What the user is asked before merging the selected suggestions ("" for none:
        every one is sure). Merging is the exception, so the question defaults to No."""
        doubtful = [v for v in self.selected() if v.status == "pending" and v.confidence != "sure"]
        if not doubtful:
            return ""
        lines = [f"• “{v.label}” becomes “{v.skill_name}” for {v.people_affected} "
                 f"{'person' if v.people_affected == 1 else 'people'}: {v.reason}"
                 for v in doubtful[:6]]  # fmt: skip
        return "Merge these skills? This changes people's profiles.\n\n" + "\n".join(lines)

    def approve(self) -> None:
        question = self.confirmation()
        if question:
            answer = QMessageBox.question(
                self, "Merge skills", question,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._decide(True)

    def reject(self) -> None:
        self._decide(False)
