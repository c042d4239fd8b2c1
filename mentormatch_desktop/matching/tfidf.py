"""TF-IDF vectors and a truncated SVD with NumPy/SciPy only.

Why not scikit-learn: these two functions were its only uses on the matching path, and the
app bundle carried 21 MB of it (plus joblib) for them. The weighting is the textbook one
scikit-learn's ``TfidfVectorizer(stop_words=..., sublinear_tf=True)`` also uses, so the
vectors are the same for the same stop list (tests/matching/test_tfidf.py checks the
formula on a hand-computed case):

- tokens: lower-cased runs of two or more word characters, minus :data:`STOP_WORDS`;
- term frequency ``1 + ln(count)``; inverse document frequency ``ln((1 + n) / (1 + df)) + 1``
  (the +1s keep a term present everywhere from vanishing and avoid division by zero);
- each row scaled to unit length, so a dot product of two rows is their cosine.

The SVD is the randomised range finder of Halko, Martinsson & Tropp (2011) with a few power
iterations, as scikit-learn's ``TruncatedSVD`` computes it: it projects thousands of texts
on ~100 latent components quickly and is deterministic for a given seed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

# Function words that say nothing about what a mentee wants to learn or a mentor offers:
# articles, pronouns, auxiliaries, prepositions, conjunctions and filler adverbs.
_STOP_TEXT = """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway
    anywhere are around as at be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond both but by can cannot could
    did do does doing done down due during each either else elsewhere enough etc even ever
    every everyone everything everywhere except few for former formerly from further get gets
    getting give given go goes going got had has have having he hence her here hereafter
    hereby herein hers herself him himself his how however i ie if in indeed into is it its
    itself just keep last latter latterly least less let lets like made make makes many may
    me meanwhile might mine more moreover most mostly much must my myself namely neither never
    nevertheless next no nobody none noone nor not nothing now nowhere of off often on once
    one only onto or other others otherwise our ours ourselves out over own per perhaps
    please quite rather re really same seem seemed seeming seems several she should since so
    some somehow someone something sometime sometimes somewhere still such than that the
    their theirs them themselves then thence there thereafter thereby therefore therein
    thereupon these they this those though through throughout thru thus to together too
    toward towards under until up upon us very via was we well were what whatever when
    whence whenever where whereafter whereas whereby wherein whereupon wherever whether which
    while whither who whoever whole whom whose why will with within without would yet you
    your yours yourself yourselves
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())


def tokenize(text: str) -> list[str]:
    """The words of ``text`` that count: lower-cased, two characters or more, no stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


def tfidf_matrix(
    texts: Sequence[str], dtype: type = np.float32
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Unit-length TF-IDF rows of ``texts`` and the vocabulary (sorted) naming the columns.

    A vocabulary may be empty (every text empty or stop words only): the matrix then has no
    columns, and callers treat every similarity as 0.
    """
    import scipy.sparse as sp

    counts = [Counter(tokenize(text)) for text in texts]
    terms = sorted(set().union(*counts)) if counts else []
    column = {term: i for i, term in enumerate(terms)}
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    indices: list[int] = []
    values: list[int] = []
    for row, counter in enumerate(counts):
        for term, count in counter.items():
            indices.append(column[term])
            values.append(count)
        indptr[row + 1] = len(indices)
    matrix = sp.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(texts), len(terms)),
    )
    matrix.sort_indices()
    if matrix.nnz:
        df = np.bincount(matrix.indices, minlength=len(terms))
        idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
    return matrix.astype(dtype), np.array(terms, dtype=object)


def truncated_svd(
    blocks: Iterable[sp.spmatrix], components: int, *, power_iterations: int = 4, seed: int = 0
) -> np.ndarray:
    """Leading right singular vectors (``components`` × columns) of the stacked ``blocks``.

    Project a block on them with ``block @ result.T``. The randomised range finder samples
    ``components + 10`` directions, sharpens them with ``power_iterations`` passes of
    ``A Aᵀ`` (re-normalised by an LU factorisation each time, so small singular values are
    not lost to rounding; cheaper than QR and as good here), and takes the exact SVD of the
    small projected matrix. float32 throughout: the inputs are unit TF-IDF rows.

    The factorisations are LAPACK calls that let go of the interpreter lock
    (``lu_factor``, SciPy's ``qr``): ``scipy.linalg.lu`` and ``numpy.linalg.qr`` hold it
    for the whole call, and on a 20,000-person program the ranking preview's worker then
    froze the window for 100–800 ms at a time (issue 12).
    """
    import scipy.sparse as sp
    from scipy.linalg import qr

    a = sp.vstack(list(blocks)).tocsr().astype(np.float32)
    rank = min(components, *a.shape)
    rng = np.random.default_rng(seed)
    sample = rng.standard_normal((a.shape[1], min(rank + 10, a.shape[1]))).astype(np.float32)
    q = a @ sample
    for _ in range(power_iterations):
        # LU keeps the columns apart as well as QR does here, at a fraction of its cost
        q = permuted_lower(q)
        q = permuted_lower(a.T @ q)
        q = a @ q
    q, _ = qr(q, mode="economic", check_finite=False)
    small = np.asarray((a.T @ q).T)
    _, _, vt = np.linalg.svd(small, full_matrices=False)
    return vt[:rank]


def permuted_lower(q: np.ndarray) -> np.ndarray:
    """``P @ L`` of the LU factorisation ``q = P L U`` of a tall matrix: what
    ``scipy.linalg.lu(q, permute_l=True)[0]`` returns, from ``lu_factor``, which releases
    the interpreter lock while LAPACK works and skips building the permutation matrix."""
    from scipy.linalg import lu_factor

    rows, cols = q.shape
    width = min(rows, cols)  # a wide q (fewer rows than samples) has a square L
    packed, pivots = lu_factor(q, check_finite=False)
    lower = np.tril(packed[:, :width], -1)
    lower[np.arange(width), np.arange(width)] = 1
    order = np.arange(rows)
    for i, p in enumerate(pivots):  # LAPACK's row interchanges, applied in order
        order[i], order[p] = order[p], order[i]
    result = np.empty_like(lower)
    result[order] = lower
    return result
