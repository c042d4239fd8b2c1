"""Compare strategies side by side on the same cohort (nothing is stored)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner, ProgressPanel, make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

HEADERS = (
    "Strategy", "Status", "Matched", "Total score", "Lowest", "Median", "vs best", "Time",
    "Rules broken",
)  # fmt: skip


class CompareDialog(QDialog):
    compared = Signal(list)

    def __init__(
        self,
        context: AppContext,
        program_id: int,
        strategies: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.program_id = program_id
        self.task: Task | None = None
        self.rows: list[Any] = []
        self.setWindowTitle("Compare strategies")
        self.resize(960, 480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        title = QLabel("Compare strategies on the same cohort", objectName="pageTitle")
        layout.addWidget(title)
        layout.addWidget(
            QLabel(
                "Each strategy solves the program's current problem with the saved weights. "
                "Nothing is stored; run the one you prefer from the Matching screen.",
                objectName="hint",
            )
        )
        picks = QHBoxLayout()
        self.checks: dict[str, QCheckBox] = {}
        for name, label in strategies:
            box = QCheckBox(label)
            box.setChecked(True)
            box.setToolTip(name)
            self.checks[name] = box
            picks.addWidget(box)
        picks.addStretch(1)
        self.run_button = make_button("Compare", "compare", primary=True, on_click=self.start)
        picks.addWidget(self.run_button)
        layout.addLayout(picks)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(lambda: self.task and self.task.cancel())
        layout.addWidget(self.progress)
        self.banner = Banner("error")
        layout.addWidget(self.banner)
        self.table = read_only_table(HEADERS)
        layout.addWidget(self.table, 1)
        # Until the first comparison the table is empty: say what fills it.
        self.empty_hint = QLabel(
            "Tick the strategies to compare and click Compare: each one solves the program "
            "in turn, and its matches, scores and time appear here, one row each.",
            objectName="muted",
        )
        self.empty_hint.setWordWrap(True)
        layout.insertWidget(layout.indexOf(self.table), self.empty_hint)
        self.labels = dict(strategies)
        close = QHBoxLayout()
        close.addStretch(1)
        close.addWidget(make_button("Close", on_click=self.accept))
        layout.addLayout(close)

    def start(self) -> None:
        chosen = [name for name, box in self.checks.items() if box.isChecked()]
        if not chosen:
            self.banner.show_message("Pick at least one strategy.", "warning")
            return
        self.banner.hide()
        self.run_button.setEnabled(False)
        self.progress.start("Solving…")
        context, program_id = self.context, self.program_id

        def compare(*, progress: Any, cancel: Any) -> list[Any]:
            with context.unit_of_work() as ctx:
                return matching_service.compare_strategies(
                    ctx,
                    program_id,
                    chosen,
                    time_limit=60,
                    progress=progress,
                    cancel=cancel,
                )

        self.task = run_in_background(
            compare,
            progress=self.progress.update_progress,
            cancel=True,
            on_success=self._show,
            on_error=self._failed,
            on_finished=self._finished,
            owner=self,
        )

    def _finished(self) -> None:
        self.progress.stop()
        self.run_button.setEnabled(True)

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(f"Could not compare: {error.message}", "error")

    def _show(self, rows: list[Any]) -> None:
        self.rows = rows
        self.empty_hint.hide()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            median = (row.quantiles or {}).get("median")
            values = (
                self.labels.get(row.strategy, row.strategy),  # as the picker says it
                str(row.status).replace("_", " ").capitalize(),
                str(row.matched),
                f"{row.total_score:.2f}",
                "—" if row.min_score is None else f"{row.min_score:.2f}",
                "—" if median is None else f"{median:.2f}",
                "—" if row.ratio_to_best is None else f"{row.ratio_to_best:.1%}",
                f"{row.seconds * 1000:.0f} ms" if row.seconds < 1 else f"{row.seconds:.1f} s",
                "; ".join(row.violations) or "none",
            )
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.compared.emit(rows)
