"""A colour key for a heatmap: a gradient strip with its lowest and highest value.

pyqtgraph's ``ColorBarItem`` is a whole second plot (axes, view box, menus) and cost about
18 ms of GUI-thread time to make, a third of the heatmap panel, on the Dashboard's first
open; the heatmap needs only a strip that says which colour means how many. This one is
one ``GraphicsWidget`` that paints the strip and two numbers.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QLinearGradient, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

STRIP_WIDTH = 12
GAP = 4


class ColourScale(pg.GraphicsWidget):
    """A vertical key for ``colour_map`` from ``low`` (bottom) to ``high`` (top)."""

    def __init__(self, colour_map: pg.ColorMap, text_colour: str) -> None:
        super().__init__()
        self.colour_map = colour_map
        self.text_colour = QColor(text_colour)
        self.low, self.high = 0.0, 1.0
        self._fit_width()

    def place_beside(self, plot: pg.PlotItem) -> None:
        """Put the key right of ``plot``'s view, in the column a right axis would use."""
        plot.layout.addItem(self, 2, 5)

    def set_levels(self, low: float, high: float) -> None:
        if (low, high) != (self.low, self.high):
            self.low, self.high = low, high
            self._fit_width()
            self.update()

    def _fit_width(self) -> None:
        """As wide as the strip and the longer of its two numbers, never cutting one."""
        metrics = QFontMetrics(self.font())
        text = max(metrics.horizontalAdvance(_count(v)) for v in (self.low, self.high))
        self.setFixedWidth(GAP + STRIP_WIDTH + GAP + text + GAP)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        bounds = self.boundingRect()
        text_height = painter.fontMetrics().height()
        strip = QRectF(GAP, bounds.top() + text_height / 2, STRIP_WIDTH, 0)
        strip.setBottom(bounds.bottom() - text_height / 2)
        gradient = QLinearGradient(QPointF(0, strip.bottom()), QPointF(0, strip.top()))
        for position, colour in zip(*self.colour_map.getStops(mode="qcolor"), strict=True):
            gradient.setColorAt(float(position), colour)
        painter.fillRect(strip, gradient)
        painter.setPen(self.text_colour)
        left = strip.right() + GAP
        width = bounds.width() - left
        flags = Qt.AlignmentFlag.AlignLeft
        painter.drawText(
            QRectF(left, bounds.top(), width, text_height),
            flags | Qt.AlignmentFlag.AlignTop,
            _count(self.high),
        )
        painter.drawText(
            QRectF(left, bounds.bottom() - text_height, width, text_height),
            flags | Qt.AlignmentFlag.AlignBottom,
            _count(self.low),
        )


def _count(value: float) -> str:
    return f"{value:,.0f}"
