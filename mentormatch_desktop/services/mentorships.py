"""Mentorships after approval: list with health, end a pairing, re-match a mentee.

Health is the dashboard's: sessions and last activity come from the engagement log
(:func:`mentormatch_desktop.analytics.facts.activity_totals`) and the at-risk rule is
:func:`mentormatch_desktop.analytics.outcomes.with_risk` (see
:mod:`mentormatch_desktop.domain.activity`): an active pairing is at risk when nobody met
or wrote for more than ``risk_days`` (counted from the start when they never did) or a
milestone is overdue.
Ending and re-matching run in the caller's unit of work and leave an audit trail naming the
acting person; a re-match ends the old pairing early with the reason and starts the new one
in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from mentormatch_desktop.analytics import outcomes
from mentormatch_desktop.analytics.facts import activity_totals, milestone_totals
from mentormatch_desktop.analytics.sql import UTC_DT
from mentormatch_desktop.domain.activity import RISK_DAYS
from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    MentorshipStatus,
    ProgramKind,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.locking import locked, take_write_lock
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Enrolment,
    Mentorship,
    Person,
    Program,
)

# Longer id lists are filtered in Python: SQLite binds at most 32,766 parameters.
_MAX_IN_LIST = 5_000
RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)


class MentorshipError(ValueError):
    """An action on a mentorship cannot be done; the message says why."""


@dataclass(frozen=True)
class MentorshipFilter:
    program_id: int | None = None
    status: MentorshipStatus | None = None
    at_risk_only: bool = False
    text: str = ""
    # Exactly these mentorships (a dashboard drill-down); None: no restriction.
    ids: tuple[int, ...] | None = None


@dataclass
class MentorshipRow:
    id: int
    program_id: int
    program: str
    mentor_id: int
    mentor: str
    mentee_id: int
    mentee: str
    status: MentorshipStatus
    started_at: datetime
    ended_at: datetime | None
    last_activity_at: datetime | None
    days_silent: int | None  # running pairings only
    sessions_held: int
    milestones_done: int
    milestones_total: int
    milestones_overdue: int
    match_score: float | None
    end_reason: str
    risk_reasons: list[str] = field(default_factory=list)
    peer: bool = False  # a peer program: the two sides are Peer A and Peer B

    @property
    def at_risk(self) -> bool:
        return bool(self.risk_reasons)


def list_mentorships(
    ctx: ServiceContext,
    flt: MentorshipFilter | None = None,
    *,
    as_of: datetime | None = None,
    risk_days: int = RISK_DAYS,
) -> list[MentorshipRow]:
    """Mentorships with their health, at-risk ones first, then by silence."""
    session = ctx.session
    flt = flt or MentorshipFilter()
    as_of = as_of or ctx.now()
    mentor, mentee = aliased(Person), aliased(Person)
    held = activity_totals(
        as_of,
        *([EngagementEvent.program_id == flt.program_id] if flt.program_id is not None else []),
    )
    milestones = milestone_totals(as_of)
    query = (
        sa.select(
            Mentorship,
            Program.name,
            Program.kind,
            mentor.full_name,
            mentee.full_name,
            sa.func.coalesce(held.c.sessions_held, 0),
            held.c.last_activity,
            sa.func.coalesce(milestones.c.done, 0),
            sa.func.coalesce(milestones.c.milestones, 0),
            sa.func.coalesce(milestones.c.overdue, 0),
        )
        .join(Program, Program.id == Mentorship.program_id)
        .join(mentor, mentor.id == Mentorship.mentor_id)
        .join(mentee, mentee.id == Mentorship.mentee_id)
        .outerjoin(held, held.c.mentorship_id == Mentorship.id)
        .outerjoin(milestones, milestones.c.mentorship_id == Mentorship.id)
    )
    if flt.program_id is not None:
        query = query.where(Mentorship.program_id == flt.program_id)
    if flt.status is not None:
        query = query.where(Mentorship.status == flt.status)
    wanted = None if flt.ids is None else set(flt.ids)
    if wanted is not None and len(wanted) <= _MAX_IN_LIST:
        query = query.where(Mentorship.id.in_(wanted))
    text = flt.text.strip().lower()
    if text:
        pattern = f"%{text}%"
        query = query.where(
            sa.or_(sa.func.lower(mentor.full_name).like(pattern),
                   sa.func.lower(mentee.full_name).like(pattern))
        )  # fmt: skip
    found = []
    for (
        m,
        program,
        kind,
        mentor_name,
        mentee_name,
        n_held,
        last,
        done,
        total,
        overdue,
    ) in session.execute(query):
        if wanted is not None and m.id not in wanted:
            continue  # long id lists are filtered here rather than bound one by one
        row = MentorshipRow(
            id=m.id, program_id=m.program_id, program=program, mentor_id=m.mentor_id,
            mentor=mentor_name, mentee_id=m.mentee_id, mentee=mentee_name,
            status=MentorshipStatus(m.status), started_at=m.started_at, ended_at=m.ended_at,
            last_activity_at=last, days_silent=None, sessions_held=int(n_held),
            milestones_done=int(done), milestones_total=int(total),
            milestones_overdue=int(overdue), match_score=m.match_score, end_reason=m.end_reason,
            peer=ProgramKind(kind) == ProgramKind.PEER,
        )  # fmt: skip
        found.append(row)
    _apply_risk(found, as_of, risk_days)
    rows = [r for r in found if not flt.at_risk_only or r.at_risk]
    rows.sort(
        key=lambda r: (not r.at_risk, r.status not in RUNNING, -(r.days_silent or 0), r.mentee)
    )
    return rows


def _apply_risk(rows: list[MentorshipRow], as_of: datetime, risk_days: int) -> None:
    """Fill ``days_silent`` and ``risk_reasons`` with the dashboard's own rule."""
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "status": [r.status.value for r in rows],
            "started_at": [r.started_at for r in rows],
            "last_activity_at": [r.last_activity_at for r in rows],
            "milestones_overdue": [r.milestones_overdue for r in rows],
        },
        schema={
            "status": pl.String,
            "started_at": UTC_DT,
            "last_activity_at": UTC_DT,
            "milestones_overdue": pl.Int64,
        },
    )
    judged = outcomes.with_risk(frame, as_of, risk_days)
    for row, days, reason in zip(
        rows, judged["days_silent"].to_list(), judged["risk_reason"].to_list(), strict=True
    ):
        row.days_silent = days
        row.risk_reasons = reason.split("; ") if reason else []


