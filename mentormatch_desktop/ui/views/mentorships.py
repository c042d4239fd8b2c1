"""The Mentorships screen: every pairing with its health; end or re-match with a reason."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QToolButton,
    QWidget,
)

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.services import mentorships as service
from mentormatch_desktop.services.mentorships import RUNNING, MentorshipFilter, MentorshipRow
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.models.mentorships import (
    HEALTH_COLUMN,
    STATUS_LABELS,
    MentorshipsTableModel,
)
from mentormatch_desktop.ui.tables import ColumnChooser, ElidedToolTipDelegate, freeze_first_column
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import EmptyState, PageHeader, make_button, page_layout


@dataclass(frozen=True)
class _Loaded:
    rows: list[MentorshipRow]
    programs: list[tuple[int, str]]


class FilterChip(QFrame):
    """A visible, removable filter ("Showing 12 mentorships from the dashboard ✕")."""

    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="filterChip")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 3, 6, 3)
        row.setSpacing(6)
        self.label = QLabel()
        self.clear_button = QToolButton(toolTip="Clear this filter")
        self.clear_button.setIcon(theme.icon("reject", theme.current().text))
        self.clear_button.setIconSize(QSize(14, 14))
        self.clear_button.clicked.connect(self.cleared)
        row.addWidget(self.label)
        row.addWidget(self.clear_button)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class MentorshipsView(View):
    watches = ("mentorships", "matching", "programs", "*")
    loaded = Signal()
    changed = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.filter = MentorshipFilter(status=MentorshipStatus.ACTIVE)
        self._generation = 0
        layout = page_layout(self)
        header = PageHeader(
            "Mentorships",
            "Every approved pairing and how it is going. At risk: nobody met or wrote for "
            f"{service.RISK_DAYS} days, or a milestone is overdue.",
        )
        self.end_button = header.add_action("End…", "stop")
        self.end_button.clicked.connect(self.end_selected)
        self.rematch_button = header.add_action("Re-match…", "swap", primary=True)
        self.rematch_button.clicked.connect(self.rematch_selected)
        layout.addWidget(header)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.search = QLineEdit(placeholderText="Search mentee, mentor or program")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(
            theme.icon("search", theme.current().muted), QLineEdit.ActionPosition.LeadingPosition
        )
        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(lambda: self._apply_search())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        bar.addWidget(self.search, 2)
        self.program_combo = QComboBox(minimumWidth=220)
        self.program_combo.addItem("All programs", None)
        self.status_combo = QComboBox(minimumWidth=150)
        self.status_combo.addItem("All statuses", None)
        for status, label in STATUS_LABELS.items():
            self.status_combo.addItem(label, status)
        self.status_combo.setCurrentIndex(self.status_combo.findData(MentorshipStatus.ACTIVE))
        self.at_risk = QCheckBox("At risk only")
        for widget in (self.program_combo, self.status_combo):
            widget.currentIndexChanged.connect(self._on_filter_changed)
            bar.addWidget(widget, 1)
        self.at_risk.toggled.connect(self._on_filter_changed)
        bar.addWidget(self.at_risk)
        layout.addLayout(bar)
        count_row = QHBoxLayout()
        count_row.setSpacing(10)
        self.chip = FilterChip()
        self.chip.cleared.connect(self.clear_ids)
        count_row.addWidget(self.chip)
        self.count_label = QLabel(objectName="muted")
        count_row.addWidget(self.count_label, 1)
        layout.addLayout(count_row)

        self.model = MentorshipsTableModel(self)
        self.detail_button = header.add_action("Open…", "file")
        self.detail_button.setToolTip("Open the mentorship's detail (double-click or Enter)")
        self.detail_button.clicked.connect(self.open_detail)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        # The table (with its frozen column) and the empty states are built on the next
        # event-loop turns, one each: the screen at once held the GUI thread for over
        # 100 ms on first open (issue 12). The rows load in a worker meanwhile.
        self.steps.add(self._build_table)
        self.steps.add(self._build_empty_states)
        self._update_buttons()

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(30)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setStretchLastSection(True)
        # Logical columns: Mentee, Mentor, Program, Status, Started, Last activity, Sessions,
        # Milestones, Health. Health is what a coordinator scans for: it sits next to the
        # names; Started is one right-click away (the header's menu).
        # Status fits "Ended early" and Program a usual program name: they read
        # "End…rly" and "Compan… Program" at 80 and 140 pixels.
        for column, width in enumerate((140, 140, 210, 100, 105, 110, 80, 90, 220)):
            self.table.setColumnWidth(column, width)
        head.moveSection(head.visualIndex(HEALTH_COLUMN), 2)
        self.table.setItemDelegate(ElidedToolTipDelegate(self.table))
        # "At risk: no session or message for 43 days": the start says the most.
        self.table.setItemDelegateForColumn(
            HEALTH_COLUMN, ElidedToolTipDelegate(self.table, Qt.TextElideMode.ElideRight)
        )
        self.frozen = freeze_first_column(self.table)
        self.columns = ColumnChooser(self.table, "mentorships/hidden_columns",
                                     hidden_by_default=(4,))  # fmt: skip
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        # Double-click and Enter open the detail; destructive actions stay behind buttons.
        self.table.doubleClicked.connect(lambda _i: self.open_detail())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.table)
            enter.setContext(Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self.open_detail)

        self.pages.addWidget(self.table)

    def _build_empty_states(self) -> None:
        self.empty = EmptyState(
            "mentorships",
            "No mentorships yet",
            "Approve a matching run to create mentorships; they appear here with their health.",
        )
        self.none_match = EmptyState(
            "search", "No mentorship matches these filters", "Try another status or program."
        )
        self.none_match.add_button(make_button("Show all", "filter", on_click=self.show_all))
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.none_match)

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        generation, flt, context = self._generation, self.filter, self.context

        def load() -> _Loaded:
            with context.unit_of_work() as ctx:
                return _Loaded(service.list_mentorships(ctx, flt), service.program_names(ctx))

        def loaded(result: _Loaded) -> None:
            if generation == self._generation:
                self._show(result)

        self.run(load, on_success=loaded)

    def _show(self, result: _Loaded) -> None:
        current = self.program_combo.currentData()
        self.program_combo.blockSignals(True)
        while self.program_combo.count() > 1:
            self.program_combo.removeItem(1)
        for pid, name in result.programs:
            self.program_combo.addItem(name, pid)
        self.program_combo.setCurrentIndex(max(0, self.program_combo.findData(current)))
        self.program_combo.blockSignals(False)
        self.model.set_rows(result.rows)
        self._update_page()
        self.loaded.emit()

    def _update_page(self) -> None:
        rows = self.model.rows
        unfiltered = self.filter == MentorshipFilter() and not self.model.search
        if not rows:
            self.pages.setCurrentWidget(self.empty if unfiltered else self.none_match)
        else:
            self.pages.setCurrentWidget(self.table)
        risky = sum(1 for r in rows if r.at_risk)
        self.count_label.setText(
            plural(len(rows), "mentorship") + (f" · {risky} at risk" if risky else "")
        )
        self._update_buttons()

    def _on_filter_changed(self, *_: object) -> None:
        status = self.status_combo.currentData()
        self.filter = replace(
            self.filter,
            program_id=self.program_combo.currentData(),
            status=MentorshipStatus(status) if status else None,
            at_risk_only=self.at_risk.isChecked(),
        )
        self.reload()

    def _apply_search(self) -> None:
        self.finish_building()
        self.model.set_search(self.search.text())
        self._update_page()

    def show_ids(self, ids: list[int], source: str = "the dashboard") -> None:
        """Show exactly the mentorships ``ids`` (whatever their status), with a chip that
        says where they came from and clears the restriction."""
        for combo in (self.program_combo, self.status_combo):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.at_risk.blockSignals(True)
        self.at_risk.setChecked(False)
        self.at_risk.blockSignals(False)
        self.search.clear()
        self.model.set_search("")
        unique = tuple(dict.fromkeys(ids))
        self.filter = MentorshipFilter(ids=unique)
        noun = "mentorship" if len(unique) == 1 else "mentorships"
        self.chip.show_text(f"Showing {len(unique):,} {noun} from {source}")
        # Loaded here; becoming visible next must not load the old filter again.
        self._stale, self._loaded_once = False, True
        self.reload()

    def clear_ids(self) -> None:
        """Drop the drill-down restriction; the other filters stay as they are."""
        self.chip.hide()
        if self.filter.ids is not None:
            self.filter = replace(self.filter, ids=None)
            self.reload()

    def show_all(self) -> None:
        for combo in (self.program_combo, self.status_combo):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.at_risk.blockSignals(True)
        self.at_risk.setChecked(False)
        self.at_risk.blockSignals(False)
        self.search.clear()
        self.model.set_search("")
        self.chip.hide()
        self.filter = MentorshipFilter()
        self.reload()

    # -- actions -----------------------------------------------------------------------
    def selected(self) -> MentorshipRow | None:
        if not hasattr(self, "table"):  # built on a later turn (``_build_table``)
            return None
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        row = self.selected()
        running = row is not None and row.status in RUNNING
        self.end_button.setEnabled(running)
        self.rematch_button.setEnabled(running)
        self.detail_button.setEnabled(row is not None)

    def open_detail(self) -> QWidget | None:
        """Show the selected mentorship's detail page (people, sessions, goals …)."""
        from mentormatch_desktop.ui.views.mentorship_detail import MentorshipDetailDialog

        row = self.selected()
        if row is None:
            return None
        dialog = MentorshipDetailDialog(self.context, row, parent=self)
        dialog.changed.connect(self._changed)
        dialog.open()
        return dialog

    def end_selected(self) -> QWidget | None:
        from mentormatch_desktop.ui.views.mentorship_dialogs import EndMentorshipDialog

        row = self.selected()
        if row is None or row.status not in RUNNING:
            return None
        dialog = EndMentorshipDialog(self.context, row, parent=self)
        dialog.done_signal.connect(self._changed)
        dialog.open()
        return dialog

    def rematch_selected(self) -> QWidget | None:
        from mentormatch_desktop.ui.views.mentorship_dialogs import RematchDialog

        row = self.selected()
        if row is None or row.status not in RUNNING:
            return None
        dialog = RematchDialog(self.context, row, parent=self)
        dialog.done_signal.connect(self._changed)
        dialog.open()
        return dialog

    def _changed(self, mentorship_id: int) -> None:
        self.changed.emit(mentorship_id)
        self.context.notify("mentorships")
        if not self.isVisible():
            self.reload()

    def prepare_screenshot(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)

    def screenshot_extras(self) -> list[tuple[str, object]]:
        """The detail page of a running pairing with some history (``--screenshots``)."""
        if not self.model.rowCount():
            return []
        best = max(
            range(self.model.rowCount()),
            key=lambda i: (self.model.row(i).sessions_held, self.model.row(i).milestones_total),
        )

        def open_detail() -> QWidget | None:
            self.table.selectRow(best)
            return self.open_detail()

        return [("mentorship-detail", open_detail)]
