"""Time series on a real date axis: one line per group (or per column), zoom and pan with
the mouse, and a read-out of every line's value at the period under the cursor."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QWidget

from mentormatch_desktop.ui.charts.base import ChartPanel, colour


def epoch_seconds(dates: pl.Series) -> np.ndarray:
    """Dates or datetimes as Unix seconds (what ``DateAxisItem`` reads)."""
    return dates.cast(pl.Datetime("ms")).dt.epoch("s").to_numpy().astype(float)


class TimeSeriesPanel(ChartPanel):
    """Lines over ``x`` (a date column).

    With ``group`` set, one line per group for the measure chosen in the panel's selector
    (``columns``); without it, one line per column.
    """

    def __init__(
        self,
        title: str,
        columns: list[str],
        *,
        group: str | None = None,
        x: str = "period",
        hint: str = "",
        y_range: tuple[float, float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, hint, parent)
        self.columns, self.group, self.x = columns, group, x
        self.y_range = y_range
        self.selector: QComboBox | None = None
        if group is not None and len(columns) > 1:
            self.selector = QComboBox()
            self.selector.addItems(columns)
            self.selector.currentIndexChanged.connect(lambda _i: self.draw(self.frame))
            self.add_header_widget(self.selector)
        plot = self.plot_widget()
        plot.setAxisItems({"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.getPlotItem().getAxis("bottom").setTextPen(
            self.plot.getPlotItem().getAxis("left").textPen()
        )
        self.keys_label = self.header_legend([])  # keys above the plot, never over a line
        self._times = np.array([])
        self._lines: list[tuple[str, np.ndarray]] = []
        # Lines are made when a first draw needs them and kept: a redraw hands them new
        # points and hides those the new data does not use (line i keeps colour i).
        self._curves: list[pg.PlotDataItem] = []
        self._keys: list[str] = []

    @property
    def measure(self) -> str:
        return self.selector.currentText() if self.selector is not None else self.columns[0]

    def series(self, frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame, str]]:
        """(label, rows, value column) for each line to draw."""
        if frame.is_empty():
            return []
        if self.group is None:
            return [(c.replace("_", " "), frame, c) for c in self.columns]
        totals = frame.group_by(self.group).agg(pl.col(self.measure).sum())
        # A group with nothing for this measure would only add a flat line and a legend entry.
        groups = totals.filter(pl.col(self.measure) > 0)[self.group].sort().to_list()
        return [(str(g), frame.filter(pl.col(self.group) == g), self.measure) for g in groups]

    def _curve(self, i: int) -> pg.PlotDataItem:
        while len(self._curves) <= i:
            pen = pg.mkPen(colour(len(self._curves)), width=2)
            curve = pg.PlotDataItem(pen=pen, connect="finite")
            self.plot.getPlotItem().addItem(curve)
            self._curves.append(curve)
        return self._curves[i]

    @property
    def lines(self) -> list[pg.PlotDataItem]:
        """The line items on show (tests check they survive a redraw)."""
        return [curve for curve in self._curves if curve.isVisible()]

    def draw(self, frame: pl.DataFrame) -> None:
        item = self.plot.getPlotItem()
        self._lines = []
        times = np.unique(epoch_seconds(frame[self.x])) if not frame.is_empty() else np.array([])
        self._times = times
        drawn = self.series(frame)
        self.show_empty(not drawn)
        for i, (label, rows, column) in enumerate(drawn):
            rows = rows.sort(self.x)
            xs = epoch_seconds(rows[self.x])
            ys = rows[column].cast(pl.Float64).to_numpy()
            curve = self._curve(i)
            curve.setData(xs, ys, name=label)
            curve.setVisible(True)
            self._lines.append((label, np.interp(times, xs, ys) if len(xs) else xs))
        for curve in self._curves[len(drawn) :]:
            if curve.isVisible():
                curve.setData([], [])  # no stale points in the auto range or the CSV
                curve.setVisible(False)
        keys = [label for label, _ in self._lines] if len(self._lines) > 1 else []
        if keys != self._keys:
            self.header_legend(keys)
            self._keys = keys
        if drawn:  # new data: back to the whole span, whatever the user zoomed into
            if self.y_range is None:
                item.enableAutoRange(x=True, y=True)
            else:
                item.setYRange(*self.y_range, padding=0.05)
                item.enableAutoRange(x=True)

    def describe(self, x: float, y: float) -> str:
        if not len(self._times):
            return ""
        i = int(np.clip(np.searchsorted(self._times, x), 0, len(self._times) - 1))
        if i > 0 and abs(self._times[i - 1] - x) < abs(self._times[i] - x):
            i -= 1
        day = datetime.fromtimestamp(float(self._times[i]), UTC).date()
        parts = [f"{label}: {values[i]:.3g}" for label, values in self._lines[:6] if len(values)]
        return f"{day} · " + " · ".join(parts)
