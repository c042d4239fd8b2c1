"""A cohort-wide share ("≥ 40 % of pairs cross-department") by Lagrangian relaxation.

The share is one linear constraint over all pairs, so it breaks the flow structure only
mildly. Move it into the objective with a multiplier λ ≥ 0 — each crossing pair earns λ
extra — and every λ is again a min-cost flow. The number of assignments does not depend on
λ (the network is the same), so among maximum-size matchings

    g(λ) = max_x  S(x) + λ · (C(x) − need)

is an upper bound on the best total score meeting the share, for every λ; ``g`` is convex
and piecewise linear, and its minimum is found by intersecting the lines of the best
feasible and best infeasible flows seen so far (Kelley's cutting planes in one dimension;
exact after a handful of flows). The best feasible flow is the answer and ``min g`` its
certificate: ``gap = (bound − total) / bound``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, check
from mentormatch_desktop.matching.problem import MatchSolution
from mentormatch_desktop.matching.solvers import flow
from mentormatch_desktop.matching.solvers.common import (
    Conflict,
    Prepared,
    build_solution,
    cross_flags,
)
from mentormatch_desktop.matching.solvers.diagnosis import cross_share_conflict

MAX_ITERATIONS = 30
GAP_TOLERANCE = 1e-9


def share_conflict(prep: Prepared) -> Conflict | None:
    """An infeasibility the fixed pairs cause, checked with a max flow on crossing pairs."""
    problem = prep.problem
    for share in problem.constraints.min_cross_attribute_share:
        cross = cross_flags(problem, share.attribute)
        fixed_cross = int(cross[prep.fixed].sum())
        fixed_total = len(prep.fixed)
        net = flow.build_network(prep, prep.free)
        free_cross_max = flow.max_flow_value(net, cross[prep.free])
        conflict = cross_share_conflict(
            problem, share.attribute, share.min_share, fixed_cross, fixed_total, free_cross_max
        )
        if conflict is not None:
            return conflict
    return None


def solve_share(
    prep: Prepared,
    started: float,
    *,
    time_limit: float | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution | None:
    """Best total under one cross-attribute share; ``None`` if no maximum-size flow meets it.

    ``None`` sends the caller to CP-SAT, which may trade matches for the share.
    """
    problem = prep.problem
    share = problem.constraints.min_cross_attribute_share[0]
    cross_all = cross_flags(problem, share.attribute)
    cross = cross_all[prep.free].astype(np.int64)
    # bounds and gaps are exact for scores rounded to 1/scale, like every flow answer
    scores = problem.pair_score[prep.free]
    scale = flow.score_scale(problem.pair_score)
    net = flow.build_network(prep, prep.free)
    base_costs = flow.score_costs(scores, scale)
    fixed_cross = int(cross_all[prep.fixed].sum())
    fixed_score = float(problem.pair_score[prep.fixed].sum())

    def evaluate(lam: float) -> tuple[np.ndarray, float, int]:
        check(cancel)
        costs = base_costs - np.rint(lam * scale * cross).astype(np.int64)
        res = flow.solve_min_cost(net, costs)
        chosen = np.isin(prep.free, res.pairs)
        return chosen, float(scores[chosen].sum()), int(cross[chosen].sum())

    chosen0, s0, c0 = evaluate(0.0)
    n_free = int(chosen0.sum())
    need = share.min_share * (n_free + len(prep.fixed)) - fixed_cross
    iterations = 1
    if c0 >= need - 1e-9:  # the unconstrained optimum already meets the share
        return _answer(prep, started, chosen0, s0, iterations, 0.0)
    lo = (0.0, chosen0, s0, c0)
    lam_big = 4.0 * float(np.abs(scores).max(initial=1.0)) + 1.0
    for _ in range(4):
        hi_eval = evaluate(lam_big)
        iterations += 1
        if hi_eval[2] >= need - 1e-9:
            break
        lam_big *= 16.0
    else:
        # even strongly rewarded crossing cannot reach the share at maximum size
        return None
    hi = (lam_big, *hi_eval)
    best_bound = math.inf
    for lam, _, s, c in (lo, hi):
        best_bound = min(best_bound, s + lam * (c - need))
    while iterations < MAX_ITERATIONS:
        if time_limit is not None and time.perf_counter() - started > time_limit:
            break
        gap = best_bound - hi[2]
        if gap <= GAP_TOLERANCE * max(1.0, abs(best_bound)):
            break
        # λ where the lines of lo (infeasible) and hi (feasible) meet
        lam = (lo[2] - hi[2]) / (hi[3] - lo[3])
        chosen, s, c = evaluate(lam)
        iterations += 1
        value = s + lam * (c - need)
        best_bound = min(best_bound, value)
        line = lo[2] + lam * (lo[3] - need)
        if value <= line + 1e-9 * max(1.0, abs(line)):
            break  # no better line at the meeting point: λ is the dual optimum
        if c >= need - 1e-9:
            hi = (lam, chosen, s, c)
        else:
            lo = (lam, chosen, s, c)
    return _answer(prep, started, hi[1], best_bound, iterations, float(hi[0]), fixed_score)


def _answer(
    prep: Prepared,
    started: float,
    chosen: np.ndarray,
    bound_free: float,
    iterations: int,
    lam: float,
    fixed_score: float | None = None,
) -> MatchSolution:
    problem = prep.problem
    if fixed_score is None:
        fixed_score = float(problem.pair_score[prep.fixed].sum())
    pairs = np.concatenate([prep.fixed, prep.free[chosen]])
    sol = build_solution(problem, pairs, "feasible", started)
    bound = bound_free + fixed_score
    gap = max(0.0, (bound - sol.total_score) / max(abs(bound), 1e-12))
    sol.bound = bound
    sol.status = "optimal" if gap <= 1e-7 else "feasible"
    sol.details = {
        "method": "Lagrangian relaxation over min-cost flows",
        "iterations": iterations,
        "multiplier": lam,
        "gap": gap,
    }
    if sol.status == "feasible":
        sol.diagnosis = f"feasible, within {gap:.4%} of the proven bound {bound:.4f}"
    return sol
