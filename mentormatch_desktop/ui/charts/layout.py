"""Which panels the dashboard shows, how each is configured and where it sits.

Kept apart from the screen so the list of charts reads in one place; the screen adds the
click-through and the data.
"""

from __future__ import annotations

from collections.abc import Callable

from mentormatch_desktop.ui.charts.bars import BarPanel, HistogramPanel
from mentormatch_desktop.ui.charts.base import ChartPanel
from mentormatch_desktop.ui.charts.heatmap import HeatmapPanel
from mentormatch_desktop.ui.charts.table import TablePanel
from mentormatch_desktop.ui.charts.timeseries import TimeSeriesPanel

AT_RISK_COLUMNS = ["program", "mentor", "mentee", "days_silent", "milestones_overdue", "reason"]

# (row, column, row span, column span) in a three-column grid below the KPI tiles.
PLACEMENT: dict[str, tuple[int, int, int, int]] = {
    "engagement": (1, 0, 1, 2), "funnel": (1, 2, 1, 1),
    "burnup": (2, 0, 1, 1), "satisfaction": (2, 1, 1, 1),
    "satisfaction_trend": (2, 2, 1, 1),
    "heatmap": (3, 0, 1, 1), "mentor_load": (3, 1, 1, 1), "time_to_match": (3, 2, 1, 1),
    "completion": (4, 0, 1, 1), "score_vs_outcome": (4, 1, 1, 1), "coverage": (4, 2, 1, 1),
    "at_risk": (5, 0, 1, 3),
}  # fmt: skip
#: The same panels in two columns, for a window too narrow for three: the charts' own
#: minimum widths (axes, header controls) add up to more than a 1100-pixel window leaves
#: the page, and the third column was cut off at the right edge.
PLACEMENT_NARROW: dict[str, tuple[int, int, int, int]] = {
    "engagement": (1, 0, 1, 2),
    "funnel": (2, 0, 1, 1), "burnup": (2, 1, 1, 1),
    "satisfaction": (3, 0, 1, 1), "satisfaction_trend": (3, 1, 1, 1),
    "heatmap": (4, 0, 1, 1), "mentor_load": (4, 1, 1, 1),
    "time_to_match": (5, 0, 1, 1), "completion": (5, 1, 1, 1),
    "score_vs_outcome": (6, 0, 1, 1), "coverage": (6, 1, 1, 1),
    "at_risk": (7, 0, 1, 2),
}  # fmt: skip


def _funnel_text(row: dict[str, object]) -> str:
    """The count at the end of a funnel bar, with its share of everyone enrolled."""
    count, share = row.get("participants"), row.get("share_of_enrolled")
    text = f"{count:,}" if isinstance(count, int) else "–"
    return text + (f" ({share:.0%})" if isinstance(share, float) else "")


def _stage_name(stage: object) -> str:
    """A funnel stage as the tiles write it: "First session", not "first_session"."""
    return str(stage).replace("_", " ").capitalize()


def build_panels() -> dict[str, ChartPanel]:
    """A fresh panel per dashboard chart, keyed like :class:`DashboardData` fields."""
    return {name: make() for name, make in panel_factories().items()}


def panel_factories() -> dict[str, Callable[[], ChartPanel]]:
    """How to build each panel, so a screen can build them one at a time (each takes tens
    of milliseconds; all twelve at once would freeze the window)."""
    return {
        "engagement": lambda: TimeSeriesPanel(
            "Engagement per week", ["sessions", "messages", "events"], group="group",
            hint="Sessions held, messages sent or all events per week, one line per program.",
        ),
        "funnel": lambda: BarPanel(
            "Participation funnel", "stage", ["participants"], horizontal=True,
            annotate=_funnel_text, name_of=_stage_name,
            hint="People at each stage, counting those who also reached every earlier one; "
            "a click lists their mentorships.",
        ),
        "burnup": lambda: TimeSeriesPanel("Milestone burn-up", ["due", "completed", "total"],
                                  hint="Milestones due vs completed, cumulative."),
        "satisfaction": lambda: BarPanel("Ratings", "rating", ["responses"],
                                         category_label="rating (1–5)"),
        "satisfaction_trend": lambda: TimeSeriesPanel("Mean rating per month", ["mean_rating"],
                                              y_range=(1, 5)),
        "heatmap": lambda: HeatmapPanel("Activity by weekday and hour",
                                hint="Sessions and messages in each participant's own zone."),
        "mentor_load": lambda: HistogramPanel(
            "Mentor load", ["load"], bins=[0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
            x_label="mentees / capacity", marker=1.0,
        ),
        "time_to_match": lambda: HistogramPanel(
            "Time to match and to first session", ["days_to_match", "days_to_first_session"],
            x_label="days",
        ),
        "completion": lambda: BarPanel("Completion by program", "program",
                               ["completion_rate", "early_end_rate"], percent=True,
                               horizontal=True,
                               hint="Among mentorships that have ended."),
        "score_vs_outcome": lambda: BarPanel(
            "Match score against outcome", "band_label", ["mean_sessions", "mean_rating"],
            category_label="match score",
            hint="Mentorships in equal-size score bands: do better-scored pairs meet more "
            "and rate higher?",
        ),
        "coverage": lambda: BarPanel("Coverage", "group", ["coverage"],
                             horizontal=True, percent=True),
        "at_risk": lambda: TablePanel("At-risk mentorships", AT_RISK_COLUMNS,
                              hint="Double-click a pair to list its details."),
    }  # fmt: skip
