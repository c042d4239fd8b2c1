"""Activity over time: engagement per period, the weekday × hour heatmap, milestone
burn-up and satisfaction. Aggregation happens in the database (per day, per hour);
polars only rolls days up to the requested period and fills gaps."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mentormatch_desktop.analytics.facts import HELD, MESSAGE
from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.analytics.scope import (
    EVENTS,
    PEOPLE,
    event_conditions,
    person_cohorts,
    scoped_mentorship_ids,
)
from mentormatch_desktop.analytics.sql import (
    count_where,
    is_postgres,
    read_frame,
    utc_date,
    utc_hour,
)
from mentormatch_desktop.storage.models import Department, Feedback, Milestone, Program

GROUPINGS = (None, "program", "cohort", "department")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _group_key(by: str | None, cohorts: sa.Subquery) -> sa.ColumnElement[Any]:
    """The column events are grouped by: ids where possible, names are looked up after."""
    if by is None:
        return sa.literal("all")
    if by == "program":
        return EVENTS.c.program_id
    if by == "cohort":
        return sa.func.coalesce(cohorts.c.cohort, "(no cohort)")
    if by == "department":
        return PEOPLE.c.department_id
    raise ValueError(f"group by {by!r}: choose one of program, cohort, department or None")


def _group_names(conn: Connection, by: str | None) -> dict[Any, str]:
    if by == "program":
        table = Program.__table__
    elif by == "department":
        table = Department.__table__
    else:
        return {}
    return {ident: name for ident, name in conn.execute(sa.select(table.c.id, table.c.name))}


def _session_key(ev: sa.TableClause) -> sa.ColumnElement[str]:
    """Which session a ``session_held`` event belongs to: its mentorship and end time.

    Each participant gets an event for the session they held (engagement is per person),
    so sessions are counted as distinct keys, never as events; this is how the
    Mentorships screen counts them too (:func:`~.facts.activity_totals`).
    """
    return sa.cast(ev.c.mentorship_id, sa.String) + "@" + sa.cast(ev.c.occurred_at, sa.String)


def engagement_daily(conn: Connection, f: Filters, by: str | None = "program") -> pl.DataFrame:
    """Sessions held, messages sent and all events per UTC day and group (a session
    shared by people of two groups counts once in each).

    Joins only what the filter and grouping need: on a large log the plain scan of
    ``engagement_events`` is most of the cost, and each join roughly doubles it.
    """
    ev = EVENTS
    cohorts = person_cohorts()
    group = _group_key(by, cohorts)
    day = utc_date(ev.c.occurred_at)
    frm: sa.FromClause = ev
    if by == "department" or f.department_id is not None:
        frm = frm.join(PEOPLE, PEOPLE.c.id == ev.c.person_id)
    if by == "cohort" or f.cohort is not None:
        frm = frm.outerjoin(
            cohorts,
            sa.and_(cohorts.c.program_id == ev.c.program_id, cohorts.c.person_id == ev.c.person_id),
        )
    stmt = (
        sa.select(
            day.label("day"),
            group.label("grp"),
            sa.func.count(sa.distinct(sa.case((ev.c.kind == HELD, _session_key(ev))))),
            count_where(ev.c.kind == MESSAGE),
            sa.func.count(),
        )
        .select_from(frm)
        .where(*event_conditions(f, cohorts))
        .group_by(day, group)
    )
    by_id = by in ("program", "department")
    schema = {
        "day": pl.Date,
        "group": pl.Int64 if by_id else pl.String,
        "sessions": pl.Int64,
        "messages": pl.Int64,
        "events": pl.Int64,
    }
    daily = read_frame(conn, stmt, schema)
    if by_id:
        names = _group_names(conn, by)
        daily = daily.with_columns(
            pl.col("group").replace_strict(names, default=f"(no {by})", return_dtype=pl.String)
        )
    return daily


def _period_range(first: date, last: date, freq: str) -> pl.Series:
    start = pl.Series([first]).dt.truncate(freq)[0]
    return pl.date_range(start, last, interval=freq, eager=True).alias("period")


def engagement(daily: pl.DataFrame, f: Filters, freq: str = "1w") -> pl.DataFrame:
    """Roll daily counts up to periods of ``freq`` (polars interval: ``1d``, ``1w``,
    ``1mo``…; weeks start on Monday), one row per period and group, gaps filled with 0."""
    schema = {
        "period": pl.Date,
        "group": pl.String,
        "sessions": pl.Int64,
        "messages": pl.Int64,
        "events": pl.Int64,
    }
    if daily.is_empty():
        return pl.DataFrame(schema=schema)
    first = f.start or daily["day"].min()
    last = f.end or daily["day"].max()
    rolled = (
        daily.with_columns(period=pl.col("day").dt.truncate(freq))
        .group_by("period", "group")
        .agg(pl.col("sessions", "messages", "events").sum())
    )
    grid = (
        _period_range(first, last, freq)
        .to_frame()
        .join(rolled.select("group").unique(), how="cross")
    )
    return (
        grid.join(rolled, on=["period", "group"], how="left")
        .with_columns(pl.col("sessions", "messages", "events").fill_null(0))
        .select(list(schema))
        .sort("group", "period")
    )


def activity_heatmap(
    conn: Connection, f: Filters, kinds: tuple[str, ...] = (HELD, MESSAGE)
) -> pl.DataFrame:
    """Events by weekday (0 = Monday) × hour, each in the acting person's own time zone.

    PostgreSQL converts in the query; SQLite has no zone database, so it returns counts
    per (zone, UTC hour) and polars converts one zone at a time.
    """
    ev = EVENTS
    cohorts = person_cohorts()
    frm = ev.join(PEOPLE, PEOPLE.c.id == ev.c.person_id)
    if f.cohort is not None:
        frm = frm.outerjoin(
            cohorts,
            sa.and_(cohorts.c.program_id == ev.c.program_id, cohorts.c.person_id == ev.c.person_id),
        )
    conds = [*event_conditions(f, cohorts), ev.c.kind.in_(kinds)]
    if is_postgres(conn):
        # Hour of the week (0 = Monday 00:00) from one zone conversion per row; the epoch
        # started on a Thursday, 72 hours after a Monday midnight.
        local = sa.func.timezone(PEOPLE.c.time_zone, ev.c.occurred_at)
        hours = sa.cast(sa.func.floor(sa.func.date_part("epoch", local) / 3600), sa.BigInteger)
        how = (hours + 72) % 168
        stmt = sa.select(how, sa.func.count()).select_from(frm).where(*conds).group_by(how)
        weekly = read_frame(conn, stmt, {"how": pl.Int64, "events": pl.Int64})
        counts = weekly.select(
            weekday=pl.col("how") // 24, hour=pl.col("how") % 24, events="events"
        )
    else:
        bucket = utc_hour(ev.c.occurred_at)
        stmt = (
            sa.select(PEOPLE.c.time_zone, bucket, sa.func.count())
            .select_from(frm)
            .where(*conds)
            .group_by(PEOPLE.c.time_zone, bucket)
        )
        raw = read_frame(conn, stmt, {"zone": pl.String, "hour": pl.String, "events": pl.Int64})
        counts = _localise(raw)
    grid = pl.DataFrame({"weekday": list(range(7))}).join(
        pl.DataFrame({"hour": list(range(24))}), how="cross"
    )
    return (
        grid.cast(pl.Int64)
        .join(
            counts.group_by("weekday", "hour").agg(pl.col("events").sum()),
            on=["weekday", "hour"],
            how="left",
        )
        .with_columns(pl.col("events").fill_null(0))
        .sort("weekday", "hour")
    )


def _localise(raw: pl.DataFrame) -> pl.DataFrame:
    """Convert (zone, UTC hour text) counts to local weekday/hour, one zone at a time."""
    parts = []
    utc = raw.with_columns(
        at=pl.col("hour")
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M")
        .dt.replace_time_zone("UTC")
    )
    for zone in utc["zone"].unique().to_list():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            zone_name = "UTC"  # an unknown zone is shown in UTC rather than dropped
        else:
            zone_name = zone
        local = (
            utc.filter(pl.col("zone") == zone)
            .with_columns(local=pl.col("at").dt.convert_time_zone(zone_name))
            .select(
                weekday=(pl.col("local").dt.weekday() - 1).cast(pl.Int64),
                hour=pl.col("local").dt.hour().cast(pl.Int64),
                events="events",
            )
        )
        parts.append(local)
    if not parts:
        return pl.DataFrame(schema={"weekday": pl.Int64, "hour": pl.Int64, "events": pl.Int64})
    return pl.concat(parts)


def milestone_burnup(conn: Connection, f: Filters, freq: str = "1w") -> pl.DataFrame:
    """Cumulative milestones due and completed by the end of each period (burn-up).

    ``total`` is every milestone of the selected mentorships; the gap between ``due`` and
    ``completed`` is work that is late. Milestones without a due date count in ``total``
    and ``completed`` only.
    """
    ms = Milestone.__table__
    ids = scoped_mentorship_ids(f)
    as_of = f.reference_time()
    due_stmt = (
        sa.select(ms.c.due_on, sa.func.count())
        .where(ms.c.mentorship_id.in_(ids), ms.c.due_on.is_not(None))
        .group_by(ms.c.due_on)
    )
    done_day = utc_date(ms.c.completed_at)
    done_stmt = (
        sa.select(done_day, sa.func.count())
        .where(
            ms.c.mentorship_id.in_(ids),
            ms.c.completed_at.is_not(None),
            ms.c.completed_at <= as_of,
        )
        .group_by(done_day)
    )
    total = conn.scalar(sa.select(sa.func.count()).where(ms.c.mentorship_id.in_(ids))) or 0
    due = read_frame(conn, due_stmt, {"day": pl.Date, "due": pl.Int64})
    done = read_frame(conn, done_stmt, {"day": pl.Date, "completed": pl.Int64})
    schema = {"period": pl.Date, "due": pl.Int64, "completed": pl.Int64, "total": pl.Int64}
    days = pl.concat([due["day"], done["day"]])
    if days.is_empty():
        return pl.DataFrame(schema=schema)
    first = f.start or days.min()
    last = max(f.end or days.max(), first)
    periods = _period_range(first, last, freq).to_frame()
    # A period's figure counts every day before the next period starts.
    ends = periods.with_columns(
        last_day=pl.col("period").dt.offset_by(freq).dt.offset_by("-1d")
    ).sort("last_day")

    def cumulative(frame: pl.DataFrame, col: str) -> pl.Series:
        running = frame.sort("day").select("day", pl.col(col).cum_sum())
        joined = ends.join_asof(running, left_on="last_day", right_on="day", strategy="backward")
        return joined[col].fill_null(0).cast(pl.Int64)

    # Completion is only known up to the reference instant; later periods show the plan.
    frame = pl.DataFrame([periods["period"], cumulative(due, "due"), cumulative(done, "completed")])
    return frame.with_columns(
        completed=pl.when(pl.col("period") <= as_of.date()).then(pl.col("completed")),
        total=pl.lit(total, dtype=pl.Int64),
    )


def satisfaction(
    conn: Connection, f: Filters, freq: str = "1mo"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Ratings (1–5) given on the selected mentorships inside the date range.

    Returns ``(distribution, trend)``: the count and share of each rating, and per period
    the number of ratings and their mean.
    """
    fb = Feedback.__table__
    ids = scoped_mentorship_ids(f)
    as_of = f.reference_time()
    conds = [fb.c.mentorship_id.in_(ids), fb.c.created_at <= as_of]
    if f.start_at is not None:
        conds.append(fb.c.created_at >= f.start_at)
    day = utc_date(fb.c.created_at)
    stmt = sa.select(day, fb.c.rating, sa.func.count()).where(*conds).group_by(day, fb.c.rating)
    daily = read_frame(conn, stmt, {"day": pl.Date, "rating": pl.Int64, "responses": pl.Int64})
    by_rating = daily.group_by("rating").agg(pl.col("responses").sum())
    total = int(daily["responses"].sum())
    # Ratings 1 to 5 in that order: polars keeps no side's row order in a join unless told.
    distribution = (
        pl.DataFrame({"rating": [1, 2, 3, 4, 5]}, schema={"rating": pl.Int64})
        .join(by_rating, on="rating", how="left", maintain_order="left")
        .with_columns(pl.col("responses").fill_null(0))
        .with_columns(share=pl.col("responses") / total if total else pl.lit(None, pl.Float64))
    )
    trend = (
        daily.with_columns(period=pl.col("day").dt.truncate(freq))
        .group_by("period")
        .agg(
            responses=pl.col("responses").sum(),
            mean_rating=(pl.col("rating") * pl.col("responses")).sum() / pl.col("responses").sum(),
        )
        .sort("period")
    )
    return distribution, trend
