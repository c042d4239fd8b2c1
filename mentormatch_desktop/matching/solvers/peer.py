"""Peer matching: pairs (or small groups) within one pool, maximising the total score.

Pairs: Edmonds' blossom algorithm (rustworkx ``max_weight_matching``) on the candidate graph
is exact for that graph. Its certificate is the *fractional* matching bound — the best
assignment on the bipartite double cover (every person once as "left", once as "right"),
halved — computed by one min-cost flow; blossom results usually meet it exactly, and the
gap is reported either way.

Groups of 3–4 are NP-hard in general; this is a heuristic and says so: pair up first, then
(for 4) match pairs to pairs, or (for 3) keep the best third of the pairs and seat each
remaining person with the pair they fit best (an assignment, solved exactly). The bound
reported for groups is ``½ Σ_person (their best g−1 scores)``: every group's total counts
each member's in-group pairs, and no one can do better than their best g−1 partners.
Within a group every scored pair counts; pairs without a score count 0, forbidden pairs
never share a group.
"""

from __future__ import annotations

import time

import numpy as np
import rustworkx as rx
from ortools.graph.python import min_cost_flow

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers import flow
from mentormatch_desktop.matching.solvers.common import build_solution, infeasible_solution, prepare
from mentormatch_desktop.matching.solvers.flow import score_scale


def peer_match(
    problem: MatchProblem,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution:
    started = time.perf_counter()
    if problem.kind != "peer":
        return build_solution(
            problem,
            [],
            "error",
            started,
            diagnosis="the peer strategy matches one pool; this problem has two sides",
        )
    prep = prepare(problem)
    if not prep.feasible:
        return infeasible_solution(prep, started)
    n = problem.n_mentees
    busy = np.zeros(n, dtype=bool)
    busy[problem.pair_mentee[prep.fixed]] = True
    busy[problem.pair_mentor[prep.fixed]] = True
    free = prep.free
    free = free[~busy[problem.pair_mentee[free]] & ~busy[problem.pair_mentor[free]]]
    free = free[problem.pair_score[free] > 0]  # a non-positive pair never raises the total
    scale = score_scale(problem.pair_score)
    report(progress, 0.1, "Fractional matching bound")
    check(cancel)
    chosen, bound_free, details = exact_pairs(problem, free, scale)
    size = problem.constraints.group_size
    if size <= 2:
        bound = bound_free + float(problem.pair_score[prep.fixed].sum())
        sol = build_solution(problem, np.concatenate([prep.fixed, chosen]), "optimal", started)
        sol.bound = bound
        gap = max(0.0, (bound - sol.total_score) / max(abs(bound), 1e-12))
        sol.details = {**details, "gap": gap}
        if gap > 2e-6:  # beyond the rounding of scores to 1/scale
            sol.diagnosis = (
                f"optimal (blossom algorithm); the fractional-matching bound {bound:.4f} is "
                f"{gap:.4%} higher because of odd cycles"
            )
        return sol
    report(progress, 0.5, f"Forming groups of {size}")
    from mentormatch_desktop.matching.solvers.peer_groups import form_groups

    return form_groups(prep, chosen, busy, size, started)


def blossom(problem: MatchProblem, pairs: np.ndarray, scale: float) -> np.ndarray:
    """Exact maximum-weight matching on the graph of ``pairs`` (indices into the problem)."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(problem.n_mentees))
    weights = np.rint(problem.pair_score[pairs] * scale).astype(np.int64)
    graph.add_edges_from(
        list(
            zip(
                problem.pair_mentee[pairs].tolist(),
                problem.pair_mentor[pairs].tolist(),
                zip(weights.tolist(), pairs.tolist(), strict=True),
                strict=True,
            )
        )
    )
    matching = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=lambda w: w[0])
    return np.array(sorted(int(graph.get_edge_data(a, b)[1]) for a, b in matching), dtype=np.int64)


def exact_pairs(
    problem: MatchProblem, pairs: np.ndarray, scale: float
) -> tuple[np.ndarray, float, dict]:
    """Maximum-weight matching on ``pairs``, its fractional bound, and how it was found.

    1. Best assignment on the bipartite double cover (min-cost flow): its value halved is
       the fractional-matching bound; its 2-cycles, plus a greedy fill, are a matching.
    2. Residual potentials give node prices ``y`` (``y_i + y_j ≥ w_ij``, ``Σ y`` = bound):
       an edge whose reduced cost ``y_i + y_j − w_ij`` exceeds ``bound − matching`` is in
       no better matching, so the blossom algorithm runs on the few edges left — exact,
       and far faster than on the whole candidate graph.
    """
    n = problem.n_mentees
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.int64), 0.0, {"method": "no candidate pairs"}
    a = problem.pair_mentee[pairs].astype(np.int64)
    b = problem.pair_mentor[pairs].astype(np.int64)
    w = np.rint(problem.pair_score[pairs] * scale).astype(np.int64)
    source, sink = 0, 1
    left = 2 + np.arange(n)
    right = 2 + n + np.arange(n)
    tails = np.concatenate([np.full(n, source), right, left, left[a], left[b]])
    heads = np.concatenate([left, np.full(n, sink), np.full(n, sink), right[b], right[a]])
    # only "each person once per side" binds; other arcs get room to spare so that the
    # residual potentials are exact dual prices (a saturated arc would hide its dual)
    caps = np.full(len(tails), 2, dtype=np.int64)
    caps[: 2 * n] = 1
    costs = np.concatenate([np.zeros(3 * n, dtype=np.int64), -w, -w])
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    smcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n, -n]))
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("fractional matching bound: min-cost flow failed")
    flows = smcf.flows(arcs)
    bound = -smcf.optimal_cost() / 2.0 / scale
    m = len(pairs)
    ab = flows[3 * n : 3 * n + m] > 0
    ba = flows[3 * n + m :] > 0
    start = np.flatnonzero(ab & ba)  # 2-cycles: i→j and j→i both used
    start = _greedy_fill(n, a, b, w, start)
    lower2 = 2 * int(w[start].sum())
    d = flow.residual_potentials(2 + 2 * n, tails, heads, caps, flows, costs)
    if d is None:  # not expected: fall back to the whole graph
        keep = np.arange(m)
    else:
        u = np.maximum(d[left] - d[sink], 0)
        v = np.maximum(d[sink] - d[right], 0)
        y2 = u + v  # twice the fractional-matching dual price of each person
        upper2 = int(y2.sum())
        if upper2 <= lower2:
            return pairs[start], bound, {"method": "double-cover flow (integral)", "edges": 0}
        reduced2 = y2[a] + y2[b] - 2 * w
        keep = np.flatnonzero(reduced2 <= upper2 - lower2)
    chosen = blossom(problem, pairs[keep], scale)
    details = {"method": "double-cover bound + blossom on reduced graph", "edges": len(keep)}
    return chosen, bound, details


def _greedy_fill(
    n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Extend a matching (edge positions) greedily by weight."""
    used = np.zeros(n, dtype=bool)
    used[a[start]] = True
    used[b[start]] = True
    out = list(start.tolist())
    for k in np.argsort(-w, kind="stable").tolist():
        i, j = int(a[k]), int(b[k])
        if not used[i] and not used[j] and w[k] > 0:
            used[i] = used[j] = True
            out.append(k)
    return np.asarray(sorted(out), dtype=np.int64)
