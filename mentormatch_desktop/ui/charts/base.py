"""The frame every dashboard panel sits in: title, hover read-out, export buttons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.widgets import card


class LazyMenuViewBox(pg.ViewBox):
    """A ViewBox whose right-click menu is built on first use, not with the plot.

    pyqtgraph builds the menu (two axis panels of widgets) in every ViewBox's constructor:
    about a third of the time it takes to make a chart, paid on the GUI thread for twelve
    charts when the Dashboard opens, for a menu few users ever open.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["enableMenu"] = False
        super().__init__(*args, **kwargs)
        self.state["enableMenu"] = True  # enabled; ``getMenu`` builds it when first asked

    def getMenu(self, ev: object) -> object:
        if self.menu is None and self.menuEnabled():
            self.menu = ViewBoxMenu(self)
            self.updateViewLists()
        return self.menu

    def getContextMenus(self, event: object) -> list[object]:
        menu = self.getMenu(event) if self.menuEnabled() else None
        return menu.actions() if menu is not None else []


def numbers(column: pl.Series) -> np.ndarray:
    """A numeric column as float64, missing values as NaN.

    Straight to numpy rather than through polars expressions (``cast``, ``fill_null``,
    ``drop_nulls``): each of those is a query of its own, about a millisecond apiece on the
    GUI thread, and a redraw made dozens of them.
    """
    return np.asarray(column.to_numpy(), dtype=np.float64)


SERIES_COLOURS = ("#3b6fd8", "#e07b39", "#2e9d5b", "#c53030", "#8e5ea2", "#7f8c8d", "#c9a227")


def colour(i: int) -> str:
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


