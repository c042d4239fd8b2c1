"""From a scored cohort to the solver's :class:`MatchProblem` (shared by the matching services).

Person ids become indices here and come back as ids in :func:`pairs_to_people`; the
solver sees strings (``str(person_id)``) as ids and display names for its diagnoses.
Small cohorts give the solver every allowed pair; above :data:`FULL_PAIRS` pairs the
candidates are pruned from both sides (each mentee's best mentors *and* each mentor's best
mentees, :func:`~mentormatch_desktop.matching.candidates.candidate_pairs`). Locked pairs
always survive pruning; a locked pair that now breaks a hard rule is kept (a coordinator
decided it) with score 0, and the run's diagnosis says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.matching.candidates import candidate_pairs
from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.problem import (
    AttributeQuota,
    Constraints,
    CrossAttributeShare,
    MatchProblem,
)
from mentormatch_desktop.matching.scoring import ScoreModel

FULL_PAIRS = 1_000_000
DEFAULT_CANDIDATE_K = 10


@dataclass
class ProblemInfo:
    """What building the problem decided, for the run's parameters and diagnosis."""

    pruned: bool
    n_pairs: int
    k: int | None
    notes: list[str] = field(default_factory=list)


def constraints_from_settings(settings: Mapping[str, Any], group_size: int = 2) -> Constraints:
    """The program's matching rules (``settings["constraints"]``, solve-format names)."""
    raw = dict(settings.get("constraints") or {})
    try:
        return Constraints(
            min_score=None
            if raw.get("min_score") is None
            else _finite("min_score", raw["min_score"]),
            mentors_per_mentee=int(raw.get("mentors_per_mentee") or 1),
            max_per_mentor_by_attribute=[
                AttributeQuota(str(q["attribute"]), int(q["max"]))
                for q in raw.get("max_per_mentor_by_attribute") or []
            ],
            min_cross_attribute_share=[
                CrossAttributeShare(str(s["attribute"]), _share(s["min_share"]))
                for s in raw.get("min_cross_attribute_share") or []
            ],
            group_size=int(raw.get("group_size") or group_size or 2),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"program setting 'constraints' is invalid: {exc}") from exc


def _finite(name: str, value: Any) -> float:
    """A stored number that must be a real number: NaN or infinity would silently turn every
    comparison false (a NaN ``min_score`` allows no pair at all)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _share(value: Any) -> float:
    share = _finite("min_share", value)
    if not 0 <= share <= 1:
        raise ValueError(f"min_share must be between 0 and 1, not {value!r}")
    return share


def _attributes(cohort: Cohort, mentees: bool) -> dict[str, list[Any]]:
    side = cohort.mentees if mentees else cohort.mentors
    return {
        "department": [None if d < 0 else int(d) for d in side.department_ids.tolist()],
        "seniority": side.seniority.tolist(),
        "time_zone": list(side.time_zones),
    }


def build_problem(
    model: ScoreModel,
    weights: Mapping[str, float],
    *,
    locked: Sequence[tuple[int, int]] = (),
    include: Sequence[tuple[int, int]] = (),
    group_size: int = 2,
    cancel: CancelToken | None = None,
) -> tuple[MatchProblem, ProblemInfo]:
    """The scored problem for ``model``'s cohort under ``weights`` (normalised).

    ``locked`` pairs are kept as constraints; ``include`` pairs are only guaranteed a
    score (so a "why not?" question about a pruned pair still reaches the solver).
    Forbidden ``include`` pairs stay out.
    """
    cohort = model.cohort
    settings = cohort.settings
    constraints = constraints_from_settings(settings, group_size)
    peer = cohort.is_peer
    n_e, n_m = cohort.shape
    info = ProblemInfo(pruned=n_e * n_m > FULL_PAIRS, n_pairs=0, k=None)
    if not info.pruned:
        scores = model.score_matrix(weights, cancel=cancel)
        allowed = np.isfinite(scores)
        if peer:
            allowed &= np.triu(np.ones_like(allowed), k=1)
        pe, pm = np.nonzero(allowed)
        ps = scores[pe, pm].astype(np.float64)
    else:
        info.k = int(settings.get("candidate_k") or DEFAULT_CANDIDATE_K)
        cands = candidate_pairs(
            model.blocks(weights),
            cohort.mentors.capacity if not peer else np.ones(n_m, dtype=np.int64),
            k=info.k,
            mentors_per_mentee=constraints.mentors_per_mentee,
            n_mentees=n_e,
        )
        pe, pm, ps = (
            cands.pair_mentee.astype(np.int64),
            cands.pair_mentor.astype(np.int64),
            cands.pair_score,
        )
        if peer:  # one orientation per unordered pair
            a, b = np.minimum(pe, pm), np.maximum(pe, pm)
            keys, first = np.unique(a * n_m + b, return_index=True)
            pe, pm, ps = keys // n_m, keys % n_m, ps[first]
    if locked:
        pe, pm, ps = _with_locked(model, weights, pe, pm, ps, locked, info)
    if include:
        allowed_extra = [
            (e, m) for e, m in include if not model.rules.reasons(np.array([e]), np.array([m]))[0]
        ]
        pe, pm, ps = _with_locked(model, weights, pe, pm, ps, allowed_extra, info)
    constraints.locked = [(int(e), int(m)) for e, m in locked]
    info.n_pairs = len(ps)
    problem = MatchProblem(
        mentee_ids=[str(p) for p in cohort.mentees.person_ids.tolist()],
        mentor_ids=[str(p) for p in cohort.mentors.person_ids.tolist()],
        capacity=(np.ones(n_m) if peer else cohort.mentors.capacity).astype(np.int32),
        pair_mentee=pe.astype(np.int32),
        pair_mentor=pm.astype(np.int32),
        pair_score=np.clip(ps, 0.0, None).astype(np.float64),
        mentee_attributes=_attributes(cohort, True),
        mentor_attributes=_attributes(cohort, False),
        constraints=constraints,
        objective="fair"
        if (settings.get("constraints") or {}).get("objective") == "fair"
        else "total",
        kind="peer" if peer else "bipartite",
        mentee_names=list(cohort.mentees.names),
        mentor_names=list(cohort.mentors.names),
    )
    return problem, info


def _with_locked(
    model: ScoreModel,
    weights: Mapping[str, float],
    pe: np.ndarray,
    pm: np.ndarray,
    ps: np.ndarray,
    locked: Sequence[tuple[int, int]],
    info: ProblemInfo,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cohort = model.cohort
    n_m = max(1, cohort.n_mentors)
    have = set((pe.astype(np.int64) * n_m + pm).tolist())
    missing = [(e, m) for e, m in locked if e * n_m + m not in have]
    if not missing:
        return pe, pm, ps
    rows = np.array([e for e, _ in missing], dtype=np.int64)
    cols = np.array([m for _, m in missing], dtype=np.int64)
    extra = model.pair_scores(weights, rows, cols)
    for (e, m), s in zip(missing, extra.tolist(), strict=True):
        if not np.isfinite(s):
            why = model.rules.reason(cohort, e, m) or "a hard rule forbids it"
            info.notes.append(f"locked pair kept although {why}")
    extra = np.where(np.isfinite(extra), extra, 0.0)
    return np.r_[pe, rows], np.r_[pm, cols], np.r_[ps, extra]
