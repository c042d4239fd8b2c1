"""The list of mentorships behind a clicked bar, bin or tile, with CSV export."""

from __future__ import annotations

import polars as pl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.ui.charts.table import FrameTableModel, make_table

DRILL_COLUMNS = [
    "mentorship_id", "program", "cohort", "department", "mentor", "mentee", "status",
    "match_score", "started_at", "sessions_held", "messages", "last_activity_at",
    "milestones_overdue", "mean_rating",
]  # fmt: skip


class MentorshipListDialog(QDialog):
    """Shows ``frame`` (mentorship facts) in a table; "Save CSV…" writes what is shown."""

    def __init__(self, title: str, frame: pl.DataFrame, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(1100, 520)
        self.frame = frame
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{title}</b> — {frame.height:,} mentorships"))
        self.model = FrameTableModel(frame, columns=DRILL_COLUMNS)
        self.table = make_table(self.model)
        for i, name in enumerate(self.model.frame.columns):
            self.table.setColumnWidth(i, 170 if name in ("program", "mentor", "mentee") else 95)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        save = buttons.addButton("Save CSV…", QDialogButtonBox.ButtonRole.ActionRole)
        save.clicked.connect(self.ask_csv)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save mentorships", "mentorships.csv",
                                              "CSV (*.csv)")  # fmt: skip
        if path:
            self.model.frame.write_csv(path)
