"""Two-sided candidate pruning and the bound certifying what pruning cost."""

from __future__ import annotations

import numpy as np
import pytest

from mentormatch_desktop.matching.candidates import candidate_pairs, mentor_prices, pruning_bound
from mentormatch_desktop.matching.solvers.optimizer import optimize
from mentormatch_desktop.matching.solvers.synthetic import (
    SyntheticCohort,
    dense_problem,
    problem_from_pairs,
)


def test_both_sides_keep_their_best() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random((50, 10)).astype(np.float32)
    capacity = np.array([1, 2, 3, 1, 1, 2, 2, 1, 1, 3])
    cand = candidate_pairs(scores, capacity, k=2)
    got = set(zip(cand.pair_mentee.tolist(), cand.pair_mentor.tolist(), strict=True))
    for e in range(50):  # each mentee's top 2
        for m in np.argsort(-scores[e])[:2]:
            assert (e, int(m)) in got
    for m in range(10):  # each mentor's top 2 × capacity
        for e in np.argsort(-scores[:, m])[: 2 * capacity[m]]:
            assert (int(e), m) in got
    np.testing.assert_allclose(
        cand.pair_score, scores[cand.pair_mentee, cand.pair_mentor], rtol=1e-6
    )


def test_block_source_equals_dense_and_hard_noes_are_dropped() -> None:
    rng = np.random.default_rng(1)
    scores = rng.random((300, 40)).astype(np.float32)
    scores[5, :] = -np.inf  # no shared language with anyone
    scores[7, 3] = np.nan
    capacity = rng.integers(1, 4, 40)
    dense = candidate_pairs(scores, capacity, k=3)
    blocks = candidate_pairs(lambda a, b: scores[a:b], capacity, k=3, n_mentees=300, chunk_rows=64)
    assert set(zip(dense.pair_mentee.tolist(), dense.pair_mentor.tolist(), strict=True)) == set(
        zip(blocks.pair_mentee.tolist(), blocks.pair_mentor.tolist(), strict=True)
    )
    assert 5 not in dense.pair_mentee
    assert not ((dense.pair_mentee == 7) & (dense.pair_mentor == 3)).any()
    assert np.isfinite(dense.pair_score).all()


def test_keep_and_min_score() -> None:
    scores = np.full((20, 5), 0.5, dtype=np.float32)
    scores[:, 0] = 0.9
    scores[19, 4] = 0.01
    cand = candidate_pairs(scores, np.ones(5, dtype=int), k=1, min_score=0.3, keep=[(19, 4)])
    pairs = set(zip(cand.pair_mentee.tolist(), cand.pair_mentor.tolist(), strict=True))
    assert (19, 4) in pairs  # kept although below min_score and outside every top list
    others = ~((cand.pair_mentee == 19) & (cand.pair_mentor == 4))
    assert (cand.pair_score[others] >= 0.3).all()


def test_two_sided_pruning_matches_nearly_everyone_and_bound_certifies() -> None:
    cohort = SyntheticCohort(1500, 300, seed=4, max_capacity=4)
    scores = cohort.dense()
    full = optimize(dense_problem(cohort))
    cand = candidate_pairs(scores, cohort.capacity, k=10)
    pruned = optimize(
        problem_from_pairs(cohort, cand.pair_mentee, cand.pair_mentor, cand.pair_score)
    )
    assert pruned.matched == full.matched
    assert pruned.total_score <= full.total_score + 1e-6
    assert pruned.total_score >= 0.995 * full.total_score
    problem = problem_from_pairs(cohort, cand.pair_mentee, cand.pair_mentor, cand.pair_score)
    chosen = problem.find_pairs([(a.mentee, a.mentor) for a in pruned.assignments])
    prices = mentor_prices(
        problem.pair_mentee,
        problem.pair_mentor,
        problem.pair_score,
        chosen,
        problem.n_mentees,
        problem.n_mentors,
    )
    bound = pruning_bound(scores, cohort.capacity, prices)
    # the bound is valid for the unpruned optimum, and not uselessly loose
    assert bound >= full.total_score - 1e-3
    assert bound <= 1.01 * full.total_score
    # mentee-only pruning leaves people unmatched that two-sided pruning matches
    top = np.argsort(-scores, axis=1)[:, :3]
    rows = np.repeat(np.arange(cohort.n_mentees), 3)
    one_sided = optimize(problem_from_pairs(cohort, rows, top.ravel(), scores[rows, top.ravel()]))
    assert one_sided.matched < full.matched


@pytest.mark.parametrize("k", [1, 2])
def test_prices_of_the_exact_optimum_give_a_tight_bound(k: int) -> None:
    # for k = 2, room for everyone's two mentors: then "most people matched first" and
    # "best total" agree, and the bound (on the best total) must be tight
    cohort = SyntheticCohort(200 if k == 1 else 30, 40, seed=k)
    problem = dense_problem(cohort)
    problem.constraints.mentors_per_mentee = k
    sol = optimize(problem)
    chosen = problem.find_pairs([(a.mentee, a.mentor) for a in sol.assignments])
    prices = mentor_prices(
        problem.pair_mentee,
        problem.pair_mentor,
        problem.pair_score,
        chosen,
        problem.n_mentees,
        problem.n_mentors,
        mentors_per_mentee=k,
    )
    bound = pruning_bound(cohort.dense(), cohort.capacity, prices, mentors_per_mentee=k)
    assert bound >= sol.total_score - 1e-3
    assert bound == pytest.approx(sol.total_score, rel=1e-3)