def _get(session: Session, mentorship_id: int) -> Mentorship:
    m = session.get(Mentorship, mentorship_id)
    if m is None:
        raise MentorshipError(f"no mentorship with id {mentorship_id}")
    return m


def _end(ctx: ServiceContext, m: Mentorship, reason: str, status: MentorshipStatus) -> None:
    if MentorshipStatus(m.status) not in RUNNING:
        raise MentorshipError(f"this mentorship is already {MentorshipStatus(m.status).value}")
    if not reason.strip():
        raise MentorshipError("say why the mentorship ends (the reason is kept in its history)")
    m.status = status
    m.ended_at = ctx.now()
    m.end_reason = reason.strip()
    m.ended_by_id = ctx.actor.person_id


def end_mentorship(
    ctx: ServiceContext,
    mentorship_id: int,
    reason: str,
    *,
    completed: bool = False,
) -> int:
    """End a running mentorship: completed, or ended early (the default) with ``reason``."""
    m = _get(ctx.session, mentorship_id)
    status = MentorshipStatus.COMPLETED if completed else MentorshipStatus.ENDED_EARLY
    _end(ctx, m, reason, status)
    ctx.audit(f"mentorship.{status.value}", "mentorship", m.id, {"reason": m.end_reason})
    ctx.session.flush()
    return m.id


@dataclass(frozen=True)
class Candidate:
    """A mentor who could take over: score with this mentee and free seats."""

    mentor_id: int
    name: str
    score: float
    free_seats: int


