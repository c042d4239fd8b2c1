"""The mentorships table: one row per pairing with its health."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.services.mentorships import MentorshipRow
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.formatting import days_ago, format_date, pair_sides

Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "Mentee", "Mentor", "Program", "Status", "Started", "Last activity", "Sessions",
    "Milestones", "Health",
)  # fmt: skip
HEALTH_COLUMN = 8
STATUS_LABELS = {
    MentorshipStatus.ACTIVE: "Active",
    MentorshipStatus.PAUSED: "Paused",
    MentorshipStatus.COMPLETED: "Completed",
    MentorshipStatus.ENDED_EARLY: "Ended early",
}


def _last_activity(row: MentorshipRow) -> str:
    """Always a date (one format on every screen); how long ago goes in the tooltip."""
    if row.last_activity_at is None:
        return "Never"
    return format_date(row.last_activity_at)


def _last_activity_tip(row: MentorshipRow) -> str:
    if row.last_activity_at is None:
        return f"Nothing recorded since the start on {format_date(row.started_at)}"
    ago = days_ago(row.days_silent)
    return (
        f"{format_date(row.last_activity_at)} · {ago}" if ago else format_date(row.last_activity_at)
    )


def health_text(row: MentorshipRow) -> str:
    """At risk (with why), On track (active only), Paused, or how it ended."""
    if row.at_risk:
        return "At risk: " + "; ".join(row.risk_reasons)
    if row.status == MentorshipStatus.ACTIVE:
        return "On track"
    if row.status == MentorshipStatus.PAUSED:
        return "Paused"
    return row.end_reason or STATUS_LABELS[row.status]


class MentorshipsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.all_rows: list[MentorshipRow] = []
        self.rows: list[MentorshipRow] = []
        self.search = ""

    def set_rows(self, rows: list[MentorshipRow]) -> None:
        self.beginResetModel()
        self.all_rows = rows
        self.rows = self._filtered()
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 1)

    def set_search(self, text: str) -> None:
        self.beginResetModel()
        self.search = text.strip().lower()
        self.rows = self._filtered()
        self.endResetModel()

    def _filtered(self) -> list[MentorshipRow]:
        if not self.search:
            return list(self.all_rows)
        words = self.search.split()
        return [
            r
            for r in self.all_rows
            if all(w in f"{r.mentee} {r.mentor} {r.program}".lower() for w in words)
        ]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if section < 2:
                return self.sides()[section]
            return COLUMNS[section]
        return None

    def sides(self) -> tuple[str, str]:
        """The first two headers: Mentee/Mentor, Peer A/Peer B, or both when mixed."""
        kinds = {r.peer for r in self.all_rows}
        return pair_sides(next(iter(kinds)) if len(kinds) == 1 else None if kinds else False)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 8:
                return health_text(r)
            if role == Qt.ItemDataRole.ToolTipRole:
                if column == 5:
                    return _last_activity_tip(r)
                return (r.mentee, r.mentor, r.program)[column] if column < 3 else None
            return (
                r.mentee,
                r.mentor,
                r.program,
                STATUS_LABELS[r.status],
                format_date(r.started_at),
                _last_activity(r),
                str(r.sessions_held),
                f"{r.milestones_done}/{r.milestones_total}",
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 8:
            palette = theme.current()
            if r.at_risk:
                return QColor(palette.error)
            on_track = r.status == MentorshipStatus.ACTIVE
            return QColor(palette.success if on_track else palette.muted)
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def row(self, index: int) -> MentorshipRow:
        return self.rows[index]
