"""The score matrix: criteria combined by the program's weights, with hard rules applied.

:class:`ScoreModel` builds every criterion's representation once per cohort (the slow,
weight-independent part) and then recombines them for any weights in chunked float32
matrix products: all bilinear criteria are folded into *one* product whose mentee factor
carries the weights, the few others (saturated availability, large tables, plain matrices
from third-party criteria) are added block by block. Re-weighting (the UI's sliders) is
therefore only the recombination.

Scores are the weighted mean of criterion values (weights normalised to sum 1), so they
lie in [0, 1]. Forbidden pairs (:class:`HardRules`) score ``-inf``: no shared language,
a mentor in the mentee's reporting line or the other way round, a "must not match" wish,
the same person on both sides. The per-criterion breakdown is computed for the pairs
asked for (:meth:`ScoreModel.breakdown`), never for the whole matrix.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.contracts import MatchCriterion
from mentormatch_desktop.matching.hard_rules import (
    MENTEE_MANAGES,
    MENTOR_MANAGES,
    MUST_NOT_MATCH,
    NO_LANGUAGE,
    SAME_PERSON,
    HardRules,
    hard_rules,
)

BLOCK_BYTES = 4 << 20  # one worker's block of scores (large enough for efficient BLAS)
_WORKERS = max(1, min(4, os.cpu_count() or 1))

__all__ = [
    "MENTEE_MANAGES",
    "MENTOR_MANAGES",
    "MUST_NOT_MATCH",
    "NO_LANGUAGE",
    "SAME_PERSON",
    "HardRules",
    "ScoreModel",
    "hard_rules",
    "normalise_weights",
]

Guard = Callable[[str], AbstractContextManager[object]]
"""``guard(criterion_name)``: context manager around plugin code (``PluginHost.guard``)."""


def normalise_weights(
    weights: Mapping[str, float], names: list[str] | tuple[str, ...]
) -> dict[str, float]:
    """Positive weights of known criteria, scaled to sum 1 (unknown names are ignored: a
    weight set may name a criterion whose plugin is not installed here)."""
    for name, w in weights.items():
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"weight of {name!r} must be a non-negative number, got {w!r}")
    kept = {n: float(weights.get(n, 0.0)) for n in names if weights.get(n, 0.0) > 0}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("at least one criterion needs a positive weight")
    return {n: w / total for n, w in kept.items()}


@dataclass(eq=False)
class _Plan:
    fused_mentee: np.ndarray  # (n_e, d) weights folded in
    fused_mentor: np.ndarray  # (n_m, d)
    others: list[tuple[float, F.Representation]]
    corrections: list[tuple[float, sp.csr_matrix]]


class ScoreModel:
    """Criterion representations of one cohort, recombined for any weights."""

    def __init__(
        self,
        cohort: Cohort,
        criteria: Mapping[str, MatchCriterion],
        *,
        guard: Guard | None = None,
    ) -> None:
        self.cohort = cohort
        self.criteria = dict(criteria)
        self._guard = guard or (lambda _name: nullcontext())
        self.representations: dict[str, F.Representation] = {}
        self._folded: dict[str, F.Factors] = {}
        self._stacked_key: tuple[str, ...] | None = None
        self._stacked = np.zeros((0, 0), np.float32)
        self.rules = hard_rules(cohort)

    def prepare(
        self,
        names: Iterable[str] | None = None,
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Build the representations of ``names`` (default: all criteria) not built yet.

        Criteria are built lazily, so one with no weight (an expensive semantic model the
        program does not use) costs nothing; call this first to report progress.
        """
        todo = [
            n for n in (self.names if names is None else names) if n not in self.representations
        ]
        for i, name in enumerate(todo):
            check(cancel)
            criterion = self.criteria[name]
            report(progress, i / max(1, len(todo)), f"computing {criterion.label or name}")
            self.representation(name)
        report(progress, 1.0, "criteria ready")

    def representation(self, name: str) -> F.Representation:
        """The criterion's representation for this cohort (built on first use)."""
        if name not in self.representations:
            if name not in self.criteria:
                raise KeyError(f"no criterion named {name!r}")
            with self._guard(name):
                self.representations[name] = _representation(self.criteria[name], self.cohort)
        return self.representations[name]

    @property
    def names(self) -> list[str]:
        return sorted(self.criteria)

    def _plan(self, weights: Mapping[str, float]) -> _Plan:
        """How to combine the criteria for ``weights``.

        The mentee side of the shared product is stacked once per set of criteria and
        cached; the weights scale the (smaller) mentor side, so a slider move costs
        ``n_mentors × width`` multiplications before the product itself.
        """
        w = normalise_weights(weights, self.names)
        linear, others, corrections = [], [], []
        for name, wt in w.items():
            rep = self.representation(name)
            if isinstance(rep, F.Table) and rep.foldable:
                if name not in self._folded:
                    self._folded[name] = rep.as_factors()
                rep = self._folded[name]
            if isinstance(rep, F.Factors) and rep.linear:
                linear.append((name, wt, rep))
                if rep.corrections is not None and rep.corrections.nnz:
                    corrections.append((wt, rep.corrections))
            else:
                others.append((wt, rep))
        n_e, n_m = self.cohort.shape
        key = tuple(name for name, _, _ in linear)
        if self._stacked_key != key:
            parts = [rep.mentee for _, _, rep in linear]
            self._stacked = np.ascontiguousarray(
                np.hstack(parts) if parts else np.zeros((n_e, 0), np.float32)
            )
            self._stacked_key = key
        right = [rep.mentor * np.float32(wt) for _, wt, rep in linear]
        fused_m = np.hstack(right) if right else np.zeros((n_m, 0), np.float32)
        return _Plan(self._stacked, np.ascontiguousarray(fused_m), others, corrections)

    def _block(
        self, plan: _Plan, start: int, stop: int, out: np.ndarray, scratch: np.ndarray
    ) -> None:
        """Scores of rows ``start:stop`` into ``out``; ``scratch`` is a same-sized buffer.

        Products are written into preallocated buffers (``matmul(out=…)``): fresh 4 MB
        arrays per block would cost more in page faults than the arithmetic they hold.
        """
        if plan.fused_mentee.shape[1]:
            np.matmul(plan.fused_mentee[start:stop], plan.fused_mentor.T, out=out)
        else:
            out[:] = 0.0
        for wt, rep in plan.others:
            if isinstance(rep, F.Factors):
                np.matmul(rep.mentee[start:stop], rep.mentor.T, out=scratch)
                if rep.transform is not None:
                    rep.transform(scratch, wt)
                else:
                    scratch *= np.float32(wt)
                if rep.corrections is not None:
                    F.add_sparse_rows(scratch, rep.corrections, start, stop, wt)
                out += scratch
            else:
                np.multiply(np.asarray(rep.block(start, stop), dtype=np.float32), wt, out=scratch)
                out += scratch
        for wt, matrix in plan.corrections:
            F.add_sparse_rows(out, matrix, start, stop, wt)
        self.rules.apply(out, start, stop)

    def block_rows(self) -> int:
        return max(16, BLOCK_BYTES // (4 * max(1, self.cohort.n_mentors)))

    def _fill(
        self,
        plan: _Plan,
        out: np.ndarray,
        start: int,
        stop: int,
        cancel: CancelToken | None = None,
    ) -> None:
        """Scores of rows ``start:stop`` into ``out`` (their rows), blocks on all cores.

        Each worker runs single-threaded BLAS on its own block, so the elementwise work
        (saturation, hard rules) runs in parallel too; numpy releases the GIL for both.
        """
        step = self.block_rows()
        starts = range(start, stop, step)
        local = threading.local()

        def one(s: int) -> None:
            check(cancel)
            e = min(stop, s + step)
            scratch = getattr(local, "scratch", None)
            if scratch is None:
                scratch = local.scratch = np.empty((step, self.cohort.n_mentors), np.float32)
            self._block(plan, s, e, out[s - start : e - start], scratch[: e - s])

        if len(starts) < 2 or _WORKERS < 2:
            for s in starts:
                one(s)
            return
        with threadpool_limits(1), ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(one, starts))

    def blocks(self, weights: Mapping[str, float]) -> Callable[[int, int], np.ndarray]:
        """``block(start, stop)`` → scores of those mentees against every mentor (for
        :func:`~mentormatch_desktop.matching.candidates.candidate_pairs` on huge cohorts)."""
        plan = self._plan(weights)

        def block(start: int, stop: int) -> np.ndarray:
            out = np.empty((stop - start, self.cohort.n_mentors), dtype=np.float32)
            self._fill(plan, out, start, stop)
            return out

        return block

    def iter_blocks(
        self,
        weights: Mapping[str, float],
        *,
        cancel: CancelToken | None = None,
        rows: int = 4096,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Row blocks of the score matrix in order, checking ``cancel`` between them."""
        block = self.blocks(weights)
        for start in range(0, self.cohort.n_mentees, rows):
            check(cancel)
            yield start, block(start, min(self.cohort.n_mentees, start + rows))

    def score_matrix(
        self,
        weights: Mapping[str, float],
        *,
        cancel: CancelToken | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The full ``(n_mentees, n_mentors)`` float32 score matrix (-inf = forbidden).

        Pass the previous result as ``out`` to refill it (a live preview recomputing on
        every slider move then never allocates 4 bytes × pairs again).
        """
        plan = self._plan(weights)
        if out is None or out.shape != self.cohort.shape or out.dtype != np.float32:
            out = np.empty(self.cohort.shape, dtype=np.float32)
        self._fill(plan, out, 0, self.cohort.n_mentees, cancel)
        return out

    def breakdown(
        self, rows: np.ndarray, cols: np.ndarray, names: Iterable[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Criterion values at the given pairs (cohort indices), for ``names`` (default:
        every criterion)."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        out = {}
        for name in self.names if names is None else names:
            rep = self.representation(name)
            with self._guard(name):
                out[name] = np.asarray(rep.values_at(rows, cols), dtype=np.float32)
        return out

    def pair_scores(
        self, weights: Mapping[str, float], rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Scores of the given pairs only (-inf where forbidden), without the full matrix."""
        w = normalise_weights(weights, self.names)
        parts = self.breakdown(rows, cols, list(w))
        total = np.zeros(len(rows), dtype=np.float64)
        for name, wt in w.items():
            total += wt * parts[name]
        return np.where(self.rules.reasons(rows, cols) > 0, -np.inf, total)


def _representation(criterion: MatchCriterion, cohort: Cohort) -> F.Representation:
    """The criterion's fast form if it offers one, else its full matrix (validated)."""
    factors = getattr(criterion, "factors", None)
    if callable(factors):
        rep = factors(cohort)
        if isinstance(rep, F.Factors | F.Table | F.Dense):
            return rep
    matrix = np.asarray(criterion.compute(cohort), dtype=np.float32)
    if matrix.shape != cohort.shape:
        raise ValueError(
            f"criterion {criterion.name!r} returned shape {matrix.shape}, expected {cohort.shape}"
        )
    if not np.isfinite(matrix).all() or matrix.min(initial=0) < 0 or matrix.max(initial=0) > 1:
        raise ValueError(f"criterion {criterion.name!r} returned values outside [0, 1]")
    return F.Dense(matrix)