class ChartPanel(QWidget):
    """A titled card holding one chart and the frame it was drawn from.

    Subclasses create their plot and its items once, in the constructor, and implement
    :meth:`draw` by handing new data to those items (``setData``, ``setOpts``, ``setTicks``)
    and hiding the ones the data does not need: rebuilding a plot's items on every filter
    change cost up to tens of milliseconds of GUI-thread time per panel (issue 12). When
    there is nothing to draw, :meth:`show_empty` puts a message in the plot's place.
    ``drill_down`` carries a title and the mentorship ids behind what the user clicked; the
    dashboard opens the list.
    """

    drill_down = Signal(str, object)  # title, list[int] of mentorship ids
    #: what the panel says in place of its chart when the filters leave nothing to draw
    empty_text = "Nothing to show for these filters."

    def __init__(self, title: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.frame = pl.DataFrame()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.card = card()
        outer.addWidget(self.card)
        layout = QVBoxLayout(self.card)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(4)
        head = QHBoxLayout()
        self.title_label = QLabel(f"<b>{title}</b>")
        self.title_label.setToolTip(hint)
        self.readout = QLabel("", objectName="hint")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Long read-outs must not widen the panel: they are clipped instead.
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.title_label)
        head.addWidget(self.readout, 1)
        self.png_button = self._tool("export", "Save this chart as PNG…", self.ask_png)
        self.csv_button = self._tool("file", "Save this chart's data as CSV…", self.ask_csv)
        head.addWidget(self.png_button)
        head.addWidget(self.csv_button)
        layout.addLayout(head)
        self.body_layout = layout

    def _tool(self, icon: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setIcon(theme.icon(icon, theme.current().muted, 16))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def plot_widget(self) -> pg.PlotWidget:
        """A themed PlotWidget added to the card, with hover and click hooks wired."""
        palette = theme.current()
        plot = pg.PlotWidget(background=palette.surface, viewBox=LazyMenuViewBox())
        plot.setMinimumHeight(190)
        item = plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(palette.border_strong))
            axis.setTextPen(pg.mkPen(palette.muted))
            # Counts, shares and dates never take a "×10³" prefix; without this every
            # range change re-rendered each axis title as HTML (a third of a redraw).
            axis.enableAutoSIPrefix(False)
        plot.scene().sigMouseMoved.connect(self._moved)
        plot.scene().sigMouseClicked.connect(self._clicked)
        # The plot and its empty state share one place; switching pages neither rebuilds
        # the plot nor moves the panels around it.
        self.stack = QStackedWidget()
        self.stack.addWidget(plot)
        self.empty_label = QLabel(self.empty_text, objectName="muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)
        self.body_layout.addWidget(self.stack, 1)
        self.plot = plot
        return plot

    def show_empty(self, empty: bool) -> None:
        """Show the empty-state message instead of the plot (``True``) or the plot again."""
        stack = getattr(self, "stack", None)
        if stack is None or self.is_empty == empty:
            return
        stack.setCurrentWidget(self.empty_label if empty else self.plot)
        keys = getattr(self, "keys_label", None)
        if keys is not None:  # no colour keys above a chart that is not there
            keys.setVisible(not empty and bool(keys.text()))

    @property
    def is_empty(self) -> bool:
        """True while the empty-state message stands in for the plot."""
        stack = getattr(self, "stack", None)
        return stack is not None and stack.currentWidget() is self.empty_label

    def add_header_widget(self, widget: QWidget) -> None:
        """Put a control (a measure or grouping selector) right after the title."""
        self.body_layout.itemAt(0).layout().insertWidget(1, widget)

    def header_legend(self, names: list[str]) -> QLabel:
        """Coloured keys on their own line above the plot, never over the data (a legend
        box inside the plot hides the bars or lines behind it). Calling it again replaces
        the keys (time series whose groups change with the filters)."""
        keys = "&nbsp;&nbsp; ".join(
            f'<span style="color:{colour(i)}">■</span>&nbsp;{name.replace("_", " ")}'
            for i, name in enumerate(names)
        )
        label = getattr(self, "keys_label", None)
        if label is None:
            label = QLabel(objectName="hint")
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            self.body_layout.insertWidget(1, label)  # its own line: never clipped by the title
            self.keys_label = label
        label.setText(keys)
        label.setToolTip(", ".join(name.replace("_", " ") for name in names))
        label.setVisible(bool(names))
        return label

    # -- data --------------------------------------------------------------------------
    def set_frame(self, frame: pl.DataFrame) -> None:
        """Show ``frame`` (the metric's DataFrame); it is also what CSV export writes."""
        self.frame = frame
        self.readout.setText("")
        self.draw(frame)

    def draw(self, frame: pl.DataFrame) -> None:
        """Draw ``frame``; each panel kind overrides this (the base panel shows nothing)."""

    # -- hover and click ---------------------------------------------------------------
    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos)

    def _moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        self.readout.setText("" if point is None else self.describe(point.x(), point.y()))

    def _clicked(self, event: object) -> None:
        point = self._view_point(event.scenePos())  # type: ignore[attr-defined]
        if point is not None:
            self.clicked_at(point.x(), point.y())

    def describe(self, x: float, y: float) -> str:
        """The read-out for the data under the mouse at view coordinates (x, y)."""
        return ""

    def clicked_at(self, x: float, y: float) -> None:
        """A click at view coordinates; panels that drill down emit ``drill_down``."""

    # -- export ------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        path = Path(path)
        if not self.card.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path

    def export_csv(self, path: str | Path) -> Path:
        path = Path(path)
        flat = self.frame.with_columns(
            pl.col(c).cast(pl.String) for c, t in self.frame.schema.items() if t.is_nested()
        )
        flat.write_csv(path)
        return path

    def _slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.title.lower()).strip("-")

    def ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart", f"{self._slug()}.png",
                                              "PNG image (*.png)")  # fmt: skip
        if path:
            self.export_png(path)

    def ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save data", f"{self._slug()}.csv",
                                              "CSV (*.csv)")  # fmt: skip
        if path:
            self.export_csv(path)
