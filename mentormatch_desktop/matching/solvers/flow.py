"""The assignment as a min-cost flow (OR-Tools ``SimpleMinCostFlow``).

Network: source → mentee (capacity = mentor slots the mentee has left) → [quota node
(mentor, attribute value), capacity = quota left] → mentor (capacity left) → sink. Pair arcs
carry cost ``-round(score × scale)``; ``solve_max_flow_with_min_cost`` then maximises the
number of assignments first and the total score second — exactly the optimizer's
lexicographic objective, with no big-M. Integer costs make the answer exact up to the
rounding of scores to ``1/scale`` (scale is 10⁶ / max |score|).

One attribute quota fits as an extra layer; two quotas on different attributes do not nest,
so those problems go to CP-SAT. Everything is built with vectorised numpy calls: the Python
side never loops over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from mentormatch_desktop.matching.solvers.common import Prepared, attribute_values

COST_RANGE = 1_000_000


class FlowError(RuntimeError):
    """OR-Tools reported something other than an optimal flow (overflow, bad input)."""


@dataclass
class FlowResult:
    pairs: np.ndarray  # chosen free pair indices
    flow_value: int
    cost: int
    arc_flows: np.ndarray | None = None  # flow on every arc of the network, in its order


def score_scale(scores: np.ndarray) -> float:
    """The multiplier turning scores into integer costs with ~6 significant digits."""
    top = float(np.max(np.abs(scores))) if len(scores) else 0.0
    return COST_RANGE / top if top > 0 else 1.0


def flow_expressible(prep: Prepared) -> bool:
    """Whether the constraints keep the network-flow structure (at most one quota layer)."""
    c = prep.problem.constraints
    return len({q.attribute for q in c.max_per_mentor_by_attribute}) <= 1 and not (
        c.min_cross_attribute_share
    )


@dataclass
class Network:
    """Arrays describing the flow network, so callers can tweak costs and re-solve."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    n_nodes: int
    source: int
    sink: int
    pair_arc_start: int  # pair arcs are arcs [start, start + len(pairs))
    pairs: np.ndarray
    first_unit: np.ndarray | None = None  # arcs of each mentee's first mentor (k > 1)


