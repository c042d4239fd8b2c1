"""Who takes part: the participation funnel, coverage, and mentor load against capacity."""

from __future__ import annotations

import itertools

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.analytics.outcomes import COMPLETED
from mentormatch_desktop.analytics.scope import (
    ENROLMENTS,
    MENTORSHIPS,
    PEOPLE,
    enrolment_conditions,
    seeker_enrolments,
)
from mentormatch_desktop.analytics.sql import read_frame
from mentormatch_desktop.domain.enums import EnrolmentRole, EnrolmentStatus, MentorshipStatus
from mentormatch_desktop.storage.models import Department, Program

FUNNEL_STAGES = ("enrolled", "matched", "first_session", "active", "completed")
ACTIVE_MIN_SESSIONS = 3
"""Sessions a pair must have held to count as *active* (kept meeting after starting)."""

_DEPT = Department.__table__
_PROG = Program.__table__


def seekers(conn: Connection, f: Filters) -> pl.DataFrame:
    """One row per (program, person) enrolled to be mentored, with department and zone."""
    s = seeker_enrolments()
    stmt = (
        sa.select(s.c.program_id, s.c.person_id, _DEPT.c.name, PEOPLE.c.time_zone)
        .select_from(s)
        .join(PEOPLE, PEOPLE.c.id == s.c.person_id)
        .outerjoin(_DEPT, _DEPT.c.id == PEOPLE.c.department_id)
        .where(*enrolment_conditions(f, s))
    )
    schema = {
        "program_id": pl.Int64,
        "person_id": pl.Int64,
        "department": pl.String,
        "time_zone": pl.String,
    }
    return read_frame(conn, stmt, schema)


def mentors(conn: Connection, f: Filters) -> pl.DataFrame:
    """Active mentor enrolments with capacity and the mentees they have as of the filter.

    A mentor's load counts every running mentorship in the program, whatever the mentees'
    cohort or department: capacity is about the mentor's time.
    """
    as_of = f.reference_time()
    e, m = ENROLMENTS, MENTORSHIPS
    running = sa.and_(
        m.c.status.in_((MentorshipStatus.ACTIVE.value, MentorshipStatus.PAUSED.value)),
        m.c.started_at < as_of,
    )
    ended_later = sa.and_(m.c.ended_at.is_not(None), m.c.ended_at > as_of, m.c.started_at < as_of)
    load = (
        sa.select(m.c.program_id, m.c.mentor_id, sa.func.count().label("mentees"))
        .where(sa.or_(running, ended_later))
        .group_by(m.c.program_id, m.c.mentor_id)
        .subquery("load")
    )
    conds = [
        e.c.role == EnrolmentRole.MENTOR.value,
        e.c.status == EnrolmentStatus.ACTIVE.value,
        *enrolment_conditions(Filters(f.program, f.cohort, f.department, end=f.end), e),
    ]
    stmt = (
        sa.select(
            e.c.program_id,
            _PROG.c.name,
            e.c.person_id,
            PEOPLE.c.full_name,
            _DEPT.c.name,
            PEOPLE.c.time_zone,
            e.c.capacity,
            sa.func.coalesce(load.c.mentees, 0),
        )
        .select_from(e)
        .join(PEOPLE, PEOPLE.c.id == e.c.person_id)
        .join(_PROG, _PROG.c.id == e.c.program_id)
        .outerjoin(_DEPT, _DEPT.c.id == PEOPLE.c.department_id)
        .outerjoin(
            load, sa.and_(load.c.program_id == e.c.program_id, load.c.mentor_id == e.c.person_id)
        )
        .where(*conds)
        .order_by(e.c.program_id, e.c.person_id)
    )
    schema = {
        "program_id": pl.Int64,
        "program": pl.String,
        "mentor_id": pl.Int64,
        "mentor": pl.String,
        "department": pl.String,
        "time_zone": pl.String,
        "capacity": pl.Int64,
        "mentees": pl.Int64,
    }
    return read_frame(conn, stmt, schema)


def mentor_load(mentor_frame: pl.DataFrame) -> pl.DataFrame:
    """Mentees per mentor against capacity; ``load`` is mentees / capacity.

    Busiest first (``load``, then ``mentees``; no capacity last). Many mentors share a
    load, so ties go by mentor name, program, then the ids: the list reads the same on
    every refresh, export and report.
    """
    return mentor_frame.with_columns(
        load=pl.when(pl.col("capacity") > 0).then(pl.col("mentees") / pl.col("capacity")),
        over_capacity=pl.col("mentees") > pl.col("capacity"),
    ).sort(
        ["load", "mentees", "mentor", "program", "mentor_id", "program_id"],
        descending=[True, True, False, False, False, False],
        nulls_last=True,
    )


