"""Questions about a program's matching that store nothing: strategy comparison and "why not?".

Re-exported by :mod:`mentormatch_desktop.services.matching`, where callers find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import (
    EnrolmentStatus,
    MatchRunStatus,
    MentorshipStatus,
    ProposalStatus,
)
from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.matching.problem import Assignment, MatchSolution, SolveStatus
from mentormatch_desktop.matching.scoring import normalise_weights
from mentormatch_desktop.matching.solvers.compare import ComparisonRow
from mentormatch_desktop.matching.solvers.compare import compare_strategies as _compare
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.match_records import MatchingError, locked_pairs, run_weights
from mentormatch_desktop.services.matching_problem import build_problem
from mentormatch_desktop.services.weights import current_weights
from mentormatch_desktop.storage.models import (
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    Program,
)


def _sub(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """``progress`` rescaled to the part ``lo``–``hi`` of the whole task."""
    if progress is None:
        return None
    return lambda f, msg: progress(lo + (hi - lo) * min(1.0, max(0.0, f)), msg)


def compare_strategies(
    ctx: ServiceContext,
    program_id: int,
    strategies: Sequence[str],
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[ComparisonRow]:
    """Solve the program's current problem with each strategy; nothing is stored.

    Rows: strategy, status, matched, total/min score, score quantiles, constraint
    violations (checked independently of the strategy), seconds and ratio to the best.
    """
    host = ctx.plugins
    program = ctx.session.get(Program, program_id)
    if program is None:
        raise MatchingError(f"no program with id {program_id}")
    solvers = []
    for name in strategies:
        try:
            solvers.append(_Guarded(host, host.strategy(name)))
        except KeyError as exc:
            raise MatchingError(str(exc.args[0])) from None
    model = matching_models.score_model(
        ctx, program_id, progress=_sub(progress, 0, 0.3), cancel=cancel
    )
    weights = normalise_weights(current_weights(ctx, program_id).weights, model.names)
    problem, _ = build_problem(model, weights, group_size=program.group_size, cancel=cancel)
    return _compare(
        problem, solvers, time_limit=time_limit, progress=_sub(progress, 0.3, 1.0), cancel=cancel
    )


class _Guarded:
    """A strategy whose ``solve`` runs under the host's guard (disables a failing plugin)."""

    def __init__(self, host: PluginHost, strategy: Any) -> None:
        self._host, self._strategy = host, strategy
        self.name, self.label = strategy.name, strategy.label
        self.description, self.kinds = strategy.description, strategy.kinds

    def solve(self, problem: Any, **kwargs: Any) -> MatchSolution:
        return self._host.call_safely(
            "register_match_strategies", self.name, self._strategy.solve, problem, **kwargs
        )


@dataclass
class WhyNotAnswer:
    """The engine's answer to "why not?" for a stored run."""

    run_id: int
    mentee_id: int
    mentor_id: int | None
    possible: bool
    text: str
    delta_matched: int = 0
    delta_total: float = 0.0
    obstacles: list[str] = field(default_factory=list)
    best_mentor_id: int | None = None
    #: Which solver answered: the optimizer re-solves the problem with the wish enforced,
    #: whatever strategy made the run; ``resolved_note`` says so when they differ.
    solved_with: str = "optimizer"
    resolved_note: str = ""


#: Strategies whose answer "why not?" reproduces: it re-solves with the optimal solvers.
_WHY_NOT_SOLVERS = {"optimizer": "optimizer", "peer": "peer"}


