"""TF-IDF weighting and the randomised truncated SVD (mentormatch_desktop/matching/tfidf.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from mentormatch_desktop.matching.text_similarity import EXACT_PAIRS, TfidfSimilarity
from mentormatch_desktop.matching.tfidf import (
    permuted_lower,
    tfidf_matrix,
    tokenize,
    truncated_svd,
)


def test_tokens_are_lower_case_words_of_two_letters_or_more_without_stop_words() -> None:
    assert tokenize("I want to learn SQL, Python & R — and café ops!") == [
        "want",
        "learn",
        "sql",
        "python",
        "café",
        "ops",
    ]


def test_weights_follow_the_formula_on_a_hand_computed_case() -> None:
    matrix, terms = tfidf_matrix(["SQL sql SQL data", "sql reporting", ""])
    assert terms.tolist() == ["data", "reporting", "sql"]
    assert matrix.dtype == np.float32 and matrix.shape == (3, 3)
    n = 3
    idf = {
        t: math.log((1 + n) / (1 + df)) + 1 for t, df in (("data", 1), ("reporting", 1), ("sql", 2))
    }
    row0 = np.array([idf["data"], 0.0, (1 + math.log(3)) * idf["sql"]])
    row1 = np.array([0.0, idf["reporting"], idf["sql"]])
    expected = np.vstack([row0 / np.linalg.norm(row0), row1 / np.linalg.norm(row1), np.zeros(3)])
    assert matrix.toarray() == pytest.approx(expected, rel=1e-6)


def test_no_words_at_all_gives_an_empty_vocabulary() -> None:
    matrix, terms = tfidf_matrix(["", "the and of", "a"])
    assert matrix.shape == (3, 0) and len(terms) == 0
    similarity = TfidfSimilarity.fit(["", "of"], ["the"])
    assert similarity.shared_terms(0, 0) == []


def test_truncated_svd_finds_the_leading_subspace() -> None:
    rng = np.random.default_rng(4)
    low_rank = rng.random((300, 6)) @ rng.random((6, 500))
    noisy = low_rank + 1e-3 * rng.random((300, 500))
    top = truncated_svd([sp.csr_matrix(noisy[:120]), sp.csr_matrix(noisy[120:])], 6)
    assert top.shape == (6, 500)
    exact = np.linalg.svd(noisy, full_matrices=False)[2][:6]
    # same subspace: projecting the exact vectors on the found ones keeps their length
    assert np.linalg.norm(exact @ top.T, axis=1) == pytest.approx(np.ones(6), abs=1e-6)
    assert truncated_svd([sp.csr_matrix(noisy)], 6, seed=0) == pytest.approx(top)


def test_the_latent_path_ranks_like_the_exact_one() -> None:
    """Above EXACT_PAIRS the similarity goes through the SVD; the best match must survive."""
    rng = np.random.default_rng(7)
    topics = [
        "sql queries reporting dashboards warehouse",
        "public speaking storytelling stage keynote",
        "python testing packaging automation scripts",
        "leadership hiring feedback coaching teams",
        "design typography colour layout branding",
    ]
    words = sorted({w for t in topics for w in t.split()})
    n_q = 2200
    n_d = EXACT_PAIRS // n_q + 50
    truth = rng.integers(0, len(topics), n_q)
    queries = [" ".join([*rng.choice(topics[t].split(), 3), *rng.choice(words, 1)]) for t in truth]
    documents = [" ".join(rng.choice(topics[i % len(topics)].split(), 4)) for i in range(n_d)]
    similarity = TfidfSimilarity.fit(queries, documents)
    assert similarity.queries.shape[0] * similarity.documents.shape[0] > EXACT_PAIRS
    factors = similarity.factors()
    scores = factors.block(0, n_q)
    best_topic = np.argmax(scores, axis=1) % len(topics)
    assert np.mean(best_topic == truth) > 0.95


@pytest.mark.parametrize("shape", [(400, 30), (20, 35), (35, 35)])
def test_permuted_lower_is_scipys_p_times_l(shape: tuple[int, int]) -> None:
    # The power iterations' re-normalisation: tall, wide and square samples alike.
    from scipy.linalg import lu

    q = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    expected = lu(q, permute_l=True, check_finite=False)[0]
    np.testing.assert_array_equal(permuted_lower(q), expected)
