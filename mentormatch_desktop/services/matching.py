"""Matching runs: score a program, solve it with a strategy plugin, store the proposals.

One function per user action; each runs in the caller's unit of work and only flushes:

* :func:`run_matching` — score, solve and store a :class:`MatchRun` with its proposals
  (score, per-criterion breakdown, explanation). Re-running keeps the pairs a coordinator
  locked or accepted in the previous run as locked constraints. All proposals are written
  together at the end: a run that fails or is cancelled leaves a ``failed`` run row with the
  reason and no proposals (the service sets ``ctx.keep_on_error`` so the unit of work
  commits that record while the exception travels on).
* :func:`compare_strategies` — the same problem through several strategies, nothing stored.
* :func:`why_not` — why a mentee is unmatched, or not with a given mentor.
* decisions on proposals and approval live in :mod:`.match_decisions` and are re-exported
  here (``set_proposal_status``, ``preview_swap``, ``apply_swap``, ``approve_run``).

Strategies are only ever called through the :class:`PluginHost` (``host.strategy(name)``
under ``host.guard``), so a broken third-party strategy is disabled and reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MatchRunStatus, ProgramKind, ProgramStatus
from mentormatch_desktop.domain.progress import Cancelled, CancelToken, Progress, check, report
from mentormatch_desktop.matching.feasibility import InfeasibleSolution, check_solution
from mentormatch_desktop.matching.problem import MatchSolution
from mentormatch_desktop.matching.scoring import normalise_weights
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.match_analysis import (
    WhyNotAnswer,
    _sub,
    compare_strategies,
    why_not,
)
from mentormatch_desktop.services.match_decisions import (
    ApprovalSummary,
    SwapPreview,
    apply_swap,
    approve_run,
    preview_swap,
    set_proposal_status,
)
from mentormatch_desktop.services.match_records import (
    MatchingError,
    ProposalView,
    fit_text,
    locked_pairs,
    proposal_rows,
    proposal_view,
)
from mentormatch_desktop.services.matching_problem import build_problem
from mentormatch_desktop.services.run_reasons import empty_run_reason
from mentormatch_desktop.services.weights import current_weights
from mentormatch_desktop.storage.models import MatchProposal, MatchRun, Program, WeightSet

__all__ = [
    "ApprovalSummary",
    "MatchingError",
    "ProposalView",
    "RunSummary",
    "SwapPreview",
    "WhyNotAnswer",
    "apply_swap",
    "approve_run",
    "compare_strategies",
    "preview_swap",
    "run_matching",
    "set_proposal_status",
    "why_not",
]


@dataclass
class RunSummary:
    """What a run produced; ``run_id`` is None for a dry run (nothing stored)."""

    run_id: int | None
    program_id: int
    strategy: str
    status: str  # MatchRunStatus value
    solver_status: str  # optimal | feasible | infeasible
    dry_run: bool
    kind: str  # program kind: one_to_one | group | peer
    n_mentees: int
    n_mentors: int
    matched: int  # mentees (or peers) with at least one partner
    unmatched_ids: list[int]
    total_score: float
    min_score: float | None
    mean_score: float | None
    n_pairs: int  # pairs the solver was given
    pruned: bool
    weights: dict[str, float]  # normalised weights used
    weight_set_version: int | None
    diagnosis: str
    solve_seconds: float
    seconds: float  # end to end
    proposals: list[ProposalView] = field(default_factory=list)


def run_matching(
    ctx: ServiceContext,
    program_id: int,
    strategy: str,
    *,
    dry_run: bool = False,
    time_limit: float | None = None,
    keep_locked: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RunSummary:
    """Match ``program_id`` with ``strategy`` and store the run (see module docstring).

    Raises :class:`MatchingError` (after recording a ``failed`` run unless ``dry_run``)
    when anything goes wrong, and :class:`Cancelled` when ``cancel`` fires. Nothing is
    written until the solution is explained, so a failure before that leaves only the
    failure record (and any embedding vectors the run had to encode) in the unit of work.
    """
    session, host = ctx.session, ctx.plugins
    started_at, t0 = ctx.now(), time.perf_counter()
    program = session.get(Program, program_id)
    if program is None:
        raise MatchingError(f"no program with id {program_id}")
    if program.status == ProgramStatus.CLOSED:
        raise MatchingError(f"{program.name} is closed: reopen it before matching")
    parameters: dict[str, Any] = {"time_limit": time_limit, "keep_locked": keep_locked}
    try:
        try:
            solver = host.strategy(strategy)
        except KeyError as exc:
            raise MatchingError(str(exc.args[0])) from None
        kind = "peer" if program.kind == ProgramKind.PEER else str(program.kind)
        if kind not in solver.kinds and not (kind == "group" and "one_to_one" in solver.kinds):
            raise MatchingError(f"strategy {strategy!r} cannot solve {kind} programs")
        view = current_weights(ctx, program_id)
        report(progress, 0.0, "reading the cohort")
        model = matching_models.score_model(
            ctx,
            program_id,
            names=[n for n, w in view.weights.items() if w > 0],
            progress=_sub(progress, 0.0, 0.4),
            cancel=cancel,
        )
        weights = normalise_weights(view.weights, model.names)
        parent = _parent_run(session, program_id)
        locked, kept = (
            ([], {})
            if parent is None or not keep_locked
            else locked_pairs(session, parent, model.cohort)
        )
        report(progress, 0.4, "scoring pairs")
        problem, info = build_problem(
            model, weights, locked=locked, group_size=program.group_size, cancel=cancel
        )
        parameters.update(
            n_pairs=info.n_pairs, pruned=info.pruned, candidate_k=info.k, locked=len(locked)
        )
        check(cancel)
        report(progress, 0.5, f"solving with {strategy}")
        with host.guard("register_match_strategies", strategy):
            solution = solver.solve(
                problem, time_limit=time_limit, progress=_sub(progress, 0.5, 0.9), cancel=cancel
            )
        try:  # a plugin's answer is checked and rescored before anything is stored
            solution = check_solution(problem, solution, strategy=strategy, rules=model.rules)
        except InfeasibleSolution as exc:
            raise MatchingError(str(exc)) from None
        if solution.status == "cancelled":
            raise Cancelled("cancelled by the user")
        if solution.status == "error":
            raise MatchingError(solution.diagnosis or f"strategy {strategy!r} failed")
        check(cancel)
        report(progress, 0.9, "explaining proposals")
        rows = proposal_rows(model, host, weights, solution, kept)
        _refuse_repeated_pairs(rows, strategy)
        diagnosis = "; ".join(
            [*info.notes, solution.diagnosis] if solution.diagnosis else info.notes
        )
        diagnosis = diagnosis or empty_run_reason(problem, solution) or ""
        summary = _summary(
            model,
            program_id,
            strategy,
            solution,
            rows,
            weights,
            view.version,
            info,
            diagnosis,
            dry_run,
        )
        if dry_run:
            summary.seconds = time.perf_counter() - t0
            report(progress, 1.0, "done (dry run: nothing stored)")
            return summary
        check(cancel)  # last point to stop: nothing of the run is written before this
    except Exception as exc:
        reason = str(exc) if isinstance(exc, MatchingError | Cancelled) else _describe(exc)
        run_id = (
            None
            if dry_run
            else _record_failure(ctx, program_id, strategy, parameters, reason, started_at)
        )
        if isinstance(exc, Cancelled | MatchingError):
            if isinstance(exc, MatchingError):
                exc.run_id = run_id
            raise
        raise MatchingError(reason, run_id=run_id) from exc
    weight_set_id = view.weight_set_id or _default_weight_set(ctx, program_id, view.weights)
    run = MatchRun(
        program_id=program_id,
        strategy=strategy,
        status=MatchRunStatus.COMPLETED,
        weight_set_id=weight_set_id,
        parent_run_id=parent.id if parent is not None else None,
        parameters=parameters,
        objective={
            "matched": solution.matched,
            "total_score": solution.total_score,
            "min_score": solution.min_score,
            "bound": solution.bound,
        },
        solver_status=solution.status,
        diagnosis=fit_text(diagnosis),
        seconds=solution.seconds,
        created_by_id=ctx.actor.person_id,
        started_at=started_at,
        finished_at=ctx.now(),
    )
    session.add(run)
    session.flush()
    if rows:
        session.execute(sa.insert(MatchProposal), [dict(r, run_id=run.id) for r in rows])
    ctx.audit(
        "match_run.completed",
        "match_run",
        run.id,
        {"program_id": program_id, "strategy": strategy, "matched": solution.matched},
    )
    session.flush()
    stored = session.scalars(
        sa.select(MatchProposal)
        .where(MatchProposal.run_id == run.id)
        .order_by(MatchProposal.score.desc())
    ).all()
    names = _names(model)
    summary.run_id, summary.status = run.id, str(MatchRunStatus.COMPLETED)
    summary.proposals = [proposal_view(p, names) for p in stored]
    summary.seconds = time.perf_counter() - t0
    report(progress, 1.0, "done")
    return summary


def _refuse_repeated_pairs(rows: list[dict[str, Any]], strategy: str) -> None:
    """A pair may be proposed once per run (the database's unique key says so too); catch a
    strategy that repeats one before anything is written, so the run fails with a reason."""
    seen: set[tuple[int, int]] = set()
    for r in rows:
        pair = (r["mentee_id"], r["mentor_id"])
        if pair in seen:
            raise MatchingError(
                f"strategy {strategy!r} proposed mentee {pair[0]} with mentor {pair[1]} twice; "
                "each pair must be unique in a run"
            )
        seen.add(pair)


def _describe(exc: BaseException) -> str:
    """A one-line reason for an unexpected error (SQL errors carry pages of statement)."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first}"


def _names(model: Any) -> dict[int, str]:
    c = model.cohort
    out = dict(zip(c.mentees.person_ids.tolist(), c.mentees.names, strict=True))
    out.update(zip(c.mentors.person_ids.tolist(), c.mentors.names, strict=True))
    return out


def _summary(
    model,
    program_id,
    strategy,
    solution: MatchSolution,
    rows,
    weights,
    version,
    info,
    diagnosis,
    dry_run,
) -> RunSummary:
    cohort = model.cohort
    matched_rows = {r["mentee_id"] for r in rows} | (
        {r["mentor_id"] for r in rows} if cohort.is_peer else set()
    )
    unmatched = [int(p) for p in cohort.mentees.person_ids.tolist() if p not in matched_rows]
    scores = np.array([r["score"] for r in rows], dtype=float)
    names = _names(model)
    return RunSummary(
        run_id=None,
        program_id=program_id,
        strategy=strategy,
        status="dry_run" if dry_run else str(MatchRunStatus.RUNNING),
        solver_status=solution.status,
        dry_run=dry_run,
        kind=cohort.kind,
        n_mentees=cohort.n_mentees,
        n_mentors=cohort.n_mentors,
        matched=cohort.n_mentees - len(unmatched),
        unmatched_ids=unmatched,
        total_score=float(scores.sum()),
        min_score=float(scores.min()) if len(scores) else None,
        mean_score=float(scores.mean()) if len(scores) else None,
        n_pairs=info.n_pairs,
        pruned=info.pruned,
        weights=dict(weights),
        weight_set_version=version,
        diagnosis=diagnosis,
        solve_seconds=solution.seconds,
        seconds=0.0,
        proposals=[proposal_view(r, names) for r in sorted(rows, key=lambda r: -r["score"])],
    )


def _parent_run(session: Session, program_id: int) -> MatchRun | None:
    """The latest completed run of the program: its locked/accepted pairs carry over."""
    return session.scalars(
        sa.select(MatchRun)
        .where(MatchRun.program_id == program_id, MatchRun.status == MatchRunStatus.COMPLETED)
        .order_by(MatchRun.started_at.desc(), MatchRun.id.desc())
        .limit(1)
    ).first()


def _default_weight_set(ctx: ServiceContext, program_id: int, weights: dict[str, float]) -> int:
    """Store the defaults as version 1 so the run records exactly which weights it used."""
    row = WeightSet(
        program_id=program_id,
        version=1,
        weights=weights,
        source="default",
        notes="Default weights",
        created_by_id=ctx.actor.person_id,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row.id


def _record_failure(
    ctx: ServiceContext,
    program_id: int,
    strategy: str,
    parameters: dict[str, Any],
    reason: str,
    started_at: Any,
) -> int | None:
    """Add a ``failed`` run naming ``reason`` and ask the unit of work to keep it.

    Nothing of the run was written before the failure, so the record is all there is to
    keep. If the database itself refuses (the failure was a broken connection or an
    aborted transaction) there is nothing to record and ``None`` is returned.
    """
    run = MatchRun(
        program_id=program_id,
        strategy=strategy,
        status=MatchRunStatus.FAILED,
        parameters=parameters,
        diagnosis=fit_text(reason),
        created_by_id=ctx.actor.person_id,
        started_at=started_at,
        finished_at=ctx.now(),
    )
    try:
        ctx.session.add(run)
        ctx.session.flush()
    except Exception:  # the unit of work rolls back; the original error is what matters
        return None
    ctx.audit("match_run.failed", "match_run", run.id, {"program_id": program_id, "reason": reason})
    ctx.keep_on_error = True
    return run.id
