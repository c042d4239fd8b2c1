"""Greedy and stable: rules honoured, stability checked pair by pair, comparison table."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from mentormatch_desktop.matching.problem import (
    AttributeQuota,
    Constraints,
    CrossAttributeShare,
    MatchProblem,
)
from mentormatch_desktop.matching.solvers.compare import (
    compare_strategies,
    format_table,
    violations,
)
from mentormatch_desktop.matching.solvers.greedy import greedy
from mentormatch_desktop.matching.solvers.optimizer import optimize
from mentormatch_desktop.matching.solvers.stable import stable
from mentormatch_desktop.matching.solvers.synthetic import random_small_problem
from mentormatch_desktop.plugin.host import PluginHost


def with_preferences(problem: MatchProblem, rng: np.random.Generator) -> MatchProblem:
    """Side-specific preferences, so stable differs from greedy-by-score."""
    problem.mentee_preference = problem.pair_score + 0.3 * rng.random(problem.n_pairs)
    problem.mentor_preference = problem.pair_score + 0.3 * rng.random(problem.n_pairs)
    return problem


def blocking_pairs(problem: MatchProblem, sol) -> list[tuple[int, int]]:
    """Pairs (e, m) not matched where e would gain and m would accept (with its quota)."""
    e_pref = problem.mentee_preference
    m_pref = problem.mentor_preference
    quota = problem.constraints.max_per_mentor_by_attribute
    dept = problem.mentee_attributes["department"]
    held_e = defaultdict(list)
    held_m = defaultdict(list)
    chosen = set()
    for p in problem.find_pairs([(a.mentee, a.mentor) for a in sol.assignments]):
        held_e[int(problem.pair_mentee[p])].append(p)
        held_m[int(problem.pair_mentor[p])].append(p)
        chosen.add(int(p))
    k = problem.constraints.mentors_per_mentee
    out = []
    for p in range(problem.n_pairs):
        if p in chosen:
            continue
        e, m = int(problem.pair_mentee[p]), int(problem.pair_mentor[p])
        mine = held_e[e]
        wants = len(mine) < k or e_pref[p] > min(e_pref[q] for q in mine)
        if not wants:
            continue
        theirs = held_m[m]
        if quota:
            same = [q for q in theirs if dept[problem.pair_mentee[q]] == dept[e]]
            if len(same) >= quota[0].max:
                if m_pref[p] > min(m_pref[q] for q in same):
                    out.append((e, m))
                continue
        if len(theirs) < problem.capacity[m] or m_pref[p] > min(m_pref[q] for q in theirs):
            out.append((e, m))
    return out


@pytest.mark.parametrize("quota", [False, True])
@pytest.mark.parametrize("k", [1, 2])
def test_stable_has_no_blocking_pair(quota: bool, k: int) -> None:
    for seed in range(15):
        rng = np.random.default_rng(seed)
        problem = with_preferences(
            random_small_problem(rng, 30, 8, density=0.5, max_capacity=3), rng
        )
        problem.constraints = Constraints(
            mentors_per_mentee=k,
            max_per_mentor_by_attribute=[AttributeQuota("department", 1)] if quota else [],
        )
        sol = stable(problem)
        assert sol.status == "feasible"
        assert violations(problem, sol) == []
        assert blocking_pairs(problem, sol) == [], seed


def test_stable_keeps_fixed_pairs_and_rules() -> None:
    rng = np.random.default_rng(7)
    problem = with_preferences(random_small_problem(rng, 25, 6, density=0.6), rng)
    pairs = list(zip(problem.pair_mentee.tolist(), problem.pair_mentor.tolist(), strict=True))
    problem.constraints = Constraints(
        required=[pairs[0]], locked=[pairs[5]], forbidden=[pairs[9]], min_score=0.2
    )
    sol = stable(problem)
    got = {(a.mentee, a.mentor) for a in sol.assignments}
    assert pairs[0] in got and pairs[5] in got and pairs[9] not in got
    assert violations(problem, sol) == []


def test_greedy_honours_rules_and_is_not_better_than_optimizer() -> None:
    for seed in range(10):
        rng = np.random.default_rng(seed)
        problem = random_small_problem(rng, 30, 8, density=0.5, max_capacity=3)
        problem.constraints = Constraints(
            max_per_mentor_by_attribute=[
                AttributeQuota("department", 1),
                AttributeQuota("site", 2),
            ],
            min_score=0.1,
        )
        g = greedy(problem)
        o = optimize(problem)
        assert violations(problem, g) == []
        assert (g.matched, g.total_score) <= (o.matched, o.total_score + 1e-6)


def test_comparison_table_reports_violations_of_rules_a_strategy_ignores() -> None:
    rng = np.random.default_rng(3)
    problem = random_small_problem(rng, 30, 8, density=0.6, max_capacity=3, attribute_values=3)
    problem.constraints = Constraints(
        min_cross_attribute_share=[CrossAttributeShare("department", 0.95)]
    )
    host = PluginHost(autoload=False).load()
    strategies = [host.strategy(n) for n in ("greedy", "stable", "optimizer")]
    rows = compare_strategies(problem, strategies)
    by_name = {r.strategy: r for r in rows}
    assert by_name["optimizer"].status == "optimal"
    assert by_name["optimizer"].violations == []
    assert any("cross-department share" in v for v in by_name["greedy"].violations)
    assert by_name["optimizer"].quantiles["median"] > 0
    table = format_table(rows)
    assert "optimizer" in table and "greedy" in table and "violations" in table


def test_comparison_survives_a_failing_strategy() -> None:
    class Broken:
        name, label, description, kinds = "broken", "Broken", "", frozenset({"one_to_one"})

        def solve(self, problem, **kw):
            raise RuntimeError("boom")

    rng = np.random.default_rng(1)
    problem = random_small_problem(rng, 10, 4)
    rows = compare_strategies(problem, [Broken()])
    assert rows[0].status == "error" and "boom" in rows[0].violations[0]
