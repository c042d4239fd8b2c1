"""Pricing (solve a subset, prove with potentials, grow) equals one flow over every pair."""

from __future__ import annotations

import numpy as np
import pytest

from mentormatch_desktop.matching.problem import AttributeQuota, Constraints
from mentormatch_desktop.matching.solvers import optimizer, pricing
from mentormatch_desktop.matching.solvers.synthetic import (
    SyntheticCohort,
    dense_problem,
    random_small_problem,
)


def both(problem, monkeypatch):
    monkeypatch.setattr(pricing, "PRICING_MIN_PAIRS", 0)
    monkeypatch.setattr(pricing, "INITIAL_K", 2)  # tiny subsets: pricing must grow them
    priced = optimizer.optimize(problem)
    monkeypatch.setattr(pricing, "PRICING_MIN_PAIRS", 10**12)
    plain = optimizer.optimize(problem)
    return priced, plain


@pytest.mark.parametrize(
    "constraints",
    [
        Constraints(),
        Constraints(min_score=0.3, forbidden=[(0, 0), (1, 1), (2, 2)], required=[(0, 0)]),
        Constraints(max_per_mentor_by_attribute=[AttributeQuota("department", 1)]),
        Constraints(mentors_per_mentee=2),
        Constraints(mentors_per_mentee=2, max_per_mentor_by_attribute=[AttributeQuota("site", 2)]),
    ],
    ids=["plain", "rules", "quota", "k2", "k2+quota"],
)
def test_pricing_matches_full_flow(constraints, monkeypatch) -> None:
    for seed in range(4):
        rng = np.random.default_rng(seed)
        problem = random_small_problem(rng, 120, 30, density=0.7, max_capacity=3)
        problem.constraints = constraints
        if constraints.required:  # a pair that exists in this instance and is allowed
            pairs = zip(problem.pair_mentee.tolist(), problem.pair_mentor.tolist(), strict=True)
            constraints.required = [next(p for p in pairs if p not in constraints.forbidden)]
        priced, plain = both(problem, monkeypatch)
        assert priced.details["method"].startswith("min-cost flow with pricing")
        assert priced.status == plain.status == "optimal"
        assert priced.matched == plain.matched
        assert priced.total_score == pytest.approx(plain.total_score, abs=1e-4)


def test_pricing_grows_the_subset_when_top_lists_are_not_enough(monkeypatch) -> None:
    # popular mentors: everyone's top-2 is the same few mentors, so the optimum needs
    # pairs outside the initial subset and pricing must add them
    cohort = SyntheticCohort(300, 60, seed=3, max_capacity=2)
    problem = dense_problem(cohort)
    priced, plain = both(problem, monkeypatch)
    assert priced.details["rounds"] >= 2
    assert priced.matched == plain.matched
    assert priced.total_score == pytest.approx(plain.total_score, abs=1e-4)


def test_pricing_through_the_sparse_subset_path(monkeypatch) -> None:
    monkeypatch.setattr(pricing, "DENSE_CELLS", 0)  # force the sparse top-k selection
    rng = np.random.default_rng(9)
    problem = random_small_problem(rng, 150, 40, density=0.3, max_capacity=3)
    problem.constraints = Constraints(max_per_mentor_by_attribute=[AttributeQuota("site", 1)])
    priced, plain = both(problem, monkeypatch)
    assert priced.details["method"].startswith("min-cost flow with pricing")
    assert priced.matched == plain.matched
    assert priced.total_score == pytest.approx(plain.total_score, abs=1e-4)


def test_sparse_candidates_keeps_both_sides_best() -> None:
    from mentormatch_desktop.matching.candidates import sparse_candidates

    rng = np.random.default_rng(4)
    pe = rng.integers(0, 30, 400)
    pm = rng.integers(0, 8, 400)
    ps = rng.random(400)
    keep = sparse_candidates(pe, pm, ps, 2, np.full(8, 3))
    for e in range(30):
        idx = np.flatnonzero(pe == e)
        assert keep[idx[np.argsort(-ps[idx])[:2]]].all()
    for m in range(8):
        idx = np.flatnonzero(pm == m)
        best = idx[np.argsort(-ps[idx])[:3]]
        assert keep[best].all()
    # nothing else: every kept pair is in its mentee's top 2 or its mentor's top 3
    for p in np.flatnonzero(keep):
        e_rank = (ps[pe == pe[p]] > ps[p]).sum()
        m_rank = (ps[pm == pm[p]] > ps[p]).sum()
        assert e_rank < 2 or m_rank < 3
