"""Bar charts (categories) and histograms (a numeric column binned), both clickable."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.charts.base import ChartPanel, colour, numbers

RowDrill = Callable[[dict[str, object]], list[int]]
RangeDrill = Callable[[float, float], list[int]]


def _fmt(value: object, percent: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0%}" if percent else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


class PercentAxis(pg.AxisItem):
    """A value axis for shares: the data are drawn as 0–100 and read 0 %, 50 %, 100 %
    (three labels fit a narrow panel; the quarters get grid lines without labels)."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)  # fixed ticks; no title re-rendered on a redraw
        self.setStyle(hideOverlappingLabels=False)  # "0 %" and "100 %" sit at the very ends
        self.setTicks([[(v, f"{v} %") for v in (0, 50, 100)], [(25, ""), (75, "")]])


def _mentorships(n: int) -> str:
    return f"{n:,} mentorship" + ("" if n == 1 else "s")


class BarPanel(ChartPanel):
    """One bar per row of the frame (grouped bars for several value columns).

    ``labels`` names the category column; every bar is named on the category axis (the
    axis widens to fit horizontal labels; vertical labels are thinned out rather than
    drawn over each other, and the read-out always names the bar under the mouse).
    Shares (``percent``) are drawn on a 0–100 % axis. ``annotate(row)`` writes a number
    at the end of each bar (the funnel's counts). Clicking a bar calls ``drill(row)``
    (when set) for the mentorship ids behind it and emits ``drill_down``; the read-out
    says how many that click will list, so hover and click agree.
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
        annotate: Callable[[dict[str, object]], str] | None = None,
        category_label: str = "",
        value_label: str = "",
        hint: str = "",
        name_of: Callable[[object], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, hint, parent)
        self.labels, self.values = labels, list(values)
        #: how a category value is written on the axis and in the read-out
        self.name_of = name_of or (lambda value: str(value).replace("_", " "))
        self.horizontal, self.percent, self.max_bars = horizontal, percent, max_bars
        self.annotate = annotate
        self.drill: RowDrill | None = None
        plot = self.plot_widget()
        plot.setMouseEnabled(x=False, y=False)
        item = plot.getPlotItem()
        item.hideButtons()
        value_side = "bottom" if horizontal else "left"
        if percent:
            axis = PercentAxis(value_side)
            palette = theme.current()
            axis.setPen(pg.mkPen(palette.border_strong))
            axis.setTextPen(pg.mkPen(palette.muted))
            plot.setAxisItems({value_side: axis})
        category_side = "left" if horizontal else "bottom"
        if category_label:
            item.setLabel(category_side, category_label)
        if value_label:
            item.setLabel(value_side, value_label)
        if horizontal:
            item.invertY(True)  # the first category on top
        self._rows: list[dict[str, object]] = []
        self._names: list[str] = []
        # One bar item per value column and a pool of number labels, made once: a redraw
        # only hands them new data (rebuilding them cost up to 38 ms a panel, issue 12).
        self._bars: list[pg.BarGraphItem] = []
        for j in range(len(self.values)):
            brush = pg.mkBrush(colour(j))
            if horizontal:
                bars = pg.BarGraphItem(x0=0, y=[0.0], height=0.5, width=[0.0], brush=brush,
                                       pen=None)  # fmt: skip
            else:
                bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.5, brush=brush, pen=None)
            bars.setVisible(False)
            item.addItem(bars)
            self._bars.append(bars)
        self._text_pool: list[pg.TextItem] = []
        self._texts: list[pg.TextItem] = []  # the labels in use, in drawing order
        # Labels are fitted to the plot's real width, whenever it changes.
        item.getViewBox().sigResized.connect(lambda *_: self._fit_categories())
        if len(self.values) > 1:
            self.header_legend(self.values)

    def draw(self, frame: pl.DataFrame) -> None:
        item = self.plot.getPlotItem()
        shown = frame.head(self.max_bars)
        self._say_what_is_left_out(frame.height, shown.height)
        self._rows = list(shown.iter_rows(named=True))
        self._names = [self._label(r) for r in self._rows]
        n, k = shown.height, len(self.values)
        columns = [np.nan_to_num(numbers(shown[c]), nan=0.0) for c in self.values]
        # Counts that are all zero draw nothing at all (an empty period): say so. A share
        # of 0 % is a finding, written as "0 %", so percent charts always draw.
        empty = n == 0 or (not self.percent and not any(c.any() for c in columns))
        self.show_empty(empty)
        if empty:
            self._say_what_is_left_out(0, 0)
            self._rows, self._names = [], []
            for bars in self._bars:
                bars.setVisible(False)
            self._use_texts(0)
            self._fit_categories()
            return
        width = 0.8 / k
        positions = np.arange(n, dtype=float)
        scale = 100.0 if self.percent else 1.0
        top = 0.0
        for j, values in enumerate(columns):
            heights = values * scale
            top = max(top, float(heights.max()) if len(heights) else 0.0)
            offset = positions - 0.4 + width * (j + 0.5)
            bars = self._bars[j]
            if self.horizontal:
                bars.setOpts(x0=0, y=offset, height=width * 0.9, width=heights)
            else:
                bars.setOpts(x=offset, height=heights, width=width * 0.9)
            bars.setVisible(True)
        if self.annotate is not None or self.percent:
            self._write_numbers(positions, width, top, scale)
        else:
            self._use_texts(0)
        span = 100.0 if self.percent else max(top, 1.0)
        # Room after the longest bar for its number (horizontal) or above it (vertical).
        headroom = 1.1 if self.annotate is not None else 1.0
        pad = 0.02 * span * headroom  # a little air at both ends of the value axis
        values = (-pad, span * headroom + pad)
        categories = (-0.6, max(n, 1) - 0.4)
        # One range change for both axes: each change re-lays out the axes and ticks.
        if self.horizontal:
            item.setRange(xRange=values, yRange=categories, padding=0)
        else:
            item.setRange(xRange=categories, yRange=values, padding=0)
        self._fit_categories()

    def _say_what_is_left_out(self, total: int, shown: int) -> None:
        """A footnote when the frame has more rows than bars are drawn: without it a group
        past the cut (the 15th department) looked as if it had no data at all."""
        note = getattr(self, "more_label", None)
        if total <= shown:
            if note is not None:
                note.setVisible(False)
            return
        if note is None:
            note = QLabel(objectName="hint")
            note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.body_layout.addWidget(note)
            self.more_label = note
        note.setText(f"The first {shown} of {total:,} are shown; the CSV button saves all.")
        note.setVisible(True)

    def _use_texts(self, count: int) -> list[pg.TextItem]:
        """The first ``count`` number labels of the pool (made when first needed), shown;
        the rest hidden."""
        item = self.plot.getPlotItem()
        while len(self._text_pool) < count:
            text = pg.TextItem("")
            item.addItem(text)
            self._text_pool.append(text)
        for text in self._text_pool[count:]:
            if text.isVisible():
                text.setVisible(False)
        self._texts = self._text_pool[:count]
        return self._texts

    def _write_numbers(self, positions: np.ndarray, width: float, top: float, scale: float) -> None:
        """A number at the end of each bar: ``annotate(row)`` for the first value column,
        or every share of a percent chart ("0 %" too: a zero bar is not drawn at all, so
        without its number a 0 % rate looks like missing data; "–" when there is none)."""
        palette = theme.current()
        columns = self.values[:1] if self.annotate is not None else self.values
        texts = iter(self._use_texts(len(columns) * len(self._rows)))
        for j, column in enumerate(columns):
            for i, row in enumerate(self._rows):
                raw = row[column]
                value = float(raw or 0.0) * scale
                if self.annotate is not None:
                    label = self.annotate(row)
                else:
                    label = "–" if raw is None else f"{value:.0f} %"
                # A long bar carries its number inside its end, in white; a short one
                # just after it: the number is never cut by the panel's edge.
                inside = value > 0.55 * max(top, 1e-9)
                if self.horizontal:
                    anchor = (1.0, 0.5) if inside else (0.0, 0.5)
                else:
                    anchor = (0.5, 0.0) if inside else (0.5, 1.0)
                text = next(texts)
                look = (label, inside, palette.text)
                if getattr(text, "look", None) != look:  # re-rendering text is the dear part
                    text.setText(label, color="#ffffff" if inside else palette.text)
                    text.setAnchor(anchor)
                    text.look = look
                at = float(positions[i]) - 0.4 + width * (j + 0.5) if len(columns) > 1 else i
                text.setPos(value, float(at)) if self.horizontal else text.setPos(float(at), value)
                text.setVisible(True)

    # -- the category axis -------------------------------------------------------------
    def _fit_categories(self) -> None:
        """Name every bar on the category axis without labels overlapping or being cut:
        horizontal charts widen the axis for the longest name (up to 40 % of the panel,
        longer names are shortened in the middle); vertical charts label every bar when
        they fit side by side, else every second or third one."""
        item = self.plot.getPlotItem()
        axis = item.getAxis("left" if self.horizontal else "bottom")
        if not self._names:  # no bars: no names left over from the last data either
            axis.setTicks([[], []])
            return
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        if self.horizontal:
            limit = max(60, int(self.width() * 0.4))
            texts = [metrics.elidedText(t, Qt.TextElideMode.ElideMiddle, limit)
                     for t in self._names]  # fmt: skip
            widest = max(metrics.horizontalAdvance(t) for t in texts)
            axis.setWidth(widest + 14)
            axis.setTicks([[(float(i), t) for i, t in enumerate(texts)]])
            return
        available = max(1.0, item.getViewBox().width())
        slot = available / len(self._names)  # pixels per bar
        widest = max(metrics.horizontalAdvance(t) for t in self._names) + 8
        step = max(1, int(np.ceil(widest / max(slot, 1.0))))
        major = [(float(i), t) for i, t in enumerate(self._names) if i % step == 0]
        minor = [(float(i), "") for i in range(len(self._names)) if i % step]
        axis.setTicks([major, minor])

    @property
    def category_ticks(self) -> list[str]:
        """The names written on the category axis (tests read them)."""
        axis = self.plot.getPlotItem().getAxis("left" if self.horizontal else "bottom")
        ticks = getattr(axis, "_tickLevels", None) or []
        return [text for level in ticks[:1] for _, text in level]

    @property
    def bar_texts(self) -> list[str]:
        """The numbers written at the bars (empty unless ``annotate``)."""
        return [t.textItem.toPlainText() for t in self._texts]

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
        text = f"{self._label(row)} · {values}"
        if self.drill is not None:
            text += f" · click to list {_mentorships(len(self.drill(row)))}"
        return text

    def clicked_at(self, x: float, y: float) -> None:
        i = self._index(x, y)
        if i is None or self.drill is None:
            return
        row = self._rows[i]
        ids = self.drill(row)
        self.drill_down.emit(f"{self.title}: {self._label(row)} ({_mentorships(len(ids))})", ids)

    def _label(self, row: dict[str, object]) -> str:
        return self.name_of(row[self.labels])


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
        # One step curve per column (and the marker line), made once; a redraw hands them
        # new counts.
        item = plot.getPlotItem()
        self._curves: list[pg.PlotDataItem] = []
        for j in range(len(self.columns)):
            fill = pg.mkColor(colour(j))
            fill.setAlpha(170 if len(self.columns) > 1 else 255)
            curve = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=pg.mkBrush(fill),
                                    pen=pg.mkPen(theme.current().surface))  # fmt: skip
            curve.setVisible(False)
            item.addItem(curve)
            self._curves.append(curve)
        if marker is not None:
            dashed = pg.mkPen(theme.current().text, style=Qt.PenStyle.DashLine)
            item.addLine(x=marker, pen=dashed)

    def draw(self, frame: pl.DataFrame) -> None:
        values = [numbers(frame[c]) if c in frame.columns else np.array([])
                  for c in self.columns]  # fmt: skip
        values = [v[~np.isnan(v)] for v in values]
        everything = np.concatenate(values) if values else np.array([])
        self._counts = []
        self.show_empty(everything.size == 0)
        if everything.size == 0:
            self._edges = np.array([])
            for curve in self._curves:
                curve.setVisible(False)
            return
        if isinstance(self.bins, int):
            hi = float(np.percentile(everything, 98)) if everything.size > 20 else everything.max()
            edges = np.histogram_bin_edges(
                everything, bins=self.bins, range=(everything.min(), max(hi, everything.min() + 1))
            )
        else:
            edges = np.asarray(self.bins, dtype=float)
        self._edges = edges
        top = 0
        for data, curve in zip(values, self._curves, strict=True):
            counts, _ = np.histogram(np.clip(data, edges[0], edges[-1]), bins=edges)
            self._counts.append(counts)
            top = max(top, int(counts.max()) if counts.size else 0)
            curve.setData(edges, counts)
            curve.setVisible(True)
        left, right = float(edges[0]), float(edges[-1])
        if self.marker is not None:
            left, right = min(left, self.marker), max(right, self.marker)
        # Set rather than auto-ranged: the range is known, and one change re-lays out the
        # axes once.
        self.plot.getPlotItem().setRange(xRange=(left, right), yRange=(0, max(top, 1)))

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
        text = f"{lo:.3g}–{hi:.3g} · {counts}"
        if self.drill is not None:
            text += f" · click to list {_mentorships(len(self.drill(float(lo), float(hi))))}"
        return text

    def clicked_at(self, x: float, y: float) -> None:
        b = self._bin(x)
        if b is None or self.drill is None:
            return
        lo, hi = float(self._edges[b]), float(self._edges[b + 1])
        ids = self.drill(lo, hi)
        self.drill_down.emit(f"{self.title}: {lo:.3g}–{hi:.3g} ({_mentorships(len(ids))})", ids)
