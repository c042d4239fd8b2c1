"""Approving a match run, safely when several coordinators (or processes) act at once.

Approval is the one step that creates mentorships, so it is the one that must not run
twice. It takes the locks first and decides from what it reads under them:

1. the write lock on SQLite (``BEGIN IMMEDIATE``), so no other writer slips in between
   what approval reads and what it writes;
2. on PostgreSQL the program row ``FOR UPDATE`` (approvals of one program queue up, so two
   runs of a program cannot both be approved) and then the run row ``FOR UPDATE`` (a
   decision on one of its proposals, which takes the run ``FOR SHARE``, waits or is
   waited for; it never interleaves).

Under the locks it re-reads the run (a second approval finds it approved or discarded
and is refused), re-reads the proposals (a rejection committed a moment earlier is seen),
re-checks the pairs already running and every mentor's free seats, creates the
mentorships, and discards the program's other open runs, whose proposals were computed
for seats that are now taken. The database backs each rule independently (migration
0003: one running pair, mentor capacity), so a client that skips this service still
cannot break them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mentormatch_desktop.domain.enums import (
    EngagementKind,
    EnrolmentRole,
    MatchRunStatus,
    MentorshipStatus,
    ProgramKind,
    ProposalStatus,
)
from mentormatch_desktop.domain.errors import StaleDecisionError
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.match_records import MatchingError
from mentormatch_desktop.storage.locking import locked, take_write_lock
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    Program,
)

RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)


@dataclass
class ApprovalSummary:
    run_id: int
    mentorships_created: int
    rejected_skipped: int
    already_active: int
    discarded_runs: list[int] = field(default_factory=list)


def _refusal(run: MatchRun) -> str | None:
    """Why ``run`` cannot be approved or changed any more, or None while it is open."""
    status = MatchRunStatus(run.status)
    if status == MatchRunStatus.COMPLETED:
        return None
    if status == MatchRunStatus.APPROVED:
        when = f" at {run.approved_at:%Y-%m-%d %H:%M} UTC" if run.approved_at else ""
        return f"run {run.id} was already approved{when}; nothing was changed"
    if status == MatchRunStatus.DISCARDED:
        return (
            f"run {run.id} was discarded because another run of its program was approved; "
            "nothing was changed (start a new run to match the people still unmatched)"
        )
    return f"run {run.id} is {status.value}; only a completed run can be approved or changed"


def lock_open_run(session: Session, run_id: int, *, exclusive: bool = False) -> MatchRun:
    """The run, locked and re-read, if it is still open to decisions (else MatchingError).

    Decisions take the run ``FOR SHARE`` (they may run side by side), approval takes it
    ``FOR UPDATE``; on SQLite both take the database's write lock first.
    """
    take_write_lock(session)
    run = session.scalars(
        locked(sa.select(MatchRun).where(MatchRun.id == run_id), shared=not exclusive)
    ).one_or_none()
    if run is None:
        raise MatchingError(f"no match run with id {run_id}")
    reason = _refusal(run)
    if reason:
        raise MatchingError(reason)
    return run


def check_version(entity: str, entity_id: int, seen: int | None, current: int) -> None:
    """Refuse a decision made on ``seen`` when the stored version is ``current``."""
    if seen is not None and seen != current:
        raise StaleDecisionError(entity, entity_id, seen, current)


def flush_versioned(session: Session, entity: str, entity_id: int, seen: int | None) -> None:
    """Flush; an UPDATE that found its row at another version becomes StaleDecisionError."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleDecisionError(entity, entity_id, seen, None) from None


def _capacities(session: Session, program_id: int, peer: bool) -> dict[int, int]:
    role = EnrolmentRole.PEER if peer else EnrolmentRole.MENTOR
    rows = session.execute(
        sa.select(Enrolment.person_id, Enrolment.capacity).where(
            Enrolment.program_id == program_id, Enrolment.role == role
        )
    )
    return {int(pid): int(cap) for pid, cap in rows}


def _over_capacity(
    session: Session,
    program_id: int,
    peer: bool,
    running: list[tuple[int, int]],
    new: list[tuple[int, int]],
) -> list[str]:
    """Mentors (peers: either side) whose running plus new pairings exceed their capacity."""
    load: Counter[int] = Counter()
    for mentee, mentor in [*running, *new]:
        load[mentor] += 1
        if peer:
            load[mentee] += 1
    caps = _capacities(session, program_id, peer)
    over = {pid: n for pid, n in load.items() if pid in caps and n > caps[pid]}
    if not over:
        return []
    names = dict(
        session.execute(sa.select(Person.id, Person.full_name).where(Person.id.in_(over))).all()
    )
    return [
        f"{names.get(pid, pid)} would have {n} running mentorships (capacity {caps[pid]})"
        for pid, n in sorted(over.items())
    ]


