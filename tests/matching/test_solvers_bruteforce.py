"""The optimizer against exhaustive search on small random instances, every constraint kind.

The checker here is written independently of the solver code: it enumerates every subset
of candidate pairs, keeps those satisfying all rules, and ranks them by the documented
lexicographic objective (mentees matched, then worst score for ``fair``, then total).
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from mentormatch_desktop.matching.problem import (
    AttributeQuota,
    Constraints,
    CrossAttributeShare,
    MatchProblem,
)
from mentormatch_desktop.matching.solvers.optimizer import optimize
from mentormatch_desktop.matching.solvers.synthetic import random_small_problem

TOL = 2e-4


def feasible(problem: MatchProblem, chosen: list[int]) -> bool:
    c = problem.constraints
    pe, pm, ps = problem.pair_mentee, problem.pair_mentor, problem.pair_score
    pairs = {(int(pe[p]), int(pm[p])) for p in chosen}
    forced = {tuple(x) for x in [*c.required, *c.locked]}
    if not forced <= pairs:
        return False
    if pairs & {tuple(x) for x in c.forbidden}:
        return False
    if c.min_score is not None and any(
        ps[p] < c.min_score and (int(pe[p]), int(pm[p])) not in forced for p in chosen
    ):
        return False
    if any(n > problem.capacity[m] for m, n in Counter(m for _, m in pairs).items()):
        return False
    if any(n > c.mentors_per_mentee for n in Counter(e for e, _ in pairs).values()):
        return False
    for q in c.max_per_mentor_by_attribute:
        vals = problem.mentee_attributes[q.attribute]
        if any(n > q.max for n in Counter((m, vals[e]) for e, m in pairs).values()):
            return False
    for s in c.min_cross_attribute_share:
        ve, vm = problem.mentee_attributes[s.attribute], problem.mentor_attributes[s.attribute]
        if pairs and sum(ve[e] != vm[m] for e, m in pairs) < s.min_share * len(pairs) - 1e-9:
            return False
    return True


def key(problem: MatchProblem, chosen: list[int]) -> tuple[float, ...]:
    scores = [float(problem.pair_score[p]) for p in chosen]
    matched = len({int(problem.pair_mentee[p]) for p in chosen})
    if problem.objective == "fair":
        return (matched, min(scores, default=0.0), sum(scores))
    return (matched, sum(scores))


def brute_force(problem: MatchProblem) -> tuple[float, ...] | None:
    best = None
    n = problem.n_pairs
    for r in range(n + 1):
        for chosen in itertools.combinations(range(n), r):
            if feasible(problem, list(chosen)):
                k = key(problem, list(chosen))
                if best is None or k > best:
                    best = k
    return best


def make(seed: int, kind: str) -> MatchProblem:
    rng = np.random.default_rng(seed)
    p = random_small_problem(rng, 5, 3, density=0.6, max_capacity=2)
    while p.n_pairs > 11:  # keep the enumeration small
        p = random_small_problem(rng, 5, 3, density=0.55, max_capacity=2)
    pairs = list(zip(p.pair_mentee.tolist(), p.pair_mentor.tolist(), strict=True))
    pick = lambda: pairs[rng.integers(len(pairs))] if pairs else (0, 0)  # noqa: E731
    c = Constraints()
    if "forbidden" in kind:
        c.forbidden = [pick(), pick()]
    if "required" in kind:
        c.required = [pick()]
    if "locked" in kind:
        c.locked = [pick()]
    if "min_score" in kind:
        c.min_score = 0.4
    if "k2" in kind:
        c.mentors_per_mentee = 2
    if "quota" in kind:
        c.max_per_mentor_by_attribute = [AttributeQuota("department", 1)]
    if "two_quotas" in kind:
        c.max_per_mentor_by_attribute.append(AttributeQuota("site", 1))
    if "share" in kind:
        c.min_cross_attribute_share = [CrossAttributeShare("department", 0.6)]
    p.constraints = c
    p.objective = "fair" if "fair" in kind else "total"
    return p


KINDS = [
    "plain",
    "forbidden",
    "required",
    "locked+forbidden",
    "min_score+required",
    "k2",
    "k2+min_score+required",
    "quota",
    "quota+required",
    "two_quotas",
    "share",
    "share+required+quota",
    "fair",
    "fair+k2",
    "fair+quota+required",
    "fair+share",
    "forbidden+required+locked+min_score+quota+share",
]


@pytest.mark.parametrize("kind", KINDS)
def test_optimizer_matches_brute_force(kind: str) -> None:
    for seed in range(12):
        problem = make(seed, kind)
        expected = brute_force(problem)
        sol = optimize(problem)
        if expected is None:
            assert sol.status == "infeasible", (kind, seed, sol)
            assert sol.diagnosis
            continue
        assert sol.status == "optimal", (kind, seed, sol.status, sol.diagnosis)
        chosen = problem.find_pairs([(a.mentee, a.mentor) for a in sol.assignments])
        assert (chosen >= 0).all()
        assert feasible(problem, chosen.tolist()), (kind, seed)
        got = key(problem, chosen.tolist())
        assert got[0] == expected[0], (kind, seed, got, expected)
        assert np.allclose(got[1:], expected[1:], atol=TOL), (kind, seed, got, expected)
        if sol.bound is not None:
            assert sol.bound >= sol.total_score - TOL
