"""The embedding cache: keyed by model and normalised-text hash, only new texts encoded."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.matching import embeddings
from mentormatch_desktop.matching.embeddings import (
    cosine_matrix,
    embed_texts,
    normalise_text,
    text_hash,
)
from mentormatch_desktop.storage.models import TextEmbedding

from .conftest import CountingEncoder, semantic


def test_normalisation_makes_trivial_edits_share_one_hash() -> None:
    assert normalise_text("  Led a  TEAM\nof 12 ") == "led a team of 12"
    assert text_hash(normalise_text("SQL")) == text_hash(normalise_text(" sql "))
    assert text_hash(normalise_text("SQL")) != text_hash(normalise_text("NoSQL"))


def test_second_run_encodes_nothing_and_edits_encode_only_the_edit(
    session: Session, counting_encoder: CountingEncoder
) -> None:
    texts = [
        "Led a team of 12 engineers",
        "Public speaking coach",
        "",
        "led a team of 12 engineers",
    ]
    first, stats = embed_texts(session, texts, counting_encoder)
    session.commit()
    assert stats.encoded == 2 and stats.cached == 0  # duplicate (after normalising) and blank
    assert counting_encoder.encoded == ["led a team of 12 engineers", "public speaking coach"]
    assert np.allclose(first[0], first[3]) and not first[2].any()

    counting_encoder.calls.clear()
    again, stats = embed_texts(session, texts, counting_encoder)
    assert counting_encoder.calls == [] and stats.cached == 2
    assert np.array_equal(first, again)

    edited = ["Led a team of 12 engineers", "Public speaking and storytelling coach"]
    _, stats = embed_texts(session, edited, counting_encoder)
    session.commit()
    assert counting_encoder.encoded == ["public speaking and storytelling coach"]
    assert session.scalar(sa.select(sa.func.count()).select_from(TextEmbedding)) == 3


def test_cache_is_per_model(session: Session, counting_encoder: CountingEncoder) -> None:
    embed_texts(session, ["growth mindset"], counting_encoder)
    other = CountingEncoder()
    other.model_name = "another-model"
    _, stats = embed_texts(session, ["growth mindset"], other)
    assert stats.encoded == 1 and other.encoded == ["growth mindset"]


def test_cancel_stops_before_anything_is_stored(
    session: Session, counting_encoder: CountingEncoder
) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        embed_texts(session, ["a b", "c d"], counting_encoder, cancel=token)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(TextEmbedding)) == 0


def test_cosine_matrix_is_chunked_matrix_product() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 16)).astype(np.float32)
    b = rng.normal(size=(7, 16)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    assert np.allclose(cosine_matrix(a, b, chunk=8), a @ b.T, atol=1e-6)


@semantic
def test_real_model_vectors_are_normalised_and_progress_is_reported(
    encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "CHUNK", 2)  # progress is reported per chunk
    seen: list[float] = []
    vectors = encoder.encode(
        ["mentor", "coach", "a recipe for bread"],
        batch_size=2,
        progress=lambda f, _m: seen.append(f),
    )
    assert vectors.shape == (3, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert seen == [pytest.approx(2 / 3), 1.0]
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]  # mentor is closer to coach than to bread


@semantic
def test_real_model_cache_round_trip(session: Session, encoder) -> None:
    texts = ["Grow into a team lead", "Negotiation for engineers"]
    fresh, stats = embed_texts(session, texts, encoder)
    session.commit()
    assert stats.encoded == 2
    cached, stats = embed_texts(session, texts, encoder)
    assert stats.encoded == 0 and np.allclose(fresh, cached, atol=1e-6)
