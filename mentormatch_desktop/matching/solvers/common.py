"""Shared preparation for every bipartite strategy: what is fixed, what is free, what is left.

Every strategy starts from the same reading of the constraints so that their answers are
comparable: required and locked pairs are *fixed* (they are in every solution, and
``min_score`` never removes them); forbidden pairs and pairs below ``min_score`` are gone;
what remains is *free* for the strategy to choose. Capacities, mentors per mentee and
attribute quotas are reduced by what the fixed pairs already use. Conflicts among the fixed
pairs make the problem infeasible; :mod:`.diagnosis` names the people involved.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mentormatch_desktop.matching.problem import Assignment, MatchProblem, MatchSolution


@dataclass
class Conflict:
    """One reason the problem cannot be solved, with the people it concerns."""

    constraint: str  # "capacity", "mentors_per_mentee", "forbidden", "missing_score", "quota", …
    message: str
    mentees: list[int] = field(default_factory=list)
    mentors: list[int] = field(default_factory=list)


@dataclass
class Prepared:
    """The constraints of a problem resolved to pair indices and remaining room."""

    problem: MatchProblem
    fixed: np.ndarray  # pair indices in every solution (required ∪ locked), unique
    free: np.ndarray  # pair indices a strategy may choose
    mentee_room: np.ndarray  # slots left per mentee after the fixed pairs
    mentor_room: np.ndarray  # capacity left per mentor after the fixed pairs
    # per quota attribute: {(mentor, value): slots left}; a value of None is never counted
    quota_room: list[dict[tuple[int, Any], int]]
    conflicts: list[Conflict]

    @property
    def feasible(self) -> bool:
        return not self.conflicts


def attribute_values(problem: MatchProblem, attribute: str) -> list[Any]:
    """The mentees' values of ``attribute`` (None where a mentee has none)."""
    values = problem.mentee_attributes.get(attribute)
    if values is None:
        return [None] * problem.n_mentees
    return list(values)


def mentor_attribute_values(problem: MatchProblem, attribute: str) -> list[Any]:
    source = problem.mentee_attributes if problem.kind == "peer" else problem.mentor_attributes
    values = source.get(attribute)
    return [None] * problem.n_mentors if values is None else list(values)


def cross_flags(problem: MatchProblem, attribute: str) -> np.ndarray:
    """Per pair: True when mentee and mentor differ on ``attribute`` (unknown never counts)."""
    codes_e, codes_m = _shared_codes(
        attribute_values(problem, attribute), mentor_attribute_values(problem, attribute)
    )
    e = codes_e[problem.pair_mentee]
    m = codes_m[problem.pair_mentor]
    return (e >= 0) & (m >= 0) & (e != m)


