"""Peer matching: exact pairs with a certified bound, and honest groups of 3–4."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mentormatch_desktop.matching.problem import Constraints, MatchProblem
from mentormatch_desktop.matching.solvers.compare import violations
from mentormatch_desktop.matching.solvers.peer import peer_match


def pool(n: int, seed: int, density: float = 0.5) -> MatchProblem:
    rng = np.random.default_rng(seed)
    a, b = np.triu_indices(n, 1)
    keep = rng.random(len(a)) < density
    ids = [f"p{i}" for i in range(n)]
    return MatchProblem(
        mentee_ids=ids,
        mentor_ids=ids,
        capacity=np.ones(n, dtype=np.int32),
        pair_mentee=a[keep].astype(np.int32),
        pair_mentor=b[keep].astype(np.int32),
        pair_score=np.round(rng.random(keep.sum()), 3),
        kind="peer",
    )


def brute_force_pairs(problem: MatchProblem) -> float:
    """Best total over all matchings (small pools only)."""
    edges = list(range(problem.n_pairs))
    best = 0.0
    for r in range(problem.n_mentees // 2 + 1):
        for chosen in itertools.combinations(edges, r):
            people = [int(problem.pair_mentee[p]) for p in chosen] + [
                int(problem.pair_mentor[p]) for p in chosen
            ]
            if len(set(people)) == len(people):
                best = max(best, float(problem.pair_score[list(chosen)].sum()))
    return best


@pytest.mark.parametrize("seed", range(20))
def test_pairs_are_optimal_and_bound_certifies(seed: int) -> None:
    problem = pool(8 + seed % 3, seed)
    sol = peer_match(problem)
    assert violations(problem, sol) == []
    assert sol.total_score == pytest.approx(brute_force_pairs(problem), abs=1e-6)
    assert sol.bound is not None and sol.bound >= sol.total_score - 1e-6
    assert sol.status == "optimal"


def test_bound_is_strictly_above_when_an_odd_cycle_helps_the_relaxation() -> None:
    # a triangle: the fractional matching takes every edge at ½ (1.5), the best pair is 1
    problem = MatchProblem(
        mentee_ids=["a", "b", "c"],
        mentor_ids=["a", "b", "c"],
        capacity=np.ones(3, dtype=np.int32),
        pair_mentee=np.array([0, 0, 1], dtype=np.int32),
        pair_mentor=np.array([1, 2, 2], dtype=np.int32),
        pair_score=np.array([1.0, 1.0, 1.0]),
        kind="peer",
    )
    sol = peer_match(problem)
    assert sol.total_score == pytest.approx(1.0)
    assert sol.bound == pytest.approx(1.5)
    # blossom is exact: the answer is optimal, and the diagnosis says why the bound is higher
    assert sol.status == "optimal" and "odd cycles" in sol.diagnosis


def test_required_and_forbidden_peer_pairs() -> None:
    problem = pool(10, 3, density=0.8)
    pairs = list(zip(problem.pair_mentee.tolist(), problem.pair_mentor.tolist(), strict=True))
    problem.constraints = Constraints(required=[pairs[0]], forbidden=[pairs[1], pairs[2]])
    sol = peer_match(problem)
    got = {(a.mentee, a.mentor) for a in sol.assignments}
    assert pairs[0] in got and pairs[1] not in got and pairs[2] not in got
    assert violations(problem, sol) == []


def test_double_booked_required_peer_is_infeasible_with_names() -> None:
    problem = pool(6, 1, density=1.0)
    problem.constraints = Constraints(required=[(0, 1), (0, 2)])
    sol = peer_match(problem)
    assert sol.status == "infeasible"
    assert "p0" in sol.diagnosis and "only one" in sol.diagnosis


@pytest.mark.parametrize("size", [3, 4])
def test_groups_partition_people_and_report_a_bound(size: int) -> None:
    problem = pool(24, 5, density=0.6)
    pairs = list(zip(problem.pair_mentee.tolist(), problem.pair_mentor.tolist(), strict=True))
    problem.constraints = Constraints(group_size=size, forbidden=pairs[:10])
    sol = peer_match(problem)
    members = [x for g in sol.groups for x in g]
    assert len(members) == len(set(members))  # nobody in two groups
    assert all(2 <= len(g) <= size for g in sol.groups)
    assert sum(len(g) == size for g in sol.groups) >= len(sol.groups) // 2
    forbidden = {frozenset(p) for p in pairs[:10]}
    for g in sol.groups:
        assert not any(frozenset((x, y)) in forbidden for x, y in itertools.combinations(g, 2))
    assert sol.status == "feasible" and "heuristic" in sol.diagnosis
    assert sol.bound >= sol.total_score
    # the total is the sum of scored pairs inside the groups
    inside = {frozenset(c) for g in sol.groups for c in itertools.combinations(g, 2)}
    expected = sum(
        s
        for a, b, s in zip(
            problem.pair_mentee, problem.pair_mentor, problem.pair_score, strict=True
        )
        if frozenset((int(a), int(b))) in inside
    )
    assert sol.total_score == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(10))
def test_reduced_graph_blossom_equals_full_blossom(seed: int) -> None:
    from mentormatch_desktop.matching.solvers.flow import score_scale
    from mentormatch_desktop.matching.solvers.peer import blossom, exact_pairs

    problem = pool(60, 100 + seed, density=0.08 + 0.02 * (seed % 4))
    pairs = np.arange(problem.n_pairs)
    scale = score_scale(problem.pair_score)
    chosen, bound, _ = exact_pairs(problem, pairs, scale)
    full = blossom(problem, pairs, scale)
    assert problem.pair_score[chosen].sum() == pytest.approx(problem.pair_score[full].sum())
    assert bound >= problem.pair_score[chosen].sum() - 1e-6
