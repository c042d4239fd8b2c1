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

from mentormatch_desktop.plugin import api
from mentormatch_desktop.plugin.api import (
    MODEL_NAME,
    FactorisedCriterion,
    hookimpl,
    semantic_status,
    symmetrise,
)
from mentormatch_desktop.plugin.api import (
    features as F,
)

if TYPE_CHECKING:
    from mentormatch_desktop.plugin.api import Cohort

NAME = "semantic_fit"
# MiniLM cosines below ~0.1 mean "unrelated" and above ~0.6 "saying the same thing";
# a fixed linear map (not per-cohort scaling) keeps a pair's value stable between runs.
COSINE_FLOOR = 0.10
COSINE_CEILING = 0.60
EXPLAIN_MIN_SIMILARITY = 0.2  # a best phrase pair below this is not worth quoting


def semantic_factors(goals: np.ndarray, profiles: np.ndarray) -> F.Factors:
    """The criterion's fast form: ``clip((cos - floor) / (ceiling - floor), 0, 1)``.

    The affine rescale is folded into the factors (goal vectors scaled, plus one constant
    column), so the scorer's block products yield rescaled values directly and only the
    clip runs over the matrix: 10,000 × 2,000 pairs cost one float32 product.
    """
    scale = np.float32(1.0 / (COSINE_CEILING - COSINE_FLOOR))
    goal_side = np.hstack(
        [goals * scale, np.full((len(goals), 1), -COSINE_FLOOR * scale, dtype=np.float32)]
    )
    profile_side = np.hstack([profiles, np.ones((len(profiles), 1), dtype=np.float32)])
    return F.Factors(goal_side, profile_side, F.Clip01())


class SemanticFit(FactorisedCriterion):
    """Goals ↔ expertise by sentence embeddings (see module docstring)."""

    name = NAME
    label = "Semantic fit"
    description = (
        f"How close in meaning the mentee's goals are to the mentor's experience "
        f"({MODEL_NAME} sentence embeddings, computed offline). Understands paraphrases "
        "that share no words; a smarter replacement for keyword goal fit."
    )
    default_weight = 0.0  # opt-in per program: switching moves goal_fit's weight here

    def _build(self, cohort: Cohort) -> F.Factors:
        # Vectors are L2-normalised, so the dot product is the cosine; blank texts are zero
        # vectors, whose cosine 0 rescales to 0.
        # The text helpers reach the embedding cache (SQLAlchemy): imported on first use.
        vectors = api.cohort_vectors(cohort)
        factors = semantic_factors(vectors.goals, vectors.profiles)
        return symmetrise(factors) if cohort.is_peer else factors

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        goals = api.split_phrases(cohort.goal_texts[mentee])
        expertise = api.split_phrases(cohort.profile_texts[mentor])
        match = api.best_phrase_pair(
            goals,
            api.phrase_vectors(cohort, goals),
            expertise,
            api.phrase_vectors(cohort, expertise),
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
            f"Semantic fit is available ({status.reason}). A program uses it once a "
            "coordinator switches it on: Programs → Learned weights… → Use semantic fit."
        )
    return f"Semantic fit is not available: {status.reason}. Keyword goal fit stays in use."
