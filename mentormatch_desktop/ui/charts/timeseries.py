"""Time series on a real date axis: one line per group (or per column), zoom and pan with
the mouse, and a read-out of every line's value at the period under the cursor."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QWidget

from mentormatch_desktop.ui.charts.base import ChartPanel, colour, numbers


def epoch_seconds(dates: pl.Series) -> np.ndarray:
    """Dates or datetimes as Unix seconds (what ``DateAxisItem`` reads); missing ones NaN.

    Through numpy: polars' ``cast``/``dt.epoch`` are a query each, a millisecond apiece on
    the GUI thread.
    """
    values = dates.to_numpy()
    if not np.issubdtype(values.dtype, np.datetime64):
        return dates.cast(pl.Datetime("ms")).dt.epoch("s").to_numpy().astype(float)
    seconds = values.astype("datetime64[s]")
    out = seconds.astype(np.int64).astype(float)
    out[np.isnat(seconds)] = np.nan
    return out


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
        dates = pg.DateAxisItem(orientation="bottom")
        dates.enableAutoSIPrefix(False)  # as ``plot_widget`` does for the other axes
        plot.setAxisItems({"bottom": dates})
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

    def series(self, frame: pl.DataFrame) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(label, times, values) for each line to draw, in time order.

        Split with numpy on columns taken out once: a polars ``filter``/``sort`` per line
        was a query each on the GUI thread.
        """
        if frame.is_empty():
            return []
        times = epoch_seconds(frame[self.x])
        order = np.argsort(times, kind="stable")
        times = times[order]
        if self.group is None:
            return [(c.replace("_", " "), times, numbers(frame[c])[order]) for c in self.columns]
        values = numbers(frame[self.measure])[order]
        groups = np.array(frame[self.group].to_list(), dtype=object)[order]
        lines = []
        for group in sorted({g for g in groups if g is not None}, key=str):
            mine = groups == group
            # A group with nothing for this measure would only add a flat line and a key.
            if np.nansum(values[mine]) > 0:
                lines.append((str(group), times[mine], values[mine]))
        return lines

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
        drawn = self.series(frame)
        times = np.unique(np.concatenate([xs for _, xs, _ in drawn])) if drawn else np.array([])
        times = times[~np.isnan(times)]
        self._times = times
        self.show_empty(not drawn)
        for i, (label, xs, ys) in enumerate(drawn):
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
