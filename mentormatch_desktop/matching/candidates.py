"""Candidate pairs: prune a dense score matrix to the pairs worth giving a solver.

Pruning must come from **both sides**. Each mentee keeps its top ``k`` mentors (times the
mentors it may have), and each mentor keeps its top ``k × capacity`` mentees. Mentee-side
top-k alone fails on realistic scores: popular mentors appear in everyone's list, the rest in
no one's, and thousands of mentees stay unmatched although a good mentor had room.

The matrix may be given whole or as a function producing row blocks (so 50k × 10k never has
to sit in memory at once); pairs that are NaN or -inf (a hard "no", e.g. no shared language)
are never candidates. :func:`pruning_bound` certifies afterwards how much pruning can have
cost, by pricing the mentors from the pruned solution and checking every pair once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ScoreBlock = Callable[[int, int], np.ndarray]
"""``block(start, stop)`` → scores of mentees ``start:stop`` against every mentor."""

DEFAULT_CHUNK_ROWS = 2048


@dataclass
class CandidatePairs:
    """Sparse pairs (index arrays + scores) ready for :class:`MatchProblem`."""

    pair_mentee: np.ndarray  # int32
    pair_mentor: np.ndarray  # int32
    pair_score: np.ndarray  # float64
    k: int
    mentor_k: np.ndarray  # per mentor, how many mentees it kept

    def __len__(self) -> int:
        return len(self.pair_score)


def _blocks(scores: np.ndarray | ScoreBlock, n_mentees: int | None, chunk_rows: int):
    if isinstance(scores, np.ndarray):
        n = scores.shape[0]
        for start in range(0, n, chunk_rows):
            yield start, scores[start : start + chunk_rows]
    else:
        if n_mentees is None:
            raise ValueError("n_mentees is needed when scores come as row blocks")
        for start in range(0, n_mentees, chunk_rows):
            yield start, scores(start, min(n_mentees, start + chunk_rows))


def candidate_pairs(
    scores: np.ndarray | ScoreBlock,
    capacity: np.ndarray,
    *,
    k: int = 10,
    mentors_per_mentee: int = 1,
    n_mentees: int | None = None,
    min_score: float | None = None,
    keep: list[tuple[int, int]] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> CandidatePairs:
    """Two-sided top-k pruning of a (mentee × mentor) score matrix.

    ``keep`` lists pairs that must survive whatever their rank (required and locked pairs:
    the solver would otherwise report them missing). ``min_score`` drops pairs below it
    (except ``keep``), saving the solver the work.
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    n_m = len(capacity)
    k_e = max(1, min(n_m, k * max(1, mentors_per_mentee)))
    mentor_k = np.maximum(1, k * np.maximum(capacity, 0))
    l_max = int(mentor_k.max(initial=1))
    top_val: np.ndarray | None = None  # (≤ l_max, n_m) best scores per mentor so far
    top_idx: np.ndarray | None = None
    rows_e: list[np.ndarray] = []
    cols_e: list[np.ndarray] = []
    vals_e: list[np.ndarray] = []
    total_rows = 0
    for start, block in _blocks(scores, n_mentees, chunk_rows):
        block = np.asarray(block, dtype=np.float32)
        block = np.where(np.isnan(block), -np.inf, block)
        r = block.shape[0]
        total_rows = start + r
        # mentee side: each row's best k_e mentors
        part = np.argpartition(-block, k_e - 1, axis=1)[:, :k_e] if k_e < n_m else None
        cols = part if part is not None else np.broadcast_to(np.arange(n_m), (r, n_m))
        rows_e.append(np.repeat(np.arange(start, start + r), cols.shape[1]))
        cols_e.append(np.asarray(cols).ravel())
        vals_e.append(np.take_along_axis(block, np.asarray(cols), axis=1).ravel())
        # mentor side: merge this block into the running top-l_max of every column
        idx = np.broadcast_to(np.arange(start, start + r)[:, None], block.shape)
        if top_val is not None:
            vals = np.concatenate([top_val, block], axis=0)
            idxs = np.concatenate([top_idx, idx], axis=0)
        else:
            vals, idxs = block, np.asarray(idx)
        if vals.shape[0] > l_max:
            sel = np.argpartition(-vals, l_max - 1, axis=0)[:l_max]
            vals = np.take_along_axis(vals, sel, axis=0)
            idxs = np.take_along_axis(idxs, sel, axis=0)
        top_val, top_idx = vals.copy(), idxs.copy()
    mentee_rows = np.concatenate(rows_e) if rows_e else np.zeros(0, dtype=np.int64)
    mentee_cols = np.concatenate(cols_e) if cols_e else np.zeros(0, dtype=np.int64)
    mentee_vals = np.concatenate(vals_e) if vals_e else np.zeros(0, dtype=np.float32)
    m_rows, m_cols, m_vals = _mentor_side(top_val, top_idx, mentor_k)
    keys = np.concatenate(
        [
            mentee_rows.astype(np.int64) * n_m + mentee_cols,
            m_rows.astype(np.int64) * n_m + m_cols,
        ]
    )
    keys, first = np.unique(keys, return_index=True)
    pe = (keys // n_m).astype(np.int64)
    pm = (keys % n_m).astype(np.int64)
    ps = np.concatenate([mentee_vals, m_vals]).astype(np.float64)[first]
    good = np.isfinite(ps)
    if min_score is not None:
        good &= ps >= min_score
    pe, pm, ps = pe[good], pm[good], ps[good]
    if keep:
        extra = np.asarray(keep, dtype=np.int64).reshape(-1, 2)
        extra_keys = np.setdiff1d(extra[:, 0] * n_m + extra[:, 1], pe * n_m + pm)
        if len(extra_keys):
            ee, em = extra_keys // n_m, extra_keys % n_m
            es = _lookup_scores(scores, ee, em, n_mentees or total_rows, chunk_rows)
            ok = np.isfinite(es)
            pe = np.concatenate([pe, ee[ok]])
            pm = np.concatenate([pm, em[ok]])
            ps = np.concatenate([ps, es[ok]])
    return CandidatePairs(
        pe.astype(np.int32), pm.astype(np.int32), ps.astype(np.float64), k, mentor_k
    )


def _mentor_side(
    top_val: np.ndarray | None, top_idx: np.ndarray | None, mentor_k: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each mentor's best ``mentor_k[m]`` mentees from the running top lists."""
    if top_val is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    order = np.argsort(-top_val, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[0])[:, None], axis=0)
    take = ranks < mentor_k[None, :]
    rows = top_idx[take]
    cols = np.broadcast_to(np.arange(top_val.shape[1]), top_val.shape)[take]
    return rows, cols, top_val[take]


def _lookup_scores(
    scores: np.ndarray | ScoreBlock,
    pe: np.ndarray,
    pm: np.ndarray,
    n_mentees: int,
    chunk_rows: int,
) -> np.ndarray:
    if isinstance(scores, np.ndarray):
        return scores[pe, pm].astype(np.float64)
    out = np.empty(len(pe), dtype=np.float64)
    # pe is sorted (keys were), so each block's pairs are one contiguous run
    bounds = np.searchsorted(pe, np.arange(0, n_mentees + chunk_rows, chunk_rows))
    for b, start in enumerate(range(0, n_mentees, chunk_rows)):
        lo, hi = bounds[b], bounds[b + 1]
        if lo == hi:
            continue
        block = scores(start, min(n_mentees, start + chunk_rows))
        out[lo:hi] = block[pe[lo:hi] - start, pm[lo:hi]]
    return out


def mentor_prices(
    pair_mentee: np.ndarray,
    pair_mentor: np.ndarray,
    pair_score: np.ndarray,
    chosen: np.ndarray,
    n_mentees: int,
    n_mentors: int,
    mentors_per_mentee: int = 1,
    max_rounds: int = 500,
) -> np.ndarray:
    """Mentor prices under which the chosen pairs are what every mentee would pick.

    The smallest ``v ≥ 0`` with ``s(e, m) − v[m] ≥ s(e, m') − v[m']`` for each chosen pair
    (e, m) and each other candidate m' of e (and ``v[m'] ≥ s(e, m')`` for a mentee with a
    free slot) — a longest-path problem on mentors, relaxed until it settles. For an
    optimal solution these are LP dual prices; any ``v ≥ 0`` still gives a valid bound.
    """
    chosen_mask = np.zeros(len(pair_score), dtype=bool)
    chosen_mask[chosen] = True
    k = max(1, mentors_per_mentee)
    # per mentee, up to k assigned mentors with their scores
    slots_m = np.full((n_mentees, k), -1, dtype=np.int64)
    slots_s = np.zeros((n_mentees, k))
    order = np.flatnonzero(chosen_mask)
    order = order[np.argsort(pair_mentee[order], kind="stable")]
    ce = pair_mentee[order]
    rank = np.arange(len(order)) - np.searchsorted(ce, ce)
    ok = rank < k
    slots_m[ce[ok], rank[ok]] = pair_mentor[order][ok]
    slots_s[ce[ok], rank[ok]] = pair_score[order][ok]
    others = ~chosen_mask
    oe, om, os_ = pair_mentee[others], pair_mentor[others], pair_score[others]
    n_assigned = (slots_m >= 0).sum(axis=1)
    v = np.zeros(n_mentors)
    spare = n_assigned[oe] < k
    np.maximum.at(v, om[spare], os_[spare])
    edges_from, edges_to, edges_w = [], [], []
    for j in range(k):
        src = slots_m[oe, j]
        has = src >= 0
        edges_from.append(src[has])
        edges_to.append(om[has])
        edges_w.append(os_[has] - slots_s[oe, j][has])
    ef, et, ew = (np.concatenate(a) for a in (edges_from, edges_to, edges_w))
    for _ in range(max_rounds):
        cand = v[ef] + ew
        new = v.copy()
        np.maximum.at(new, et, cand)
        if np.allclose(new, v, rtol=0, atol=1e-12):
            break
        v = new
    return np.maximum(v, 0.0)


def pruning_bound(
    scores: np.ndarray | ScoreBlock,
    capacity: np.ndarray,
    prices: np.ndarray,
    *,
    mentors_per_mentee: int = 1,
    n_mentees: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> float:
    """An upper bound on the best total score over *all* pairs (pruned or not).

    Lagrangian dual of the capacity constraints: with mentor prices ``v ≥ 0``, every
    assignment scores at most ``Σ_e (best k positive s(e,m) − v[m]) + Σ_m capacity·v[m]``.
    One pass over the full matrix; with the prices of the pruned optimum the bound is tight
    when pruning lost nothing, so ``bound − pruned total`` is what pruning can have cost.
    """
    k = max(1, mentors_per_mentee)
    capacity = np.asarray(capacity, dtype=np.float64)
    total = float(capacity @ prices)
    v32 = prices.astype(np.float32)
    for _, block in _blocks(scores, n_mentees, chunk_rows):
        reduced = np.asarray(block, dtype=np.float32) - v32[None, :]
        reduced = np.where(np.isfinite(reduced), reduced, 0.0)
        fits = k < reduced.shape[1]
        top = -np.partition(-reduced, k - 1, axis=1)[:, :k] if fits else reduced
        total += float(np.maximum(top, 0.0).sum(dtype=np.float64))
    return total
