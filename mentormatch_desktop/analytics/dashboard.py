"""Everything the dashboard shows for one filter, computed in one go.

:func:`compute_dashboard` runs the few database reads concurrently, each on its own
connection (PostgreSQL works on them in parallel; the driver releases the GIL while it
waits), then derives every metric from them with polars. Notebooks, the CLI and reports
use the same :class:`DashboardData`, so a figure means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.engine import Connection, Engine

from mentormatch_desktop.analytics import activity, outcomes, participation
from mentormatch_desktop.analytics.facts import mentorship_facts
from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.analytics.sql import Source, connection_of
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report


@dataclass(frozen=True)
class DashboardData:
    """All panels' frames for one filter (each documented on the metric that builds it)."""

    filters: Filters
    as_of: datetime
    kpis: pl.DataFrame
    funnel: pl.DataFrame
    engagement: pl.DataFrame
    burnup: pl.DataFrame
    satisfaction: pl.DataFrame
    satisfaction_trend: pl.DataFrame
    at_risk: pl.DataFrame
    mentor_load: pl.DataFrame
    time_to_match: pl.DataFrame
    completion: pl.DataFrame
    score_vs_outcome: pl.DataFrame
    coverage_department: pl.DataFrame
    coverage_time_zone: pl.DataFrame
    heatmap: pl.DataFrame
    mentorships: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        """Every frame by panel name (for exports and reports)."""
        return {
            fld.name: getattr(self, fld.name)
            for fld in fields(self)
            if isinstance(getattr(self, fld.name), pl.DataFrame)
        }


def kpis(
    funnel: pl.DataFrame,
    facts: pl.DataFrame,
    at_risk: pl.DataFrame,
    engagement: pl.DataFrame,
    satisfaction: pl.DataFrame,
    mentor_load: pl.DataFrame,
) -> pl.DataFrame:
    """The headline numbers, one row: each is defined by the metric it summarises."""
    counts = dict(zip(funnel["stage"].to_list(), funnel["participants"].to_list(), strict=True))
    running = facts.filter(pl.col("status") == outcomes.ACTIVE).height
    ended = facts.filter(pl.col("status").is_in([outcomes.COMPLETED, outcomes.ENDED_EARLY]))
    completed = ended.filter(pl.col("status") == outcomes.COMPLETED).height
    responses = int(satisfaction["responses"].sum())
    rating_sum = int((satisfaction["rating"] * satisfaction["responses"]).sum())
    seats = int(mentor_load["capacity"].sum())
    times = outcomes.time_to_match(facts)
    return pl.DataFrame(
        [
            {
                "enrolled": counts["enrolled"],
                "matched": counts["matched"],
                "match_rate": counts["matched"] / counts["enrolled"]
                if counts["enrolled"]
                else None,
                "running": running,
                "at_risk": at_risk.height,
                "at_risk_share": at_risk.height / running if running else None,
                "sessions": int(engagement["sessions"].sum()),
                "messages": int(engagement["messages"].sum()),
                "mean_rating": rating_sum / responses if responses else None,
                "completion_rate": completed / ended.height if ended.height else None,
                "median_days_to_match": times["days_to_match"].median(),
                "median_days_to_first_session": times["days_to_first_session"].median(),
                "mentor_utilisation": int(mentor_load["mentees"].sum()) / seats if seats else None,
            }
        ],
        schema_overrides={
            "match_rate": pl.Float64,
            "at_risk_share": pl.Float64,
            "mean_rating": pl.Float64,
            "completion_rate": pl.Float64,
            "median_days_to_match": pl.Float64,
            "median_days_to_first_session": pl.Float64,
            "mentor_utilisation": pl.Float64,
        },
    )


def compute_dashboard(
    source: Source,
    filters: Filters | None = None,
    *,
    freq: str = "1w",
    by: str | None = "program",
    at_risk_days: int = 30,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DashboardData:
    """Every dashboard metric for ``filters``. With an engine, reads run concurrently."""
    report(progress, 0.0, "resolving filters")
    with connection_of(source) as conn:
        f = (filters or Filters()).resolve(conn)
    f = f if f.as_of is not None else replace(f, as_of=f.reference_time())
    as_of = f.reference_time()

    reads: dict[str, Callable[[Connection], Any]] = {
        "facts": lambda c: mentorship_facts(c, f),
        "daily": lambda c: activity.engagement_daily(c, f, by),
        "heatmap": lambda c: activity.activity_heatmap(c, f),
        "people": lambda c: (participation.seekers(c, f), participation.mentors(c, f)),
        "milestones": lambda c: (
            activity.milestone_burnup(c, f, freq),
            activity.satisfaction(c, f),
        ),
    }
    results: dict[str, Any] = {}
    if isinstance(source, Engine) and source.dialect.name == "postgresql":

        def run(name: str) -> tuple[str, Any]:
            check(cancel)
            with source.connect() as conn:
                return name, reads[name](conn)

        with ThreadPoolExecutor(max_workers=3) as pool:
            for done, (name, value) in enumerate(pool.map(run, reads), start=1):
                results[name] = value
                report(progress, done / (len(reads) + 1), f"read {name}")
    else:
        with connection_of(source) as conn:
            for done, (name, read) in enumerate(reads.items(), start=1):
                check(cancel)
                results[name] = read(conn)
                report(progress, done / (len(reads) + 1), f"read {name}")
    check(cancel)

    facts = outcomes.status_as_of(results["facts"], as_of)
    seekers, mentors = results["people"]
    burnup, (distribution, trend) = results["milestones"]
    engagement = activity.engagement(results["daily"], f, freq)
    risk = outcomes.at_risk(facts, as_of, at_risk_days)
    load = participation.mentor_load(mentors)
    funnel = participation.funnel(seekers, facts)
    data = DashboardData(
        filters=f,
        as_of=as_of,
        kpis=kpis(funnel, facts, risk, engagement, distribution, load),
        funnel=funnel,
        engagement=engagement,
        burnup=burnup,
        satisfaction=distribution,
        satisfaction_trend=trend,
        at_risk=risk,
        mentor_load=load,
        time_to_match=outcomes.time_to_match(facts),
        completion=outcomes.completion(facts, "program"),
        score_vs_outcome=outcomes.score_vs_outcome(facts),
        coverage_department=participation.coverage(seekers, mentors, facts, "department"),
        coverage_time_zone=participation.coverage(seekers, mentors, facts, "time_zone"),
        heatmap=results["heatmap"],
        mentorships=facts,
    )
    report(progress, 1.0, "done")
    return data
