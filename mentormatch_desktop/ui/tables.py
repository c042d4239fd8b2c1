"""Reading a table at a glance: a name column that stays put while the rest scrolls,
columns the user chooses (remembered), and cut text shown whole on hover.

These work on any ``QTableView``; each screen picks what it needs:

* :func:`freeze_first_column` keeps column 0 (the person or the pair) on screen when the
  table scrolls sideways (Qt's "frozen column" pattern: a second view over the first,
  sharing its model and selection);
* :class:`ColumnChooser` lets the user hide or show columns from the header's context
  menu and remembers the choice in ``QSettings`` under a key of the screen's choosing;
* :class:`ElidedToolTipDelegate` elides in the middle ("alex.morgan…@example.org") and
  shows the whole value on hover when — and only when — the cell cut it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QSettings, Qt
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
)

Index = QModelIndex | QPersistentModelIndex


class ElidedToolTipDelegate(QStyledItemDelegate):
    """Draws cells elided in the middle; hovering a cut cell shows its whole text.

    A tooltip the model gives itself (``ToolTipRole``) still wins: it usually says more
    than the cell (why a pair is at risk, how long ago "last activity" was).
    """

    def __init__(self, parent: QObject | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle) -> None:  # fmt: skip
        super().__init__(parent)
        self.mode = mode  # the middle for names and e-mails; the end for sentences

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = self.mode

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem,
                  index: Index) -> bool:  # fmt: skip
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        own = index.data(Qt.ItemDataRole.ToolTipRole)
        if own:
            QToolTip.showText(event.globalPos(), str(own), view)
            return True
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if text and is_elided(view, option, index):
            QToolTip.showText(event.globalPos(), text, view)
        else:
            QToolTip.hideText()
        return True


def is_elided(view: QAbstractItemView, option: QStyleOptionViewItem, index: Index) -> bool:
    """Whether the cell at ``index`` is too narrow for its text."""
    text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
    rect = view.visualRect(index) if isinstance(view, QAbstractItemView) else option.rect
    return view.fontMetrics().horizontalAdvance(text) + 12 > rect.width()


class FrozenColumn(QTableView):
    """A view of column 0 laid over the left edge of ``table``; it scrolls vertically with
    the table and stays put horizontally. Sorting and selection are the table's own."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.setObjectName("frozenColumn")
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().hide()
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(table.verticalScrollMode())
        self.setSelectionBehavior(table.selectionBehavior())
        self.setSelectionMode(table.selectionMode())
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(table.alternatingRowColors())
        self.setShowGrid(table.showGrid())
        self.setWordWrap(False)
        self.setItemDelegate(ElidedToolTipDelegate(self))
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        head = self.horizontalHeader()
        head.setDefaultAlignment(table.horizontalHeader().defaultAlignment())
        head.setHighlightSections(False)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        head.setSortIndicatorShown(table.horizontalHeader().isSortIndicatorShown())
        # A click on the frozen header sorts the table, as a click on the table's would.
        head.setSectionsClickable(True)
        head.sectionClicked.connect(self._sort)
        table.horizontalHeader().sortIndicatorChanged.connect(
            lambda section, order: head.setSortIndicator(section, order)
        )
        self.setStyleSheet("QTableView#frozenColumn { border: none; }")
        table.horizontalHeader().sectionResized.connect(self._resized)
        table.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(table.verticalScrollBar().setValue)
        table.model().modelReset.connect(self._columns)
        table.model().layoutChanged.connect(self._columns)
        table.model().columnsInserted.connect(self._columns)
        self.doubleClicked.connect(table.doubleClicked)
        self._columns()
        self.show()

    def _sort(self, section: int) -> None:
        head = self.table.horizontalHeader()
        order = Qt.SortOrder.AscendingOrder
        if head.sortIndicatorSection() == section:
            order = (Qt.SortOrder.DescendingOrder
                     if head.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
                     else Qt.SortOrder.AscendingOrder)  # fmt: skip
        self.table.sortByColumn(section, order)

    def _columns(self, *_args: object) -> None:
        for column in range(self.model().columnCount()):
            self.setColumnHidden(column, column != 0)
        self.setColumnWidth(0, self.table.columnWidth(0))
        self.place()

    def _resized(self, column: int, _old: int, new: int) -> None:
        if column == 0:
            self.setColumnWidth(0, new)
            self.place()

    def place(self) -> None:
        """Lie exactly over the table's column 0 (header included)."""
        table = self.table
        self.setGeometry(
            table.verticalHeader().width() + table.frameWidth(),
            table.frameWidth(),
            table.columnWidth(0),
            table.viewport().height() + table.horizontalHeader().height(),
        )