def approve_run(
    ctx: ServiceContext, run_id: int, *, expected_version: int | None = None
) -> ApprovalSummary:
    """Turn every non-rejected proposal of a completed run into a mentorship, at once.

    ``expected_version`` is the run version the coordinator saw (None: not checked).
    Refused with :class:`MatchingError` when the run is no longer open (approved,
    discarded, failed) or when a mentor has no seat left for a pair; refused with
    :class:`StaleDecisionError` when the run changed since it was shown.
    """
    session = ctx.session
    take_write_lock(session)
    program_id = session.scalar(sa.select(MatchRun.program_id).where(MatchRun.id == run_id))
    if program_id is None:
        raise MatchingError(f"no match run with id {run_id}")
    program = session.scalars(locked(sa.select(Program).where(Program.id == program_id))).one()
    run = lock_open_run(session, run_id, exclusive=True)
    check_version("match run", run_id, expected_version, run.version)
    peer = program.kind == ProgramKind.PEER
    proposals = session.scalars(
        locked(
            sa.select(MatchProposal)
            .where(MatchProposal.run_id == run_id)
            .order_by(MatchProposal.score.desc(), MatchProposal.id)
        )
    ).all()
    running = [
        (int(e), int(m))
        for e, m in session.execute(
            sa.select(Mentorship.mentee_id, Mentorship.mentor_id).where(
                Mentorship.program_id == program_id, Mentorship.status.in_(RUNNING)
            )
        )
    ]
    active = set(running)
    rejected = [p for p in proposals if p.status == ProposalStatus.REJECTED]
    open_ = [p for p in proposals if p.status != ProposalStatus.REJECTED]
    duplicate = [p for p in open_ if (p.mentee_id, p.mentor_id) in active]
    chosen = [p for p in open_ if (p.mentee_id, p.mentor_id) not in active]
    over = _over_capacity(
        session, program_id, peer, running, [(p.mentee_id, p.mentor_id) for p in chosen]
    )
    if over:
        raise MatchingError(
            f"run {run_id} cannot be approved: " + "; ".join(over) + ". Reject some of "
            "their pairs or raise their capacity, then approve again; nothing was created"
        )
    now = ctx.now()
    actor = ctx.actor.person_id
    created = 0
    for p in chosen:
        if p.status == ProposalStatus.PROPOSED:
            p.status, p.decided_by_id, p.decided_at = ProposalStatus.ACCEPTED, actor, now
        m = Mentorship(
            program_id=program_id,
            mentor_id=p.mentor_id,
            mentee_id=p.mentee_id,
            proposal_id=p.id,
            match_score=p.score,
            started_at=now,
        )
        session.add(m)
        flush_versioned(session, "proposal", p.id, p.version)
        created += 1
        ctx.audit("mentorship.created", "mentorship", m.id, {"run_id": run_id, "proposal_id": p.id})
        for person in (p.mentee_id, p.mentor_id):
            session.add(
                EngagementEvent(
                    person_id=person,
                    program_id=program_id,
                    mentorship_id=m.id,
                    kind=EngagementKind.MATCHED,
                    occurred_at=now,
                    payload={"run_id": run_id},
                )
            )
    discarded = _discard_other_open_runs(ctx, program_id, run_id)
    run.status, run.approved_by_id, run.approved_at = MatchRunStatus.APPROVED, actor, now
    flush_versioned(session, "match run", run_id, run.version)
    ctx.audit(
        "match_run.approved",
        "match_run",
        run_id,
        {"mentorships": created, "rejected": len(rejected), "discarded_runs": discarded},
    )
    return ApprovalSummary(run_id, created, len(rejected), len(duplicate), discarded)


def _discard_other_open_runs(ctx: ServiceContext, program_id: int, approved: int) -> list[int]:
    """Set the program's other completed runs to DISCARDED: their seats are now taken."""
    others = ctx.session.scalars(
        locked(
            sa.select(MatchRun).where(
                MatchRun.program_id == program_id,
                MatchRun.status == MatchRunStatus.COMPLETED,
                MatchRun.id != approved,
            )
        )
    ).all()
    for other in others:
        other.status = MatchRunStatus.DISCARDED
        ctx.audit("match_run.discarded", "match_run", other.id, {"because_approved": approved})
    ctx.session.flush()
    return sorted(o.id for o in others)
