"""Peer groups of 3–4: a matching-based heuristic with an honest upper bound.

See :mod:`.peer` for the method. The answer's status is ``feasible`` (never claimed optimal
unless it meets the bound) and ``bound`` is ``½ Σ_person best (g−1) scores``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow

from mentormatch_desktop.matching.problem import MatchSolution
from mentormatch_desktop.matching.solvers.common import Prepared, build_solution
from mentormatch_desktop.matching.solvers.flow import score_scale


def form_groups(
    prep: Prepared, chosen: np.ndarray, busy: np.ndarray, size: int, started: float
) -> MatchSolution:
    problem = prep.problem
    n = problem.n_mentees
    allowed = np.concatenate([prep.fixed, prep.free])
    a, b = problem.pair_mentee[allowed], problem.pair_mentor[allowed]
    s = problem.pair_score[allowed]
    score = sp.csr_matrix(
        (np.concatenate([s, s]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    )
    forbid_idx = problem.find_pairs(list(problem.constraints.forbidden))
    fa = problem.pair_mentee[forbid_idx[forbid_idx >= 0]]
    fb = problem.pair_mentor[forbid_idx[forbid_idx >= 0]]
    forbidden = set(zip(fa.tolist(), fb.tolist(), strict=True)) | set(
        zip(fb.tolist(), fa.tolist(), strict=True)
    )

    pairs = [
        (int(problem.pair_mentee[p]), int(problem.pair_mentor[p]))
        for p in np.concatenate([prep.fixed, chosen])
    ]
    in_pair = np.zeros(n, dtype=bool)
    for x, y in pairs:
        in_pair[x] = in_pair[y] = True
    singles = [i for i in range(n) if not in_pair[i]]
    if size >= 4:
        groups = _merge_pairs(pairs, score, forbidden)
    else:
        n_groups = n // 3
        n_fixed = len(prep.fixed)
        ranked = pairs[:n_fixed] + sorted(pairs[n_fixed:], key=lambda q: -score[q[0], q[1]])
        keep, dissolved = ranked[: max(n_groups, n_fixed)], ranked[max(n_groups, n_fixed) :]
        singles += [x for q in dissolved for x in q]
        groups, singles = _seat_singles(keep, singles, score, forbidden)
        groups += _pair_up(singles, score, forbidden)
    idx = problem.find_pairs([(x, y) for g in groups for i, x in enumerate(g) for y in g[i + 1 :]])
    sol = build_solution(problem, idx[idx >= 0], "feasible", started)
    sol.groups = [sorted(g) for g in groups]
    sol.matched = sum(len(g) for g in groups)
    sol.bound = _group_bound(score, size)
    gap = (sol.bound - sol.total_score) / max(abs(sol.bound), 1e-12)
    sol.details = {"method": f"matching-based groups of {size} (heuristic)", "gap": max(0.0, gap)}
    sol.diagnosis = (
        f"groups of {size} are formed heuristically; within {max(0.0, gap):.2%} of the upper bound "
        f"{sol.bound:.4f} (each person's best {size - 1} scores)"
    )
    return sol


def _ok(members: list[int], forbidden: set[tuple[int, int]]) -> bool:
    return not any((x, y) in forbidden for i, x in enumerate(members) for y in members[i + 1 :])


def _merge_pairs(pairs: list[tuple[int, int]], score: sp.csr_matrix, forbidden) -> list[list[int]]:
    """Groups of four: a maximum-weight matching between pairs (weight = cross scores)."""
    n_pairs = len(pairs)
    owner = np.full(score.shape[0], -1, dtype=np.int64)
    for k, (x, y) in enumerate(pairs):
        owner[x] = owner[y] = k
    coo = score.tocoo()
    pi, pj = owner[coo.row], owner[coo.col]
    cross = (pi >= 0) & (pj >= 0) & (pi < pj)  # the symmetric matrix lists each edge twice
    keys = pi[cross] * n_pairs + pj[cross]
    uniq, inverse = np.unique(keys, return_inverse=True)
    weight = np.bincount(inverse, weights=coo.data[cross], minlength=len(uniq))
    if forbidden:
        fx, fy = np.array([list(f) for f in forbidden]).T
        fa, fb = owner[fx], owner[fy]
        bad = (fa >= 0) & (fb >= 0) & (fa < fb)
        weight[np.isin(uniq, fa[bad] * n_pairs + fb[bad])] = 0.0
    good = weight > 0
    uniq, weight = uniq[good], weight[good]
    matched = _max_weight_matching(n_pairs, uniq // n_pairs, uniq % n_pairs, weight)
    used = set()
    groups = []
    for i, j in matched:
        groups.append([*pairs[int(i)], *pairs[int(j)]])
        used |= {i, j}
    groups += [list(p) for k, p in enumerate(pairs) if k not in used]
    return groups


def _max_weight_matching(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray
) -> list[tuple[int, int]]:
    """Exact maximum-weight matching of a weighted graph, through the peer solver's
    bound-and-reduce blossom (orders of magnitude faster than blossom on all edges)."""
    from mentormatch_desktop.matching.problem import MatchProblem
    from mentormatch_desktop.matching.solvers.peer import exact_pairs

    if len(weight) == 0:
        return []
    ids = [str(i) for i in range(n)]
    graph = MatchProblem(
        ids, ids, np.ones(n, dtype=np.int32), a.astype(np.int32), b.astype(np.int32),
        np.asarray(weight, dtype=np.float64), kind="peer",
    )  # fmt: skip
    chosen, _, _ = exact_pairs(graph, np.arange(len(weight)), score_scale(graph.pair_score))
    return list(zip(a[chosen].tolist(), b[chosen].tolist(), strict=True))


def _seat_singles(
    keep: list[tuple[int, int]], singles: list[int], score: sp.csr_matrix, forbidden
) -> tuple[list[list[int]], list[int]]:
    """Seat each single with at most one kept pair, maximising the added score (exact)."""
    groups = [list(p) for p in keep]
    if not keep or not singles:
        return groups, singles
    sa = np.array(singles)
    xs = np.array([p[0] for p in keep])
    ys = np.array([p[1] for p in keep])
    gain = (score[sa][:, xs] + score[sa][:, ys]).tocoo()
    rows, cols, w = gain.row, gain.col, gain.data
    good = [
        k
        for k in range(len(w))
        if w[k] > 0 and _ok([int(sa[rows[k]]), int(xs[cols[k]]), int(ys[cols[k]])], forbidden)
    ]
    rows, cols, w = rows[good], cols[good], w[good]
    if len(w) == 0:
        return groups, singles
    n_s, n_p = len(sa), len(keep)
    source, sink = 0, 1
    tails = np.concatenate(
        [np.full(n_s, source), 2 + rows, 2 + n_s + np.arange(n_p), 2 + np.arange(n_s)]
    )
    heads = np.concatenate(
        [2 + np.arange(n_s), 2 + n_s + cols, np.full(n_p, sink), np.full(n_s, sink)]
    )
    caps = np.ones(len(tails), dtype=np.int64)
    scale = score_scale(w)
    costs = np.concatenate(
        [
            np.zeros(n_s, dtype=np.int64),
            -np.rint(w * scale).astype(np.int64),
            np.zeros(n_p + n_s, dtype=np.int64),
        ]
    )
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    smcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n_s, -n_s]))
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("seating singles: min-cost flow failed")
    flows = smcf.flows(arcs[n_s : n_s + len(w)])
    seated = set()
    for k in np.flatnonzero(flows > 0):
        groups[int(cols[k])].append(int(sa[rows[k]]))
        seated.add(int(sa[rows[k]]))
    return groups, [x for x in singles if x not in seated]


def _pair_up(singles: list[int], score: sp.csr_matrix, forbidden) -> list[list[int]]:
    """People left over pair among themselves (blossom) rather than stay alone."""
    import rustworkx as rx

    if len(singles) < 2:
        return []
    sub = score[singles][:, singles].tocoo()
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(len(singles)))
    scale = score_scale(sub.data) if sub.nnz else 1.0
    graph.add_edges_from(
        [
            (int(i), int(j), round(float(w) * scale))
            for i, j, w in zip(sub.row, sub.col, sub.data, strict=True)
            if i < j and w > 0 and (singles[i], singles[j]) not in forbidden
        ]
    )
    return [
        [singles[i], singles[j]] for i, j in rx.max_weight_matching(graph, weight_fn=lambda w: w)
    ]


def _group_bound(score: sp.csr_matrix, size: int) -> float:
    """½ Σ_person (sum of their best ``size − 1`` positive scores)."""
    total = 0.0
    csr = score.tocsr()
    for i in range(csr.shape[0]):
        row = csr.data[csr.indptr[i] : csr.indptr[i + 1]]
        row = row[row > 0]
        if len(row):
            total += float(np.sort(row)[-(size - 1) :].sum())
    return total / 2.0