class _FrozenFollower(QObject):
    """Keeps the frozen column in place when the table is resized."""

    def __init__(self, frozen: FrozenColumn) -> None:
        super().__init__(frozen)
        self.frozen = frozen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.LayoutRequest):
            self.frozen.place()
        return False


def freeze_first_column(table: QTableView) -> FrozenColumn:
    """Keep ``table``'s column 0 on screen while the other columns scroll sideways."""
    frozen = FrozenColumn(table)
    follower = _FrozenFollower(frozen)
    table.installEventFilter(follower)
    table.viewport().installEventFilter(follower)
    # The table's own cells scroll under the frozen view; scrolling by pixel keeps
    # them from jumping a whole column at a time.
    table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return frozen


class ColumnChooser(QObject):
    """Right-click a header to hide or show columns; the choice is kept in ``QSettings``
    (``key``), so the table opens the way the user left it. Column 0 is always shown."""

    def __init__(self, table: QTableView, key: str, settings: QSettings | None = None,
                 *, hidden_by_default: tuple[int, ...] = (),
                 managed_elsewhere: tuple[int, ...] = ()) -> None:  # fmt: skip
        super().__init__(table)
        self.table, self.key = table, key
        self.managed_elsewhere = set(managed_elsewhere)  # shown or hidden by the screen
        self._settings = settings
        self.default_hidden = set(hidden_by_default)
        self._restored = False
        head = table.horizontalHeader()
        head.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        head.customContextMenuRequested.connect(self._menu)
        head.setToolTip("Right-click to choose the columns")
        if settings is not None:
            self.restore()
        else:  # the window (and so its settings) is known once the table is shown
            table.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and not self._restored:
            self.restore()
        return False

    def settings(self) -> QSettings:
        """The screen's settings: the main window's when the table sits in one (so tests
        and screenshots use theirs), else the application's."""
        if self._settings is None:
            window = self.table.window()
            found = getattr(window, "qsettings", None)
            return found if isinstance(found, QSettings) else QSettings()
        return self._settings

    def choosable(self) -> list[int]:
        return [c for c in range(self.table.model().columnCount())
                if c not in self.managed_elsewhere]  # fmt: skip

    def hidden(self) -> set[int]:
        return {c for c in self.choosable() if self.table.isColumnHidden(c)}

    def restore(self) -> None:
        self._restored = True
        stored = self.settings().value(self.key)
        if stored is None:
            wanted = set(self.default_hidden)
        else:
            items = stored if isinstance(stored, list) else str(stored).split(",")
            wanted = {int(x) for x in items if str(x).strip().isdigit()}
        for column in self.choosable():
            self.table.setColumnHidden(column, column in wanted and column != 0)

    def set_shown(self, column: int, shown: bool) -> None:
        if column == 0:
            return
        self.table.setColumnHidden(column, not shown)
        hidden = sorted(self.hidden())
        self.settings().setValue(self.key, ",".join(str(c) for c in hidden) or "none")

    def menu(self) -> QMenu:
        """The menu of columns (checked = shown)."""
        model = self.table.model()
        menu = QMenu(self.table)
        menu.addSection("Columns to show")
        for column in self.choosable():
            name = str(model.headerData(column, Qt.Orientation.Horizontal) or f"Column {column}")
            action = QAction(name, menu, checkable=True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.setEnabled(column != 0)
            action.toggled.connect(lambda on, c=column: self.set_shown(c, on))
            menu.addAction(action)
        return menu

    def _menu(self, pos: object) -> None:
        self.menu().exec(self.table.horizontalHeader().mapToGlobal(pos))  # type: ignore[arg-type]
