"""Infeasibility diagnoses name the rule and the people; "why not?" answers from the solver."""

from __future__ import annotations

import numpy as np
import pytest

from mentormatch_desktop.matching.problem import (
    AttributeQuota,
    Constraints,
    CrossAttributeShare,
    MatchProblem,
)
from mentormatch_desktop.matching.solvers.optimizer import optimize
from mentormatch_desktop.matching.solvers.why_not import why_not


def small(scores: dict[tuple[int, int], float], capacity: list[int], **kw) -> MatchProblem:
    pairs = sorted(scores)
    n_e = max(e for e, _ in pairs) + 1
    return MatchProblem(
        mentee_ids=[f"e{i}" for i in range(n_e)],
        mentor_ids=[f"m{j}" for j in range(len(capacity))],
        capacity=np.array(capacity, dtype=np.int32),
        pair_mentee=np.array([e for e, _ in pairs], dtype=np.int32),
        pair_mentor=np.array([m for _, m in pairs], dtype=np.int32),
        pair_score=np.array([scores[p] for p in pairs]),
        mentee_names=[f"Mentee {i}" for i in range(n_e)],
        mentor_names=[f"Mentor {j}" for j in range(len(capacity))],
        **kw,
    )


FULL = {(e, m): 0.5 + 0.1 * e - 0.05 * m for e in range(4) for m in range(2)}


def test_required_pairs_overloading_a_mentor() -> None:
    p = small(FULL, [1, 2], constraints=Constraints(required=[(0, 0), (1, 0)]))
    sol = optimize(p)
    assert sol.status == "infeasible" and sol.assignments == []
    assert (
        "Mentor 0 has capacity 1 but 2 required/locked pairs: Mentee 0, Mentee 1" in sol.diagnosis
    )


def test_required_pair_that_is_forbidden() -> None:
    p = small(FULL, [1, 2], constraints=Constraints(required=[(2, 1)], forbidden=[(2, 1)]))
    sol = optimize(p)
    assert sol.status == "infeasible"
    assert "Mentee 2 – Mentor 1 is both required (or locked) and forbidden" in sol.diagnosis


def test_required_pair_without_score() -> None:
    scores = {k: v for k, v in FULL.items() if k != (3, 1)}
    sol = optimize(small(scores, [2, 2], constraints=Constraints(required=[(3, 1)])))
    assert sol.status == "infeasible" and "has no score" in sol.diagnosis
    assert "Mentee 3 – Mentor 1" in sol.diagnosis


def test_quota_makes_required_pairs_impossible() -> None:
    p = small(
        FULL,
        [3, 3],
        mentee_attributes={"department": ["Sales", "Sales", "IT", "IT"]},
        mentor_attributes={"department": ["IT", "Sales"]},
        constraints=Constraints(
            required=[(0, 1), (1, 1)], max_per_mentor_by_attribute=[AttributeQuota("department", 1)]
        ),
    )
    sol = optimize(p)
    assert sol.status == "infeasible"
    assert "department = 'Sales'" in sol.diagnosis and "Mentor 1" in sol.diagnosis
    assert "Mentee 0, Mentee 1" in sol.diagnosis


def test_too_many_required_mentors_for_one_mentee() -> None:
    p = small(FULL, [2, 2], constraints=Constraints(required=[(0, 0), (0, 1)]))
    sol = optimize(p)
    assert sol.status == "infeasible"
    assert "Mentee 0 may have 1 mentor(s) but 2 are required/locked" in sol.diagnosis


def test_share_impossible_given_required_pairs() -> None:
    p = small(
        {(0, 0): 0.9, (1, 0): 0.8, (2, 1): 0.7},
        [2, 1],
        mentee_attributes={"department": ["A", "A", "A"]},
        mentor_attributes={"department": ["A", "B"]},
        constraints=Constraints(
            required=[(0, 0), (1, 0)],
            min_cross_attribute_share=[CrossAttributeShare("department", 0.5)],
        ),
    )
    sol = optimize(p)
    assert sol.status == "infeasible"
    assert "at least 50% of pairs must differ in department" in sol.diagnosis
    assert "0 of 2" in sol.diagnosis


def test_several_conflicts_are_all_reported() -> None:
    p = small(
        FULL, [1, 1], constraints=Constraints(required=[(0, 0), (1, 0), (2, 1)], forbidden=[(2, 1)])
    )
    sol = optimize(p)
    assert "Mentor 0 has capacity 1" in sol.diagnosis and "forbidden" in sol.diagnosis


