"""The Matching screen: run a strategy, review proposals with their reasons, decide, approve."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.enums import ProgramKind, ProposalStatus
from mentormatch_desktop.services import match_runs
from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.services.match_records import ProposalView
from mentormatch_desktop.services.match_runs import ProgramOption, RunDetail, RunInfo
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_datetime, plural
from mentormatch_desktop.ui.models.proposals import (
    BREAKDOWN_COLUMN,
    ProposalsTableModel,
    SortRole,
)
from mentormatch_desktop.ui.tables import ElidedToolTipDelegate
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.views.breakdown import BreakdownDelegate
from mentormatch_desktop.ui.views.matching_decisions import MatchingDecisions
from mentormatch_desktop.ui.views.proposal_panel import ProposalPanel
from mentormatch_desktop.ui.widgets import (
    Banner,
    EmptyState,
    PageHeader,
    ProgressPanel,
    make_button,
    page_layout,
)
from mentormatch_desktop.ui.workers import Task, TaskError

PREFERRED_STRATEGY = "optimizer"


def worth_reviewing(runs: list[RunInfo]) -> int | None:
    """The run to open on: the latest with proposals; else the latest that did not fail
    (its summary then says why it proposed nothing); else the latest."""
    for wanted in (lambda r: r.status != "failed" and r.matched > 0,
                   lambda r: r.status != "failed", lambda r: True):  # fmt: skip
        found = next((r.id for r in runs if wanted(r)), None)
        if found is not None:
            return found
    return None


#: A run's status as the screen says it: "completed" meant, to a coordinator, that the
#: pairs were done with, when it is exactly when they wait for review.
RUN_STATUS_LABELS = {
    "running": "Running",
    "completed": "Awaiting review",
    "approved": "Approved",
    "failed": "Failed",
    "discarded": "Discarded",
}


def run_status_label(status: str) -> str:
    return RUN_STATUS_LABELS.get(str(status), str(status).capitalize())


def run_summary(detail: RunDetail, strategy: str, *, peer: bool = False) -> str:
    """The line above the proposals: what the run did, counted as a coordinator would.

    A rejected proposal does not count as a match, and its mentee is listed as not
    matched (unless another proposal of the run still pairs them). In a peer program
    both people of a pair are peers to be matched, so both sides count (as the banner
    after a run counts them).
    """
    run = detail.run
    live = [p for p in detail.proposals if p.status != ProposalStatus.REJECTED]

    def people(p: ProposalView) -> list[tuple[int, str]]:
        sides = [(p.mentee_id, p.mentee_name)]
        return [*sides, (p.mentor_id, p.mentor_name)] if peer else sides

    paired = {pid for p in live for pid, _ in people(p)}
    unmatched = list(detail.unmatched)
    listed = {pid for pid, _ in unmatched} | paired
    for p in detail.proposals:
        for pid, name in people(p):
            if pid not in listed:
                unmatched.append((pid, name))
                listed.add(pid)
    scores = [p.score for p in live]
    mentees = "peers" if peer else "mentees"
    head = f"Run #{run.id} · {strategy} · {run_status_label(run.status)}"
    if run.solver_status:
        head += f" ({run.solver_status.lower()})"
    parts = [head, f"{len(paired)} of {detail.mentees_enrolled} unpaired {mentees} matched"]
    if scores:
        parts.append(f"mean score {sum(scores) / len(scores):.2f}")
        parts.append(f"lowest {min(scores):.2f}")
    if run.seconds is not None:
        parts.append(f"solved in {run.seconds:.2f} s")
    text = " · ".join(parts)
    if run.diagnosis:
        text += f"<br>{run.diagnosis}"
    elif not detail.proposals and run.status != "failed":
        text += (
            "<br>This run proposed no pairs. A run proposes nothing when no mentor has a "
            "free seat or no pair passes the program's rules: check the rules and mentor "
            "capacities in Programs, then run matching again, or pick an earlier run."
        )
    if unmatched:
        names = ", ".join(name for _, name in unmatched[:6])
        more = len(unmatched) - 6
        text += f"<br>Not matched: {names}" + (f" and {more} more" if more > 0 else "")
    return text


def strategies_for(context: AppContext, kind: ProgramKind) -> list[tuple[str, str]]:
    """(name, label) of the installed strategies that can solve a program of ``kind``."""
    wanted = {"peer"} if kind == ProgramKind.PEER else {str(kind), "one_to_one"}
    found = [
        (name, s.label) for name, s in context.plugins.strategies().items() if wanted & set(s.kinds)
    ]
    return sorted(found, key=lambda s: (s[0] != PREFERRED_STRATEGY, s[1]))


class MatchingView(MatchingDecisions, View):
    watches = ("programs", "participants", "matching", "mentorships", "*")
    loaded = Signal()  # a run (or the absence of one) is on screen
    decided = Signal()  # a decision, swap or approval was stored

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.programs: list[ProgramOption] = []
        self.runs: list[RunInfo] = []
        self.detail: RunDetail | None = None
        self.task: Task | None = None
        layout = page_layout(self)
        header = PageHeader(
            "Matching",
            "Run a strategy, read why each pair was proposed, adjust, then approve the run.",
        )
        self.audit_button = header.add_action("Audit…", "filter")
        self.audit_button.setToolTip("Fairness audit of the selected run, group by group")
        self.audit_button.clicked.connect(self.open_audit)
        self.compare_button = header.add_action("Compare strategies", "compare")
        self.compare_button.clicked.connect(self.open_compare)
        self.approve_button = header.add_action("Approve run", "approve", primary=True)
        self.approve_button.clicked.connect(self.approve)
        layout.addWidget(header)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        self.program_combo = QComboBox(minimumWidth=170)
        self.program_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.program_combo.currentIndexChanged.connect(self._on_program_changed)
        self.strategy_combo = QComboBox(minimumWidth=150)
        self.strategy_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.keep_locked = QCheckBox("Keep locked and accepted pairs")
        self.keep_locked.setChecked(True)
        self.run_button = make_button(
            "Run matching", "play", primary=True, on_click=self.run_matching
        )
        controls.addWidget(QLabel("Program"))
        controls.addWidget(self.program_combo)
        controls.addWidget(QLabel("Strategy"))
        controls.addWidget(self.strategy_combo)
        controls.addWidget(self.keep_locked)
        controls.addWidget(self.run_button)
        controls.addStretch(1)
        layout.addLayout(controls)
        # On a narrow window the checkbox and the button go to a second line rather
        # than being drawn over the pickers.
        self._controls = controls
        self._controls_second = QHBoxLayout()
        self._controls_second.setSpacing(8)
        self._controls_second.addStretch(1)
        layout.addLayout(self._controls_second)

        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(lambda: self.task and self.task.cancel())
        layout.addWidget(self.progress)
        self.banner = Banner("info")
        layout.addWidget(self.banner)
        run_row = QHBoxLayout()
        self.summary = QLabel(objectName="muted")
        self.summary.setWordWrap(True)
        run_row.addWidget(self.summary, 1)
        run_row.addWidget(QLabel("Run"), 0, Qt.AlignmentFlag.AlignTop)
        # Wide enough for "#12 · Optimizer (OR-Tools) · 2 Dec 2026 14:20 · Awaiting review"
        # on a wide window; the summary beside it wraps rather than the label being cut.
        self.run_combo = QComboBox(minimumWidth=220, maximumWidth=470)
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.run_combo.currentIndexChanged.connect(self._on_run_changed)
        run_row.addWidget(self.run_combo, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(run_row)

        self.model = ProposalsTableModel(self)
        # Search and sort through a proxy: a run has at most a few thousand proposals.
        # ``self.model`` stays the source (its row order is the run's order).
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)  # any column: names, status
        self.proxy.setSortRole(SortRole)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        # The proposals table and the panel beside it are built on the next event-loop
        # turns, one each: building the screen at once held the GUI thread for over
        # 100 ms on first open (issue 12). Programs load in a worker meanwhile.
        self.steps.add(self._build_table)
        self.steps.add(self._build_review)

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setItemDelegate(ElidedToolTipDelegate(self.table))
        self.delegate = BreakdownDelegate({}, self.table)
        self.table.setItemDelegateForColumn(BREAKDOWN_COLUMN, self.delegate)
        self.search = QLineEdit(placeholderText="Search pairs by name or status")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.set_search)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((150, 150, 56, 170, 80)):
            self.table.setColumnWidth(column, width)
        head.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.setSpacing(6)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        self.shown_label = QLabel(objectName="muted")
        search_row.addWidget(self.shown_label)
        self.details_button = make_button("Hide details", "info", on_click=self._toggle_details)
        self.details_button.setToolTip("Fold the panel on the right to give the table the width")
        search_row.addWidget(self.details_button)
        left_column.addLayout(search_row)
        left_column.addWidget(self.table, 1)
        self.review_page = QSplitter(Qt.Orientation.Horizontal)
        self.review_page.addWidget(left)
        self.pages.addWidget(self.review_page)

    def _build_review(self) -> None:
        self.panel = ProposalPanel(self)
        self.review_page.addWidget(self.panel)
        self.review_page.setChildrenCollapsible(False)
        self.review_page.setStretchFactor(0, 3)
        self.review_page.setStretchFactor(1, 2)
        self.review_page.setSizes([680, 440])
        self.no_programs = EmptyState(
            "programs", "No programs yet", "Create a program and enrol people before matching."
        )
        self.no_runs = EmptyState(
            "matching",
            "No matching run yet",
            "Pick a strategy and click Run matching. You review every pair before anything "
            "becomes a mentorship.",
        )
        for page in (self.no_programs, self.no_runs):
            self.pages.addWidget(page)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        context = self.context

        def load() -> list[ProgramOption]:
            context.plugins  # noqa: B018 - load plugins here, off the GUI thread
            with context.unit_of_work() as ctx:
                return match_runs.matching_programs(ctx)

        self.run(load, on_success=self._on_programs)

    def _on_programs(self, programs: list[ProgramOption]) -> None:
        current = self.program_combo.currentData()
        self.programs = programs
        self.program_combo.blockSignals(True)
        self.program_combo.clear()
        for option in programs:
            self.program_combo.addItem(option.name, option.id)
        index = self.program_combo.findData(current)
        self.program_combo.setCurrentIndex(index if index >= 0 else 0)
        self.program_combo.blockSignals(False)
        if not programs:
            self.pages.setCurrentWidget(self.no_programs)
            self._update_buttons()
            self.loaded.emit()
            return
        self._on_program_changed()

    def program(self) -> ProgramOption | None:
        pid = self.program_combo.currentData()
        return next((p for p in self.programs if p.id == pid), None)

    def strategy_label(self, name: str) -> str:
        """The picker's label for a strategy ("Optimal (min-cost flow)"), not its id."""
        index = self.strategy_combo.findData(name)
        if index >= 0:
            return self.strategy_combo.itemText(index)
        return name.replace("_", " ").capitalize()  # a strategy no longer installed

    def mentee_word(self) -> str:
        program = self.program()
        return "peers" if program is not None and program.kind == ProgramKind.PEER else "mentees"

    def _on_program_changed(self, _index: int = 0) -> None:
        program = self.program()
        if program is None:
            return
        if self.sender() is self.program_combo:
            self.banner.hide()  # its message was about the program shown before
        current = self.strategy_combo.currentData()
        self.strategy_combo.clear()
        for name, label in strategies_for(self.context, program.kind):
            self.strategy_combo.addItem(label, name)
        index = self.strategy_combo.findData(current)
        self.strategy_combo.setCurrentIndex(max(0, index))
        self.load_runs()

    def load_runs(self, select: int | None = None) -> None:
        program = self.program()
        if program is None:
            return
        context = self.context
        self._runs_generation = getattr(self, "_runs_generation", 0) + 1
        generation = self._runs_generation

        def load() -> list[RunInfo]:
            with context.unit_of_work() as ctx:
                return match_runs.list_runs(ctx, program.id)

        def loaded(runs: list[RunInfo]) -> None:
            if generation == self._runs_generation:  # a newer request supersedes this one
                self._on_runs(runs, select)

        self.run(load, on_success=loaded)

    def _on_runs(self, runs: list[RunInfo], select: int | None) -> None:
        self.runs = runs
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for run in runs:
            when = format_datetime(run.started_at)
            label = (
                f"#{run.id} · {self.strategy_label(run.strategy)} · {when} · "
                f"{run_status_label(run.status)}"
            )
            if run.status != "failed" and not run.matched:
                label += " · no pairs"
            self.run_combo.addItem(label, run.id)
        if select is None:
            select = worth_reviewing(runs)
        index = self.run_combo.findData(select) if select is not None else 0
        self.run_combo.setCurrentIndex(max(0, index))
        self.run_combo.blockSignals(False)
        if not runs:
            self.detail = None
            self.model.set_proposals([], {})
            self.summary.setText("")
            self.pages.setCurrentWidget(self.no_runs)
            self._update_buttons()
            self.loaded.emit()
            return
        self._on_run_changed()

    def _on_run_changed(self, _index: int = 0) -> None:
        self.run_combo.setToolTip(self.run_combo.currentText())  # the label may be cut
        run_id = self.run_combo.currentData()
        if run_id is not None:
            self.load_run(run_id)

    def load_run(self, run_id: int) -> None:
        context = self.context
        self._run_generation = getattr(self, "_run_generation", 0) + 1
        generation = self._run_generation

        def load() -> RunDetail:
            with context.unit_of_work() as ctx:
                return match_runs.run_detail(ctx, run_id)

        def loaded(detail: RunDetail) -> None:
            if generation == self._run_generation:
                self._show_run(detail)

        self.run(load, on_success=loaded)

    def _show_run(self, detail: RunDetail) -> None:
        selected = self.panel.proposal.id if self.panel.proposal else None
        self.detail = detail
        self.delegate.weights = detail.weights
        self.model.set_peer(self.mentee_word() == "peers")
        self.panel.set_peer(self.mentee_word() == "peers")
        self.model.set_proposals(detail.proposals, detail.weights)
        self._count_shown()
        self.pages.setCurrentWidget(self.review_page)
        self.show_summary()
        self.panel.set_run(detail)
        if detail.proposals and self.proxy.rowCount():
            if selected is None or not self.select_proposal(selected):
                self.table.selectRow(0)
        else:
            self.panel.show_proposal(None)
        self._update_buttons()
        self.loaded.emit()

    def show_summary(self) -> None:
        """The run's counts, from ``self.detail`` as it stands (after each decision too)."""
        if self.detail is not None:
            peer = self.mentee_word() == "peers"
            strategy = self.strategy_label(self.detail.run.strategy)
            self.summary.setText(run_summary(self.detail, strategy, peer=peer))

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        source = self.proxy.mapToSource(rows[0]) if rows else None
        self.panel.show_proposal(self.model.proposal(source.row()) if source else None)

    def _toggle_details(self) -> None:
        self.set_details_shown(not self.panel.isVisible())

    def set_details_shown(self, shown: bool) -> None:
        """Show or fold the proposal panel (the table then takes the whole width)."""
        self.finish_building()
        self.panel.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        # The run picker takes at most two fifths of the row: on a small window the
        # summary beside it was squeezed into a column of six lines.
        self.run_combo.setMaximumWidth(max(220, min(470, self.width() * 2 // 5)))
        narrow = self.width() < 900
        target = self._controls_second if narrow else self._controls
        if target.indexOf(self.run_button) < 0:
            for widget in (self.keep_locked, self.run_button):
                target.insertWidget(target.count() - 1, widget)  # before the stretch

    def set_search(self, text: str) -> None:
        """Show only the proposals whose names (or status) contain ``text``."""
        self.finish_building()
        if self.search.text() != text:
            self.search.setText(text)  # calls back here through textChanged
            return
        self.proxy.setFilterFixedString(text.strip())
        self._count_shown()

    def _count_shown(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText(f"{shown:,} of {total:,} pairs" if shown != total else "")

    def select_proposal(self, proposal_id: int) -> bool:
        """Select a proposal by id, wherever search and sort put its row."""
        self.finish_building()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(Qt.ItemDataRole.UserRole) == proposal_id:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        has_program = self.program() is not None
        busy = self.task is not None and not self.task.done
        open_run = self.detail is not None and self.detail.run.open
        self.run_button.setEnabled(has_program and not busy and self.strategy_combo.count() > 0)
        self.compare_button.setEnabled(has_program and not busy)
        self.audit_button.setEnabled(self.detail is not None)
        self.approve_button.setEnabled(bool(open_run and self.detail.proposals) and not busy)
        if hasattr(self, "panel"):  # built on a later turn (``_build_review``)
            self.panel.set_editable(bool(open_run) and not busy)

    # -- actions -----------------------------------------------------------------------
    def open_audit(self) -> QWidget | None:
        """The fairness audit of the run on screen, in a dialog that loads it in a worker."""
        from mentormatch_desktop.ui.views.fairness_dialog import FairnessAuditDialog

        if self.detail is None:
            return None
        dialog = FairnessAuditDialog(self.context, self.detail.run.id, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def run_matching(self) -> Task:
        program, strategy = self.program(), self.strategy_combo.currentData()
        context, keep = self.context, self.keep_locked.isChecked()
        self.banner.hide()

        def match(*, progress: Any, cancel: Any) -> Any:
            with context.unit_of_work() as ctx:
                return matching_service.run_matching(
                    ctx,
                    program.id,
                    strategy,
                    keep_locked=keep,
                    progress=progress,
                    cancel=cancel,
                )

        self.progress.start(f"Matching {program.name} with {self.strategy_combo.currentText()}…")
        self.task = self.run(
            match,
            progress=self.progress.update_progress,
            cancel=True,
            on_success=self._matched,
            on_error=self._failed,
        )
        self.task.cancelled.connect(self._cancelled)
        self.task.finished.connect(self._task_finished)
        self._update_buttons()
        return self.task

    def _task_finished(self) -> None:
        self.progress.stop()
        self._update_buttons()

    def _matched(self, summary: Any) -> None:
        program = self.program()
        name = f"{program.name}: " if program is not None else ""
        self.banner.show_message(
            f"{name}proposed {plural(len(summary.proposals), 'pair')}; {summary.matched} of "
            f"{summary.n_mentees} {self.mentee_word()} matched. Review them below.",
            "info",
        )
        self.load_runs(select=summary.run_id)
        self.context.notify("matching", source=self)

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(f"Matching failed: {error.message}", "error")
        self.load_runs()

    def _cancelled(self) -> None:
        self.banner.show_message("Matching cancelled; no proposals were stored.", "warning")
        self.load_runs()
