"""Stable matching: mentee-proposing deferred acceptance with capacities.

Mentees propose down their candidate lists (best first by ``mentee_preference``, else the
score); each mentor holds the best proposals that fit (by ``mentor_preference``, else the
score) and releases the worst when a better one arrives. The result has no blocking pair
among the candidate pairs: no mentee and mentor who would both rather be together. It is
the best stable matching for every mentee.

Per mentor, "what fits" is capacity plus at most one attribute quota: both together form a
laminar matroid, so keeping the best proposals greedily is the right choice rule and
releasing the worst of the full group (or of the whole list) keeps it. Heaps with lazy
deletion make each proposal O(log capacity): ~1 s for 10k × 2k candidate lists in Python.
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers.common import (
    Prepared,
    attribute_values,
    build_solution,
    infeasible_solution,
    prepare,
)


def stable(
    problem: MatchProblem,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution:
    started = time.perf_counter()
    if problem.kind == "peer":
        return build_solution(
            problem,
            [],
            "error",
            started,
            diagnosis="stable matching needs two sides; use the 'peer' strategy for a pool",
        )
    quota_attrs = {q.attribute for q in problem.constraints.max_per_mentor_by_attribute}
    if len(quota_attrs) > 1:
        return build_solution(
            problem,
            [],
            "error",
            started,
            diagnosis="stable matching supports a per-mentor quota on one attribute only; "
            f"this program has quotas on {', '.join(sorted(quota_attrs))}",
        )
    prep = prepare(problem)
    if not prep.feasible:
        return infeasible_solution(prep, started)
    report(progress, 0.1, "Ordering candidate lists")
    chosen = deferred_acceptance(prep, cancel=cancel)
    sol = build_solution(problem, np.concatenate([prep.fixed, chosen]), "feasible", started)
    sol.details = {"method": "mentee-proposing deferred acceptance"}
    if problem.constraints.min_cross_attribute_share:
        sol.diagnosis = "stable matching does not enforce cohort-wide shares"
    return sol


def deferred_acceptance(prep: Prepared, *, cancel: CancelToken | None = None) -> np.ndarray:
    """Free pair indices held when no mentee has anyone left to propose to."""
    problem = prep.problem
    free = prep.free
    e_pref = (
        problem.mentee_preference if problem.mentee_preference is not None else problem.pair_score
    )
    m_pref = (
        problem.mentor_preference if problem.mentor_preference is not None else problem.pair_score
    )
    order = free[np.lexsort((-e_pref[free], problem.pair_mentee[free]))]
    starts = np.searchsorted(problem.pair_mentee[order], np.arange(problem.n_mentees + 1))
    order_l = order.tolist()
    ptr = starts[:-1].tolist()
    end = starts[1:].tolist()
    pair_mentee = problem.pair_mentee.tolist()
    pair_mentor = problem.pair_mentor.tolist()
    mkey = m_pref.tolist()
    group, group_room = _quota_groups(prep)

    room_e = prep.mentee_room.tolist()
    room_m = prep.mentor_room.tolist()
    held_e = [0] * problem.n_mentees
    held = bytearray(problem.n_pairs)
    heaps: list[list[tuple[float, int]]] = [[] for _ in range(problem.n_mentors)]
    size_m = [0] * problem.n_mentors
    gheaps: dict[int, list[tuple[float, int]]] = {}
    gsize: dict[int, int] = {}

    def release(q: int) -> int:
        held[q] = 0
        f = pair_mentee[q]
        held_e[f] -= 1
        return f

    stack = [e for e in range(problem.n_mentees) if room_e[e] > 0 and ptr[e] < end[e]]
    steps = 0
    while stack:
        e = stack.pop()
        while held_e[e] < room_e[e] and ptr[e] < end[e]:
            p = order_l[ptr[e]]
            ptr[e] += 1
            steps += 1
            if steps % 200_000 == 0:
                check(cancel)
            m = pair_mentor[p]
            key = (mkey[p], p)
            g = group[p] if group is not None else -1
            if g >= 0:
                gh = gheaps.setdefault(g, [])
                if gsize.get(g, 0) >= group_room[g]:
                    while gh and not held[gh[0][1]]:
                        heapq.heappop(gh)
                    if not gh or key <= gh[0]:
                        continue  # rejected: the group is full of better proposals
                    _, q = heapq.heapreplace(gh, key)
                    stack.append(release(q))
                    heapq.heappush(heaps[m], key)
                    held[p] = 1
                    held_e[e] += 1
                    continue
            h = heaps[m]
            if size_m[m] >= room_m[m]:
                while h and not held[h[0][1]]:
                    heapq.heappop(h)
                if not h or key <= h[0]:
                    continue  # rejected: the mentor holds better proposals
                _, q = heapq.heappop(h)
                stack.append(release(q))
                size_m[m] -= 1
                gq = group[q] if group is not None else -1
                if gq >= 0:
                    gsize[gq] -= 1
            heapq.heappush(h, key)
            size_m[m] += 1
            if g >= 0:
                heapq.heappush(gheaps[g], key)
                gsize[g] = gsize.get(g, 0) + 1
            held[p] = 1
            held_e[e] += 1
    chosen = np.frombuffer(bytes(held), dtype=np.uint8).astype(bool)
    return np.flatnonzero(chosen)


def _quota_groups(prep: Prepared) -> tuple[list[int] | None, list[int]]:
    """Per pair, the (mentor, attribute value) group its quota counts in (-1: none)."""
    problem = prep.problem
    quotas = problem.constraints.max_per_mentor_by_attribute
    if not quotas:
        return None, []
    values = attribute_values(problem, quotas[0].attribute)
    ids: dict[tuple[int, object], int] = {}
    room: list[int] = []
    group = [-1] * problem.n_pairs
    for p in prep.free.tolist():
        v = values[problem.pair_mentee[p]]
        if v is None:
            continue
        key = (int(problem.pair_mentor[p]), v)
        if key not in ids:
            ids[key] = len(room)
            room.append(min(prep.quota_room[q][key] for q in range(len(quotas))))
        group[p] = ids[key]
    return group, room
