"""Dashboard charts update in place (issue 12): a filter change hands new data to the plot
items made when the panel was built, instead of clearing and rebuilding them."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from mentormatch_desktop.ui.charts import BarPanel, HeatmapPanel, HistogramPanel, TimeSeriesPanel
from mentormatch_desktop.ui.views.dashboard import CUSTOM, DashboardState, DashboardView

sqlite = pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)


def _show(qtbot, view: DashboardView, state: DashboardState) -> None:
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.set_state(state)


def _plot_items(view: DashboardView) -> dict[str, list[object]]:
    """Every graphics item in every chart, by panel."""
    return {
        name: list(panel.plot.getPlotItem().items)
        for name, panel in view.panels.items()
        if hasattr(panel, "plot")
    }


def _bar_lengths(panel: BarPanel, j: int = 0) -> list[float]:
    bars = panel._bars[j]
    key = "width" if panel.horizontal else "height"
    return [float(v) for v in np.atleast_1d(bars.opts[key])]


@sqlite
def test_a_filter_change_keeps_every_plot_item_and_shows_the_new_data(
    qtbot, dashboard: DashboardView
) -> None:
    plots = {name: panel.plot for name, panel in dashboard.panels.items() if hasattr(panel, "plot")}
    before = _plot_items(dashboard)
    funnel = dashboard.panels["funnel"]
    engagement = dashboard.panels["engagement"]
    assert isinstance(funnel, BarPanel) and isinstance(engagement, TimeSeriesPanel)
    funnel_bars, lines = funnel._bars[0], list(engagement.lines)
    assert len(lines) >= 2  # one line per program

    program = dashboard.data.mentorships["program"].mode().sort()[0]
    _show(qtbot, dashboard, DashboardState(program=program))

    # The same plots and the same bar and line items, now drawing the program's data.
    for name, plot in plots.items():
        assert dashboard.panels[name].plot is plot, name
        assert set(map(id, before[name])) <= set(map(id, plot.getPlotItem().items)), name
    assert funnel._bars[0] is funnel_bars
    assert _bar_lengths(funnel) == [float(v) for v in funnel.frame["participants"]]
    assert [int(t.split()[0].replace(",", "")) for t in funnel.bar_texts] == funnel.frame[
        "participants"
    ].to_list()
    assert engagement.lines == lines[:1]  # one program: its line, the others hidden
    assert not engagement.keys_label.isVisibleTo(engagement)  # one line needs no keys
    shown = engagement.lines[0].getData()[1]
    measure = engagement.measure
    expected = engagement.frame.sort("period")[measure].cast(pl.Float64).to_numpy()
    assert np.array_equal(shown, expected)
    assert all(line.getData()[0] is None or not line.getData()[0].size for line in lines[1:])

    # Back to every program: the hidden lines come back, no item was added on the way.
    _show(qtbot, dashboard, DashboardState())
    assert engagement.lines == lines
    assert {name: len(items) for name, items in _plot_items(dashboard).items()} == {
        name: len(items) for name, items in before.items()
    }


@sqlite
def test_a_program_with_fewer_categories_drops_the_old_labels(
    qtbot, dashboard: DashboardView
) -> None:
    completion = dashboard.panels["completion"]
    assert isinstance(completion, BarPanel)
    programs = completion.category_ticks
    assert len(programs) >= 2
    texts_before = len(completion.bar_texts)

    _show(qtbot, dashboard, DashboardState(program=programs[-1]))
    assert completion.category_ticks == [programs[-1]]
    assert len(completion.bar_texts) == len(completion.values) < texts_before
    hidden = [t for t in completion._text_pool if t not in completion._texts]
    assert hidden and not any(t.isVisible() for t in hidden)  # old numbers are not drawn
    assert all(len(_bar_lengths(completion, j)) == 1 for j in range(len(completion.values)))
    assert completion.describe(50.0, 1.0) == ""  # nothing is read out under a second row


@sqlite
def test_an_empty_period_shows_the_empty_state_then_data_shows_the_charts(
    qtbot, dashboard: DashboardView
) -> None:
    engagement = dashboard.panels["engagement"]
    heatmap = dashboard.panels["heatmap"]
    lines = list(engagement.lines)
    long_ago = DashboardState(period_days=CUSTOM, start=date(2001, 1, 1), end=date(2001, 1, 31))
    _show(qtbot, dashboard, long_ago)
    assert engagement.frame.is_empty() and engagement.is_empty
    assert not engagement.lines and not engagement.describe(0.0, 0.0)
    assert heatmap.is_empty
    # Zero counts draw no bar: the funnel and the ratings say so instead of empty axes,
    # and no colour keys stand above a chart that is not there.
    funnel, waiting = dashboard.panels["funnel"], dashboard.panels["time_to_match"]
    assert funnel.is_empty and dashboard.panels["satisfaction"].is_empty
    assert funnel.describe(1.0, 0.0) == "" and funnel.category_ticks == []
    assert waiting.is_empty and not waiting.keys_label.isVisibleTo(waiting)
    assert engagement.empty_label.isVisibleTo(engagement)
    assert not engagement.plot.isVisibleTo(engagement)

    _show(qtbot, dashboard, DashboardState())
    assert not engagement.is_empty and engagement.plot.isVisibleTo(engagement)
    assert engagement.lines == lines  # the same items, drawing again
    assert not heatmap.is_empty
    assert not funnel.is_empty and len(funnel.bar_texts) == funnel.frame.height
    assert waiting.keys_label.isVisibleTo(waiting)


def test_every_panel_kind_goes_empty_and_back(qtbot) -> None:
    """Each chart kind, on its own: data, nothing, data again, with the same items."""
    bars = BarPanel("Coverage", "group", ["coverage"], horizontal=True, percent=True)
    histogram = HistogramPanel("Load", ["load"], bins=[0, 0.5, 1.0, 1.5], marker=1.0)
    series = TimeSeriesPanel("Engagement", ["sessions"], group="group")
    heatmap = HeatmapPanel("Activity")
    panels = (bars, histogram, series, heatmap)
    for panel in panels:
        qtbot.addWidget(panel)
        panel.resize(500, 300)
        panel.show()
    coverage = pl.DataFrame({"group": ["Sales", "Research"], "coverage": [0.5, 1.0]})
    load = pl.DataFrame({"load": [0.2, 0.7, 1.2, 1.3]})
    weeks = pl.date_range(date(2026, 1, 5), date(2026, 2, 2), "1w", eager=True)
    engagement = pl.DataFrame(
        {"period": weeks, "group": ["A"] * len(weeks), "sessions": list(range(len(weeks)))}
    )
    activity = pl.DataFrame({"weekday": [0, 3], "hour": [9, 14], "events": [4, 7]})
    full = {bars: coverage, histogram: load, series: engagement, heatmap: activity}

    for panel, frame in full.items():
        panel.set_frame(frame)
        assert not panel.is_empty, panel.title
    items = {panel: list(panel.plot.getPlotItem().items) for panel in panels}

    for panel, frame in full.items():
        panel.set_frame(frame.clear())
        assert panel.is_empty, panel.title
        assert panel.describe(0.5, 0.5) == "", panel.title
    assert bars.category_ticks == [] and bars.bar_texts == []
    assert not any(b.isVisible() for b in bars._bars)
    assert not any(c.isVisible() for c in histogram._curves)

    for panel, frame in full.items():
        panel.set_frame(frame)
        assert not panel.is_empty, panel.title
        assert list(panel.plot.getPlotItem().items) == items[panel], panel.title
    assert bars.category_ticks == ["Sales", "Research"]
    assert bars.bar_texts == ["50 %", "100 %"]
    assert list(histogram._counts[0]) == [1, 1, 2]
    assert list(series.lines[0].getData()[1]) == list(range(len(weeks)))
    assert heatmap.grid[3, 14] == 7


def test_heatmap_colour_key_names_the_highest_count_and_fits_it(qtbot) -> None:
    panel = HeatmapPanel("Activity by weekday and hour")
    qtbot.addWidget(panel)
    narrow = panel.colour_scale.minimumWidth()
    panel.draw(pl.DataFrame({"weekday": [2, 4], "hour": [14, 9], "events": [12_000, 600]}))
    assert (panel.colour_scale.low, panel.colour_scale.high) == (0.0, 12_000.0)
    assert panel.image.levels is not None and tuple(panel.image.levels) == (0, 12_000)
    # "12,000" is wider than "1": the key grows so the number is never cut.
    assert panel.colour_scale.minimumWidth() > narrow
    panel.draw(pl.DataFrame({"weekday": [0], "hour": [9], "events": [3]}))
    assert panel.colour_scale.high == 3.0
    assert panel.colour_scale.minimumWidth() == narrow  # narrow again for a short number


def test_a_bar_chart_says_when_it_leaves_groups_out(qtbot) -> None:
    """Coverage draws the first 14 groups; the 15th department must not just vanish."""
    panel = BarPanel("Coverage", "group", ["coverage"], horizontal=True, percent=True)
    qtbot.addWidget(panel)
    panel.resize(420, 320)
    panel.show()
    many = pl.DataFrame({"group": [f"Dept {i:02d}" for i in range(23)],
                         "coverage": [0.5] * 23})  # fmt: skip
    panel.set_frame(many)
    assert panel.more_label.isVisible()
    assert panel.more_label.text() == "The first 14 of 23 are shown; the CSV button saves all."
    panel.set_frame(many.head(5))
    assert not panel.more_label.isVisible()
    panel.set_frame(many.head(0))
    assert not panel.more_label.isVisible()
