"""Which rows a filter selects, written once so every metric slices the same way.

Conventions (documented in ``docs/analytics.md``):

* A *mentorship* belongs to the cohort and department of its **mentee** (the person the
  program serves), and is in a date range when it was running at some point inside it.
* An *enrolment* belongs to its own cohort and its person's department; it is in a date
  range when the person enrolled inside it.
* An *engagement event* belongs to the acting person's department and to that person's
  cohort in the event's program; it is in a date range when it occurred inside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.expression import ColumnElement

from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.domain.enums import EnrolmentRole
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Enrolment,
    Mentorship,
    Person,
)

MENTORSHIPS = Mentorship.__table__
ENROLMENTS = Enrolment.__table__
EVENTS = EngagementEvent.__table__
PEOPLE = Person.__table__

SEEKER_ROLES = (EnrolmentRole.MENTEE.value, EnrolmentRole.PEER.value)
"""Roles of the people a program serves (whose journey the funnel follows)."""


def seeker_enrolments() -> Subquery:
    """One row per (program, person) enrolled to receive mentoring: cohort and date."""
    e = ENROLMENTS
    return (
        sa.select(
            e.c.program_id,
            e.c.person_id,
            sa.func.min(e.c.cohort).label("cohort"),
            sa.func.min(e.c.enrolled_at).label("enrolled_at"),
        )
        .where(e.c.role.in_(SEEKER_ROLES))
        .group_by(e.c.program_id, e.c.person_id)
        .subquery("seeker")
    )


def person_cohorts() -> Subquery:
    """One row per (program, person) with any enrolment, and its cohort label."""
    e = ENROLMENTS
    return (
        sa.select(e.c.program_id, e.c.person_id, sa.func.min(e.c.cohort).label("cohort"))
        .group_by(e.c.program_id, e.c.person_id)
        .subquery("person_cohort")
    )


def mentorship_conditions(
    f: Filters, mentee: sa.Table | sa.Alias, seeker: Subquery
) -> list[ColumnElement[bool]]:
    """WHERE clauses selecting the mentorships ``f`` covers (joins supplied by caller)."""
    m = MENTORSHIPS
    conds: list[ColumnElement[bool]] = []
    if f.program_id is not None:
        conds.append(m.c.program_id == f.program_id)
    if f.cohort is not None:
        conds.append(seeker.c.cohort == f.cohort)
    if f.department_id is not None:
        conds.append(mentee.c.department_id.in_(f.department_ids))
    if f.end_before is not None:
        conds.append(m.c.started_at < f.end_before)
    if f.start_at is not None:
        conds.append(sa.or_(m.c.ended_at.is_(None), m.c.ended_at >= f.start_at))
    return conds


def event_conditions(
    f: Filters, person_cohort: Subquery | None = None
) -> list[ColumnElement[bool]]:
    """WHERE clauses for engagement events; the caller joins people (and cohorts if set)."""
    ev = EVENTS
    conds: list[ColumnElement[bool]] = []
    if f.program_id is not None:
        conds.append(ev.c.program_id == f.program_id)
    if f.cohort is not None:
        assert person_cohort is not None, "a cohort filter needs the cohort join"
        conds.append(person_cohort.c.cohort == f.cohort)
    if f.department_id is not None:
        conds.append(PEOPLE.c.department_id.in_(f.department_ids))
    if f.start_at is not None:
        conds.append(ev.c.occurred_at >= f.start_at)
    if f.end_before is not None:
        conds.append(ev.c.occurred_at < f.end_before)
    return conds


def enrolment_conditions(f: Filters, table: sa.Table | Subquery) -> list[ColumnElement[bool]]:
    """WHERE clauses for enrolment rows (``table`` has program_id, cohort, enrolled_at)."""
    conds: list[ColumnElement[bool]] = []
    if f.program_id is not None:
        conds.append(table.c.program_id == f.program_id)
    if f.cohort is not None:
        conds.append(table.c.cohort == f.cohort)
    if f.department_id is not None:
        conds.append(PEOPLE.c.department_id.in_(f.department_ids))
    if f.start_at is not None:
        conds.append(table.c.enrolled_at >= f.start_at)
    if f.end_before is not None:
        conds.append(table.c.enrolled_at < f.end_before)
    return conds


def scoped_mentorship_ids(f: Filters) -> sa.Select[tuple[int]]:
    """Ids of the mentorships ``f`` selects, as a subquery for ``IN (…)``."""
    m = MENTORSHIPS
    mentee = PEOPLE.alias("mentee")
    seeker = seeker_enrolments()
    return (
        sa.select(m.c.id)
        .select_from(m)
        .join(mentee, mentee.c.id == m.c.mentee_id)
        .outerjoin(
            seeker,
            sa.and_(seeker.c.program_id == m.c.program_id, seeker.c.person_id == m.c.mentee_id),
        )
        .where(*mentorship_conditions(f, mentee, seeker))
    )
