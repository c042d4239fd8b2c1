"""Every dashboard panel builds offscreen from the demo database, exports, and drills down."""

from __future__ import annotations

import gc
from pathlib import Path

import polars as pl
import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.analytics import drill
from mentormatch_desktop.config import Settings
from mentormatch_desktop.ui.charts import BarPanel, HistogramPanel, TimeSeriesPanel
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.dashboard import DashboardState, DashboardView
from mentormatch_desktop.ui.workers import running_tasks

pytestmark = pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)


def test_every_panel_draws_from_the_demo(dashboard: DashboardView, tmp_path: Path) -> None:
    assert dashboard.data is not None
    assert dashboard.tiles["enrolled"].value.text() not in ("", "–")
    assert dashboard.program_combo.count() > 1  # filter choices were loaded
    for name, panel in dashboard.panels.items():
        assert not panel.frame.is_empty(), name
        image = panel.card.grab().toImage()
        assert image.width() > 200 and image.height() > 150, name
    grab = dashboard.grab()
    assert not grab.isNull()
    grab.save(str(tmp_path / "dashboard.png"))


def test_panels_export_png_and_csv(dashboard: DashboardView, tmp_path: Path) -> None:
    for name, panel in dashboard.panels.items():
        png = panel.export_png(tmp_path / f"{name}.png")
        assert png.read_bytes()[:4] == b"\x89PNG", name
        csv = panel.export_csv(tmp_path / f"{name}.csv")
        assert pl.read_csv(csv).height == panel.frame.height, name


def test_filter_change_updates_every_panel(qtbot, dashboard: DashboardView) -> None:
    before = dashboard.data
    assert before is not None
    program = before.mentorships["program"].mode().sort()[0]
    with qtbot.waitSignal(dashboard.loaded, timeout=60_000):
        dashboard.set_state(DashboardState(program=program))
    after = dashboard.data
    assert after is not None and after is not before
    assert set(after.mentorships["program"].unique()) == {program}
    assert dashboard.panels["funnel"].frame["participants"][0] < before.funnel["participants"][0]
    assert set(dashboard.panels["engagement"].frame["group"].unique()) == {program}
    assert program in dashboard.status_label.text()


def test_program_combo_drives_the_filter(qtbot, dashboard: DashboardView) -> None:
    with qtbot.waitSignal(dashboard.loaded, timeout=60_000):
        dashboard.program_combo.setCurrentIndex(1)
    assert dashboard.state.program == dashboard.program_combo.currentText()
    assert dashboard.data is not None
    assert set(dashboard.data.mentorships["program"].unique()) <= {dashboard.state.program}


def test_click_through_lists_the_mentorships_behind_a_bar(qtbot, dashboard: DashboardView) -> None:
    funnel = dashboard.panels["funnel"]
    assert isinstance(funnel, BarPanel)
    assert "participants" in funnel.describe(10.0, 1.0)  # hover read-out over "matched"
    with qtbot.waitSignal(funnel.drill_down) as signal:
        funnel.clicked_at(10.0, 2.0)  # third bar: first session
    title, ids = signal.args
    assert "First session" in title  # stages written as the tiles write them
    assert funnel._names[:3] == ["Enrolled", "Matched", "First session"]
    facts = dashboard.data.mentorships
    expected = facts.filter(pl.col("sessions_held") >= 1)["mentorship_id"].to_list()
    assert sorted(ids) == sorted(expected)
    dialog = dashboard.show_mentorships(title, ids)
    assert dialog.model.rowCount() == len(ids)
    dialog.close()


