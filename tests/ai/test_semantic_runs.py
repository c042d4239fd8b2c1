"""A program switched to semantic fit: runs use and fill the embedding cache, explanations
quote phrases. A deterministic stand-in encoder keeps this fast; the real model is tested
in test_semantic_fit.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.matching import text_vectors
from mentormatch_desktop.matching.embeddings import SemanticStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import embeddings as embedding_services
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, ServiceContext
from mentormatch_desktop.services.matching import run_matching
from mentormatch_desktop.services.weights import switch_text_criterion
from mentormatch_desktop.storage.models import Program, TextEmbedding
from mentormatch_plugins.matching import semantic

from .conftest import CountingEncoder

AVAILABLE = SemanticStatus(True, "stand-in encoder for tests")


def test_second_run_encodes_nothing_and_explanations_quote_phrases(
    demo_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = CountingEncoder()
    monkeypatch.setattr(text_vectors, "default_encoder", lambda: encoder)
    monkeypatch.setattr(semantic, "semantic_status", lambda: AVAILABLE)
    monkeypatch.setattr(embedding_services, "semantic_status", lambda: AVAILABLE)
    monkeypatch.setattr(semantic, "EXPLAIN_MIN_SIMILARITY", -1.0)  # random vectors
    # loaded after the patches, so semantic_fit is installed
    demo_ctx = ServiceContext(demo_session, LOCAL_COORDINATOR, PluginHost().load())
    program_id = demo_session.scalar(
        sa.select(Program.id).where(Program.kind == "one_to_one").order_by(Program.id)
    )
    switch_text_criterion(demo_ctx, program_id, "semantic_fit")
    matching_models.clear()

    first = run_matching(demo_ctx, program_id, "optimizer", dry_run=True)
    encoded_first = len(encoder.encoded)
    assert encoded_first > 0
    stored = demo_session.scalar(
        sa.select(sa.func.count())
        .select_from(TextEmbedding)
        .where(TextEmbedding.model == encoder.model_name)
    )
    assert stored == encoded_first  # committed although the run was a dry run
    assert any("your goal '" in p.explanation for p in first.proposals)
    assert "semantic_fit" in first.weights and "goal_fit" not in first.weights

    # A new process (no memory) and a rebuilt cohort: everything comes from the database.
    text_vectors.process_memory(encoder.model_name).clear()
    matching_models.clear()
    second = run_matching(demo_ctx, program_id, "optimizer", dry_run=True)
    assert len(encoder.encoded) == encoded_first
    assert [(p.mentee_id, p.mentor_id) for p in second.proposals] == [
        (p.mentee_id, p.mentor_id) for p in first.proposals
    ]


def test_semantic_factors_rescale_and_peer_symmetry(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from mentormatch_desktop.matching import features as F
    from mentormatch_desktop.matching.cohort import Cohort, PersonRecord

    rng = np.random.default_rng(0)
    goals = rng.normal(size=(5, 8)).astype(np.float32)
    profiles = rng.normal(size=(4, 8)).astype(np.float32)
    goals /= np.linalg.norm(goals, axis=1, keepdims=True)
    profiles /= np.linalg.norm(profiles, axis=1, keepdims=True)
    values = F.materialise(semantic.semantic_factors(goals, profiles))
    expected = np.clip((goals @ profiles.T - 0.1) / 0.5, 0, 1)
    assert np.allclose(values, expected, atol=1e-6)

    encoder = CountingEncoder()
    monkeypatch.setattr(text_vectors, "default_encoder", lambda: encoder)
    pool = [
        PersonRecord(i, f"P{i}", goal_text=f"goal {i} text", profile_text=f"profile {i} text")
        for i in range(4)
    ]
    peer = Cohort.from_records(pool, None, skills={})
    matrix = semantic.SemanticFit().compute(peer)
    assert matrix.shape == (4, 4) and np.allclose(matrix, matrix.T, atol=1e-6)
