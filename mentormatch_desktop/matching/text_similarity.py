"""TF-IDF similarity between two sets of texts (mentee goals vs mentor profiles).

Exact cosine of TF-IDF vectors when it is cheap (small cohorts or a small vocabulary);
for large cohorts the vectors are first projected on their leading latent components
(LSA: a randomised truncated SVD, :mod:`.tfidf`) so the similarity of 10,000 × 2,000 texts is one
float32 matrix product of width :data:`MAX_DIMS` instead of a sparse product over the whole
vocabulary. Shared terms (for explanations) always come from the exact TF-IDF vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mentormatch_desktop.matching import features as F

if TYPE_CHECKING:
    # Imported where vectors are built: the criteria plugin imports this module, and every
    # ``mentormatch`` command loads it (``solve`` needs no scipy).
    import scipy.sparse as sp

MAX_DIMS = 96  # latent components when the exact vectors are too wide
EXACT_DIMS = 128  # a vocabulary this small is used exactly, folded into the shared product
EXACT_PAIRS = 2_000_000  # below this many pairs the exact sparse product is cheap


@dataclass(eq=False)
class TfidfSimilarity:
    queries: sp.csr_matrix  # (n_queries, vocabulary), rows L2-normalised
    documents: sp.csr_matrix  # (n_documents, vocabulary)
    terms: np.ndarray  # vocabulary, column order

    @classmethod
    def fit(cls, queries: Sequence[str], documents: Sequence[str]) -> TfidfSimilarity:
        """Fit the vocabulary and IDF on both sets together, so a word rare in both counts."""
        from mentormatch_desktop.matching.tfidf import tfidf_matrix

        both, terms = tfidf_matrix([*queries, *documents])
        n = len(queries)
        return cls(both[:n], both[n:], terms)

    def factors(self) -> F.Representation:
        """The similarity in the scorer's fast form (see module docstring)."""
        n_q, n_d = self.queries.shape[0], self.documents.shape[0]
        vocabulary = self.queries.shape[1]
        if vocabulary == 0:
            return F.Factors(np.zeros((n_q, 1)), np.zeros((n_d, 1)))
        if vocabulary <= EXACT_DIMS:
            return F.Factors(self.queries.toarray(), self.documents.toarray())
        if n_q * n_d <= EXACT_PAIRS:
            return F.Dense((self.queries @ self.documents.T).toarray().astype(np.float32))
        from mentormatch_desktop.matching.tfidf import truncated_svd

        basis = truncated_svd([self.queries, self.documents], MAX_DIMS).T
        return F.cosine_factors(self.queries @ basis, self.documents @ basis)

    def shared_terms(self, query: int, document: int, top: int = 3) -> list[str]:
        """The words contributing most to the pair's similarity, strongest first."""
        q, d = self.queries, self.documents
        q_cols = q.indices[q.indptr[query] : q.indptr[query + 1]]
        q_vals = q.data[q.indptr[query] : q.indptr[query + 1]]
        d_cols = d.indices[d.indptr[document] : d.indptr[document + 1]]
        d_vals = d.data[d.indptr[document] : d.indptr[document + 1]]
        common, qi, di = np.intersect1d(q_cols, d_cols, return_indices=True)
        if len(common) == 0:
            return []
        weight = q_vals[qi] * d_vals[di]
        order = np.argsort(-weight, kind="stable")[:top]
        return [str(self.terms[common[i]]) for i in order]