def test_histogram_and_time_series_read_outs(dashboard: DashboardView) -> None:
    load = dashboard.panels["mentor_load"]
    assert isinstance(load, HistogramPanel)
    assert "load" in load.describe(1.1, 0.0)
    ids = load.drill(1.0, 1.25)  # mentors at or just over capacity
    assert ids and set(ids) <= set(dashboard.data.mentorships["mentorship_id"].to_list())
    engagement = dashboard.panels["engagement"]
    assert isinstance(engagement, TimeSeriesPanel)
    middle = float(engagement._times[len(engagement._times) // 2])
    assert " · " in engagement.describe(middle, 0.0)
    assert "events" in dashboard.panels["heatmap"].describe(10.5, 1.5)


def test_report_export_from_the_dashboard(qtbot, dashboard: DashboardView, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    task = dashboard.export_report(target)
    qtbot.waitUntil(lambda: task.done, timeout=120_000)
    assert task.error is None
    assert target.read_text().count("data:image/png;base64") >= 10


def test_coverage_switches_to_time_zones(dashboard: DashboardView) -> None:
    coverage = dashboard.panels["coverage"]
    dashboard.coverage_by.setCurrentIndex(1)
    zones = set(coverage.frame["group"].to_list())
    assert zones == set(dashboard.data.coverage_time_zone["group"].to_list())
    first = coverage.frame.row(0, named=True)
    ids = coverage.drill(first)
    facts = dashboard.data.mentorships
    assert set(facts.filter(pl.col("mentorship_id").is_in(ids))["time_zone"]) == {first["group"]}


def test_at_risk_threshold_is_adjustable(qtbot, dashboard: DashboardView) -> None:
    before = dashboard.data.at_risk.height
    with qtbot.waitSignal(dashboard.loaded, timeout=60_000):
        dashboard.at_risk_days.setValue(120)
    assert dashboard.state.at_risk_days == 120
    risk = dashboard.data.at_risk
    assert risk.height <= before
    # Every pair still listed is silent for longer than 120 days or has an overdue milestone.
    quiet_enough = (pl.col("days_silent") <= 120) & (pl.col("milestones_overdue") == 0)
    assert risk.filter(quiet_enough).is_empty()
    assert dashboard.panels["at_risk"].frame.height == dashboard.data.at_risk.height


def test_dashboard_on_an_empty_database(qtbot, qapp: QApplication, db_url: str) -> None:
    context = AppContext(Settings(database_url=db_url))
    view = DashboardView(context)
    qtbot.addWidget(view)
    view.resize(1200, 1400)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.activate()
    assert view.tiles["enrolled"].value.text() == "0"
    assert view.tiles["mean_rating"].value.text() == "–"
    assert "nobody is enrolled here yet" in view.status_label.text()
    assert not view.grab().isNull()
    qtbot.waitUntil(lambda: running_tasks() == 0, timeout=60_000)
    view.close()
    view.deleteLater()
    qapp.processEvents()
    gc.collect()
    context.close()


def test_at_risk_tile_is_never_green_and_the_list_has_readable_headers(
    dashboard: DashboardView,
) -> None:
    from PySide6.QtCore import Qt

    from mentormatch_desktop.ui.views.dashboard import risk_tone

    assert risk_tone(0, 0.0) == "good"
    assert risk_tone(557, 0.10) == "warn"
    assert risk_tone(40, 0.30) == "bad"
    at_risk = int(dashboard.data.kpis["at_risk"][0])
    if at_risk:
        assert "#1f8a4c" not in dashboard.tiles["at_risk"].value.styleSheet()
    model = dashboard.panels["at_risk"].model
    headers = [model.headerData(i, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
               for i in range(model.columnCount())]  # fmt: skip
    assert "Why at risk" in headers and "Days silent" in headers
    assert all(h[0].isupper() for h in headers)
    if model.rowCount():
        reason = headers.index("Why at risk")
        index = model.index(0, reason)
        assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data()  # the full reason


# -- charts that read (issue 12) ----------------------------------------------------------


def test_every_bar_is_named_on_its_axis(dashboard: DashboardView) -> None:
    """ "Completion by program" and "Coverage" used to show bars without category labels."""
    for name in ("completion", "coverage", "funnel", "satisfaction"):
        panel = dashboard.panels[name]
        assert isinstance(panel, BarPanel)
        ticks = panel.category_ticks
        assert len(ticks) == min(panel.frame.height, panel.max_bars), name
        assert all(t.strip() for t in ticks), name
        if panel.horizontal:  # the axis is wide enough for the names it shows
            axis = panel.plot.getPlotItem().getAxis("left")
            metrics = QFontMetrics(panel.font())
            assert axis.width() >= max(metrics.horizontalAdvance(t) for t in ticks), name


def test_vertical_category_labels_do_not_overlap(dashboard: DashboardView) -> None:
    panel = dashboard.panels["score_vs_outcome"]
    assert isinstance(panel, BarPanel)
    ticks = panel.category_ticks
    assert ticks and ticks[0] == panel._names[0]
    step = len(panel._names) // len(ticks) if len(ticks) < len(panel._names) else 1
    view_width = panel.plot.getPlotItem().getViewBox().width()
    pixels_between_labels = view_width / len(panel._names) * step
    metrics = QFontMetrics(panel.font())
    assert pixels_between_labels >= max(metrics.horizontalAdvance(t) for t in ticks)


def test_shares_are_drawn_from_0_to_100_percent(dashboard: DashboardView) -> None:
    for name in ("completion", "coverage"):
        panel = dashboard.panels[name]
        item = panel.plot.getPlotItem()
        low, high = item.getViewBox().viewRange()[0]  # horizontal bars: x is the share
        assert low <= 0 and 99 <= high <= 110, name
        widths = [w for bars in item.items if hasattr(bars, "opts")
                  for w in (bars.opts.get("width") if bars.opts.get("width") is not None
                            else [])]  # fmt: skip
        assert widths and max(widths) > 1.0 and max(widths) <= 100.0, name
        assert "%" in panel.describe(high / 2, 0.0) or not panel.describe(high / 2, 0.0)


def test_keys_sit_above_the_lines_not_over_them(dashboard: DashboardView) -> None:
    engagement = dashboard.panels["engagement"]
    assert engagement.plot.getPlotItem().legend is None  # no box drawn over the data
    groups = set(engagement.frame["group"].unique().to_list())
    assert engagement.keys_label.isVisibleTo(engagement)
    shown = engagement.keys_label.toolTip().split(", ")
    assert set(shown) <= groups and len(shown) >= 2


def test_funnel_shows_its_numbers_and_hover_agrees_with_click(
    qtbot, dashboard: DashboardView
) -> None:
    funnel = dashboard.panels["funnel"]
    assert isinstance(funnel, BarPanel)
    counts = funnel.frame["participants"].to_list()
    assert [int(t.split()[0].replace(",", "")) for t in funnel.bar_texts] == counts
    for i in range(len(counts)):
        said = funnel.describe(1.0, float(i))
        with qtbot.waitSignal(funnel.drill_down) as signal:
            funnel.clicked_at(1.0, float(i))
        title, ids = signal.args
        n = len(ids)
        assert f"click to list {n:,} mentorship" in said, said
        assert f"({n:,} mentorship" in title


def test_active_pairs_tile_counts_what_its_click_lists(qtbot, dashboard: DashboardView) -> None:
    tile = dashboard.tiles["running"]
    assert tile.label.text() == "Active pairs"  # one word: the Mentorships screen says Active
    shown = int(tile.value.text().replace(",", ""))
    dialog = dashboard.show_mentorships("Active mentorships", drill.running(dashboard.data))
    assert dialog.model.rowCount() == shown
    dialog.close()


def test_chart_context_menu_is_built_on_first_use(dashboard: DashboardView) -> None:
    """The pyqtgraph menu is not built with the chart (it slowed the first open) but is
    still there when asked for."""
    box = dashboard.panels["funnel"].plot.getPlotItem().getViewBox()
    assert box.menu is None and box.menuEnabled()
    menu = box.getMenu(None)
    assert menu is not None and box.menu is menu
    assert [a.text() for a in box.getContextMenus(None)] == [a.text() for a in menu.actions()]
    assert any("View All" in a.text() for a in menu.actions())


def test_a_zero_share_still_shows_its_number(qtbot, database_factory) -> None:
    """A 0 % completion rate draws no bar; its "0 %" must still be written (issue 12)."""
    panel = BarPanel(
        "Completion by program",
        "program",
        ["completion_rate", "early_end_rate"],
        percent=True,
        horizontal=True,
    )
    qtbot.addWidget(panel)
    panel.resize(520, 300)
    frame = pl.DataFrame(
        {
            "program": ["Alpha", "Beta", "Gamma"],
            "completion_rate": [0.0, 0.75, None],
            "early_end_rate": [1.0, 0.25, None],
        }
    )
    panel.set_frame(frame)
    texts = panel.bar_texts
    assert texts == ["0 %", "75 %", "–", "100 %", "25 %", "–"]
    item = panel.plot.getPlotItem()
    items = [i for i in item.items if getattr(i, "textItem", None) is not None]
    zero = next(i for i in items if i.textItem.toPlainText() == "0 %")
    low, high = item.getViewBox().viewRange()[0]
    assert low <= zero.pos().x() < high  # written where the (empty) bar starts, inside the plot
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab().save("/tmp/zero_share.png")


def test_completion_on_the_demo_names_every_share(dashboard: DashboardView) -> None:
    panel = dashboard.panels["completion"]
    shown = panel.frame.head(panel.max_bars)
    assert len(panel.bar_texts) == shown.height * len(panel.values)
    assert all(t.endswith(" %") or t == "–" for t in panel.bar_texts)