def rematch_candidates(
    ctx: ServiceContext, mentorship_id: int, *, limit: int = 8
) -> list[Candidate]:
    """Best other mentors for the mentee, under the program's current weights and rules,
    among mentors with a free seat (the current mentor is left out)."""
    from mentormatch_desktop.services import matching_models
    from mentormatch_desktop.services.weights import current_weights

    session = ctx.session
    m = _get(session, mentorship_id)
    model = matching_models.score_model(ctx, m.program_id, exclude_matched=False)
    cohort = model.cohort
    e = int(cohort.mentees.indices_of([m.mentee_id])[0])
    if e < 0:
        raise MentorshipError("the mentee is no longer enrolled as a mentee in this program")
    n = cohort.n_mentors
    if n == 0:
        return []
    weights = current_weights(ctx, m.program_id).weights
    scores = model.pair_scores(weights, np.full(n, e), np.arange(n))
    mentor_ids = [int(x) for x in cohort.mentors.person_ids]
    free = _free_seats(session, m.program_id, mentor_ids)
    order = np.argsort(-scores, kind="stable")
    out: list[Candidate] = []
    for j in order.tolist():
        pid = mentor_ids[j]
        if pid == m.mentor_id or not np.isfinite(scores[j]) or free.get(pid, 0) <= 0:
            continue
        out.append(Candidate(pid, cohort.mentors.names[j], float(scores[j]), free[pid]))
        if len(out) == limit:
            break
    return out


def _free_seats(session: Session, program_id: int, mentor_ids: list[int]) -> dict[int, int]:
    """Seats left per mentor: capacity minus running pairings (peers count both sides)."""
    program = session.get(Program, program_id)
    peer = program is not None and program.kind == ProgramKind.PEER
    capacity = dict(
        session.execute(
            sa.select(Enrolment.person_id, Enrolment.capacity).where(
                Enrolment.program_id == program_id,
                Enrolment.role == (EnrolmentRole.PEER if peer else EnrolmentRole.MENTOR),
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.person_id.in_(mentor_ids),
            )
        ).all()
    )
    running = sa.and_(Mentorship.program_id == program_id, Mentorship.status.in_(RUNNING))
    used: dict[int, int] = {}
    sides = (Mentorship.mentor_id, Mentorship.mentee_id) if peer else (Mentorship.mentor_id,)
    for side in sides:
        for pid, n in session.execute(
            sa.select(side, sa.func.count()).where(running).group_by(side)
        ):
            used[pid] = used.get(pid, 0) + int(n)
    return {pid: int(cap) - used.get(pid, 0) for pid, cap in capacity.items()}


def rematch(
    ctx: ServiceContext,
    mentorship_id: int,
    new_mentor_id: int,
    reason: str,
    *,
    score: float | None = None,
) -> int:
    """End the pairing early with ``reason`` and pair the mentee with ``new_mentor_id``.

    Both in the caller's unit of work; returns the new mentorship's id. The new mentor
    needs a free seat.
    """
    session = ctx.session
    take_write_lock(session)  # SQLite: no other writer between counting seats and taking one
    m = _get(session, mentorship_id)
    if new_mentor_id == m.mentor_id:
        raise MentorshipError("pick a different mentor")
    session.execute(  # PostgreSQL: hold the new mentor's enrolment while counting their seats
        locked(
            sa.select(Enrolment.id).where(
                Enrolment.program_id == m.program_id, Enrolment.person_id == new_mentor_id
            )
        )
    )
    seats = _free_seats(session, m.program_id, [new_mentor_id])
    if new_mentor_id not in seats:
        raise MentorshipError("that person is not an active mentor in this program")
    if seats[new_mentor_id] <= 0:
        raise MentorshipError("that mentor has no free seat left")
    _end(ctx, m, f"Re-matched: {reason.strip()}" if reason.strip() else "",
         MentorshipStatus.ENDED_EARLY)  # fmt: skip
    now = ctx.now()
    new = Mentorship(
        program_id=m.program_id, mentor_id=new_mentor_id, mentee_id=m.mentee_id,
        group_key=m.group_key, status=MentorshipStatus.ACTIVE, match_score=score,
        started_at=now,
    )  # fmt: skip
    session.add(new)
    session.flush()
    ctx.audit(
        "mentorship.rematched", "mentorship", m.id,
        {"reason": reason.strip(), "new_mentorship": new.id, "new_mentor": new_mentor_id},
    )  # fmt: skip
    session.flush()
    return new.id


def program_names(ctx: ServiceContext) -> list[tuple[int, str]]:
    rows = ctx.session.execute(sa.select(Program.id, Program.name).order_by(Program.name))
    return [(pid, name) for pid, name in rows]
