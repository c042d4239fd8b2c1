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
from concurrent.futures import ThreadPoolExecutor
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
        # score the next block on a second core while this one is pruned (numpy releases
        # the GIL in matrix products and ufuncs, so the two overlap)
        starts = list(range(0, n_mentees, chunk_rows))
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(scores, 0, min(n_mentees, chunk_rows)) if starts else None
            for i, start in enumerate(starts):
                block = pending.result()
                if i + 1 < len(starts):
                    nxt = starts[i + 1]
                    pending = pool.submit(scores, nxt, min(n_mentees, nxt + chunk_rows))
                yield start, block


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
    # Each block is touched by a few cheap passes only (group maxima, one comparison):
    # no sort or partition over the whole block. The k-th largest of g group maxima is a
    # lower bound on the k-th largest value (k groups reach it), so "≥ that" is a small
    # superset of the top k; exact top lists are then cut from the few survivors.
    mentors = _RunningTop(mentor_k)
    rows_e: list[np.ndarray] = []
    cols_e: list[np.ndarray] = []
    vals_e: list[np.ndarray] = []
    total_rows = 0
    for start, block in _blocks(scores, n_mentees, chunk_rows):
        block = np.asarray(block, dtype=np.float32)
        if np.isnan(block).any():
            block = np.where(np.isnan(block), -np.inf, block)
        r = block.shape[0]
        total_rows = start + r
        thr_e = _kth_largest(_group_maxima(block, 4 * k_e, axis=1), k_e)
        thr_m = mentors.threshold()
        filling = np.flatnonzero(thr_m == -np.inf)  # mentors without k candidates yet
        if len(filling):
            col_maxima = _group_maxima(block[:, filling], 2 * int(mentor_k.max()), axis=0)
            thr_m[filling] = _kth_largest(col_maxima, mentor_k[filling])
        rows, cols = np.nonzero((block >= thr_e[:, None]) | (block >= thr_m[None, :]))
        vals = block[rows, cols]
        for_e = vals >= thr_e[rows]
        rows_e.append(rows[for_e] + start)
        cols_e.append(cols[for_e])
        vals_e.append(vals[for_e])
        for_m = vals >= thr_m[cols]
        mentors.add(rows[for_m] + start, cols[for_m], vals[for_m])
    pe_e = np.concatenate(rows_e) if rows_e else np.zeros(0, dtype=np.int64)
    pm_e = np.concatenate(cols_e) if cols_e else np.zeros(0, dtype=np.int64)
    ps_e = np.concatenate(vals_e) if vals_e else np.zeros(0, dtype=np.float32)
    pm_e, pe_e, ps_e = _top_per_group(pe_e, pm_e, ps_e, np.full(total_rows, k_e))
    pe_m, pm_m, ps_m = mentors.pairs()
    keys = np.concatenate([pe_e.astype(np.int64) * n_m + pm_e, pe_m.astype(np.int64) * n_m + pm_m])
    keys, first = np.unique(keys, return_index=True)
    pe = keys // n_m
    pm = keys % n_m
    ps = np.concatenate([ps_e, ps_m]).astype(np.float64)[first]
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


def sparse_candidates(
    pair_mentee: np.ndarray,
    pair_mentor: np.ndarray,
    pair_score: np.ndarray,
    mentee_k: int,
    mentor_k: np.ndarray,
) -> np.ndarray:
    """Two-sided top-k over pairs that are already sparse: a mask of the pairs kept.

    Each mentee keeps its ``mentee_k`` best pairs and each mentor ``mentor_k[m]`` best.
    """
    idx = np.arange(len(pair_score))
    vals = np.asarray(pair_score, dtype=np.float32)
    n_e = int(pair_mentee.max(initial=-1)) + 1
    by_e, _, _ = _top_per_group(
        np.asarray(pair_mentee, dtype=np.int64), idx, vals, np.full(n_e, mentee_k)
    )
    by_m, _, _ = _top_per_group(
        np.asarray(pair_mentor, dtype=np.int64), idx, vals, np.asarray(mentor_k, dtype=np.int64)
    )
    keep = np.zeros(len(pair_score), dtype=bool)
    keep[by_e] = True
    keep[by_m] = True
    return keep