def _person_stages(facts: pl.DataFrame, active_sessions: int) -> pl.DataFrame:
    """The furthest stage each (program, person) reached, over both sides of a pair."""
    sides = [
        facts.select("program_id", pl.col(side).alias("person_id"), "sessions_held", "status")
        for side in ("mentee_id", "mentor_id")
    ]
    held = pl.col("sessions_held")
    return (
        pl.concat(sides)
        .group_by("program_id", "person_id")
        .agg(
            matched=pl.lit(True),
            first_session=(held >= 1).any(),
            active=(held >= active_sessions).any(),
            completed=((held >= active_sessions) & (pl.col("status") == COMPLETED)).any(),
        )
    )


def funnel(
    seeker_frame: pl.DataFrame, facts: pl.DataFrame, active_sessions: int = ACTIVE_MIN_SESSIONS
) -> pl.DataFrame:
    """Participants reaching each stage: enrolled → matched → first session → active →
    completed. Each stage counts people who reached it *and every stage before it*, so the
    funnel never widens; ``active`` means a pair held ``active_sessions`` sessions or more.
    """
    stages = _person_stages(facts, active_sessions)
    joined = seeker_frame.join(stages, on=["program_id", "person_id"], how="left")
    counts = joined.select(
        enrolled=pl.len(),
        matched=pl.col("matched").fill_null(False).sum(),
        first_session=pl.col("first_session").fill_null(False).sum(),
        active=pl.col("active").fill_null(False).sum(),
        completed=pl.col("completed").fill_null(False).sum(),
    ).row(0)
    values = [int(v) for v in counts]
    enrolled = values[0]
    return pl.DataFrame(
        {
            "stage": list(FUNNEL_STAGES),
            "participants": values,
            "share_of_enrolled": [v / enrolled if enrolled else None for v in values],
            "share_of_previous": [None]
            + [v / p if p else None for p, v in itertools.pairwise(values)],
        },
        schema={
            "stage": pl.String,
            "participants": pl.Int64,
            "share_of_enrolled": pl.Float64,
            "share_of_previous": pl.Float64,
        },
    )


def coverage(
    seeker_frame: pl.DataFrame,
    mentor_frame: pl.DataFrame,
    facts: pl.DataFrame,
    by: str = "department",
) -> pl.DataFrame:
    """Per department (or ``by="time_zone"``): mentees enrolled and matched, and the mentor
    supply (mentors, seats, seats taken). ``coverage`` is matched / enrolled mentees.

    Most mentees first; groups with as many mentees go by name, and the people without a
    department (or zone), shown as ``(none)``, come last among them. Group names are
    unique, so the order is total: the group-bys below come back in an arbitrary order
    (they run on several threads) and only this sort decides what the bars show.
    """
    if by not in ("department", "time_zone"):
        raise ValueError(f"coverage by {by!r}: choose 'department' or 'time_zone'")
    matched = facts.select("program_id", pl.col("mentee_id").alias("person_id")).unique()
    demand = (
        seeker_frame.join(
            matched.with_columns(matched=pl.lit(True)), on=["program_id", "person_id"], how="left"
        )
        .group_by(by)
        .agg(mentees=pl.len(), matched=pl.col("matched").fill_null(False).sum().cast(pl.Int64))
    )
    supply = mentor_frame.group_by(by).agg(
        mentors=pl.len(), seats=pl.col("capacity").sum(), seats_taken=pl.col("mentees").sum()
    )
    # nulls_equal: mentees and mentors without a department make one "(none)" row, not two.
    out = demand.join(supply, on=by, how="full", coalesce=True, nulls_equal=True).with_columns(
        pl.col("mentees", "matched", "mentors", "seats", "seats_taken").fill_null(0)
    )
    return (
        out.with_columns(
            coverage=pl.when(pl.col("mentees") > 0).then(pl.col("matched") / pl.col("mentees"))
        )
        .rename({by: "group"})
        .with_columns(by=pl.lit(by))
        # Sorted before "(none)" is filled in, so it can't mix with a group of that name.
        .sort(["mentees", "group"], descending=[True, False], nulls_last=True)
        .with_columns(pl.col("group").fill_null("(none)"))
    )
