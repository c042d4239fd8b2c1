"""Bar charts (categories) and histograms (a numeric column binned), both clickable."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.charts.base import ChartPanel, colour

RowDrill = Callable[[dict[str, object]], list[int]]
RangeDrill = Callable[[float, float], list[int]]


def _fmt(value: object, percent: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0%}" if percent else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


class BarPanel(ChartPanel):
    """One bar per row of the frame (grouped bars for several value columns).

    ``labels`` names the category column. Clicking a bar calls ``drill(row)`` (when set)
    for the mentorship ids behind it and emits ``drill_down``.
    """

    def __init__(
        self,
        title: str,
        labels: str,
        values: Sequence[str],
        *,
        horizontal: bool = False,
        percent: bool = False,
        max_bars: int = 14,
        hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, hint, parent)
        self.labels, self.values = labels, list(values)
        self.horizontal, self.percent, self.max_bars = horizontal, percent, max_bars
        self.drill: RowDrill | None = None
        plot = self.plot_widget()
        plot.setMouseEnabled(x=False, y=False)
        plot.getPlotItem().hideButtons()
        self._rows: list[dict[str, object]] = []
        if len(self.values) > 1:
            self.header_legend(self.values)

    def draw(self, frame: pl.DataFrame) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        shown = frame.head(self.max_bars)
        self._rows = list(shown.iter_rows(named=True))
        n, k = shown.height, len(self.values)
        width = 0.8 / k
        positions = np.arange(n, dtype=float)
        for j, column in enumerate(self.values):
            heights = shown[column].cast(pl.Float64).fill_null(0.0).to_numpy()
            offset = positions - 0.4 + width * (j + 0.5)
            brush = pg.mkBrush(colour(j))
            if self.horizontal:
                bars = pg.BarGraphItem(x0=0, y=offset, height=width * 0.9, width=heights,
                                       brush=brush, pen=None)  # fmt: skip
            else:
                bars = pg.BarGraphItem(x=offset, height=heights, width=width * 0.9, brush=brush,
                                       pen=None)  # fmt: skip
            item.addItem(bars)
        names = [self._label(r) for r in self._rows]
        ticks = [[(float(i), self._short(t)) for i, t in enumerate(names)]]
        axis = item.getAxis("left" if self.horizontal else "bottom")
        axis.setTicks(ticks)
        other = item.getAxis("bottom" if self.horizontal else "left")
        other.setTicks(None)
        if self.horizontal:
            item.invertY(True)
        item.autoRange()
        if self.percent:
            (item.setXRange if self.horizontal else item.setYRange)(0, 1.0, padding=0.02)

    @staticmethod
    def _short(text: str, limit: int = 18) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def _index(self, x: float, y: float) -> int | None:
        pos = y if self.horizontal else x
        i = round(pos)
        return i if 0 <= i < len(self._rows) and abs(pos - i) <= 0.45 else None

    def describe(self, x: float, y: float) -> str:
        i = self._index(x, y)
        if i is None:
            return ""
        row = self._rows[i]
        values = " · ".join(
            f"{c.replace('_', ' ')}: {_fmt(row[c], self.percent)}" for c in self.values
        )
        return f"{self._label(row)} · {values}" + (" · click for pairs" if self.drill else "")

    def clicked_at(self, x: float, y: float) -> None:
        i = self._index(x, y)
        if i is None or self.drill is None:
            return
        row = self._rows[i]
        self.drill_down.emit(f"{self.title}: {self._label(row)}", self.drill(row))

    def _label(self, row: dict[str, object]) -> str:
        return str(row[self.labels]).replace("_", " ")


class HistogramPanel(ChartPanel):
    """The distribution of one or two numeric columns; clicking a bin lists its pairs."""

    def __init__(
        self,
        title: str,
        columns: Sequence[str],
        *,
        bins: int | Sequence[float] = 20,
        x_label: str = "",
        marker: float | None = None,
        hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, hint, parent)
        self.columns, self.bins, self.marker = list(columns), bins, marker
        self.drill: RangeDrill | None = None
        plot = self.plot_widget()
        plot.setMouseEnabled(x=True, y=False)
        plot.getPlotItem().setLabel("bottom", x_label)
        if len(self.columns) > 1:
            self.header_legend(self.columns)
        self._edges = np.array([])
        self._counts: list[np.ndarray] = []

    def draw(self, frame: pl.DataFrame) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        self._counts = []
        values = [frame[c].drop_nulls().cast(pl.Float64).to_numpy() if c in frame.columns
                  else np.array([]) for c in self.columns]  # fmt: skip
        everything = np.concatenate(values) if values else np.array([])
        if everything.size == 0:
            self._edges = np.array([])
            return
        if isinstance(self.bins, int):
            hi = float(np.percentile(everything, 98)) if everything.size > 20 else everything.max()
            edges = np.histogram_bin_edges(
                everything, bins=self.bins, range=(everything.min(), max(hi, everything.min() + 1))
            )
        else:
            edges = np.asarray(self.bins, dtype=float)
        self._edges = edges
        for j, data in enumerate(values):
            counts, _ = np.histogram(np.clip(data, edges[0], edges[-1]), bins=edges)
            self._counts.append(counts)
            fill = pg.mkColor(colour(j))
            fill.setAlpha(170 if len(self.columns) > 1 else 255)
            brush = pg.mkBrush(fill)
            pen = pg.mkPen(theme.current().surface)
            item.plot(edges, counts, stepMode="center", fillLevel=0, brush=brush, pen=pen)
        if self.marker is not None:
            dashed = pg.mkPen(theme.current().text, style=Qt.PenStyle.DashLine)
            item.addLine(x=self.marker, pen=dashed)
        item.autoRange()

    def _bin(self, x: float) -> int | None:
        if len(self._edges) < 2 or not self._edges[0] <= x <= self._edges[-1]:
            return None
        return int(min(np.searchsorted(self._edges, x, side="right") - 1, len(self._edges) - 2))

    def describe(self, x: float, y: float) -> str:
        b = self._bin(x)
        if b is None:
            return ""
        lo, hi = self._edges[b], self._edges[b + 1]
        counts = " · ".join(f"{c.replace('_', ' ')}: {int(n[b])}"
                            for c, n in zip(self.columns, self._counts, strict=True))  # fmt: skip
        return f"{lo:.3g}–{hi:.3g} · {counts}" + (" · click for pairs" if self.drill else "")

    def clicked_at(self, x: float, y: float) -> None:
        b = self._bin(x)
        if b is None or self.drill is None:
            return
        lo, hi = float(self._edges[b]), float(self._edges[b + 1])
        self.drill_down.emit(f"{self.title}: {lo:.3g}–{hi:.3g}", self.drill(lo, hi))