def build_network(prep: Prepared, pairs: np.ndarray) -> Network:
    """Nodes and arcs for choosing among ``pairs`` (free pair indices)."""
    problem = prep.problem
    n_e, n_m = problem.n_mentees, problem.n_mentors
    source, sink = 0, 1
    mentee_node = 2 + np.arange(n_e)
    mentor_node = 2 + n_e + np.arange(n_m)
    n_nodes = 2 + n_e + n_m
    # int32 throughout: on 20M pairs every copy and cast costs ~0.1–0.3 s
    pe = np.take(problem.pair_mentee, pairs).astype(np.int32, copy=False)
    pm = np.take(problem.pair_mentor, pairs).astype(np.int32, copy=False)

    first_unit = None
    if problem.constraints.mentors_per_mentee > 1:
        # "mentees matched" counts people, not assignments: each mentee's first unit of
        # flow (if no fixed pair matches them already) gets its own arc, rewarded in
        # solve_min_cost, and further mentors are taken only for their score.
        already = np.zeros(n_e, dtype=bool)
        already[problem.pair_mentee[prep.fixed]] = True
        first = np.where(already, 0, np.minimum(prep.mentee_room, 1))
        first_unit = np.arange(n_e)  # the first n_e arcs
        tails = [np.full(n_e, source), np.full(n_e, source), np.asarray(mentor_node)]
        heads = [mentee_node, mentee_node, np.full(n_m, sink)]
        caps = [first, prep.mentee_room - first, prep.mentor_room]
    else:
        tails = [np.full(n_e, source), np.asarray(mentor_node)]
        heads = [mentee_node, np.full(n_m, sink)]
        caps = [prep.mentee_room, prep.mentor_room]
    pair_head = pm + np.int32(2 + n_e)
    quotas = problem.constraints.max_per_mentor_by_attribute
    if quotas:
        # the tightest quota on the (single) attribute wins
        attribute = quotas[0].attribute
        keys = {key for q in range(len(quotas)) for key in prep.quota_room[q]}
        room = {
            key: min(prep.quota_room[q].get(key, quotas[q].max) for q in range(len(quotas)))
            for key in keys
        }
        default = min(q.max for q in quotas)
        values = attribute_values(problem, attribute)
        codes = {v: i for i, v in enumerate(sorted({v for v in values if v is not None}, key=str))}
        code_of = np.array(
            [codes.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64
        )
        pc = code_of[pe]
        counted = pc >= 0
        group_key = pm[counted].astype(np.int64) * max(1, len(codes)) + pc[counted]
        uniq, inverse = np.unique(group_key, return_inverse=True)
        group_node = n_nodes + np.arange(len(uniq))
        n_nodes += len(uniq)
        inv_codes = {i: v for v, i in codes.items()}
        group_mentor = uniq // max(1, len(codes))
        group_cap = np.array(
            [
                max(0, room.get((int(gm), inv_codes[int(gc)]), default))
                for gm, gc in zip(group_mentor, uniq % max(1, len(codes)), strict=True)
            ],
            dtype=np.int64,
        )
        pair_head[counted] = group_node[inverse]
        tails.append(group_node)
        heads.append(mentor_node[group_mentor])
        caps.append(group_cap)
    pair_arc_start = sum(len(t) for t in tails)
    tails.append(pe + np.int32(2))
    heads.append(pair_head)
    caps.append(np.ones(len(pairs), dtype=np.int64))
    return Network(
        np.concatenate([t.astype(np.int32, copy=False) for t in tails]),
        np.concatenate([h.astype(np.int32, copy=False) for h in heads]),
        np.concatenate([c.astype(np.int64, copy=False) for c in caps]),
        n_nodes,
        source,
        sink,
        pair_arc_start,
        np.asarray(pairs, dtype=np.int64),
        first_unit,
    )


def solve_min_cost(net: Network, pair_costs: np.ndarray) -> FlowResult:
    """Maximum flow of minimum cost; ``pair_costs`` are integer costs of the pair arcs.

    With several mentors per mentee (``net.first_unit``), "maximum" means most mentees
    matched: each mentee's first unit earns a reward above any total score, a free bypass
    arc lets the rest of the supply go unused, and further mentors are added only when
    their score pays.
    """
    smcf = min_cost_flow.SimpleMinCostFlow()
    costs = np.zeros(len(net.tails), dtype=np.int64)
    costs[net.pair_arc_start :] = pair_costs
    tails, heads, caps = net.tails, net.heads, net.caps
    total = int(net.caps[net.tails == net.source].sum())
    if net.first_unit is not None:
        costs[net.first_unit] = -(int(np.abs(pair_costs).sum()) + 1)
        tails = np.append(tails, np.int32(net.source))
        heads = np.append(heads, np.int32(net.sink))
        caps = np.append(caps, np.int64(total))
        costs = np.append(costs, np.int64(0))
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(
        np.array([net.source, net.sink], dtype=np.int32), np.array([total, -total], dtype=np.int64)
    )
    status = smcf.solve_max_flow_with_min_cost() if net.first_unit is None else smcf.solve()
    if status != smcf.OPTIMAL:
        raise FlowError(f"min-cost flow failed with status {status}")
    all_flows = smcf.flows(arcs[: len(net.tails)])
    flows = all_flows[net.pair_arc_start : net.pair_arc_start + len(net.pairs)]
    chosen = net.pairs[flows > 0]
    return FlowResult(chosen, int(flows.sum()), int(smcf.optimal_cost()), all_flows)


def max_flow_value(net: Network, keep: np.ndarray | None = None) -> int:
    """Most assignments possible using only the pair arcs where ``keep`` is True."""
    from ortools.graph.python import max_flow  # only diagnoses need it; solving does not

    smf = max_flow.SimpleMaxFlow()
    caps = net.caps.copy()
    if keep is not None:
        caps[net.pair_arc_start :] = np.where(keep, caps[net.pair_arc_start :], 0)
    smf.add_arcs_with_capacity(net.tails, net.heads, caps)
    status = smf.solve(net.source, net.sink)
    if status != smf.OPTIMAL:
        raise FlowError(f"max flow failed with status {status}")
    return int(smf.optimal_flow())


def score_costs(scores: np.ndarray, scale: float) -> np.ndarray:
    """Integer arc costs for maximising ``scores`` (costs are minimised)."""
    return -np.rint(scores * scale).astype(np.int64)


def residual_potentials(
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    flows: np.ndarray,
    costs: np.ndarray,
) -> np.ndarray | None:
    """Shortest-path distances ``d`` in the residual network of an optimal flow.

    Every residual arc u→v then has ``cost + d[u] − d[v] ≥ 0`` (LP dual prices). Bellman–
    Ford from a virtual root, vectorised and relaxing only arcs whose tail just improved;
    ``None`` if it does not settle (a negative cycle: the flow was not optimal).
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    fwd = flows < caps
    bwd = flows > 0
    rt = np.concatenate([tails[fwd], heads[bwd]])
    rh = np.concatenate([heads[fwd], tails[bwd]])
    rc = np.concatenate([costs[fwd], -costs[bwd]]).astype(np.int64)
    dist = np.zeros(n_nodes, dtype=np.int64)
    active = np.ones(n_nodes, dtype=bool)
    for _ in range(n_nodes + 1):
        sel = np.flatnonzero(active[rt])
        cand = dist[rt[sel]] + rc[sel]
        better = cand < dist[rh[sel]]
        if not better.any():
            return dist
        new = dist.copy()
        np.minimum.at(new, rh[sel][better], cand[better])
        active = new < dist
        dist = new
    return None
