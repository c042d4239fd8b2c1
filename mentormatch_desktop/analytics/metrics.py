"""The public metrics: one function per question, each returning a polars DataFrame.

Every function takes a *source* (engine, connection or ORM session) and a
:class:`~mentormatch_desktop.analytics.filters.Filters`; names in the filter are resolved
first. For many metrics at once (a dashboard, a report) use
:func:`~mentormatch_desktop.analytics.dashboard.compute_dashboard`, which shares the
database reads between them.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from sqlalchemy.engine import Connection

from mentormatch_desktop.analytics import activity, outcomes, participation
from mentormatch_desktop.analytics.arguments import (
    COMPLETION_GROUPS,
    COVERAGE_GROUPS,
    ENGAGEMENT_GROUPS,
    check_bins,
    check_by,
    check_days,
    check_freq,
)
from mentormatch_desktop.analytics.facts import mentorship_facts
from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.analytics.sql import Source, connection_of


def _resolved(conn: Connection, filters: Filters | None) -> Filters:
    f = (filters or Filters()).resolve(conn)
    return f if f.as_of is not None else replace(f, as_of=f.reference_time())


def _facts(conn: Connection, f: Filters) -> pl.DataFrame:
    return outcomes.status_as_of(mentorship_facts(conn, f), f.reference_time())


def mentorships(source: Source, filters: Filters | None = None) -> pl.DataFrame:
    """One row per mentorship with its activity, milestones and ratings (click-through)."""
    with connection_of(source) as conn:
        f = _resolved(conn, filters)
        return _facts(conn, f)


def funnel(
    source: Source,
    filters: Filters | None = None,
    *,
    active_sessions: int = participation.ACTIVE_MIN_SESSIONS,
) -> pl.DataFrame:
    """Participation funnel: enrolled → matched → first session → active → completed."""
    with connection_of(source) as conn:
        f = _resolved(conn, filters)
        return participation.funnel(
            participation.seekers(conn, f), _facts(conn, f), active_sessions
        )


def engagement(
    source: Source, filters: Filters | None = None, *, freq: str = "1w", by: str | None = "program"
) -> pl.DataFrame:
    """Sessions, messages and all events per period (``freq``) and group (``by``:
    ``program``, ``cohort``, ``department`` or ``None``)."""
    freq, by = check_freq(freq), check_by(by, ENGAGEMENT_GROUPS, optional=True)
    with connection_of(source) as conn:
        f = _resolved(conn, filters)
        return activity.engagement(activity.engagement_daily(conn, f, by), f, freq)


def milestone_burnup(
    source: Source, filters: Filters | None = None, *, freq: str = "1w"
) -> pl.DataFrame:
    """Cumulative milestones due vs completed per period, with the total planned."""
    freq = check_freq(freq)
    with connection_of(source) as conn:
        return activity.milestone_burnup(conn, _resolved(conn, filters), freq)


def satisfaction(source: Source, filters: Filters | None = None) -> pl.DataFrame:
    """How many ratings of each value (1–5) and their share."""
    with connection_of(source) as conn:
        return activity.satisfaction(conn, _resolved(conn, filters))[0]


def satisfaction_trend(
    source: Source, filters: Filters | None = None, *, freq: str = "1mo"
) -> pl.DataFrame:
    """Number of ratings and mean rating per period."""
    freq = check_freq(freq)
    with connection_of(source) as conn:
        return activity.satisfaction(conn, _resolved(conn, filters), freq)[1]


def at_risk(source: Source, filters: Filters | None = None, *, days: int = 30) -> pl.DataFrame:
    """Running mentorships with no session or message for ``days`` or overdue milestones."""
    days = check_days(days)
    with connection_of(source) as conn:
        f = _resolved(conn, filters)
        return outcomes.at_risk(_facts(conn, f), f.reference_time(), days)


def mentor_load(source: Source, filters: Filters | None = None) -> pl.DataFrame:
    """Mentees per active mentor against their capacity."""
    with connection_of(source) as conn:
        return participation.mentor_load(participation.mentors(conn, _resolved(conn, filters)))


def time_to_match(source: Source, filters: Filters | None = None) -> pl.DataFrame:
    """Days from enrolment to match and from match to first session, per mentorship."""
    with connection_of(source) as conn:
        return outcomes.time_to_match(_facts(conn, _resolved(conn, filters)))


def completion(
    source: Source, filters: Filters | None = None, *, by: str | None = "program"
) -> pl.DataFrame:
    """Completion and early-ending rates among ended mentorships, per ``by`` column."""
    by = check_by(by, COMPLETION_GROUPS, optional=True)
    with connection_of(source) as conn:
        return outcomes.completion(_facts(conn, _resolved(conn, filters)), by)


def score_vs_outcome(
    source: Source, filters: Filters | None = None, *, bins: int = 5
) -> pl.DataFrame:
    """Outcomes (sessions, rating, completion) per match-score band."""
    bins = check_bins(bins)
    with connection_of(source) as conn:
        return outcomes.score_vs_outcome(_facts(conn, _resolved(conn, filters)), bins)


def coverage(
    source: Source, filters: Filters | None = None, *, by: str = "department"
) -> pl.DataFrame:
    """Mentee demand met and mentor supply per department or time zone."""
    by = check_by(by, COVERAGE_GROUPS, optional=False)  # type: ignore[assignment]
    with connection_of(source) as conn:
        f = _resolved(conn, filters)
        return participation.coverage(
            participation.seekers(conn, f), participation.mentors(conn, f), _facts(conn, f), by
        )


def activity_heatmap(source: Source, filters: Filters | None = None) -> pl.DataFrame:
    """Sessions and messages by local weekday (0 = Monday) × hour."""
    with connection_of(source) as conn:
        return activity.activity_heatmap(conn, _resolved(conn, filters))


METRICS = {
    "funnel": funnel,
    "engagement": engagement,
    "burnup": milestone_burnup,
    "satisfaction": satisfaction,
    "satisfaction_trend": satisfaction_trend,
    "at_risk": at_risk,
    "mentor_load": mentor_load,
    "time_to_match": time_to_match,
    "completion": completion,
    "score_vs_outcome": score_vs_outcome,
    "coverage": coverage,
    "heatmap": activity_heatmap,
    "mentorships": mentorships,
}
"""Metric functions by name (the CLI's ``mentormatch metrics NAME``)."""
