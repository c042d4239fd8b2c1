"""The proposals table of a match run (a few thousand rows at most; kept in memory)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from mentormatch_desktop.domain.enums import ProposalStatus
from mentormatch_desktop.services.match_records import ProposalView
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.formatting import pair_sides

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("Mentee", "Mentor", "Score", "Breakdown", "Status")
BREAKDOWN_COLUMN = 3
STATUS_LABELS = {
    ProposalStatus.PROPOSED: "Proposed",
    ProposalStatus.ACCEPTED: "Accepted",
    ProposalStatus.REJECTED: "Rejected",
    ProposalStatus.LOCKED: "Locked",
}
BreakdownRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2  # what sorting compares (scores as numbers)


class ProposalsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.proposals: list[ProposalView] = []
        self.weights: dict[str, float] = {}
        self.peer = False  # a peer program: the columns say Peer A / Peer B

    def set_peer(self, peer: bool) -> None:
        if peer != self.peer:
            self.peer = peer
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 1)

    def set_proposals(self, proposals: list[ProposalView], weights: dict[str, float]) -> None:
        self.beginResetModel()
        self.proposals = list(proposals)
        self.weights = dict(weights)
        self.endResetModel()

    def replace(self, proposal: ProposalView) -> None:
        """Update one row in place after a decision (keeps selection and scroll)."""
        for row, current in enumerate(self.proposals):
            if current.id == proposal.id:
                self.proposals[row] = proposal
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.proposals)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return pair_sides(self.peer)[section] if section < 2 else COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        p = self.proposals[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return p.mentee_name
            if column == 1:
                return p.mentor_name
            if column == 2:
                return f"{p.score:.2f}"
            if column == 4:
                return STATUS_LABELS.get(ProposalStatus(p.status), p.status)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return p.explanation or None
        if role == BreakdownRole:
            return p.breakdown
        if role == SortRole:
            if column in (2, BREAKDOWN_COLUMN):  # the breakdown bars add up to the score
                return float(p.score)
            return str(self.data(index) or "").casefold()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            palette = theme.current()
            colour = {
                ProposalStatus.ACCEPTED: palette.success,
                ProposalStatus.REJECTED: palette.error,
                ProposalStatus.LOCKED: palette.accent_text,
            }.get(ProposalStatus(p.status), palette.muted)
            return QColor(colour)
        if role == Qt.ItemDataRole.UserRole:
            return p.id
        return None

    def proposal(self, row: int) -> ProposalView:
        return self.proposals[row]
