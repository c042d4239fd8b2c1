"""Mapping free-text skill labels onto the taxonomy, so "ML" and "machine learning" count once.

Imports and self-service profiles create skills under whatever name people type. This
module proposes which of those labels are really an existing skill, in order of how sure
we can be:

1. **alias**: the label equals a known alias or skill name once case, punctuation and
   spacing are ignored ("Machine-Learning" → "Machine learning"), or is the acronym of a
   multi-word skill ("NLP" → "Natural language processing");
2. **embedding**: otherwise the nearest skill by sentence embedding, if its cosine reaches
   the threshold (0.6 by default: "UX design" ↔ "User experience design" is ~0.67 while
   "Project management" ↔ "Product management" is ~0.57).

It only *proposes*: the service stores :class:`SkillMergeSuggestion` rows that a
coordinator approves or rejects. Nothing is merged silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.6
_STOP = {"and", "of", "the", "for", "in", "to", "&"}


def canonical_label(label: str) -> str:
    """Case, accents, punctuation and spacing removed: the key alias matching compares."""
    text = unicodedata.normalize("NFKD", label)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("+", " plus ").replace("#", " sharp ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def acronym(name: str) -> str | None:
    """Initials of a multi-word name without filler words ("Natural language processing" →
    "nlp"), or None for one-word names (their "acronym" would be a single letter)."""
    words = [w for w in canonical_label(name).split() if w not in _STOP]
    return "".join(w[0] for w in words) if len(words) >= 2 else None


@dataclass(frozen=True)
class TaxonomySkill:
    """One canonical skill: its id, name and known aliases (any spelling)."""

    skill_id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeCandidate:
    """A label the taxonomy probably already has, and how sure we are."""

    label: str
    skill_id: int
    skill_name: str
    similarity: float
    method: str  # "alias" | "embedding:<model>"


def suggest_merges(
    labels: Sequence[str],
    taxonomy: Sequence[TaxonomySkill],
    *,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    model_name: str = "",
    threshold: float = DEFAULT_THRESHOLD,
) -> list[MergeCandidate]:
    """For each label, the skill it most likely is (labels that are a skill exactly, or
    match nothing well enough, get no candidate).

    ``embed`` returns L2-normalised vectors for a list of texts; without it only alias
    rules run (the semantic extra is optional).
    """
    by_key: dict[str, TaxonomySkill] = {}
    by_acronym: dict[str, list[TaxonomySkill]] = {}
    for skill in taxonomy:
        for spelling in (skill.name, *skill.aliases):
            by_key.setdefault(canonical_label(spelling), skill)
        short = acronym(skill.name)
        if short:
            by_acronym.setdefault(short, []).append(skill)

    out: list[MergeCandidate] = []
    unresolved: list[str] = []
    for label in dict.fromkeys(labels):
        key = canonical_label(label)
        exact = next((s for s in taxonomy if s.name == label), None)
        if exact is not None or not key:
            continue
        hit = by_key.get(key)
        if hit is None and len(by_acronym.get(key, [])) == 1:
            hit = by_acronym[key][0]
        if hit is not None:
            out.append(MergeCandidate(label, hit.skill_id, hit.name, 1.0, "alias"))
        else:
            unresolved.append(label)

    if embed is not None and unresolved and taxonomy:
        names = [s.name for s in taxonomy]
        sims = np.asarray(embed(unresolved)) @ np.asarray(embed(names)).T
        for row, label in enumerate(unresolved):
            best = int(np.argmax(sims[row]))
            if float(sims[row, best]) >= threshold:
                skill = taxonomy[best]
                out.append(
                    MergeCandidate(
                        label,
                        skill.skill_id,
                        skill.name,
                        round(float(sims[row, best]), 4),
                        f"embedding:{model_name}"[:40],
                    )
                )
    return out


def pick_canonical(
    a: tuple[int, str, int, bool], b: tuple[int, str, int, bool]
) -> tuple[tuple[int, str, int, bool], tuple[int, str, int, bool]]:
    """Of two skills ``(id, name, people using it, has category)`` that mean the same, which
    one stays (returned first): the categorised one, then the spelled-out one (more words:
    "User experience design" over "UX design"), then the more used, then the older id."""

    def rank(s: tuple[int, str, int, bool]) -> tuple[bool, int, int, int, int]:
        return (s[3], len(s[1].split()), s[2], len(s[1]), -s[0])

    return (a, b) if rank(a) >= rank(b) else (b, a)
