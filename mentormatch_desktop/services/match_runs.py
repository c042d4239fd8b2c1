"""Read-only queries behind the Matching screen: a program's runs and one run in full.

Decisions (accept, lock, swap, approve) are in :mod:`.matching`; this module only reads, so
the screen can reload a run after any decision with one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    MatchRunStatus,
    MentorshipStatus,
    ProgramKind,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.match_records import ProposalView, proposal_view
from mentormatch_desktop.storage.models import (
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    Program,
    WeightSet,
)


@dataclass(frozen=True)
class RunInfo:
    id: int
    program_id: int
    strategy: str
    status: str
    solver_status: str | None
    started_at: datetime
    matched: int
    total_score: float | None
    min_score: float | None
    diagnosis: str
    seconds: float | None
    is_dry_run: bool

    @property
    def open(self) -> bool:
        """Decisions can still change (not approved, failed or discarded)."""
        return self.status == MatchRunStatus.COMPLETED


@dataclass
class RunDetail:
    run: RunInfo
    proposals: list[ProposalView]
    weights: dict[str, float]  # normalised weights the run used (breakdown bars use them)
    criterion_labels: dict[str, str]
    mentees_enrolled: int  # to be matched: enrolled and not already in a running pairing
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (person id, name)
    # Who "why not this pair?" may ask about: this run's mentees (or peers) and the
    # program's active mentors (for peer programs, the same peers), by name.
    mentees: list[tuple[int, str]] = field(default_factory=list)
    mentors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ProgramOption:
    id: int
    name: str
    kind: ProgramKind


def matching_programs(ctx: ServiceContext) -> list[ProgramOption]:
    rows = ctx.session.execute(
        sa.select(Program.id, Program.name, Program.kind).order_by(Program.name)
    )
    return [ProgramOption(i, n, ProgramKind(k)) for i, n, k in rows]


def _info(run: MatchRun) -> RunInfo:
    objective = run.objective or {}
    return RunInfo(
        id=run.id,
        program_id=run.program_id,
        strategy=run.strategy,
        status=str(MatchRunStatus(run.status)),
        solver_status=run.solver_status,
        started_at=run.started_at,
        matched=int(objective.get("matched") or 0),
        total_score=objective.get("total_score"),
        min_score=objective.get("min_score"),
        diagnosis=run.diagnosis,
        seconds=run.seconds,
        is_dry_run=run.is_dry_run,
    )


def list_runs(ctx: ServiceContext, program_id: int, *, limit: int = 50) -> list[RunInfo]:
    """The program's runs, newest first."""
    runs = ctx.session.scalars(
        sa.select(MatchRun)
        .where(MatchRun.program_id == program_id)
        .order_by(MatchRun.started_at.desc(), MatchRun.id.desc())
        .limit(limit)
    )
    return [_info(r) for r in runs]


def run_detail(ctx: ServiceContext, run_id: int) -> RunDetail:
    """One run with its proposals (best first), its weights and who is left unmatched."""
    session, host = ctx.session, ctx.plugins
    run = session.get(MatchRun, run_id)
    if run is None:
        raise LookupError(f"no match run with id {run_id}")
    proposals = list(
        session.scalars(
            sa.select(MatchProposal)
            .where(MatchProposal.run_id == run_id)
            .order_by(MatchProposal.score.desc(), MatchProposal.id)
        )
    )
    people = {p.mentee_id for p in proposals} | {p.mentor_id for p in proposals}
    names = dict(
        session.execute(sa.select(Person.id, Person.full_name).where(Person.id.in_(people))).all()
    )
    criteria = host.criteria()
    weights = {n: float(c.default_weight) for n, c in criteria.items()}
    if run.weight_set_id is not None:
        ws = session.get(WeightSet, run.weight_set_id)
        if ws is not None:
            weights.update({k: float(v) for k, v in ws.weights.items() if k in weights})
    total = sum(w for w in weights.values() if w > 0) or 1.0
    weights = {k: w / total for k, w in weights.items() if w > 0}
    program = session.get(Program, run.program_id)
    role = (
        EnrolmentRole.PEER
        if program is not None and program.kind == ProgramKind.PEER
        else EnrolmentRole.MENTEE
    )
    enrolled = session.execute(
        sa.select(Person.id, Person.full_name)
        .join(Enrolment, Enrolment.person_id == Person.id)
        .where(
            Enrolment.program_id == run.program_id,
            Enrolment.role == role,
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
        .order_by(Person.full_name)
    ).all()
    matched = {p.mentee_id for p in proposals} | (
        {p.mentor_id for p in proposals} if role == EnrolmentRole.PEER else set()
    )
    # People already in a running mentorship of the program were not this run's to match.
    running = sa.select(Mentorship.mentee_id).where(
        Mentorship.program_id == run.program_id,
        Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]),
    )
    if role == EnrolmentRole.PEER:
        running = running.union(
            sa.select(Mentorship.mentor_id).where(
                Mentorship.program_id == run.program_id,
                Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]),
            )
        )
    taken = set(session.scalars(running)) - matched
    enrolled = [(pid, name) for pid, name in enrolled if pid not in taken]
    if role == EnrolmentRole.PEER:
        mentors = list(enrolled)
    else:
        mentors = [
            (int(pid), name)
            for pid, name in session.execute(
                sa.select(Person.id, Person.full_name)
                .join(Enrolment, Enrolment.person_id == Person.id)
                .where(
                    Enrolment.program_id == run.program_id,
                    Enrolment.role == EnrolmentRole.MENTOR,
                    Enrolment.status == EnrolmentStatus.ACTIVE,
                )
                .order_by(Person.full_name)
            )
        ]
    return RunDetail(
        run=_info(run),
        proposals=[proposal_view(p, names) for p in proposals],
        weights=weights,
        criterion_labels={n: c.label for n, c in criteria.items()},
        mentees_enrolled=len(enrolled),
        unmatched=[(pid, name) for pid, name in enrolled if pid not in matched],
        mentees=[(int(pid), name) for pid, name in enrolled],
        mentors=mentors,
    )
