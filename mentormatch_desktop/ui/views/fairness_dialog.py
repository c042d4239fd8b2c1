"""The fairness audit of one match run: match rate, score and outcomes per group.

Opened from the Matching screen ("Audit…"). The audit itself
(:func:`mentormatch_desktop.services.fairness.audit_run`) runs in a worker; this dialog
only lays out its answer: one row per group (department, region, role and any protected
attribute the program lists), flagged groups highlighted with the reason in words.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services.fairness import MIN_GROUP, FairnessAudit, audit_run
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

COLUMNS = [
    "Grouped by", "Group", "People", "Matched", "Match rate", "Mean score", "Mentorships",
    "Ended early", "Mean rating", "Flag",
]  # fmt: skip
FLAG_COLUMN = COLUMNS.index("Flag")
DIMENSION_LABELS = {"department": "Department", "region": "Region", "role": "Role"}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


class FairnessAuditDialog(QDialog):
    """Audit of run ``run_id``; ``loaded(audit)`` once shown, ``failed(error)`` otherwise."""

    loaded = Signal(object)  # FairnessAudit
    failed = Signal(object)  # TaskError

    def __init__(self, context: AppContext, run_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.run_id = run_id
        self.audit: FairnessAudit | None = None
        self.setWindowTitle(f"Fairness audit · run #{run_id}")
        self.resize(1240, 660)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(QLabel(f"Fairness audit of run #{run_id}", objectName="emptyTitle"))
        self.summary = QLabel("Auditing the run…", objectName="muted")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        layout.addWidget(self.busy)
        self.banner = Banner("warning")
        layout.addWidget(self.banner)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setStretchLastSection(True)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.table, 1)
        hint = QLabel(
            f"Flagged: match rate under four fifths of the cohort's (and unlikely to be "
            f"chance), mean score 15 % below the run's, or many more pairs ending early. "
            f"Groups under {MIN_GROUP} people are shown but never flagged.",
            objectName="hint",
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.task = self._load()

    def _load(self) -> Task:
        context, run_id = self.context, self.run_id

        def audit() -> FairnessAudit:
            with context.unit_of_work() as ctx:
                return audit_run(ctx, run_id)

        return run_in_background(audit, on_success=self._show, on_error=self._failed, owner=self)

    def _show(self, audit: FairnessAudit) -> None:
        self.audit = audit
        self.busy.hide()
        self.summary.setText(
            f"Cohort match rate {_pct(audit.overall_match_rate)} · mean proposed score "
            f"{_num(audit.overall_mean_score)} · ended early "
            f"{_pct(audit.overall_ended_early_rate)} (the program's mentorships so far)"
        )
        if audit.gaps:
            noun = "gap" if len(audit.gaps) == 1 else "gaps"
            items = "".join(f"<li>{flag.text}</li>" for flag in audit.gaps)
            self.banner.show_message(
                f"<b>{len(audit.gaps)} large {noun} found.</b><ul style='margin:0'>{items}</ul>",
                "warning",
            )
        else:
            self.banner.show_message("No large gaps between groups in this run.", "info")
        self._fill(audit)
        self.loaded.emit(audit)

    def _fill(self, audit: FairnessAudit) -> None:
        palette = theme.current()
        highlight = QBrush(QColor(palette.warning_soft))
        self.table.setRowCount(len(audit.groups))
        for row, g in enumerate(audit.groups):
            reasons = audit.reasons(g.dimension, g.group)
            values = [
                DIMENSION_LABELS.get(g.dimension, g.dimension), g.group, f"{g.people:,}",
                f"{g.matched:,}", _pct(g.match_rate), _num(g.mean_score), f"{g.mentorships:,}",
                _pct(g.ended_early_rate), _num(g.mean_rating, 1),
                ("⚠ " + "; ".join(reasons)) if reasons else "",
            ]  # fmt: skip
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                if 2 <= column < FLAG_COLUMN:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if reasons:
                    item.setBackground(highlight)
                    item.setToolTip("\n".join(reasons))
                self.table.setItem(row, column, item)
        # Figures fit their header; the group names get room but not the whole width.
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 220))
        flagged = self.flagged_rows()
        if flagged:  # the first gap in view, whatever the number of departments
            self.table.scrollToItem(
                self.table.item(flagged[0], 0), QAbstractItemView.ScrollHint.PositionAtCenter
            )

    def flagged_rows(self) -> list[int]:
        """Rows highlighted as a large gap (tests, screenshots)."""
        return [r for r in range(self.table.rowCount()) if self.table.item(r, FLAG_COLUMN).text()]

    def _failed(self, error: TaskError) -> None:
        self.busy.hide()
        self.summary.setText("")
        self.banner.show_message(f"The audit could not be run: {error.message}", "error")
        self.failed.emit(error)
