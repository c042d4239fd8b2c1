"""The dashboard's charts drawn with matplotlib, for notebooks and reports (no Qt).

Each ``draw_*`` function takes a matplotlib ``Axes`` and the frame of one metric, so a
notebook can compose its own figures; :data:`CHARTS` lists them by panel name, with the
:class:`~mentormatch_desktop.analytics.dashboard.DashboardData` field each one reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mentormatch_desktop.analytics.dashboard import DashboardData

PALETTE = ("#2f6db5", "#e07b39", "#3a9d5d", "#c0392b", "#8e5ea2", "#7f8c8d", "#d4ac0d")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _empty(ax: Axes, frame: pl.DataFrame) -> bool:
    if frame.is_empty():
        ax.text(0.5, 0.5, "no data for this filter", ha="center", va="center", color="grey")
        ax.set_axis_off()
        return True
    return False


def draw_funnel(ax: Axes, frame: pl.DataFrame) -> None:
    stages = [s.replace("_", " ") for s in frame["stage"].to_list()][::-1]
    values = frame["participants"].to_list()[::-1]
    ax.barh(stages, values, color=PALETTE[0])
    for y, (v, share) in enumerate(
        zip(values, frame["share_of_enrolled"].to_list()[::-1], strict=True)
    ):
        label = f"{v:,}" + (f"  ({share:.0%})" if share is not None else "")
        ax.text(v, y, " " + label, va="center", fontsize=8)
    ax.set_xlabel("participants")
    ax.margins(x=0.25)


def draw_engagement(ax: Axes, frame: pl.DataFrame, column: str = "sessions") -> None:
    if _empty(ax, frame):
        return
    # Groups with nothing to show for this measure (e.g. logins outside any program) are left out.
    active = frame.group_by("group").agg(pl.col(column).sum()).filter(pl.col(column) > 0)
    for i, group in enumerate(active["group"].sort().to_list()):
        part = frame.filter(pl.col("group") == group).sort("period")
        ax.plot(part["period"].to_list(), part[column].to_list(), label=group,
                color=PALETTE[i % len(PALETTE)], linewidth=1.4)  # fmt: skip
    ax.set_ylabel(f"{column} per period")
    ax.legend(fontsize=7, loc="upper left")
    ax.figure.autofmt_xdate()


def draw_burnup(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    periods = frame["period"].to_list()
    ax.plot(periods, frame["due"].to_list(), label="due", color=PALETTE[1], linestyle="--")
    ax.plot(periods, frame["completed"].to_list(), label="completed", color=PALETTE[2])
    ax.plot(periods, frame["total"].to_list(), label="total", color=PALETTE[5], linewidth=0.8)
    ax.set_ylabel("milestones (cumulative)")
    ax.legend(fontsize=7, loc="upper left")
    ax.figure.autofmt_xdate()


def draw_satisfaction(ax: Axes, frame: pl.DataFrame) -> None:
    colors = ["#c0392b", "#e67e22", "#f1c40f", "#7dbb5a", "#3a9d5d"]
    ax.bar([str(r) for r in frame["rating"].to_list()], frame["responses"].to_list(), color=colors)
    ax.set_xlabel("rating")
    ax.set_ylabel("responses")


def draw_satisfaction_trend(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    ax.plot(frame["period"].to_list(), frame["mean_rating"].to_list(), marker="o", color=PALETTE[0])
    ax.set_ylim(1, 5)
    ax.set_ylabel("mean rating")
    ax.figure.autofmt_xdate()


def draw_mentor_load(ax: Axes, frame: pl.DataFrame) -> None:
    loads = frame["load"].drop_nulls()
    if loads.is_empty():
        _empty(ax, pl.DataFrame())
        return
    ax.hist(loads.to_list(), bins=[0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0], color=PALETTE[4],
            edgecolor="white")  # fmt: skip
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("mentees / capacity")
    ax.set_ylabel("mentors")


def draw_time_to_match(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    for column, color in (("days_to_match", PALETTE[0]), ("days_to_first_session", PALETTE[1])):
        values = frame[column].drop_nulls().to_list()
        if values:
            ax.hist(values, bins=20, alpha=0.6, color=color, label=column.replace("_", " "))
    ax.set_xlabel("days")
    ax.set_ylabel("mentorships")
    ax.legend(fontsize=7)


def draw_completion(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    labels = [str(v) for v in frame[frame.columns[0]].to_list()]
    x = range(len(labels))
    rates = [v or 0.0 for v in frame["completion_rate"].to_list()]
    early = [v or 0.0 for v in frame["early_end_rate"].to_list()]
    ax.bar([i - 0.2 for i in x], rates, width=0.4, label="completed", color=PALETTE[2])
    ax.bar([i + 0.2 for i in x], early, width=0.4, label="ended early", color=PALETTE[3])
    ax.set_xticks(list(x), labels, rotation=20, ha="right", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of ended mentorships")
    ax.legend(fontsize=7)


def draw_score_vs_outcome(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    labels = [f"{lo:.2f}–{hi:.2f}" for lo, hi in frame.select("score_min", "score_max").iter_rows()]
    ax.bar(labels, frame["mean_sessions"].to_list(), color=PALETTE[0], label="sessions held")
    ax.set_ylabel("mean sessions held")
    ax.set_xlabel("match score band")
    ax.tick_params(axis="x", labelsize=7)
    twin = ax.twinx()
    ratings = [v if v is not None else float("nan") for v in frame["mean_rating"].to_list()]
    twin.plot(labels, ratings, color=PALETTE[1], marker="o", label="mean rating")
    twin.set_ylim(1, 5)
    twin.set_ylabel("mean rating")


def draw_coverage(ax: Axes, frame: pl.DataFrame) -> None:
    if _empty(ax, frame):
        return
    top = frame.head(12)
    ax.barh(top["group"].to_list()[::-1], [v or 0 for v in top["coverage"].to_list()[::-1]],
            color=PALETTE[2])  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_xlabel("mentees matched")
    ax.tick_params(axis="y", labelsize=7)


def draw_heatmap(ax: Axes, frame: pl.DataFrame) -> None:
    grid = frame.sort("weekday", "hour")["events"].to_numpy().reshape(7, 24)
    image = ax.imshow(grid, aspect="auto", cmap="viridis")
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlabel("hour (participant's own time zone)")
    ax.figure.colorbar(image, ax=ax, label="sessions + messages")


@dataclass(frozen=True)
class Chart:
    title: str
    field: str
    draw: Callable[[Axes, pl.DataFrame], None]


CHARTS: dict[str, Chart] = {
    "funnel": Chart("Participation funnel", "funnel", draw_funnel),
    "engagement": Chart("Sessions per week", "engagement", draw_engagement),
    "messages": Chart(
        "Messages per week", "engagement", lambda ax, f: draw_engagement(ax, f, "messages")
    ),
    "burnup": Chart("Milestone burn-up", "burnup", draw_burnup),
    "satisfaction": Chart("Ratings", "satisfaction", draw_satisfaction),
    "satisfaction_trend": Chart(
        "Mean rating over time", "satisfaction_trend", draw_satisfaction_trend
    ),
    "mentor_load": Chart("Mentor load", "mentor_load", draw_mentor_load),
    "time_to_match": Chart(
        "Time to match and to first session", "time_to_match", draw_time_to_match
    ),
    "completion": Chart("Completion and early endings", "completion", draw_completion),
    "score_vs_outcome": Chart(
        "Match score against outcome", "score_vs_outcome", draw_score_vs_outcome
    ),
    "coverage": Chart("Coverage by department", "coverage_department", draw_coverage),
    "heatmap": Chart("Activity by weekday and hour", "heatmap", draw_heatmap),
}


def chart_figure(name: str, data: DashboardData, figure: Figure | None = None) -> Figure:
    """Draw chart ``name`` from ``data`` on ``figure`` (a new, pyplot-free one by default)."""
    from matplotlib.figure import Figure

    chart = CHARTS[name]
    fig = figure or Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    chart.draw(ax, getattr(data, chart.field))
    ax.set_title(chart.title, fontsize=10)
    return fig
