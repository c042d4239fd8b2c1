"""Shared pieces of the matching services: errors, proposal views, locked pairs, run weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import ProposalStatus
from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.explain import breakdown_record, explain_pair
from mentormatch_desktop.matching.problem import MatchSolution
from mentormatch_desktop.matching.scoring import ScoreModel
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.storage.models import MatchProposal, MatchRun, WeightSet

#: Diagnoses, explanations and notes are TEXT columns: nothing a person or a built-in
#: writes comes near this. It only bounds what a runaway third-party strategy or criterion
#: may put into one row (a diagnosis of megabytes would make every run list crawl).
TEXT_LIMIT = 20_000


def fit_text(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """``text`` as stored: whole, unless it exceeds ``limit`` (then cut on a word boundary,
    with an ellipsis)."""
    text = text or ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ·,;") + "…"


class MatchingError(RuntimeError):
    """A matching action could not be done; ``run_id`` names the failed run recorded."""

    def __init__(self, message: str, *, run_id: int | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class ProposalView:
    """A proposed pair as the UI and CLI show it."""

    id: int | None
    run_id: int | None
    mentee_id: int
    mentee_name: str
    mentor_id: int
    mentor_name: str
    score: float
    breakdown: dict[str, float]
    explanation: str
    status: str
    decided_by_id: int | None = None
    decided_at: datetime | None = None
    note: str = ""
    version: int | None = None  # what the user saw; their decision carries it back


def proposal_view(p: MatchProposal | Mapping[str, Any], names: Mapping[int, str]) -> ProposalView:
    """A view of a stored proposal or of a row about to be stored."""
    get = (lambda k: p.get(k)) if isinstance(p, Mapping) else (lambda k: getattr(p, k))
    return ProposalView(
        id=get("id"),
        run_id=get("run_id"),
        mentee_id=int(get("mentee_id")),
        mentee_name=names.get(int(get("mentee_id")), str(get("mentee_id"))),
        mentor_id=int(get("mentor_id")),
        mentor_name=names.get(int(get("mentor_id")), str(get("mentor_id"))),
        score=float(get("score")),
        breakdown=dict(get("breakdown") or {}),
        explanation=get("explanation") or "",
        status=str(get("status")),
        decided_by_id=get("decided_by_id"),
        decided_at=get("decided_at"),
        note=get("note") or "",
        version=get("version"),
    )


def locked_pairs(
    session: Session,
    run: MatchRun,
    cohort: Cohort,
    *,
    statuses: Sequence[ProposalStatus] = (ProposalStatus.LOCKED, ProposalStatus.ACCEPTED),
) -> tuple[list[tuple[int, int]], dict[tuple[int, int], MatchProposal]]:
    """The run's locked/accepted pairs as cohort indices, and the proposals they came from.

    Pairs whose people left the cohort are skipped. Peer pairs are given in the
    (lower index, higher index) orientation the problem uses.
    """
    rows = session.scalars(
        sa.select(MatchProposal).where(
            MatchProposal.run_id == run.id, MatchProposal.status.in_(list(statuses))
        )
    ).all()
    if not rows:
        return [], {}
    ei = cohort.mentees.indices_of([p.mentee_id for p in rows])
    mi = cohort.mentors.indices_of([p.mentor_id for p in rows])
    pairs: list[tuple[int, int]] = []
    origin: dict[tuple[int, int], MatchProposal] = {}
    for e, m, p in zip(ei.tolist(), mi.tolist(), rows, strict=True):
        if e < 0 or m < 0:
            continue
        pair = (min(e, m), max(e, m)) if cohort.is_peer else (e, m)
        pairs.append(pair)
        origin[pair] = p
    return pairs, origin


def run_weights(
    session: Session, run: MatchRun, names: Sequence[str], host: PluginHost
) -> dict[str, float]:
    """The weights a run used (its weight set, defaults for criteria it does not name)."""
    weights = {n: float(c.default_weight) for n, c in host.criteria().items() if n in names}
    if run.weight_set_id is not None:
        ws = session.get(WeightSet, run.weight_set_id)
        if ws is not None:
            weights.update({k: float(v) for k, v in (ws.weights or {}).items() if k in weights})
    return weights


def proposal_rows(
    model: ScoreModel,
    host: PluginHost,
    weights: Mapping[str, float],
    solution: MatchSolution,
    kept: Mapping[tuple[int, int], MatchProposal],
) -> list[dict[str, Any]]:
    """Insertable proposal rows for a solution: ids, score, breakdown, explanation, status.

    Pairs carried over from locked or accepted proposals keep their status and decision.
    """
    cohort = model.cohort
    if not solution.assignments:
        return []
    rows = np.array([a.mentee for a in solution.assignments], dtype=np.intp)
    cols = np.array([a.mentor for a in solution.assignments], dtype=np.intp)
    parts = model.breakdown(rows, cols, list(weights))
    criteria = host.criteria()
    out = []
    for k, a in enumerate(solution.assignments):
        values = {n: float(v[k]) for n, v in parts.items()}
        text = explain_pair(
            cohort, criteria, weights, values, a.mentee, a.mentor,
            guard=lambda n: host.guard("register_match_criteria", n),
        )  # fmt: skip
        origin = kept.get((a.mentee, a.mentor))
        out.append(
            {
                "mentee_id": int(cohort.mentees.person_ids[a.mentee]),
                "mentor_id": int(cohort.mentors.person_ids[a.mentor]),
                "score": float(a.score),
                "breakdown": breakdown_record(values),
                "explanation": fit_text(text),
                "status": ProposalStatus(origin.status) if origin else ProposalStatus.PROPOSED,
                "decided_by_id": origin.decided_by_id if origin else None,
                "decided_at": origin.decided_at if origin else None,
                "note": origin.note if origin else "",
            }
        )
    return out
