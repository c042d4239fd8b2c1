"""The Dashboard screen: program health at a glance, for any program, cohort, department
and period. Every panel is drawn from one :class:`DashboardData` computed in a worker, so
changing a filter updates them all together; clicking a bar or bin lists its mentorships.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from PySide6.QtCore import QDate, QMetaMethod, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from mentormatch_desktop.analytics import DashboardData, Filters, compute_dashboard, drill
from mentormatch_desktop.analytics.filters import FilterChoices, filter_choices
from mentormatch_desktop.services.reports import program_report
from mentormatch_desktop.ui.charts import ChartPanel, KpiTile
from mentormatch_desktop.ui.charts.drill import MentorshipListDialog
from mentormatch_desktop.ui.charts.layout import PLACEMENT, PLACEMENT_NARROW, panel_factories
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_datetime, plural
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import PageHeader, ProgressPanel, card, page_layout
from mentormatch_desktop.ui.workers import Task, TaskError

PERIODS: list[tuple[str, int | None]] = [
    ("All time", None),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Last 6 months", 182),
    ("Last 12 months", 365),
    ("Custom dates", -1),
]
CUSTOM = -1
# Below this screen width (pixels) the charts go in two columns: three need about 970 of
# page, and the page is the screen less about 60 (margins and the scroll bar).
NARROW_BELOW = 1040


@dataclass(frozen=True)
class DashboardState:
    """What the coordinator is looking at (kept out of the widgets)."""

    program: str | None = None
    cohort: str | None = None
    department: str | None = None
    period_days: int | None = None  # None: all time; CUSTOM: start/end below
    at_risk_days: int = 30  # silence that puts a running pair on the at-risk list
    start: date | None = None
    end: date | None = None

    def filters(self, today: date | None = None) -> Filters:
        today = today or date.today()
        start, end = self.start, self.end
        if self.period_days is None:
            start = end = None
        elif self.period_days != CUSTOM:
            start, end = today - timedelta(days=self.period_days - 1), today
        return Filters(self.program, self.cohort, self.department, start, end)


def risk_tone(at_risk: int, share: float) -> str:
    """A tile's colour for pairs at risk: green only when there are none; any at-risk pair
    is a warning, more than 15 % of running pairs is bad."""
    if at_risk <= 0:
        return "good"
    return "bad" if share > 0.15 else "warn"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


class DashboardView(View):
    watches = ("mentorships", "programs", "participants", "matching", "*")
    loaded = Signal()  # after every refresh is drawn (tests, screenshots)
    mentorships_requested = Signal(list)  # ids the user drilled into

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.state = DashboardState()
        self.data: DashboardData | None = None
        self.choices: FilterChoices | None = None
        self._generation = 0
        self._task: Task | None = None
        self._filling = False
        layout = page_layout(self)
        header = PageHeader(
            "Dashboard",
            "Who takes part, whether pairs meet, reach their goals and are satisfied, "
            "and which pairs need attention.",
        )
        self.refresh_button = header.add_action("Refresh", "refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.report_button = header.add_action("Export report…", "export", primary=True)
        self.report_button.clicked.connect(self.ask_report)
        layout.addWidget(header)
        layout.addLayout(self._filter_bar())
        status = QHBoxLayout()
        self.status_label = QLabel(objectName="muted")
        status.addWidget(self.status_label, 1)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self._cancel)
        # The bar keeps its place while hidden: showing it for every filter change and
        # hiding it again re-laid out the page, and every chart repainted twice (issue 12).
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        status.addWidget(self.progress, 2)
        layout.addLayout(status)

        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 8, 0)
        grid.setSpacing(12)
        self.tiles = self._tiles()
        self._tiles_grid = QGridLayout()
        self._tiles_grid.setSpacing(12)
        for index, tile in enumerate(self.tiles.values()):
            self._tiles_grid.addWidget(tile, 0, index)
        grid.addLayout(self._tiles_grid, 0, 0, 1, 3)
        self.columns = 3  # 2 on a narrow window (``_fit_columns``)
        # Panels are built, and later drawn, one per event-loop turn (``ui/steps.py``):
        # building all twelve plots at once froze the window for seconds on first open,
        # and drawing several in one turn coalesced their repaints into one long paint.
        self.panels: dict[str, ChartPanel] = {}
        self._grid = grid
        self._placeholders: dict[str, QWidget] = {}
        self._header_widgets()
        factories = list(panel_factories().items())
        # The placeholders too come in steps (half a grid per turn), then one panel each.
        half = (len(factories) + 1) // 2
        for chunk in (factories[:half], factories[half:]):
            self.steps.add(lambda chunk=chunk: self._add_placeholders([n for n, _ in chunk]))
        for name, make in factories:
            self.steps.add(lambda name=name, make=make: self._build_panel(name, make))
        for column in range(3):
            grid.setColumnStretch(column, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout.addWidget(scroll, 1)

    def placement(self) -> dict[str, tuple[int, int, int, int]]:
        return PLACEMENT if self.columns == 3 else PLACEMENT_NARROW

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Three columns of charts when they fit beside each other, else two: nothing is
        cut off at the right edge (the page does not scroll sideways). Only a change of
        the number of columns moves the panels."""
        # The screen's own width: in its resizeEvent the scroll area inside has not been
        # laid out yet, so its viewport still has the old size.
        columns = 3 if self.width() >= NARROW_BELOW else 2
        if columns == self.columns:
            return
        self.columns = columns
        placement = self.placement()
        for name, widget in [*self._placeholders.items(), *self.panels.items()]:
            self._grid.removeWidget(widget)
            self._grid.addWidget(widget, *placement[name])
        self._grid.setColumnStretch(2, 1 if columns == 3 else 0)
        # The tiles: one row of eight, or two rows of four ("Completion" was cut to
        # "Completio" in a tile an eighth of a narrow page wide).
        per_row = len(self.tiles) if columns == 3 else (len(self.tiles) + 1) // 2
        for index, tile in enumerate(self.tiles.values()):
            self._tiles_grid.removeWidget(tile)
            self._tiles_grid.addWidget(tile, index // per_row, index % per_row)
        for column in range(len(self.tiles)):
            self._tiles_grid.setColumnStretch(column, 1 if column < per_row else 0)

    # -- construction ------------------------------------------------------------------
    def _filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.program_combo = self._combo("All programs")
        self.cohort_combo = self._combo("All cohorts")
        self.department_combo = self._combo("All departments")
        self.period_combo = QComboBox()
        for label, days in PERIODS:
            self.period_combo.addItem(label, days)
        self.period_combo.currentIndexChanged.connect(self._on_filter_changed)
        today = QDate.currentDate()
        self.start_edit = QDateEdit(today.addDays(-90), calendarPopup=True)
        self.end_edit = QDateEdit(today, calendarPopup=True)
        for edit in (self.start_edit, self.end_edit):
            edit.setDisplayFormat("d MMM yyyy")  # the app's one date format (formatting.py)
            edit.dateChanged.connect(self._on_filter_changed)
            edit.setVisible(False)
        for widget in (self.program_combo, self.cohort_combo, self.department_combo):
            bar.addWidget(widget, 2)
        bar.addWidget(self.period_combo, 1)
        bar.addWidget(self.start_edit)
        bar.addWidget(self.end_edit)
        return bar

    def _combo(self, any_label: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(any_label, None)
        combo.setMinimumWidth(160)
        combo.currentIndexChanged.connect(self._on_filter_changed)
        return combo

    def _tiles(self) -> dict[str, KpiTile]:
        tiles = {
            "enrolled": KpiTile("Enrolled", "people to be mentored"),
            "running": KpiTile("Active pairs", "mentorships in progress"),
            "at_risk": KpiTile("At risk", "silent 30+ days or overdue milestones"),
            "sessions": KpiTile("Sessions held", "in the period"),
            "mean_rating": KpiTile("Mean rating", "feedback, 1–5"),
            "completion_rate": KpiTile("Completion", "of ended mentorships"),
            "days_to_match": KpiTile("Days to match", "median, from enrolment"),
            "utilisation": KpiTile("Seats used", "mentor capacity taken"),
        }
        for key in ("at_risk", "running"):
            tiles[key].make_clickable()
        tiles["at_risk"].clicked.connect(self._drill_at_risk)
        tiles["running"].clicked.connect(self._drill_running)
        return tiles

    def _header_widgets(self) -> None:
        """Controls that sit in panel headers; they exist before their panels do."""
        self.at_risk_days = QSpinBox(minimum=7, maximum=365, value=self.state.at_risk_days)
        self.at_risk_days.setPrefix("silent ≥ ")
        self.at_risk_days.setSuffix(" days")
        self.at_risk_days.setKeyboardTracking(False)  # reload once the number is typed
        self.at_risk_days.valueChanged.connect(self._on_at_risk_days)
        self.coverage_by = QComboBox()
        self.coverage_by.addItems(["by department", "by time zone"])
        self.coverage_by.currentIndexChanged.connect(lambda _i: self._show_coverage())

    def _add_placeholders(self, names: list[str]) -> None:
        """Cards that keep each panel's place in the grid until the panel is built."""
        for name in names:
            holder = card()
            holder.setFixedHeight(360 if name == "at_risk" else 290)
            QVBoxLayout(holder).addWidget(QLabel("Preparing chart…", objectName="muted"))
            self._grid.addWidget(holder, *self.placement()[name])
            self._placeholders[name] = holder

    def _build_panel(self, name: str, make: Callable[[], ChartPanel]) -> None:
        """Build one panel in place of its placeholder, wired to click-through."""
        panel = make()
        by_row = {
            "funnel": lambda data, row: drill.funnel_stage(data, str(row["stage"])),
            "satisfaction": lambda data, row: drill.rating(data, int(row["rating"])),
            "completion": lambda data, row: drill.ended_in_program(data, str(row["program"])),
            "score_vs_outcome": lambda data, row: drill.score_band(data, int(row["band"])),
            "coverage": lambda data, row: (
                drill.time_zone if row["by"] == "time_zone" else drill.department
            )(data, str(row["group"])),
        }
        if name in by_row:
            panel.drill = self._with_data(by_row[name])  # type: ignore[attr-defined]
        elif name == "mentor_load":
            panel.drill = self._with_data(drill.mentor_load_bin)  # type: ignore[attr-defined]
        elif name == "time_to_match":
            panel.drill = self._with_data(drill.days_bin)  # type: ignore[attr-defined]
        elif name == "at_risk":
            panel.add_header_widget(self.at_risk_days)
            panel.row_activated.connect(  # type: ignore[attr-defined]
                lambda row: self.show_mentorships(
                    f"{row['mentee']} with {row['mentor']}", [row["mentorship_id"]]
                )
            )
        if name == "coverage":
            panel.add_header_widget(self.coverage_by)
        # Fixed heights keep two rows of charts in view on a laptop screen.
        panel.setFixedHeight(360 if name == "at_risk" else 290)
        panel.drill_down.connect(self.show_mentorships)
        holder = self._placeholders.pop(name)
        self._grid.replaceWidget(holder, panel)
        holder.deleteLater()
        self.panels[name] = panel
        if self.data is not None:  # drawn on a turn of its own, as a filter change does
            data = self.data
            self.steps.add(lambda: self._draw(data, name, self._frames(data)[name]))

    # -- filters -----------------------------------------------------------------------
    def _on_filter_changed(self, *_args: object) -> None:
        if self._filling:
            return
        days = self.period_combo.currentData()
        custom = days == CUSTOM
        self.start_edit.setVisible(custom)
        self.end_edit.setVisible(custom)
        program = self.program_combo.currentData()
        if self.sender() is self.program_combo:
            self._fill_cohorts(program)
        self.state = DashboardState(
            program=self.program_combo.currentText() if program is not None else None,
            cohort=self.cohort_combo.currentData(),
            department=self.department_combo.currentText()
            if self.department_combo.currentData() is not None
            else None,
            period_days=days,
            start=self.start_edit.date().toPython() if custom else None,
            end=self.end_edit.date().toPython() if custom else None,
            at_risk_days=self.state.at_risk_days,
        )
        self.reload()

    def _on_at_risk_days(self, days: int) -> None:
        self.state = replace(self.state, at_risk_days=days)
        self.tiles["at_risk"].label.setToolTip(f"silent {days}+ days or overdue milestones")
        self.reload()

    def set_state(self, state: DashboardState) -> None:
        """Show ``state`` (tests and other screens use this instead of the widgets)."""
        self.state = state
        self.reload()

    def _fill_options(self, choices: FilterChoices) -> None:
        self.choices = choices
        self._filling = True
        try:
            for combo, items in ((self.program_combo, choices.programs),
                                 (self.department_combo, choices.departments)):  # fmt: skip
                current = combo.currentText()
                while combo.count() > 1:
                    combo.removeItem(1)
                for ident, name in items:
                    combo.addItem(name, ident)
                index = combo.findText(current)
                combo.setCurrentIndex(max(index, 0))
            self._fill_cohorts(self.program_combo.currentData())
        finally:
            self._filling = False

    def _fill_cohorts(self, program_id: int | None) -> None:
        if self.choices is None:
            return
        was = self._filling
        self._filling = True
        current = self.cohort_combo.currentData()
        while self.cohort_combo.count() > 1:
            self.cohort_combo.removeItem(1)
        for cohort in self.choices.cohorts_of(program_id):
            self.cohort_combo.addItem(cohort, cohort)
        index = self.cohort_combo.findData(current)
        self.cohort_combo.setCurrentIndex(max(index, 0))
        self._filling = was

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        """Recompute every panel for the current filters in a worker (newest wins)."""
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        engine = self.context.engine
        filters = self.state.filters()
        want_choices = self.choices is None
        risk_days = self.state.at_risk_days

        def load(progress=None, cancel=None):  # type: ignore[no-untyped-def]
            choices = None
            if want_choices:
                with engine.connect() as conn:
                    choices = filter_choices(conn)
            data = compute_dashboard(engine, filters, at_risk_days=risk_days, progress=progress,
                                     cancel=cancel)  # fmt: skip
            return choices, data

        self.progress.start("Computing metrics…")
        self._task = self.run(
            load, progress=self.progress.update_progress, cancel=True,
            on_success=lambda result: self._loaded(generation, result),
            on_error=lambda error: self._failed(generation, error),
        )  # fmt: skip

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.progress.stop()

    def _failed(self, generation: int, error: TaskError) -> None:
        if generation == self._generation:
            self.progress.stop()
            self.status_label.setText(f"Could not compute the dashboard: {error.message}")

    def _loaded(self, generation: int, result: tuple[FilterChoices | None, DashboardData]) -> None:
        if generation != self._generation:
            return
        choices, data = result
        self.progress.stop()
        if choices is not None:
            self._fill_options(choices)
        self.show_data(data)
        # ``loaded`` follows the last panel drawn (and built, on first open).
        self.steps.add(lambda: self._emit_loaded(data))

    def _emit_loaded(self, data: DashboardData) -> None:
        if data is self.data:
            self.loaded.emit()

    # -- drawing -----------------------------------------------------------------------
    def show_data(self, data: DashboardData) -> None:
        """Draw every tile and panel from ``data``."""
        self.data = data
        k = data.kpis.row(0, named=True)
        t = self.tiles
        t["enrolled"].set_value(f"{k['enrolled']:,}", f"{_pct(k['match_rate'])} matched")
        t["running"].set_value(f"{k['running']:,}", "in progress, not paused · click to list")
        share = k["at_risk_share"] or 0.0
        tone = risk_tone(int(k["at_risk"] or 0), share)
        risk_hint = f"{_pct(k['at_risk_share'])} of active pairs · click to list"
        t["at_risk"].set_value(f"{k['at_risk']:,}", risk_hint, tone=tone)
        t["sessions"].set_value(f"{k['sessions']:,}", f"{k['messages']:,} messages")
        responses = int(data.satisfaction["responses"].sum())
        t["mean_rating"].set_value(_num(k["mean_rating"], 2), f"{responses:,} ratings, 1–5")
        t["completion_rate"].set_value(_pct(k["completion_rate"]), "of ended mentorships")
        t["days_to_match"].set_value(
            _num(k["median_days_to_match"]),
            f"median · {_num(k['median_days_to_first_session'])} more to 1st session",
        )
        t["utilisation"].set_value(_pct(k["mentor_utilisation"]), "of mentor capacity")

        # Panels are drawn one at a time between events, so the window keeps answering.
        frames = self._frames(data)
        for name in list(self.panels):
            self.steps.add(lambda name=name: self._draw(data, name, frames[name]))
        scope = self.state.filters().describe()
        summary = f"{scope} · as of {format_datetime(data.as_of)} UTC · "
        if k["enrolled"] == 0 and data.mentorships.is_empty():
            summary += "nobody is enrolled here yet: import participants or load the demo"
        else:
            summary += plural(data.mentorships.height, "mentorship")
        self.status_label.setText(summary)

    def _frames(self, data: DashboardData) -> dict[str, pl.DataFrame]:
        bands = data.score_vs_outcome.with_columns(
            band_label=pl.format(
                "{}–{}", pl.col("score_min").round(2), pl.col("score_max").round(2)
            )
        )
        return {
            "engagement": data.engagement, "funnel": data.funnel, "burnup": data.burnup,
            "satisfaction": data.satisfaction, "satisfaction_trend": data.satisfaction_trend,
            "heatmap": data.heatmap, "mentor_load": data.mentor_load,
            "time_to_match": data.time_to_match, "completion": data.completion,
            "score_vs_outcome": bands, "coverage": self._coverage_frame(data),
            "at_risk": data.at_risk,
        }  # fmt: skip

    def _draw(self, data: DashboardData, name: str, frame: pl.DataFrame) -> None:
        if data is self.data and name in self.panels:  # newer data replaces a pending draw
            self.panels[name].set_frame(frame)

    def _coverage_frame(self, data: DashboardData) -> pl.DataFrame:
        by_zone = self.coverage_by.currentIndex() == 1
        return data.coverage_time_zone if by_zone else data.coverage_department

    def _show_coverage(self) -> None:
        if self.data is not None and "coverage" in self.panels:
            self.panels["coverage"].set_frame(self._coverage_frame(self.data))

    # -- click-through (which pairs are behind a bar: analytics.drill) ------------------
    def _facts(self) -> pl.DataFrame:
        return self.data.mentorships if self.data is not None else pl.DataFrame()

    def _with_data(self, pick: Callable[..., list[int]]) -> Callable[..., list[int]]:
        """``pick(data, …)`` bound to the data on screen (no data yet: no pairs).

        Holds the screen weakly: a panel keeping its screen alive through a closure would
        make a reference cycle of widgets, which Python's collector may then free from a
        worker thread.
        """
        screen = weakref.ref(self)

        def call(*args: object) -> list[int]:
            view = screen()
            return pick(view.data, *args) if view is not None and view.data is not None else []

        return call

    def _drill_at_risk(self) -> None:
        if self.data is not None:
            self.show_mentorships("At-risk mentorships", drill.at_risk(self.data))

    def _drill_running(self) -> None:
        if self.data is not None:
            self.show_mentorships("Active mentorships", drill.running(self.data))

    def mentorship_frame(self, ids: list[int]) -> pl.DataFrame:
        return self._facts().filter(pl.col("mentorship_id").is_in(ids))

    def show_mentorships(self, title: str, ids: list[int]) -> MentorshipListDialog | None:
        """Show the mentorships ``ids``: in the main window, its Mentorships screen (which
        listens to ``mentorships_requested``); on its own, a non-modal list dialog."""
        signal = QMetaMethod.fromSignal(self.mentorships_requested)
        if self.isSignalConnected(signal):
            self.mentorships_requested.emit(list(ids))
            return None
        dialog = MentorshipListDialog(title, self.mentorship_frame(ids), self)
        dialog.show()
        return dialog

    # -- report ------------------------------------------------------------------------
    def ask_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export program report", "program-report.html",
            "HTML report (*.html);;PDF report (*.pdf)",
        )  # fmt: skip
        if path:
            self.export_report(path)

    def export_report(self, path: str | Path) -> Task:
        """Write the report for the current filters in a worker."""
        filters = replace(self.state.filters())
        self.progress.start("Writing report…")

        def done(result: object) -> None:
            self.progress.stop()
            self.status_label.setText(f"Report written to {getattr(result, 'path', path)}")

        def failed(error: TaskError) -> None:
            self.progress.stop()
            self.status_label.setText(f"Could not write the report: {error.message}")

        url = self.context.database_url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # an in-memory database exists only in this process
            return self.run(program_report, self.context.engine, path, filters, progress=True,
                            cancel=True, on_success=done, on_error=failed)  # fmt: skip
        # matplotlib draws the charts in another process: in a worker thread it held the
        # interpreter lock long enough to freeze the window (issue 12)
        from mentormatch_desktop.services.process_jobs import program_report_job
        from mentormatch_desktop.ui.processes import run_in_process

        return run_in_process(program_report_job, url, str(path), filters, progress=True,
                              cancel=True, on_success=done, on_error=failed,
                              owner=self)  # fmt: skip
