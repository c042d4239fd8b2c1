"""Factorised criterion values: how a criterion says "my matrix is cheap to build".

A criterion's ``compute`` returns a dense ``(n_mentees, n_mentors)`` matrix. Built-in
criteria also offer ``factors(cohort)``, returning one of the forms below, so the scorer
can combine many criteria in **one** chunked float32 matrix product instead of
materialising each matrix (see :mod:`mentormatch_desktop.matching.scoring`):

* :class:`Factors` — ``value[e, m] = transform(mentee[e] · mentor[m]) + corrections[e, m]``.
  With no transform the criterion is bilinear and folds into the shared product.
* :class:`Table` — ``value[e, m] = table[mentee_code[e], mentor_code[m]]``: any function of
  a small set of categories per side (seniority, UTC offset, language set, department).
  A table with few categories on one side folds into the shared product as a one-hot
  factor; a large one is gathered per block.

All forms answer :meth:`block` (rows ``start:stop`` against every mentor) and
:meth:`values_at` (given pairs only, for breakdowns), so a criterion can use whichever is
natural. :func:`cosine_factors` is the one-liner for any vector-similarity criterion (TF-IDF
here, sentence embeddings in the semantic plugin).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    # scipy.sparse is imported where a sparse matrix is built: the criteria plugins load
    # this module, and every ``mentormatch`` command loads them (``solve`` needs no scipy).
    import scipy.sparse as sp

FOLD_LIMIT = 64
"""A :class:`Table` with at most this many categories on one side folds into the product."""


class Transform(Protocol):
    """An elementwise map applied in place to a block of raw products, then scaled by
    ``scale`` (the criterion's weight, folded in to save a pass over the block)."""

    def __call__(self, block: np.ndarray, scale: float = 1.0) -> np.ndarray: ...


@dataclass(frozen=True)
class Clip01:
    """Clip to [0, 1] (e.g. cosine similarities of real-valued embeddings)."""

    def __call__(self, block: np.ndarray, scale: float = 1.0) -> np.ndarray:
        np.clip(block, 0.0, 1.0, out=block)
        if scale != 1.0:
            block *= np.float32(scale)
        return block


@dataclass(frozen=True)
class Saturate:
    """``min(x / cap, 1)``: rewards up to ``cap`` and nothing beyond it."""

    cap: float

    def __call__(self, block: np.ndarray, scale: float = 1.0) -> np.ndarray:
        np.minimum(block, self.cap, out=block)
        block *= np.float32(scale / self.cap)
        return block


@dataclass(eq=False)
class Factors:
    """``value = transform(mentee @ mentor.T) + corrections`` (see module docstring).

    ``corrections`` is a sparse ``(n_mentees, n_mentors)`` matrix added after the
    transform: a few pairs whose value differs from the low-rank rule (a "prefer" wish).
    """

    mentee: np.ndarray  # float32 (n_mentees, d)
    mentor: np.ndarray  # float32 (n_mentors, d)
    transform: Transform | None = None
    corrections: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        self.mentee = np.ascontiguousarray(self.mentee, dtype=np.float32)
        self.mentor = np.ascontiguousarray(self.mentor, dtype=np.float32)
        if self.mentee.shape[1] != self.mentor.shape[1]:
            raise ValueError(
                f"factor widths differ: {self.mentee.shape[1]} vs {self.mentor.shape[1]}"
            )
        if self.corrections is not None:
            import scipy.sparse as sp

            self.corrections = sp.csr_matrix(self.corrections, dtype=np.float32)
            self.corrections.sum_duplicates()

    @property
    def linear(self) -> bool:
        return self.transform is None

    def block(self, start: int, stop: int) -> np.ndarray:
        out = self.mentee[start:stop] @ self.mentor.T
        if self.transform is not None:
            out = self.transform(out)
        if self.corrections is not None:
            add_sparse_rows(out, self.corrections, start, stop, 1.0)
        return out

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        out = np.einsum("ij,ij->i", self.mentee[rows], self.mentor[cols]).astype(np.float32)
        if self.transform is not None:
            out = self.transform(out)
        if self.corrections is not None and self.corrections.nnz:
            out += np.asarray(self.corrections[rows, cols], dtype=np.float32).ravel()
        return out


@dataclass(eq=False)
class Table:
    """``value = table[mentee_codes[e], mentor_codes[m]]`` for categorical criteria."""

    mentee_codes: np.ndarray  # int32
    mentor_codes: np.ndarray  # int32
    table: np.ndarray  # float32 (n_mentee_categories, n_mentor_categories)

    def __post_init__(self) -> None:
        self.mentee_codes = np.asarray(self.mentee_codes, dtype=np.intp)
        self.mentor_codes = np.asarray(self.mentor_codes, dtype=np.intp)
        self.table = np.ascontiguousarray(self.table, dtype=np.float32)

    @property
    def foldable(self) -> bool:
        return min(self.table.shape) <= FOLD_LIMIT

    def as_factors(self) -> Factors:
        """The same values as a one-hot factor on the side with fewer categories."""
        a, b = self.table.shape
        if a <= b:
            return Factors(one_hot(self.mentee_codes, a), self.table.T[self.mentor_codes])
        return Factors(self.table[self.mentee_codes], one_hot(self.mentor_codes, b))

    def block(self, start: int, stop: int) -> np.ndarray:
        rows = self.table[self.mentee_codes[start:stop]]
        return np.take(rows, self.mentor_codes, axis=1)

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.table[self.mentee_codes[rows], self.mentor_codes[cols]]


@dataclass(eq=False)
class Dense:
    """A criterion that only offers ``compute``: its full matrix, kept as is."""

    matrix: np.ndarray

    def block(self, start: int, stop: int) -> np.ndarray:
        return self.matrix[start:stop]

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[rows, cols], dtype=np.float32)


