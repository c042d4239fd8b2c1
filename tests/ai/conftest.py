"""Shared fixtures for the AI-matching tests.

The real all-MiniLM-L6-v2 model takes seconds to load, so one encoder serves the whole
test session, and every test that uses it runs in one xdist group (one worker loads it).
Without the ``semantic`` extra those tests skip with the reason.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence

import numpy as np
import pytest

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.embeddings import (
    SentenceEncoder,
    default_encoder,
    semantic_status,
)

semantic = pytest.mark.xdist_group("semantic-model")


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    status = semantic_status()
    if not status.available:
        # CI installs the extra and must test the real model: there a skip would hide a
        # broken install, so MENTORMATCH_REQUIRE_SEMANTIC=1 turns it into a failure.
        if os.environ.get("MENTORMATCH_REQUIRE_SEMANTIC") == "1":
            pytest.fail(f"the semantic model is required here: {status.reason}")
        pytest.skip(status.reason)
    enc = default_encoder()
    enc.encode(["warm up"])  # load once, here, not inside the first timed assertion
    return enc


class CountingEncoder:
    """A deterministic stand-in that records what it was asked to encode (cache tests)."""

    dim = 8

    def __init__(self) -> None:
        # a model name of its own: nothing cached by another test (or process memory) hits
        self.model_name = f"counting-{uuid.uuid4().hex[:8]}"
        self.calls: list[list[str]] = []

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            check(cancel)
            rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
            vec = rng.normal(size=self.dim)
            out[i] = vec / np.linalg.norm(vec)
            report(progress, (i + 1) / len(texts), "encoding")
        return out

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture
def counting_encoder() -> CountingEncoder:
    return CountingEncoder()