def why_not(
    ctx: ServiceContext,
    run_id: int,
    mentee_id: int,
    mentor_id: int | None = None,
) -> WhyNotAnswer:
    """Why ``mentee_id`` is unmatched in the run (or not with ``mentor_id``), from the solver:
    what forcing it would cost and which rule or competing pair stands in the way.

    The answer always re-solves with the optimizer (the peer matcher for peer programs),
    because only an optimal solver can say what forcing a pair costs. When the run was made
    by another strategy (greedy, stable, a plugin) the text says so, since that strategy
    might have answered differently."""
    from mentormatch_desktop.matching.solvers.why_not import why_not as solver_why_not

    session, host = ctx.session, ctx.plugins
    run = session.get(MatchRun, run_id)
    if run is None:
        raise MatchingError(f"no match run with id {run_id}")
    program = session.get(Program, run.program_id)
    model = matching_models.score_model(
        ctx, run.program_id, exclude_matched=run.status != MatchRunStatus.APPROVED
    )
    solved_with = "peer" if model.cohort.is_peer else "optimizer"
    note = (
        ""
        if _WHY_NOT_SOLVERS.get(run.strategy) == solved_with
        else f"Answered by re-solving with the {solved_with}; this run was made by the "
        f"{run.strategy!r} strategy, which may have placed other pairs differently."
    )
    cohort = model.cohort
    e = cohort.mentees.indices_of([mentee_id])[0]
    if e < 0:
        name = session.get(Person, mentee_id)
        who = name.full_name if name is not None else "this person"
        raise MatchingError(f"{who} is not a mentee waiting for a match in this program")
    m = None if mentor_id is None else int(cohort.mentors.indices_of([mentor_id])[0])
    if m is not None and m < 0:
        raise MatchingError(_not_a_candidate(session, run, mentor_id))
    if m is not None and (reason := model.rules.reason(cohort, int(e), m)):
        return WhyNotAnswer(
            run_id,
            mentee_id,
            mentor_id,
            False,
            f"They cannot be matched: {reason}.",
            obstacles=[reason],
            solved_with="rules",
        )
    weights = normalise_weights(run_weights(session, run, model.names, host), model.names)
    proposals = session.scalars(
        sa.select(MatchProposal).where(MatchProposal.run_id == run_id)
    ).all()
    locked, _ = locked_pairs(session, run, cohort, statuses=(ProposalStatus.LOCKED,))
    asked = (
        [] if m is None else [(min(int(e), m), max(int(e), m)) if cohort.is_peer else (int(e), m)]
    )
    problem, _ = build_problem(
        model,
        weights,
        locked=locked,
        include=asked,
        group_size=program.group_size if program else 2,
    )
    ei = cohort.mentees.indices_of([p.mentee_id for p in proposals])
    mi = cohort.mentors.indices_of([p.mentor_id for p in proposals])
    assignments = [
        Assignment(int(a), int(b), float(p.score))
        for a, b, p in zip(ei, mi, proposals, strict=True)
        if a >= 0 and b >= 0
    ]
    scores = [a.score for a in assignments]
    status = cast(SolveStatus, run.solver_status or "feasible")
    solution = MatchSolution(
        status,
        assignments,
        len({a.mentee for a in assignments}),
        float(sum(scores)),
        min(scores) if scores else None,
        run.seconds or 0.0,
    )
    answer = solver_why_not(problem, solution, int(e), m)
    best = answer.best_mentor
    return WhyNotAnswer(
        run_id,
        mentee_id,
        mentor_id,
        answer.possible,
        f"{answer.text} {note}".strip(),
        answer.delta_matched,
        answer.delta_total,
        list(answer.obstacles),
        None if best is None else int(cohort.mentors.person_ids[best]),
        solved_with=solved_with,
        resolved_note=note,
    )


def _not_a_candidate(session: Session, run: MatchRun, mentor_id: int | None) -> str:
    """Why a mentor is not in the run's cohort, by name: full, or not an active mentor."""
    person = session.get(Person, mentor_id) if mentor_id is not None else None
    who = person.full_name if person is not None else "This person"
    enrolment = session.scalar(
        sa.select(Enrolment).where(
            Enrolment.program_id == run.program_id,
            Enrolment.person_id == mentor_id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
    )
    if enrolment is None:
        return f"{who} is not an active mentor in this program"
    running = session.scalar(
        sa.select(sa.func.count())
        .select_from(Mentorship)
        .where(
            Mentorship.program_id == run.program_id,
            Mentorship.mentor_id == mentor_id,
            Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]),
        )
    )
    capacity = int(enrolment.capacity or 0)
    return f"{who} has no free seat: already mentoring {running} of {capacity} in this program"
