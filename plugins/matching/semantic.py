"""Built-in criterion ``semantic_fit``: the meaning of goals against expertise.

Keyword and TF-IDF comparisons cannot see that "become a people manager" and "led a team
of 12 engineers" belong together. This criterion embeds the mentee's goals and the mentor's
profile (title, bio, skills taught) with all-MiniLM-L6-v2, offline, and scores a pair by
their cosine similarity, rescaled to [0, 1]. Its explanation quotes the best-aligned pair of
phrases.

It needs the optional ``semantic`` extra (torch, sentence-transformers and the packaged
weights). Without it the plugin registers nothing and says why through
``plugin_status``; the TF-IDF ``goal_fit`` criterion remains the text criterion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mentormatch_desktop import hookimpl
from mentormatch_desktop.matching.embeddings import MODEL_NAME, cosine_matrix, semantic_status
from mentormatch_desktop.matching.phrases import best_phrase_pair, split_phrases
from mentormatch_desktop.matching.text_vectors import cohort_vectors, phrase_vectors

if TYPE_CHECKING:
    from mentormatch_desktop.matching.cohort import Cohort

NAME = "semantic_fit"
# MiniLM cosines below ~0.1 mean "unrelated" and above ~0.6 "saying the same thing";
# a fixed linear map (not per-cohort scaling) keeps a pair's value stable between runs.
COSINE_FLOOR = 0.10
COSINE_CEILING = 0.60
EXPLAIN_MIN_SIMILARITY = 0.2  # a best phrase pair below this is not worth quoting


def rescale(cosine: np.ndarray) -> np.ndarray:
    """Cosine similarity → criterion value in [0, 1] (float32)."""
    scaled = (cosine - COSINE_FLOOR) / (COSINE_CEILING - COSINE_FLOOR)
    return np.clip(scaled, 0.0, 1.0).astype(np.float32)


class SemanticFit:
    """Goals ↔ expertise by sentence embeddings (see module docstring)."""

    name = NAME
    label = "Semantic fit"
    description = (
        f"How close in meaning the mentee's goals are to the mentor's experience "
        f"({MODEL_NAME} sentence embeddings, computed offline). Understands paraphrases "
        "that share no words; a smarter replacement for keyword goal fit."
    )
    default_weight = 0.0  # opt-in per program: switching moves goal_fit's weight here

    def compute(self, cohort: Cohort) -> np.ndarray:
        vectors = cohort_vectors(cohort)
        values = rescale(cosine_matrix(vectors.goals, vectors.profiles))
        # Blank texts are zero vectors: cosine 0, rescaled to 0 already; nothing to add.
        return values

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        goals = split_phrases(cohort.goal_texts[mentee])
        expertise = split_phrases(cohort.profile_texts[mentor])
        match = best_phrase_pair(
            goals, phrase_vectors(cohort, goals), expertise, phrase_vectors(cohort, expertise)
        )
        if match is None or match.similarity < EXPLAIN_MIN_SIMILARITY:
            return None
        return f"Semantic fit {value:.0%}: {match.describe()}"


@hookimpl
def register_match_criteria() -> list[SemanticFit]:
    return [SemanticFit()] if semantic_status().available else []


@hookimpl
def plugin_status() -> str:
    status = semantic_status()
    if status.available:
        return (
            f"semantic_fit is available ({status.reason}); a program uses it once a "
            "coordinator switches it on (mentormatch weights use-semantic --program P)."
        )
    return f"semantic_fit is not registered: {status.reason}. goal_fit (TF-IDF) stays active."