def _shared_codes(a: list[Any], b: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    table: dict[Any, int] = {}
    out = []
    for values in (a, b):
        out.append(
            np.array(
                [-1 if v is None else table.setdefault(v, len(table)) for v in values],
                dtype=np.int64,
            )
        )
    return out[0], out[1]


def prepare(problem: MatchProblem) -> Prepared:
    """Resolve the constraints once; strategies build their models from the result."""
    from mentormatch_desktop.matching.solvers.diagnosis import fixed_pair_conflicts

    c = problem.constraints
    n_pairs = problem.n_pairs
    conflicts: list[Conflict] = []

    forced_lists = [("required", c.required), ("locked", c.locked)]
    fixed_set: dict[int, str] = {}
    for kind, pairs in forced_lists:
        idx = problem.find_pairs(list(pairs))
        for (e, m), p in zip(pairs, idx, strict=True):
            if p < 0:
                conflicts.append(
                    Conflict(
                        "missing_score",
                        f"{problem.mentee_label(e)} – {problem.mentor_label(m)} is {kind} "
                        "but has no score, so the pair is not allowed",
                        [e],
                        [m],
                    )
                )
            else:
                fixed_set.setdefault(int(p), kind)
    fixed = np.array(sorted(fixed_set), dtype=np.int64)

    allowed = np.ones(n_pairs, dtype=bool)
    forbidden_idx = problem.find_pairs(list(c.forbidden))
    allowed[forbidden_idx[forbidden_idx >= 0]] = False
    if c.min_score is not None:
        allowed &= problem.pair_score >= c.min_score
    allowed[fixed] = False  # fixed pairs are not free choices
    free = np.flatnonzero(allowed)

    k = max(1, int(c.mentors_per_mentee))
    mentee_room = np.full(problem.n_mentees, k, dtype=np.int64)
    np.subtract.at(mentee_room, problem.pair_mentee[fixed], 1)
    capacity = np.asarray(problem.capacity, dtype=np.int64)
    if problem.kind == "peer":
        capacity = np.ones(problem.n_mentors, dtype=np.int64)
    mentor_room = capacity.copy()
    np.subtract.at(mentor_room, problem.pair_mentor[fixed], 1)

    quota_room: list[dict[tuple[int, Any], int]] = []
    for quota in c.max_per_mentor_by_attribute:
        values = attribute_values(problem, quota.attribute)
        room: dict[tuple[int, Any], int] = defaultdict(lambda q=quota.max: q)
        for p in fixed:
            v = values[problem.pair_mentee[p]]
            if v is not None:
                room[(int(problem.pair_mentor[p]), v)] -= 1
        quota_room.append(room)

    conflicts.extend(fixed_pair_conflicts(problem, fixed, forbidden_idx, mentee_room, mentor_room))
    conflicts.extend(_quota_conflicts(problem, fixed, quota_room))
    # a fixed pair may be free in no other sense: remove free pairs whose mentee/mentor is full
    free = free[
        (mentee_room[problem.pair_mentee[free]] > 0) & (mentor_room[problem.pair_mentor[free]] > 0)
    ]
    return Prepared(
        problem,
        fixed,
        free,
        np.maximum(mentee_room, 0),
        np.maximum(mentor_room, 0),
        quota_room,
        conflicts,
    )


def _quota_conflicts(
    problem: MatchProblem, fixed: np.ndarray, quota_room: list[dict[tuple[int, Any], int]]
) -> list[Conflict]:
    out = []
    for quota, room in zip(
        problem.constraints.max_per_mentor_by_attribute, quota_room, strict=True
    ):
        values = attribute_values(problem, quota.attribute)
        for (mentor, value), left in room.items():
            if left >= 0:
                continue
            mentees = [
                int(problem.pair_mentee[p])
                for p in fixed
                if problem.pair_mentor[p] == mentor and values[problem.pair_mentee[p]] == value
            ]
            names = ", ".join(problem.mentee_label(e) for e in mentees)
            out.append(
                Conflict(
                    "quota",
                    f"at most {quota.max} mentee(s) with {quota.attribute} = {value!r} per mentor, "
                    f"but required/locked pairs give {problem.mentor_label(mentor)} "
                    f"{len(mentees)}: {names}",
                    mentees,
                    [mentor],
                )
            )
    return out


def free_quota_ok(prep: Prepared, pair: int, used: list[dict[tuple[int, Any], int]]) -> bool:
    """Whether one more free pair fits every attribute quota (``used`` counts free picks)."""
    problem = prep.problem
    for q, quota in enumerate(problem.constraints.max_per_mentor_by_attribute):
        v = problem.mentee_attributes.get(quota.attribute, [None] * problem.n_mentees)[
            problem.pair_mentee[pair]
        ]
        if v is None:
            continue
        key = (int(problem.pair_mentor[pair]), v)
        if used[q].get(key, 0) >= prep.quota_room[q][key]:
            return False
    return True


def build_solution(
    problem: MatchProblem,
    pairs: np.ndarray | list[int],
    status: str,
    started: float,
    *,
    diagnosis: str = "",
    bound: float | None = None,
    details: dict[str, Any] | None = None,
) -> MatchSolution:
    """Turn chosen pair indices into a :class:`MatchSolution` (assignments sorted by mentee)."""
    idx = np.unique(np.asarray(pairs, dtype=np.int64))
    if len(idx):
        idx = idx[np.lexsort((problem.pair_mentor[idx], problem.pair_mentee[idx]))]
    scores = problem.pair_score[idx]
    assignments = [
        Assignment(
            int(problem.pair_mentee[p]), int(problem.pair_mentor[p]), float(problem.pair_score[p])
        )
        for p in idx
    ]
    if problem.kind == "peer":
        matched = len({a.mentee for a in assignments} | {a.mentor for a in assignments})
    else:
        matched = len({a.mentee for a in assignments})
    return MatchSolution(
        status=status,  # type: ignore[arg-type]
        assignments=assignments,
        matched=matched,
        total_score=float(scores.sum()) if len(scores) else 0.0,
        min_score=float(scores.min()) if len(scores) else None,
        seconds=time.perf_counter() - started,
        diagnosis=diagnosis,
        bound=bound,
        details=details or {},
    )


def infeasible_solution(prep: Prepared, started: float) -> MatchSolution:
    """The answer when fixed pairs conflict: no assignment, every conflict spelled out."""
    text = "; ".join(c.message for c in prep.conflicts)
    return build_solution(
        prep.problem,
        [],
        "infeasible",
        started,
        diagnosis=text,
        details={"conflicts": [c.__dict__ for c in prep.conflicts]},
    )


def solution_pairs(problem: MatchProblem, solution: MatchSolution) -> np.ndarray:
    """Pair indices of a solution's assignments (-1 for an assignment with no score)."""
    return problem.find_pairs([(a.mentee, a.mentor) for a in solution.assignments])
