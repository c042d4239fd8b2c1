"""Explanations that name the phrases driving a semantic fit.

A whole-profile similarity says *that* a mentor suits a goal, not *why*. Here the mentee's
goals and the mentor's expertise are split into short phrases (sentences and clauses), every
phrase is embedded (through the same cache as whole texts), and the best-aligned pair is
quoted: "your goal 'move into management' ↔ 'led a team of 12 engineers'".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_SPLIT = re.compile(r"[.;!?\n\r•|·]+|\s[-–—]\s|,\s+")
_LEADING = re.compile(
    r"^(?:and|but|also|then|i(?:\s+(?:want|hope|would\s+like|need)|'d\s+like)\s+to)[\s:]+", re.I
)
MAX_PHRASE_CHARS = 90
MIN_PHRASE_WORDS = 2


def split_phrases(text: str) -> list[str]:
    """Sentences and clauses of ``text`` worth quoting, in order, without duplicates.

    Splits on sentence punctuation, semicolons, bullets, dashes and commas; drops one-word
    fragments (they rarely carry meaning alone) and trims very long clauses for display.
    """
    seen: set[str] = set()
    phrases: list[str] = []
    for raw in _SPLIT.split(text or ""):
        phrase = " ".join(raw.split()).strip(" ,:-")
        if len(phrase.split()) < MIN_PHRASE_WORDS:
            continue
        if len(phrase) > MAX_PHRASE_CHARS:
            phrase = phrase[: MAX_PHRASE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        key = phrase.lower()
        if key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return phrases


def display_phrase(phrase: str) -> str:
    """The phrase as quoted to the mentee: "I want to move into management" → "move into…"."""
    stripped = _LEADING.sub("", phrase).strip()
    return stripped or phrase


@dataclass(frozen=True)
class PhraseMatch:
    """The best-aligned goal phrase and expertise phrase of one pair, and their cosine."""

    goal: str
    expertise: str
    similarity: float

    def describe(self) -> str:
        return f"your goal '{display_phrase(self.goal)}' ↔ '{self.expertise}'"


def best_phrase_pair(
    goal_phrases: Sequence[str],
    goal_vectors: np.ndarray,
    expertise_phrases: Sequence[str],
    expertise_vectors: np.ndarray,
) -> PhraseMatch | None:
    """The (goal, expertise) phrase pair with the highest cosine, or None if either is empty.

    Vectors must be L2-normalised rows aligned with their phrases.
    """
    if not goal_phrases or not expertise_phrases:
        return None
    sims = (
        np.asarray(goal_vectors, dtype=np.float32)
        @ np.asarray(expertise_vectors, dtype=np.float32).T
    )
    i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
    return PhraseMatch(goal_phrases[i], expertise_phrases[j], float(sims[i, j]))
