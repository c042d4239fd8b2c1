"""Hard rules: the pairs that may never be matched, and why.

No shared language (when both people recorded their languages), the mentor anywhere in
the mentee's reporting line or the other way round, a "must not match" wish, and the same
person on both sides. The scorer sets these pairs to ``-inf``; ``reason`` says which rule
applies in words, for "why not?" answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.cohort import MUST_NOT, Cohort, Participants

MENTOR_MANAGES, MENTEE_MANAGES, MUST_NOT_MATCH, SAME_PERSON, NO_LANGUAGE = 1, 2, 3, 4, 5


@dataclass(eq=False)
class HardRules:
    """Pairs that may never be matched, and why.

    Language clashes are a table over language sets (no shared language ↔ 1); when they
    concern few pairs they are also listed in ``language_pairs`` so applying them is a
    sparse scatter rather than a full gather per block.
    """

    pairs: sp.csr_matrix  # int8 reason codes at forbidden (mentee, mentor) pairs
    language: F.Table | None  # table of 1 where two language sets share nothing
    language_pairs: sp.csr_matrix | None = None

    def apply(self, out: np.ndarray, start: int, stop: int) -> None:
        """Set forbidden pairs of rows ``start:stop`` to -inf in ``out``."""
        _scatter(out, self.pairs, start, stop)
        if self.language_pairs is not None:
            _scatter(out, self.language_pairs, start, stop)
        elif self.language is not None:
            out[self.language.block(start, stop) > 0] = -np.inf

    def reasons(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Reason code per pair (0 = allowed)."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        codes = (
            np.asarray(self.pairs[rows, cols]).ravel().astype(np.int8)
            if len(rows)
            else np.zeros(0, np.int8)
        )
        if self.language is not None and len(rows):
            codes = np.where(
                (codes == 0) & (self.language.values_at(rows, cols) > 0), NO_LANGUAGE, codes
            )
        return codes

    def reason(self, cohort: Cohort, mentee: int, mentor: int) -> str | None:
        """Why ``mentee`` and ``mentor`` (cohort indices) may not be matched, or None."""
        code = int(self.reasons(np.array([mentee]), np.array([mentor]))[0])
        a, b = cohort.mentees.names[mentee], cohort.mentors.names[mentor]
        return {
            0: None,
            MENTOR_MANAGES: f"{b} is in {a}'s reporting line",
            MENTEE_MANAGES: f"{a} is in {b}'s reporting line",
            MUST_NOT_MATCH: f"{a} and {b} must not be matched (a participant's wish)",
            SAME_PERSON: f"{a} cannot be matched with themselves",
            NO_LANGUAGE: f"{a} and {b} share no language",
        }[code]


def _scatter(out: np.ndarray, pairs: sp.csr_matrix, start: int, stop: int) -> None:
    lo, hi = pairs.indptr[start], pairs.indptr[stop]
    if hi > lo:
        rows = np.repeat(np.arange(stop - start), np.diff(pairs.indptr[start : stop + 1]))
        out[rows, pairs.indices[lo:hi]] = -np.inf


SPARSE_LANGUAGE_SHARE = 0.15  # list language clashes pair by pair below this share of pairs


def _language_pairs(table: F.Table) -> sp.csr_matrix | None:
    """The clashing pairs as a sparse matrix, or None when they are too many to list."""
    e_counts = np.bincount(table.mentee_codes, minlength=table.table.shape[0])
    m_counts = np.bincount(table.mentor_codes, minlength=table.table.shape[1])
    clashes = float(e_counts @ table.table @ m_counts)
    if clashes > SPARSE_LANGUAGE_SHARE * len(table.mentee_codes) * len(table.mentor_codes):
        return None
    rows, cols = [], []
    for a, b in zip(*np.nonzero(table.table), strict=True):
        e = np.flatnonzero(table.mentee_codes == a)
        m = np.flatnonzero(table.mentor_codes == b)
        rows.append(np.repeat(e, len(m)))
        cols.append(np.tile(m, len(e)))
    data = np.ones(int(clashes), dtype=np.int8)
    shape = (len(table.mentee_codes), len(table.mentor_codes))
    return sp.csr_matrix((data, (np.concatenate(rows), np.concatenate(cols))), shape=shape)


def hard_rules(cohort: Cohort) -> HardRules:
    """Forbidden pairs of ``cohort`` (see module docstring), found without a loop per pair."""
    found: dict[tuple[int, int], int] = {}

    def add(rows: np.ndarray, cols: np.ndarray, code: int) -> None:
        for pair in zip(rows.tolist(), cols.tolist(), strict=True):
            found.setdefault(pair, code)

    if cohort.is_peer:
        idx = np.arange(cohort.n_mentees)
        add(idx, idx, SAME_PERSON)
    else:
        _, e, m = np.intersect1d(
            cohort.mentees.person_ids, cohort.mentors.person_ids, return_indices=True
        )
        add(e, m, SAME_PERSON)
    e, m = _reporting_pairs(cohort.mentees, cohort.mentors)
    add(e, m, MENTOR_MANAGES)
    m2, e2 = _reporting_pairs(cohort.mentors, cohort.mentees)
    add(e2, m2, MENTEE_MANAGES)
    prefs = cohort.pair_preferences
    must = prefs.kind == MUST_NOT
    add(prefs.mentee[must], prefs.mentor[must], MUST_NOT_MATCH)
    if cohort.is_peer:  # the pool's matrix is symmetric
        for (a, b), code in list(found.items()):
            found.setdefault((b, a), code)
    keys = np.array(list(found), dtype=np.int64).reshape(-1, 2)
    pairs = sp.csr_matrix(
        (np.fromiter(found.values(), dtype=np.int8, count=len(found)), (keys[:, 0], keys[:, 1])),
        shape=cohort.shape,
    )
    language = F.category_table(
        [frozenset(x) for x in cohort.mentees.languages],
        [frozenset(x) for x in cohort.mentors.languages],
        lambda a, b: float(bool(a) and bool(b) and not (a & b)),
    )
    if not language.table.any():
        return HardRules(pairs, None)
    return HardRules(pairs, language, _language_pairs(language))


def _reporting_pairs(people: Participants, others: Participants) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) where ``others[j]`` is a manager somewhere above ``people[i]``."""
    lengths = np.fromiter((len(line) for line in people.reporting_lines), dtype=np.int64)
    if lengths.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.repeat(np.arange(len(people)), lengths)
    managers = np.fromiter(
        (p for line in people.reporting_lines for p in line),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    cols = others.indices_of(managers.tolist())
    keep = cols >= 0
    return rows[keep], cols[keep]