def _group_maxima(block: np.ndarray, groups: int, axis: int) -> np.ndarray:
    """Maxima of about ``groups`` equal slices along ``axis`` (rows of the result = other axis).

    Reshape-and-reduce is several times faster than ``reduceat`` on large blocks; a short
    remainder becomes one more group.
    """
    n = block.shape[axis]
    groups = max(1, min(n, groups))
    width = n // groups
    main = groups * width
    if axis == 1:
        out = block[:, :main].reshape(block.shape[0], groups, width).max(axis=2)
        if main < n:
            out = np.concatenate([out, block[:, main:].max(axis=1, keepdims=True)], axis=1)
        return out
    out = block[:main].reshape(groups, width, block.shape[1]).max(axis=1)
    if main < n:
        out = np.concatenate([out, block[main:].max(axis=0, keepdims=True)], axis=0)
    return np.ascontiguousarray(out.T)


def _kth_largest(values: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Per row, the k-th largest entry (-inf when the row has fewer than k entries)."""
    g = values.shape[1]
    ks = np.broadcast_to(np.asarray(k, dtype=np.int64), (values.shape[0],))
    out = np.full(values.shape[0], -np.inf, dtype=np.float32)
    ok = ks <= g
    if not ok.any():
        return out
    kth = np.unique(ks[ok] - 1)
    part = -np.partition(-values, kth, axis=1)
    rows = np.flatnonzero(ok)
    out[rows] = part[rows, ks[rows] - 1]
    return out


def _top_per_group(
    group: np.ndarray, other: np.ndarray, vals: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``keep[g]`` best entries of each group (returns other, group, vals)."""
    if len(group) == 0:
        return other, group, vals
    # one integer sort on (group, score descending) packed into 64 bits
    v = np.asarray(-vals, dtype=np.float32).view(np.int32).astype(np.int64)
    v = np.where(v < 0, -(v & 0x7FFFFFFF) - 1, v) + (1 << 31)  # IEEE order → unsigned order
    order = np.argsort((group.astype(np.int64) << 32) | v, kind="stable")
    group, other, vals = group[order], other[order], vals[order]
    first = np.zeros(len(group), dtype=np.int64)
    breaks = np.flatnonzero(np.diff(group)) + 1
    first[breaks] = breaks
    rank = np.arange(len(group)) - np.maximum.accumulate(first)
    sel = rank < keep[group]
    return other[sel], group[sel], vals[sel]


class _RunningTop:
    """Each mentor's best ``mentor_k[m]`` (mentee, score) pairs over the blocks seen."""

    def __init__(self, mentor_k: np.ndarray) -> None:
        self.mentor_k = mentor_k
        self.rows = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)
        self.vals = np.zeros(0, dtype=np.float32)

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self.rows, self.cols, self.vals = _top_per_group(
            np.concatenate([self.cols, cols]),
            np.concatenate([self.rows, rows]),
            np.concatenate([self.vals, vals]),
            self.mentor_k,
        )

    def threshold(self) -> np.ndarray:
        """The k-th best score so far per mentor (-inf while fewer than k were seen)."""
        thr = np.full(len(self.mentor_k), -np.inf, dtype=np.float32)
        if len(self.cols) == 0:
            return thr
        # entries are sorted by (mentor, score descending): a mentor's worst is its last
        last = np.append(np.flatnonzero(np.diff(self.cols)), len(self.cols) - 1)
        mentor = self.cols[last]
        counts = np.diff(np.append(-1, last))
        full = counts >= self.mentor_k[mentor]
        thr[mentor[full]] = self.vals[last[full]]
        return thr

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.rows, self.cols, self.vals


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
