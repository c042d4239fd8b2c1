"""The participants table model: a columnar frame in memory, filtered and sorted with numpy.

Rows arrive from :func:`mentormatch_desktop.services.directory.participant_table` (loaded
in a worker, already narrowed by program/role/department/skill in SQL). Free-text search
and sorting happen here, on the whole frame at once — 20,000 rows filter in a few
milliseconds — rather than through ``QSortFilterProxyModel``, whose per-row Python
callbacks would cost a second per keystroke at that size. ``data()`` only indexes arrays,
so scrolling never touches the database.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from mentormatch_desktop.services.directory import ParticipantTable

Index = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str], ...] = (
    ("Name", "names"),
    ("E-mail", "emails"),
    ("Department", "departments"),
    ("Title", "titles"),
    ("Roles", "roles"),
    ("Programs", "programs"),
    ("Time zone", "time_zones"),
    ("Teaches", "teaches"),
    ("Wants to learn", "learns"),
)
SEARCHED = ("names", "emails", "departments", "titles", "teaches", "learns")
#: The last column says why a row matched the search ("Teaches: Python:5"); the screen
#: shows it, next to the name, only while searching.
MATCH_COLUMN = len(COLUMNS)
MATCH_TITLE = "Matched on"
_TITLES = {attr: title for title, attr in COLUMNS}


class ParticipantsTableModel(QAbstractTableModel):
    """Read-only participants table. ``person_id(row)`` maps a visible row to its person."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._table = ParticipantTable()
        self._rows = np.zeros(0, dtype=np.int64)  # visible rows → indexes into the frame
        self._haystack: list[str] = []
        self._sort_keys: dict[int, np.ndarray] = {}
        self._search = ""
        self._sort_column = 0
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- data in -----------------------------------------------------------------------
    def set_table(self, table: ParticipantTable) -> None:
        self.beginResetModel()
        self._table = table
        columns = [getattr(table, name) for name in SEARCHED]
        self._haystack = ["\x1f".join(values).lower() for values in zip(*columns, strict=True)]
        self._sort_keys = {}
        self._rows = self._compute_rows()
        self.endResetModel()

    def set_search(self, text: str) -> None:
        """Keep rows containing every word of ``text`` in any searched column."""
        text = text.strip().lower()
        if text == self._search:
            return
        self.beginResetModel()
        self._search = text
        self._rows = self._compute_rows()
        self.endResetModel()

    def _compute_rows(self) -> np.ndarray:
        n = len(self._table)
        if self._search:
            words = self._search.split()
            hay = self._haystack
            selected = np.fromiter(
                (i for i in range(n) if all(w in hay[i] for w in words)), dtype=np.int64
            )
        else:
            selected = np.arange(n, dtype=np.int64)
        keys = self._sort_key(self._sort_column)
        order = np.argsort(keys[selected], kind="stable")
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            order = order[::-1]
        return selected[order]

    def _sort_key(self, column: int) -> np.ndarray:
        if column >= len(COLUMNS):
            column = 0  # "Matched on" sorts by name
        if column not in self._sort_keys:
            values = getattr(self._table, COLUMNS[column][1])
            self._sort_keys[column] = np.asarray([v.casefold() for v in values], dtype=np.str_)
        return self._sort_keys[column]

    # -- Qt model API ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS) + 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            row = int(self._rows[index.row()])
            if index.column() == MATCH_COLUMN:
                return self.why_matched(row)
            return getattr(self._table, COLUMNS[index.column()][1])[row]
        if role == Qt.ItemDataRole.UserRole:
            return self.person_id(index.row())
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return MATCH_TITLE if section == MATCH_COLUMN else COLUMNS[section][0]
        return None

    def why_matched(self, frame_row: int) -> str:
        """Which fields hold the searched words, with their values: "Teaches: Python:5"."""
        if not self._search:
            return ""
        words = self._search.split()
        found = []
        for attr in SEARCHED:
            value = getattr(self._table, attr)[frame_row]
            lowered = value.lower()
            if any(w in lowered for w in words):
                found.append(f"{_TITLES[attr]}: {_matching_part(value, words)}")
        return " · ".join(found)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort_column = column
        self._sort_order = order
        self._rows = self._compute_rows()
        self.layoutChanged.emit()

    # -- helpers -----------------------------------------------------------------------
    def person_id(self, row: int) -> int:
        return self._table.ids[int(self._rows[row])]

    def row_of(self, person_id: int) -> int | None:
        try:
            frame_row = self._table.ids.index(person_id)
        except ValueError:
            return None
        hits = np.flatnonzero(self._rows == frame_row)
        return int(hits[0]) if len(hits) else None

    @property
    def total(self) -> int:
        """Rows loaded (before the text search)."""
        return len(self._table)

    @property
    def search_text(self) -> str:
        return self._search


def _matching_part(value: str, words: list[str]) -> str:
    """From a list value ("Go:3; Python:5; SQL:2") the items holding a searched word
    ("Python:5"); a plain value whole."""
    items = [item.strip() for item in value.split(";")]
    if len(items) < 2:
        return value
    hits = [item for item in items if any(w in item.lower() for w in words)]
    return "; ".join(hits) or value
