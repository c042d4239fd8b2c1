"""Weekday × hour heatmap (an ImageItem with a colour map and named ticks)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.charts.base import ChartPanel
from mentormatch_desktop.ui.charts.colour_scale import ColourScale

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class HeatmapPanel(ChartPanel):
    """Counts by ``weekday`` (0 = Monday, rows) and ``hour`` (columns)."""

    def __init__(self, title: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, hint, parent)
        plot = self.plot_widget()
        plot.setMouseEnabled(x=False, y=False)
        item = plot.getPlotItem()
        item.hideButtons()
        item.showGrid(x=False, y=False)
        item.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        item.addItem(self.image)
        self.colour_scale = ColourScale(pg.colormap.get("viridis"), theme.current().muted)
        self.colour_scale.place_beside(item)
        item.getAxis("left").setTicks([[(i + 0.5, d) for i, d in enumerate(WEEKDAYS)]])
        item.getAxis("bottom").setTicks([[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)]])
        item.setLabel("bottom", "hour in each participant's own time zone")
        self.grid = np.zeros((7, 24))
        # The image, its placement and the view are set once; a redraw only swaps the
        # counts and the colour levels.
        self.image.setImage(self.grid, levels=(0, 1))
        self.image.setRect(0, 0, 24, 7)
        item.setRange(xRange=(0, 24), yRange=(0, 7), padding=0)

    def draw(self, frame: pl.DataFrame) -> None:
        grid = np.zeros((7, 24))
        if not frame.is_empty():
            rows = frame.select("weekday", "hour", "events").to_numpy()
            grid[rows[:, 0].astype(int), rows[:, 1].astype(int)] = rows[:, 2]
        self.grid = grid
        self.show_empty(not grid.any())  # no session or message at any hour
        levels = (0, max(float(grid.max()), 1.0))
        self.image.setImage(grid, levels=levels)
        self.colour_scale.set_levels(*levels)

    def describe(self, x: float, y: float) -> str:
        if self.is_empty or not (0 <= x < 24 and 0 <= y < 7):
            return ""
        day, hour = int(y), int(x)
        return f"{WEEKDAYS[day]} {hour:02d}:00–{hour:02d}:59 · {int(self.grid[day, hour])} events"
