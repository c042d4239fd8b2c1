"""Program-health metrics as polars DataFrames, shared by the dashboard, CLI and notebooks.

No Qt here. Each metric has one definition (see ``docs/analytics.md``), aggregates in the
database and takes the same :class:`Filters`.
"""

from mentormatch_desktop.analytics.dashboard import DashboardData, compute_dashboard
from mentormatch_desktop.analytics.filters import Filters, UnknownFilterValue
from mentormatch_desktop.analytics.metrics import (
    METRICS,
    activity_heatmap,
    at_risk,
    completion,
    coverage,
    engagement,
    funnel,
    mentor_load,
    mentorships,
    milestone_burnup,
    satisfaction,
    satisfaction_trend,
    score_vs_outcome,
    time_to_match,
)

__all__ = [
    "METRICS",
    "DashboardData",
    "Filters",
    "UnknownFilterValue",
    "activity_heatmap",
    "at_risk",
    "completion",
    "compute_dashboard",
    "coverage",
    "engagement",
    "funnel",
    "mentor_load",
    "mentorships",
    "milestone_burnup",
    "satisfaction",
    "satisfaction_trend",
    "score_vs_outcome",
    "time_to_match",
]