# ------------------------------------------------------------------------- why not?
def test_why_not_pair_reports_cost_and_competitor() -> None:
    # one mentor, capacity 1: e1 (0.9) beats e0 (0.6)
    p = small({(0, 0): 0.6, (1, 0): 0.9}, [1])
    sol = optimize(p)
    assert [(a.mentee, a.mentor) for a in sol.assignments] == [(1, 0)]
    answer = why_not(p, sol, 0, 0)
    assert answer.possible
    assert answer.delta_matched == 0
    assert answer.delta_total == pytest.approx(-0.3)
    assert any("Mentor 0 is at capacity 1 with Mentee 1 (0.900)" in o for o in answer.obstacles)
    assert "Mentee 1: Mentor 0 → unmatched" in answer.text


def test_why_not_unmatched_mentee_finds_best_swap() -> None:
    # e0 can only go to m0 and m1 has no room: matching e0 displaces e1 (0.9 → 0.5)
    p = small({(0, 0): 0.5, (1, 0): 0.9, (1, 1): 0.8}, [1, 0])
    sol = optimize(p)
    assert sol.matched == 1
    answer = why_not(p, sol, 0)
    assert answer.possible and answer.best_mentor == 0
    assert answer.delta_total == pytest.approx(-0.4)
    assert "Mentee 1: Mentor 0 → unmatched" in answer.text
    # with room at m1, the optimum already matches both
    p2 = small({(0, 0): 0.5, (1, 0): 0.9, (1, 1): 0.8}, [1, 1])
    assert optimize(p2).matched == 2


def test_why_not_explains_rules() -> None:
    p = small(
        {(0, 0): 0.2, (1, 0): 0.9, (0, 1): 0.95},
        [1, 1],
        constraints=Constraints(min_score=0.3, forbidden=[(0, 1)]),
    )
    sol = optimize(p)
    assert 0 not in {a.mentee for a in sol.assignments}
    # the only allowed pair for e0 is below the minimum; the other is forbidden
    answer = why_not(p, sol, 0)
    assert not answer.possible
    assert "forbidden" in answer.text and "below the minimum" in answer.text
    forced = why_not(p, sol, 0, 0)
    assert forced.possible and any("below the minimum" in o for o in forced.obstacles)
    assert "forbidden" in why_not(p, sol, 0, 1).text


def test_why_not_without_score() -> None:
    p = small({(0, 0): 0.5, (1, 1): 0.5}, [1, 1])
    sol = optimize(p)
    answer = why_not(p, sol, 0, 1)
    assert not answer.possible and "has no score" in answer.text


def test_why_not_required_conflict() -> None:
    p = small({(0, 0): 0.5, (1, 0): 0.6}, [1], constraints=Constraints(required=[(1, 0)]))
    sol = optimize(p)
    answer = why_not(p, sol, 0, 0)
    assert not answer.possible
    assert "Mentor 0 has capacity 1 but 2 required/locked pairs" in answer.text


def test_why_not_through_cpsat_path() -> None:
    p = small(
        FULL,
        [1, 1],
        mentee_attributes={"department": ["A", "B", "A", "B"], "site": ["x", "x", "y", "y"]},
        mentor_attributes={"department": ["A", "B"], "site": ["x", "y"]},
        constraints=Constraints(
            max_per_mentor_by_attribute=[AttributeQuota("department", 1), AttributeQuota("site", 1)]
        ),
    )
    sol = optimize(p)
    unmatched = [e for e in range(4) if e not in {a.mentee for a in sol.assignments}]
    answer = why_not(p, sol, unmatched[0])
    assert answer.possible and answer.delta_matched == 0 and answer.delta_total <= 1e-9


def test_why_not_in_a_peer_pool() -> None:
    # a–b (0.9) and c–d (0.8) are optimal; forcing a–c breaks both pairs
    ids = ["a", "b", "c", "d"]
    scores = {(0, 1): 0.9, (2, 3): 0.8, (0, 2): 0.5, (1, 3): 0.1}
    pairs = sorted(scores)
    p = MatchProblem(
        ids,
        ids,
        np.ones(4, dtype=np.int32),
        np.array([a for a, _ in pairs], dtype=np.int32),
        np.array([b for _, b in pairs], dtype=np.int32),
        np.array([scores[x] for x in pairs]),
        kind="peer",
    )
    from mentormatch_desktop.matching.solvers.peer import peer_match

    sol = peer_match(p)
    assert sol.total_score == pytest.approx(1.7)
    answer = why_not(p, sol, 2, 0)  # listed the other way round: c with a
    assert answer.possible
    assert answer.delta_total == pytest.approx(0.6 - 1.7)
    assert any("a is at capacity 1 with b (0.900)" in o for o in answer.obstacles)
    assert why_not(p, sol, 3, 1).delta_total == pytest.approx(0.6 - 1.7)
    assert "already matched" in why_not(p, sol, 1, 0).text
