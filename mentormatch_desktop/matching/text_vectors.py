"""Embeddings of one cohort's goal and profile texts, and of their phrases.

A :class:`~mentormatch_desktop.matching.cohort.Cohort` never touches the database, and a
criterion's ``compute`` receives only the cohort. So the service that loads a cohort warms
it (:func:`cohort_vectors` with a session: database cache first, new vectors stored), and
the semantic criterion then finds the vectors in ``cohort.cache``. A cohort nobody warmed
(a notebook, a benchmark) is encoded on the spot, with a bounded in-process memory so the
same texts are not encoded twice in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.progress import CancelToken, Progress, report
from mentormatch_desktop.matching.embeddings import (
    EmbedStats,
    Encoder,
    default_encoder,
    embed_texts,
    normalise_text,
    text_hash,
)
from mentormatch_desktop.matching.phrases import split_phrases

if TYPE_CHECKING:
    from mentormatch_desktop.matching.cohort import Cohort

CACHE_KEY = "semantic_fit.vectors"
_MEMORY_LIMIT = 200_000  # vectors kept in process memory (~300 MB at 384 floats)


class _BoundedMemory(dict[str, np.ndarray]):
    """A plain dict that empties itself when it grows past the limit (simple and O(1))."""

    def update(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        if len(self) > _MEMORY_LIMIT:
            self.clear()
        super().update(*args, **kwargs)  # type: ignore[arg-type]


_PROCESS_MEMORY: dict[str, _BoundedMemory] = {}


def process_memory(model: str) -> dict[str, np.ndarray]:
    """This process's vectors of ``model`` by text hash (never mixes models)."""
    return _PROCESS_MEMORY.setdefault(model, _BoundedMemory())


@dataclass
class CohortVectors:
    """Whole-text vectors per mentee (goals) and mentor (profile), plus phrase vectors."""

    model: str
    goals: np.ndarray  # (n_mentees, dim) float32, zero rows for blank texts
    profiles: np.ndarray  # (n_mentors, dim)
    memory: dict[str, np.ndarray] = field(default_factory=dict)  # text hash → vector
    stats: list[EmbedStats] = field(default_factory=list)


def cohort_vectors(
    cohort: Cohort,
    encoder: Encoder | None = None,
    *,
    session: Session | None = None,
    with_phrases: bool = False,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> CohortVectors:
    """The cohort's vectors, computed once and kept in ``cohort.cache``.

    With a session, the database cache is read and new vectors are added to the session
    (the caller commits). ``with_phrases`` also embeds every goal and profile phrase, so
    explanations need no encoding later.
    """
    encoder = encoder or default_encoder()
    cached = cohort.cache.get(CACHE_KEY)
    if (
        isinstance(cached, CohortVectors)
        and cached.model == encoder.model_name
        and (not with_phrases or _has_phrases(cohort, cached))
    ):
        return cached
    memory: dict[str, np.ndarray] = dict(cached.memory) if isinstance(cached, CohortVectors) else {}
    shared = process_memory(encoder.model_name)
    memory.update(shared)
    texts = list(cohort.goal_texts) + list(cohort.profile_texts)
    if with_phrases:
        texts += _all_phrases(cohort)
    report(progress, 0.0, f"embedding {len(texts)} texts")
    vectors, stats = embed_texts(
        session, texts, encoder, progress=progress, cancel=cancel, memory=memory
    )
    shared.update(memory)
    n_e, n_m = cohort.n_mentees, cohort.n_mentors
    result = CohortVectors(
        model=encoder.model_name,
        goals=vectors[:n_e],
        profiles=vectors[n_e : n_e + n_m],
        memory=memory,
        stats=[stats],
    )
    cohort.cache[CACHE_KEY] = result
    report(progress, 1.0, f"{stats.encoded} encoded, {stats.cached} from cache")
    return result


def phrase_vectors(
    cohort: Cohort, phrases: list[str], encoder: Encoder | None = None
) -> np.ndarray:
    """Vectors of ``phrases``, from the cohort's memory when warmed, else encoded now."""
    encoder = encoder or default_encoder()
    vectors = cohort_vectors(cohort, encoder)
    missing = [p for p in phrases if text_hash(normalise_text(p)) not in vectors.memory]
    if missing:
        embed_texts(None, missing, encoder, memory=vectors.memory)
        process_memory(encoder.model_name).update(
            {h: vectors.memory[h] for h in map(_key, missing)}
        )
    return (
        np.stack([vectors.memory[_key(p)] for p in phrases])
        if phrases
        else np.zeros((0, encoder.dim), dtype=np.float32)
    )


def _key(text: str) -> str:
    return text_hash(normalise_text(text))


def _all_phrases(cohort: Cohort) -> list[str]:
    out: list[str] = []
    for text in (*cohort.goal_texts, *cohort.profile_texts):
        out.extend(split_phrases(text))
    return out


def _has_phrases(cohort: Cohort, vectors: CohortVectors) -> bool:
    return all(_key(p) in vectors.memory for p in _all_phrases(cohort))
