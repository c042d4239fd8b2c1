"""A read-only table over a polars DataFrame, and a panel showing one (the at-risk list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from mentormatch_desktop.ui.charts.base import ChartPanel
from mentormatch_desktop.ui.formatting import format_date

Index = QModelIndex | QPersistentModelIndex


#: Column titles a coordinator reads (the frame keeps its field names for CSV export).
COLUMN_TITLES = {
    "program": "Program", "mentor": "Mentor", "mentee": "Mentee",
    "days_silent": "Days silent", "milestones_overdue": "Overdue milestones",
    "reason": "Why at risk", "mentorship_id": "Mentorship",
}  # fmt: skip


def column_title(name: str) -> str:
    return COLUMN_TITLES.get(name, name.replace("_", " ").capitalize())


class FrameTableModel(QAbstractTableModel):
    """Rows of a DataFrame; values are formatted lazily, only for the cells on screen."""

    def __init__(self, frame: pl.DataFrame | None = None, columns: list[str] | None = None) -> None:
        super().__init__()
        self.columns = columns
        self.frame = pl.DataFrame()
        if frame is not None:
            self.set_frame(frame)

    def set_frame(self, frame: pl.DataFrame) -> None:
        self.beginResetModel()
        cols = [c for c in (self.columns or frame.columns) if c in frame.columns]
        self.frame = frame.select(cols)
        self._cols = [self.frame.get_column(c) for c in cols]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.frame.height

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.frame.width

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._cols[index.column()][index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if value is None:
                return ""
            if isinstance(value, datetime):
                return format_date(value)
            if isinstance(value, float):
                return f"{value:.2f}"
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return column_title(self.frame.columns[section])
        return None

    def row(self, i: int) -> dict[str, Any]:
        return self.frame.row(i, named=True)


def make_table(model: FrameTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    return table


class TablePanel(ChartPanel):
    """A panel listing rows; double-clicking one emits ``row_activated`` with the row."""

    row_activated = Signal(dict)

    def __init__(self, title: str, columns: list[str], hint: str = "",
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(title, hint, parent)
        self.png_button.setToolTip("Save this list as PNG…")
        self.model = FrameTableModel(columns=columns)
        self.table = make_table(self.model)
        self.table.setMinimumHeight(200)
        self.table.doubleClicked.connect(lambda i: self.row_activated.emit(self.model.row(i.row())))
        self.body_layout.addWidget(self.table, 1)
        self._sized_columns: list[str] = []

    def draw(self, frame: pl.DataFrame) -> None:
        self.model.set_frame(frame)
        self.readout.setText(f"{frame.height:,} rows")
        # The reason is last and takes the rest of the width (cut text shows on hover):
        # the fixed columns fit a 1280 px window without a horizontal scroll bar.
        # Set when the columns change only, so widths the user dragged survive a filter.
        columns = list(self.model.frame.columns)
        if columns != self._sized_columns:
            widths = {"mentor": 140, "mentee": 140, "program": 190, "days_silent": 105,
                      "milestones_overdue": 165}  # fmt: skip
            for i, name in enumerate(columns):
                self.table.setColumnWidth(i, widths.get(name, 110))
            self._sized_columns = columns
