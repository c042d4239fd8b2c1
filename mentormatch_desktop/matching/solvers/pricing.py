"""Exact min-cost flow on huge candidate sets by pricing: solve small, prove, grow.

A dense problem (2,000 × 500 = 1M pairs, 10,000 × 2,000 = 20M) mostly consists of pairs no
optimum uses. Solve the flow on a two-sided top-k subset, then *prove* the answer optimal
for every pair: compute node potentials π (shortest-path distances in the residual
network of the subset's optimal flow) and check that no left-out pair arc has a negative
reduced cost ``c + π(tail) − π(head)``. If none does, the potentials are feasible for the
whole residual network, so it has no negative cycle and the flow is optimal for all
pairs; otherwise the violating pairs join the subset and the flow is solved again.

The lexicographic objective (most people matched, then the best total) is certified as
one cost: each mentee's first unit of flow costs ``−M`` with ``M`` above any total score,
and a free source→sink bypass lets the flow value vary, so a residual cycle through the
bypass is exactly "one more person matched".
"""

from __future__ import annotations

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, check
from mentormatch_desktop.matching.candidates import candidate_pairs, sparse_candidates
from mentormatch_desktop.matching.solvers import flow
from mentormatch_desktop.matching.solvers.common import Prepared

PRICING_MIN_PAIRS = 150_000  # below this one flow over every pair is as fast
INITIAL_K = 12
MAX_ROUNDS = 8
DENSE_CELLS = 60_000_000  # up to this many mentee × mentor cells, prune via a matrix


def solve_by_pricing(
    prep: Prepared, *, cancel: CancelToken | None = None
) -> tuple[np.ndarray, dict] | None:
    """Chosen free pairs, proven optimal over all of ``prep.free``; None if not proven."""
    problem = prep.problem
    free = prep.free
    net = flow.build_network(prep, free)
    start = net.pair_arc_start
    scale = flow.score_scale(problem.pair_score)
    pair_costs = flow.score_costs(problem.pair_score[free], scale)
    big_m = flow.COST_RANGE * (int(prep.mentee_room.sum()) + 1)
    node_costs = np.zeros(start, dtype=np.int64)
    n_e = problem.n_mentees
    node_costs[:n_e] = -big_m  # first unit per mentee (k = 1: every unit)
    keep = _initial_subset(prep)
    for rounds in range(1, MAX_ROUNDS + 1):
        check(cancel)
        sub = np.flatnonzero(keep)
        sub_net = flow.Network(
            np.concatenate([net.tails[:start], net.tails[start + sub]]),
            np.concatenate([net.heads[:start], net.heads[start + sub]]),
            np.concatenate([net.caps[:start], net.caps[start + sub]]),
            net.n_nodes,
            net.source,
            net.sink,
            start,
            free[sub],
            net.first_unit,
        )
        result = flow.solve_min_cost(sub_net, pair_costs[sub])
        costs = np.concatenate([node_costs, pair_costs[sub]])
        supply = int(net.caps[net.tails == net.source].sum())
        pi = _potentials(sub_net, result.arc_flows, costs, supply - result.flow_value, supply)
        if pi is None:
            return None
        out = np.flatnonzero(~keep)
        reduced = pair_costs[out] + pi[net.tails[start + out]] - pi[net.heads[start + out]]
        violating = out[reduced < 0]
        if len(violating) == 0:
            return result.pairs, {
                "method": "min-cost flow with pricing (proven over every pair)",
                "rounds": rounds,
                "arcs_solved": len(sub_net.tails),
                "pairs": len(free),
            }
        keep[violating] = True
    return None


def _initial_subset(prep: Prepared) -> np.ndarray:
    """Two-sided top-k of the free pairs (mask over ``prep.free``).

    A dense-ish problem goes through a score matrix (-inf where not free), where the
    block-wise pruning of :func:`candidate_pairs` is several times faster than sorting
    millions of sparse pairs.
    """
    problem = prep.problem
    free = prep.free
    k_e = INITIAL_K * max(1, problem.constraints.mentors_per_mentee)
    mentor_k = INITIAL_K * np.maximum(prep.mentor_room, 1)
    cells = problem.n_mentees * problem.n_mentors
    if cells <= DENSE_CELLS and len(free) * 4 >= cells:
        pe, pm = problem.pair_mentee[free], problem.pair_mentor[free]
        matrix = np.full((problem.n_mentees, problem.n_mentors), -np.inf, dtype=np.float32)
        matrix[pe, pm] = problem.pair_score[free]
        where = np.full(matrix.shape, -1, dtype=np.int64)
        where[pe, pm] = np.arange(len(free))
        cand = candidate_pairs(
            matrix, np.maximum(prep.mentor_room, 1), k=INITIAL_K,
            mentors_per_mentee=problem.constraints.mentors_per_mentee,
        )  # fmt: skip
        keep = np.zeros(len(free), dtype=bool)
        pos = where[cand.pair_mentee, cand.pair_mentor]
        keep[pos[pos >= 0]] = True
        return keep
    return sparse_candidates(
        problem.pair_mentee[free], problem.pair_mentor[free], problem.pair_score[free],
        k_e, mentor_k,
    )  # fmt: skip


def _potentials(
    net: flow.Network, flows: np.ndarray, costs: np.ndarray, bypass_flow: int, supply: int
) -> np.ndarray | None:
    """Residual potentials of the subset flow, with the source→sink bypass included."""
    return flow.residual_potentials(
        net.n_nodes,
        np.append(net.tails, net.source),
        np.append(net.heads, net.sink),
        np.append(net.caps, supply),
        np.append(flows, bypass_flow),
        np.append(costs, 0),
    )
