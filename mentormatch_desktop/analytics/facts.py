"""One row per mentorship with everything outcome metrics need, in a single query.

Most mentorship-level metrics (at risk, completion, score against outcome, time to first
session, the funnel) are views of the same facts. Computing those facts once per filter
(three grouped aggregates joined to the scoped mentorships) and deriving the metrics with
polars keeps every figure consistent and the dashboard refresh to one scan of the events.

Activity comes from ``engagement_events`` (the append-only log services write with each
domain row, see :mod:`mentormatch_desktop.services.activity`): a *session* is a
``session_held`` event, a *message* a ``message_sent`` event.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.analytics.scope import (
    EVENTS,
    MENTORSHIPS,
    PEOPLE,
    mentorship_conditions,
    scoped_mentorship_ids,
    seeker_enrolments,
)
from mentormatch_desktop.analytics.sql import UTC_DT, count_where, read_frame
from mentormatch_desktop.domain.activity import SIGNS_OF_LIFE
from mentormatch_desktop.domain.enums import EngagementKind
from mentormatch_desktop.storage.models import Department, Feedback, Milestone, Program

HELD = EngagementKind.SESSION_HELD.value
MISSED = EngagementKind.SESSION_MISSED.value
MESSAGE = EngagementKind.MESSAGE_SENT.value

FACTS_SCHEMA: dict[str, pl.DataType | type] = {
    "mentorship_id": pl.Int64,
    "program_id": pl.Int64,
    "program": pl.String,
    "cohort": pl.String,
    "department": pl.String,
    "time_zone": pl.String,
    "mentor_id": pl.Int64,
    "mentor": pl.String,
    "mentee_id": pl.Int64,
    "mentee": pl.String,
    "status": pl.String,
    "match_score": pl.Float64,
    "enrolled_at": UTC_DT,
    "started_at": UTC_DT,
    "ended_at": UTC_DT,
    "first_session_at": UTC_DT,
    "last_activity_at": UTC_DT,
    "sessions_held": pl.Int64,
    "sessions_missed": pl.Int64,
    "messages": pl.Int64,
    "milestones": pl.Int64,
    "milestones_done": pl.Int64,
    "milestones_overdue": pl.Int64,
    "ratings": pl.Int64,
    "mean_rating": pl.Float64,
}


def activity_totals(as_of: datetime, *conditions: sa.ColumnElement[bool]) -> sa.Subquery:
    """Per mentorship, from the engagement log: sessions held and missed, messages, the
    first session and the last activity (:data:`~mentormatch_desktop.domain.activity.
    SIGNS_OF_LIFE`) before ``as_of``.

    The Mentorships screen and the dashboard's facts both read this, so they agree. A
    session writes one event per participant (engagement is per person), all at the time
    it ended, so sessions are counted as distinct end times per mentorship.
    """
    ev = EVENTS
    alive = [k.value for k in SIGNS_OF_LIFE]
    return (
        sa.select(
            ev.c.mentorship_id,
            sa.func.count(sa.distinct(sa.case((ev.c.kind == HELD, ev.c.occurred_at)))).label(
                "sessions_held"
            ),
            sa.func.count(sa.distinct(sa.case((ev.c.kind == MISSED, ev.c.occurred_at)))).label(
                "sessions_missed"
            ),
            count_where(ev.c.kind == MESSAGE).label("messages"),
            sa.func.min(sa.case((ev.c.kind == HELD, ev.c.occurred_at))).label("first_session"),
            sa.func.max(sa.case((ev.c.kind.in_(alive), ev.c.occurred_at))).label("last_activity"),
        )
        .where(
            ev.c.mentorship_id.is_not(None),
            ev.c.occurred_at < as_of,
            ev.c.kind.in_((HELD, MISSED, MESSAGE)),
            *conditions,
        )
        .group_by(ev.c.mentorship_id)
        .subquery("ev")
    )


def _event_totals(f: Filters, as_of: datetime) -> sa.Subquery:
    ev = EVENTS
    conds = []
    if f.program_id is not None:
        conds.append(ev.c.program_id == f.program_id)
    if f.cohort is not None or f.department_id is not None:
        # A narrow slice: aggregate only its mentorships' events (uses the index).
        conds.append(ev.c.mentorship_id.in_(scoped_mentorship_ids(f)))
    return activity_totals(as_of, *conds)


def milestone_totals(as_of: datetime) -> sa.Subquery:
    """Per mentorship: milestones, those done by ``as_of`` and those overdue at ``as_of``."""
    ms = Milestone.__table__
    done = sa.and_(ms.c.completed_at.is_not(None), ms.c.completed_at <= as_of)
    overdue = sa.and_(ms.c.due_on.is_not(None), ms.c.due_on < as_of.date(), sa.not_(done))
    return (
        sa.select(
            ms.c.mentorship_id,
            sa.func.count().label("milestones"),
            count_where(done).label("done"),
            count_where(overdue).label("overdue"),
        )
        .group_by(ms.c.mentorship_id)
        .subquery("ms")
    )


def _feedback_totals(as_of: datetime) -> sa.Subquery:
    fb = Feedback.__table__
    return (
        sa.select(
            fb.c.mentorship_id,
            sa.func.count().label("ratings"),
            sa.func.avg(fb.c.rating).label("mean_rating"),
        )
        .where(fb.c.created_at <= as_of)
        .group_by(fb.c.mentorship_id)
        .subquery("fb")
    )


def mentorship_facts(conn: Connection, f: Filters) -> pl.DataFrame:
    """The facts frame for the mentorships ``f`` selects (``f`` must be resolved)."""
    as_of = f.reference_time()
    m = MENTORSHIPS
    mentee = PEOPLE.alias("mentee")
    mentor = PEOPLE.alias("mentor")
    seeker = seeker_enrolments()
    dept = Department.__table__
    prog = Program.__table__
    ev = _event_totals(f, as_of)
    ms = milestone_totals(as_of)
    fb = _feedback_totals(as_of)
    zero = sa.literal(0)
    stmt = (
        sa.select(
            m.c.id,
            m.c.program_id,
            prog.c.name,
            seeker.c.cohort,
            dept.c.name,
            mentee.c.time_zone,
            m.c.mentor_id,
            mentor.c.full_name,
            m.c.mentee_id,
            mentee.c.full_name,
            m.c.status,
            m.c.match_score,
            seeker.c.enrolled_at,
            m.c.started_at,
            m.c.ended_at,
            ev.c.first_session,
            ev.c.last_activity,
            sa.func.coalesce(ev.c.sessions_held, zero),
            sa.func.coalesce(ev.c.sessions_missed, zero),
            sa.func.coalesce(ev.c.messages, zero),
            sa.func.coalesce(ms.c.milestones, zero),
            sa.func.coalesce(ms.c.done, zero),
            sa.func.coalesce(ms.c.overdue, zero),
            sa.func.coalesce(fb.c.ratings, zero),
            sa.cast(fb.c.mean_rating, sa.Float),
        )
        .select_from(m)
        .join(prog, prog.c.id == m.c.program_id)
        .join(mentee, mentee.c.id == m.c.mentee_id)
        .join(mentor, mentor.c.id == m.c.mentor_id)
        .outerjoin(dept, dept.c.id == mentee.c.department_id)
        .outerjoin(
            seeker,
            sa.and_(seeker.c.program_id == m.c.program_id, seeker.c.person_id == m.c.mentee_id),
        )
        .outerjoin(ev, ev.c.mentorship_id == m.c.id)
        .outerjoin(ms, ms.c.mentorship_id == m.c.id)
        .outerjoin(fb, fb.c.mentorship_id == m.c.id)
        .where(m.c.started_at < as_of, *mentorship_conditions(f, mentee, seeker))
        .order_by(m.c.id)
    )
    return read_frame(conn, stmt, FACTS_SCHEMA)
