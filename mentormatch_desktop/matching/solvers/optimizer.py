"""The optimizer: most mentees matched, then the best total (or fairest) score, provably.

Dispatch by what the constraints allow, fastest exact method first:

* capacities, mentors per mentee, forbidden/required/locked pairs, ``min_score`` and one
  per-mentor attribute quota keep the network-flow structure → min-cost flow (:mod:`.flow`);
* the ``fair`` objective (worst assigned score first, then total) on such a network →
  bisection on a score threshold with max-flow checks, then one min-cost flow: exact;
* a cohort-wide cross-attribute share → Lagrangian relaxation over min-cost flows with a
  certified gap (:mod:`.lagrangian`), closed by CP-SAT when the model is small enough;
* anything else (several quota attributes, fair + share, fair or a share with several
  mentors per mentee) → CP-SAT (:mod:`.cpsat`).

Every path returns ``optimal``, ``feasible`` with a proven ``bound``, or ``infeasible`` with a
diagnosis naming the constraint and the people.
"""

from __future__ import annotations

import time

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers import flow, pricing
from mentormatch_desktop.matching.solvers.common import (
    Prepared,
    build_solution,
    infeasible_solution,
    prepare,
)

# Free-pair count up to which CP-SAT is asked to close a Lagrangian gap.
CPSAT_REFINE_MAX_PAIRS = 40_000


def optimize(
    problem: MatchProblem,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution:
    """Solve ``problem`` (bipartite) to proven optimality where the method allows."""
    started = time.perf_counter()
    if problem.kind == "peer":
        return build_solution(
            problem,
            [],
            "error",
            started,
            diagnosis="the optimizer solves mentor–mentee programs; use the 'peer' strategy",
        )
    report(progress, 0.0, "Preparing constraints")
    prep = prepare(problem)
    if not prep.feasible:
        return infeasible_solution(prep, started)
    check(cancel)
    c = problem.constraints
    several = c.mentors_per_mentee > 1  # "matched" then counts people, not assignments
    if flow.flow_expressible(prep) and not (several and problem.objective == "fair"):
        if problem.objective == "fair":
            report(progress, 0.1, "Raising the worst assigned score")
            return solve_fair_flow(prep, started, cancel=cancel)
        report(progress, 0.1, "Solving the min-cost flow")
        return solve_total_flow(prep, started)
    from mentormatch_desktop.matching.solvers import cpsat, lagrangian

    conflict = lagrangian.share_conflict(prep)
    if conflict is not None:
        prep.conflicts.append(conflict)
        return infeasible_solution(prep, started)
    single_layer = len({q.attribute for q in c.max_per_mentor_by_attribute}) <= 1
    lagrangian_ok = single_layer and not several and len(c.min_cross_attribute_share) == 1
    if problem.objective == "total" and lagrangian_ok:
        report(progress, 0.1, "Lagrangian relaxation of the cohort-wide share")
        sol = lagrangian.solve_share(prep, started, time_limit=time_limit, cancel=cancel)
        if sol is not None:
            if sol.status == "optimal" or len(prep.free) > CPSAT_REFINE_MAX_PAIRS:
                return sol
            report(progress, 0.6, "Closing the gap with CP-SAT")
            left = None if time_limit is None else max(1.0, time_limit - sol.seconds)
            refined = cpsat.solve(prep, started, time_limit=left, hint=sol, cancel=cancel)
            return _better(refined, sol)
    report(progress, 0.1, "Solving with CP-SAT")
    return cpsat.solve(prep, started, time_limit=time_limit, cancel=cancel)


def _better(a: MatchSolution, b: MatchSolution) -> MatchSolution:
    """The more useful of two answers to the same problem (proven first, then better)."""
    if a.status == "optimal":
        return a
    if a.status != "feasible":
        return b
    key_a = (a.matched, a.total_score)
    key_b = (b.matched, b.total_score)
    best = a if key_a > key_b else b
    bounds = [x.bound for x in (a, b) if x.bound is not None]
    best.bound = min(bounds) if bounds else best.bound
    return best


def solve_total_flow(
    prep: Prepared, started: float, *, bonus: np.ndarray | None = None
) -> MatchSolution:
    """Max assignments, then max total score, by one min-cost flow.

    ``bonus`` (integer cost units per free pair) lets "why not?" favour some pairs.
    """
    problem = prep.problem
    if bonus is None and len(prep.free) >= pricing.PRICING_MIN_PAIRS:
        priced = pricing.solve_by_pricing(prep)
        if priced is not None:
            chosen, details = priced
            pairs = np.concatenate([prep.fixed, chosen])
            return build_solution(problem, pairs, "optimal", started, details=details)
    scale = flow.score_scale(problem.pair_score)
    net = flow.build_network(prep, prep.free)
    costs = flow.score_costs(problem.pair_score[prep.free], scale)
    if bonus is not None:
        costs = costs - bonus
    result = flow.solve_min_cost(net, costs)
    pairs = np.concatenate([prep.fixed, result.pairs])
    return build_solution(
        problem,
        pairs,
        "optimal",
        started,
        details={"method": "min-cost flow", "arcs": len(net.tails)},
    )


def solve_fair_flow(
    prep: Prepared, started: float, *, cancel: CancelToken | None = None
) -> MatchSolution:
    """Max assignments, then the highest worst score, then the best total: all exact.

    The worst score ``t`` is achievable iff the pairs scoring at least ``t`` still reach the
    maximum number of assignments; that is monotone in ``t``, so bisect over the distinct
    free scores with max-flow checks, then take the best total among pairs ≥ ``t``.
    """
    problem = prep.problem
    free_scores = problem.pair_score[prep.free]
    net = flow.build_network(prep, prep.free)
    target = flow.max_flow_value(net)
    levels = np.unique(free_scores)
    lo, hi = 0, len(levels) - 1  # levels[lo] is always achievable
    steps = 0
    while lo < hi:
        check(cancel)
        mid = (lo + hi + 1) // 2
        steps += 1
        if flow.max_flow_value(net, free_scores >= levels[mid]) == target:
            lo = mid
        else:
            hi = mid - 1
    threshold = levels[lo] if len(levels) else -np.inf
    if len(prep.fixed):
        threshold = min(threshold, float(problem.pair_score[prep.fixed].min()))
    keep = prep.free[free_scores >= threshold]
    scale = flow.score_scale(problem.pair_score)
    result = flow.solve_min_cost(
        flow.build_network(prep, keep), flow.score_costs(problem.pair_score[keep], scale)
    )
    return build_solution(
        problem,
        np.concatenate([prep.fixed, result.pairs]),
        "optimal",
        started,
        details={"method": "threshold bisection + min-cost flow", "bisection_steps": steps},
    )
