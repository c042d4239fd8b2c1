"""Greedy: hand out the best-scoring pairs first — the baseline other tools ship.

Fixed pairs are placed first; then free pairs in descending score order are accepted while
the mentee, the mentor and every attribute quota have room. Honours every per-pair and
per-mentor constraint; a cohort-wide share is not something greedy can aim for, so it is
only reported (the comparison table shows the violation).
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers.common import (
    build_solution,
    free_quota_ok,
    infeasible_solution,
    prepare,
)


def greedy(
    problem: MatchProblem,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution:
    started = time.perf_counter()
    prep = prepare(problem)
    if not prep.feasible:
        return infeasible_solution(prep, started)
    report(progress, 0.1, "Sorting pairs by score")
    free = prep.free[np.argsort(-problem.pair_score[prep.free], kind="stable")]
    mentee_room = prep.mentee_room.copy()
    mentor_room = prep.mentor_room.copy()
    peer = problem.kind == "peer"
    if peer:  # one pool: everyone is in at most one pair, on either side
        room = np.ones(problem.n_mentees, dtype=np.int64)
        np.subtract.at(room, problem.pair_mentee[prep.fixed], 1)
        np.subtract.at(room, problem.pair_mentor[prep.fixed], 1)
        mentee_room = mentor_room = room
    quotas = bool(problem.constraints.max_per_mentor_by_attribute)
    used: list[dict[tuple[int, Any], int]] = [
        defaultdict(int) for _ in problem.constraints.max_per_mentor_by_attribute
    ]
    chosen: list[int] = []
    pe = problem.pair_mentee[free].tolist()
    pm = problem.pair_mentor[free].tolist()
    for i, p in enumerate(free.tolist()):
        if i % 100_000 == 0:
            check(cancel)
        e, m = pe[i], pm[i]
        if mentee_room[e] <= 0 or mentor_room[m] <= 0:
            continue
        if quotas:
            if not free_quota_ok(prep, p, used):
                continue
            _count_quota(problem, p, used)
        mentee_room[e] -= 1
        mentor_room[m] -= 1
        chosen.append(p)
    sol = build_solution(
        problem,
        np.concatenate([prep.fixed, np.asarray(chosen, dtype=np.int64)]),
        "feasible",
        started,
    )
    sol.details = {"method": "greedy by score"}
    return sol


def _count_quota(problem: MatchProblem, pair: int, used: list[dict[tuple[int, Any], int]]) -> None:
    for q, quota in enumerate(problem.constraints.max_per_mentor_by_attribute):
        values = problem.mentee_attributes.get(quota.attribute)
        v = None if values is None else values[problem.pair_mentee[pair]]
        if v is not None:
            used[q][(int(problem.pair_mentor[pair]), v)] += 1
