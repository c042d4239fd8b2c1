"""A coordinator's decisions on a run's proposals: accept, reject, lock, swap, approve.

Each function runs in the caller's unit of work (it only flushes) and leaves an audit-log
entry naming who decided. :func:`approve_run` in particular commits nothing, so a caller can
approve and queue the introductions for the new pairs in one transaction.
Approval turns the run's pairs (all but rejected ones) into mentorships at once; a run can
be approved only while it is ``completed``. Introductions between the new pairs are sent by
the messaging services once those exist; approval records a ``matched`` engagement event
for both people so dashboards see it immediately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MatchRunStatus, ProposalStatus
from mentormatch_desktop.matching.explain import breakdown_record, explain_pair
from mentormatch_desktop.matching.scoring import ScoreModel, normalise_weights
from mentormatch_desktop.services import matching_models, run_approval
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.match_records import (
    MatchingError,
    ProposalView,
    fit_text,
    proposal_view,
    run_weights,
)
from mentormatch_desktop.services.run_approval import ApprovalSummary
from mentormatch_desktop.storage.locking import locked
from mentormatch_desktop.storage.models import MatchProposal, MatchRun, Person

_ACTIONS = {
    "accept": ProposalStatus.ACCEPTED,
    "reject": ProposalStatus.REJECTED,
    "lock": ProposalStatus.LOCKED,
    "unlock": ProposalStatus.PROPOSED,
    "propose": ProposalStatus.PROPOSED,
}


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(
        session.execute(sa.select(Person.id, Person.full_name).where(Person.id.in_(ids))).all()
    )


def _open_run(session: Session, run_id: int) -> MatchRun:
    run = session.get(MatchRun, run_id)
    if run is None:
        raise MatchingError(f"no match run with id {run_id}")
    if run.status != MatchRunStatus.COMPLETED:
        raise MatchingError(f"run {run_id} is {run.status}; only a completed run can be changed")
    return run


def _proposal(session: Session, proposal_id: int) -> MatchProposal:
    p = session.get(MatchProposal, proposal_id)
    if p is None:
        raise MatchingError(f"no proposal with id {proposal_id}")
    return p


def set_proposal_status(
    ctx: ServiceContext,
    proposal_id: int,
    action: str | ProposalStatus,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> ProposalView:
    """Accept, reject, lock or unlock one proposal (``action`` or a target status).

    ``expected_version`` is the proposal version the user saw (``ProposalView.version``):
    when someone changed the proposal since, the decision is refused with
    :class:`StaleDecisionError`. The run is locked and re-read first, so a decision
    racing an approval either lands before it (and approval sees it) or is refused.
    """
    session = ctx.session
    run_id = session.scalar(sa.select(MatchProposal.run_id).where(MatchProposal.id == proposal_id))
    if run_id is None:
        raise MatchingError(f"no proposal with id {proposal_id}")
    run_approval.lock_open_run(session, run_id)
    p = session.scalars(
        locked(sa.select(MatchProposal).where(MatchProposal.id == proposal_id))
    ).one()
    run_approval.check_version("proposal", p.id, expected_version, p.version)
    if isinstance(action, ProposalStatus):
        status = action
    elif action in _ACTIONS:
        status = _ACTIONS[action]
    else:
        try:
            status = ProposalStatus(action)
        except ValueError:
            raise MatchingError(
                f"unknown decision {action!r} (use {', '.join(_ACTIONS)})"
            ) from None
    before = p.status
    p.status = status
    p.decided_by_id = ctx.actor.person_id
    p.decided_at = ctx.now()
    if note is not None:
        p.note = fit_text(note)
    ctx.audit(
        f"proposal.{status}",
        "match_proposal",
        p.id,
        {"run_id": p.run_id, "from": str(before), "to": str(status)},
    )
    run_approval.flush_versioned(session, "proposal", p.id, expected_version)
    return proposal_view(p, _names(session, [p.mentee_id, p.mentor_id]))


@dataclass
class SwapPreview:
    """What exchanging the mentors of two proposals would do to the score."""

    proposal_a: int
    proposal_b: int
    old_scores: tuple[float, float]
    new_scores: tuple[float, float]  # -inf where the new pair is forbidden
    delta: float
    allowed: bool
    reason: str = ""  # why not allowed


@dataclass
class _SwapContext:
    model: ScoreModel
    weights: dict[str, float]
    rows: np.ndarray  # cohort mentee indices of the two new pairs
    cols: np.ndarray  # cohort mentor indices


def _swap_scores(
    ctx: ServiceContext, a: MatchProposal, b: MatchProposal
) -> tuple[SwapPreview, _SwapContext]:
    session = ctx.session
    if a.run_id != b.run_id:
        raise MatchingError("both proposals must belong to the same run")
    if a.id == b.id or a.mentor_id == b.mentor_id or a.mentee_id == b.mentee_id:
        raise MatchingError("a swap needs two proposals with different mentees and mentors")
    run = _open_run(session, a.run_id)
    model = matching_models.score_model(ctx, run.program_id, exclude_matched=False)
    cohort = model.cohort
    e = cohort.mentees.indices_of([a.mentee_id, b.mentee_id])
    m = cohort.mentors.indices_of([b.mentor_id, a.mentor_id])
    if (e < 0).any() or (m < 0).any():
        raise MatchingError("a person of these proposals is no longer enrolled in the program")
    weights = normalise_weights(run_weights(session, run, model.names, ctx.plugins), model.names)
    new = model.pair_scores(weights, e, m)
    reasons = [model.rules.reason(cohort, int(x), int(y)) for x, y in zip(e, m, strict=True)]
    blocked = [r for r in reasons if r]
    if a.status in (ProposalStatus.LOCKED, ProposalStatus.ACCEPTED) or b.status in (
        ProposalStatus.LOCKED,
        ProposalStatus.ACCEPTED,
    ):
        blocked.append("locked or accepted proposals are not swapped; unlock them first")
    preview = SwapPreview(
        a.id,
        b.id,
        (float(a.score), float(b.score)),
        (float(new[0]), float(new[1])),
        float(new.sum() - a.score - b.score) if np.isfinite(new).all() else float("-inf"),
        not blocked,
        "; ".join(blocked),
    )
    return preview, _SwapContext(model, weights, e, m)


def preview_swap(ctx: ServiceContext, proposal_a: int, proposal_b: int) -> SwapPreview:
    """The score change of giving each proposal's mentee the other's mentor (read-only)."""
    preview, _ = _swap_scores(
        ctx, _proposal(ctx.session, proposal_a), _proposal(ctx.session, proposal_b)
    )
    return preview


def apply_swap(ctx: ServiceContext, proposal_a: int, proposal_b: int) -> SwapPreview:
    """Exchange the mentors of two proposals, rescoring and re-explaining both."""
    session = ctx.session
    a, b = _proposal(session, proposal_a), _proposal(session, proposal_b)
    preview, swap = _swap_scores(ctx, a, b)
    if not preview.allowed:
        raise MatchingError(f"cannot swap: {preview.reason}")
    model, weights, rows, cols = swap.model, swap.weights, swap.rows, swap.cols
    parts = model.breakdown(rows, cols, list(weights))
    criteria = ctx.plugins.criteria()
    new_mentors = (b.mentor_id, a.mentor_id)
    # Move one row out of the way first: (run, mentee, mentor) is unique at every statement.
    for k, p in enumerate((a, b)):
        values = {n: float(v[k]) for n, v in parts.items()}
        p.mentor_id = new_mentors[k]
        p.score = preview.new_scores[k]
        p.breakdown = breakdown_record(values)
        text = explain_pair(model.cohort, criteria, weights, values, int(rows[k]), int(cols[k]))
        p.explanation = fit_text(text)
        p.status = ProposalStatus.PROPOSED
        p.decided_by_id = ctx.actor.person_id
        p.decided_at = ctx.now()
    ctx.audit(
        "proposal.swapped",
        "match_run",
        a.run_id,
        {"proposals": [a.id, b.id], "delta": preview.delta},
    )
    run_approval.flush_versioned(session, "proposal", a.id, None)
    return preview


def approve_run(
    ctx: ServiceContext, run_id: int, *, expected_version: int | None = None
) -> ApprovalSummary:
    """Turn every non-rejected proposal of a completed run into mentorships, at once.

    Locks the run (and its program) first, re-checks running pairs and capacity, and
    discards the program's other open runs: see :func:`.run_approval.approve_run`.
    Commits nothing: the caller's unit of work may go on (queue the introductions) and
    everything lands together or not at all.
    """
    return run_approval.approve_run(ctx, run_id, expected_version=expected_version)
