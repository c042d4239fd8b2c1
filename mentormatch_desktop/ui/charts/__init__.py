"""pyqtgraph panels for the dashboard: each shows one metric frame, reads out values under
the mouse, exports itself to PNG and its data to CSV, and can ask to list the mentorships
behind a bar or bin (``drill_down``)."""

from mentormatch_desktop.ui.charts.bars import BarPanel, HistogramPanel
from mentormatch_desktop.ui.charts.base import ChartPanel
from mentormatch_desktop.ui.charts.heatmap import HeatmapPanel
from mentormatch_desktop.ui.charts.kpi import KpiTile
from mentormatch_desktop.ui.charts.table import FrameTableModel, TablePanel
from mentormatch_desktop.ui.charts.timeseries import TimeSeriesPanel

__all__ = [
    "BarPanel",
    "ChartPanel",
    "FrameTableModel",
    "HeatmapPanel",
    "HistogramPanel",
    "KpiTile",
    "TablePanel",
    "TimeSeriesPanel",
]