Representation = Factors | Table | Dense


def materialise(rep: Representation, chunk_rows: int = 1024) -> np.ndarray:
    """The full float32 matrix of a representation (what ``compute`` returns)."""
    if isinstance(rep, Dense):
        return np.asarray(rep.matrix, dtype=np.float32)
    n = len(rep.mentee) if isinstance(rep, Factors) else len(rep.mentee_codes)
    blocks = [rep.block(s, min(n, s + chunk_rows)) for s in range(0, n, chunk_rows)]
    if not blocks:
        m = len(rep.mentor) if isinstance(rep, Factors) else len(rep.mentor_codes)
        return np.zeros((0, m), dtype=np.float32)
    return np.vstack(blocks).astype(np.float32, copy=False)


def add_sparse_rows(
    out: np.ndarray, matrix: sp.csr_matrix, start: int, stop: int, weight: float
) -> None:
    """``out += weight * matrix[start:stop]`` without densifying the sparse rows."""
    lo, hi = matrix.indptr[start], matrix.indptr[stop]
    if lo == hi:
        return
    counts = np.diff(matrix.indptr[start : stop + 1])
    rows = np.repeat(np.arange(stop - start), counts)
    out[rows, matrix.indices[lo:hi]] += np.float32(weight) * matrix.data[lo:hi]


# ---------------------------------------------------------------------- builders
def one_hot(codes: np.ndarray, n: int) -> np.ndarray:
    """``(len(codes), n)`` float32 with a 1 at each code (codes < 0 give a zero row)."""
    out = np.zeros((len(codes), n), dtype=np.float32)
    ok = codes >= 0
    out[np.flatnonzero(ok), codes[ok]] = 1.0
    return out


def encode(values: Sequence[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """Integer codes for hashable values, and the distinct values in code order."""
    index: dict[Hashable, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in values), dtype=np.intp, count=len(values)
    )
    return codes, list(index)


def category_table(
    mentee_values: Sequence[Hashable],
    mentor_values: Sequence[Hashable],
    value: Callable[[Hashable, Hashable], float],
) -> Table:
    """A :class:`Table` from per-person categories and a pair function on categories.

    ``value`` runs once per pair of *distinct* categories (e.g. 7 × 7 seniority levels),
    never per pair of people.
    """
    e_codes, e_vals = encode(mentee_values)
    m_codes, m_vals = encode(mentor_values)
    table = np.array([[value(a, b) for b in m_vals] for a in e_vals], dtype=np.float32).reshape(
        len(e_vals), len(m_vals)
    )
    return Table(e_codes, m_codes, table)


def cosine_factors(mentee_vectors: np.ndarray, mentor_vectors: np.ndarray) -> Factors:
    """Cosine similarity clipped to [0, 1] as factors; all-zero vectors score 0."""

    def unit(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)

    a, b = unit(mentee_vectors), unit(mentor_vectors)
    nonneg = bool((a >= 0).all() and (b >= 0).all())
    return Factors(a, b, transform=None if nonneg else Clip01())


def dedupe_columns(*sides: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Merge columns that are equal on every side; returns the kept columns and counts.

    ``Σ_c a[c] b[c]`` over equal columns is ``count × a[c] b[c]`` for one of them, so a
    15-minute availability bitmap whose edges all fall on the hour shrinks from 672
    columns to at most 168 with an identical product. Columns empty on any side add
    nothing to the product and are dropped (nights, when everyone is in a few zones).
    """
    arrays = [np.asarray(s) for s in sides]
    used = np.logical_and.reduce([a.astype(bool).any(axis=0) for a in arrays])
    cols = np.flatnonzero(used)
    stacked = np.vstack([a[:, cols] for a in arrays])
    packed = np.packbits(stacked.astype(bool).T, axis=1)
    if len(cols) == 0:
        return [a[:, :0] for a in arrays], np.zeros(0, dtype=np.float32)
    _, first, counts = np.unique(packed, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    keep = cols[first[order]]
    return [a[:, keep] for a in arrays], counts[order].astype(np.float32)


def unique_rows(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a boolean matrix and each row's code."""
    packed = np.packbits(np.asarray(bits, dtype=bool), axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return np.asarray(bits)[first], inverse.ravel().astype(np.intp)
