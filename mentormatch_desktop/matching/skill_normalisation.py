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

import difflib
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


# ---- how sure a merge is, in words ------------------------------------------------------

#: Among the people who list the rarer of two skills, the share who also list the other
#: above which the two are different skills ("Deep learning" and "Machine learning" are
#: listed together; "ML" and "Machine learning" almost never are).
CO_LISTED_LIMIT = 0.2
#: Character similarity of two names (difflib ratio) that counts as a spelling variant.
SPELLING_RATIO = 0.85


def _is_initials(token: str, words: Sequence[str]) -> bool:
    """Whether ``token`` abbreviates ``words`` letter by letter in order, each word giving
    at least one letter and the first giving its first ("ml" → machine learning, "ux" →
    user experience); tokens longer than six letters are words, not abbreviations."""
    if len(words) < 2 or not 2 <= len(token) <= 6 or token[0] != words[0][0]:
        return False
    if any(word.startswith(token) or token.startswith(word) for word in words):
        return False  # "python" is a word of "python programming", not its initials

    def spread(rest: str, remaining: Sequence[str]) -> bool:
        if not remaining:
            return not rest
        word = remaining[0]
        for k in range(1, len(rest) - len(remaining) + 2):
            if _subsequence(rest[:k], word) and spread(rest[k:], remaining[1:]):
                return True
        return False

    return spread(token, words)


def _subsequence(part: str, word: str) -> bool:
    letters = iter(word)
    return all(ch in letters for ch in part)


def _covers(short: list[str], long: list[str]) -> bool:
    """Whether the words of ``short`` spell ``long``, each word either equal or the
    initials of consecutive words ("ux design" covers "user experience design")."""
    if not short:
        return not long
    if not long:
        return False
    head, rest = short[0], short[1:]
    if head == long[0] and _covers(rest, long[1:]):
        return True
    return any(
        _is_initials(head, long[:n]) and _covers(rest, long[n:]) for n in range(2, len(long) + 1)
    )


def name_agreement(label: str, skill_name: str) -> str | None:
    """Why the two *names* say they are one skill, in plain words; None if they do not.

    A sentence-embedding similarity alone is not enough: "Deep learning" and "Machine
    learning" are close in meaning and still two skills. The names must agree as well.
    """
    a, b = canonical_label(label), canonical_label(skill_name)
    if not a or not b:
        return None
    if a == b:
        return "the same name apart from capitals, accents or punctuation"
    words_a = [w for w in a.split() if w not in _STOP]
    words_b = [w for w in b.split() if w not in _STOP]
    if _covers(words_a, words_b):
        return f"“{label}” abbreviates “{skill_name}”"
    if _covers(words_b, words_a):
        return f"“{skill_name}” abbreviates “{label}”"
    # A typo changes letters, not a word for another: compare the words that differ
    # ("Kubernets"/"Kubernetes" yes; "Project"/"Product management" no).
    only_a = [w for w in words_a if w not in words_b]
    only_b = [w for w in words_b if w not in words_a]
    if (
        len(only_a) == len(only_b)
        and only_a
        and all(
            difflib.SequenceMatcher(None, x, y).ratio() >= SPELLING_RATIO
            for x, y in zip(only_a, only_b, strict=True)
        )
    ):
        return "spelt almost the same (a typo or a variant spelling)"
    if len(words_a) != len(words_b) and (
        set(words_a) <= set(words_b) or set(words_b) <= set(words_a)
    ):
        shorter, longer = (
            (label, skill_name) if len(words_a) < len(words_b) else (skill_name, label)
        )
        return f"“{longer}” only adds words to “{shorter}”"
    return None


@dataclass(frozen=True)
class MergeJudgement:
    """Whether to suggest a merge, how sure we are, and why, in words a coordinator reads."""

    suggest: bool
    confidence: str  # "sure" | "likely" | "unlikely"
    reason: str


def judge_merge(
    label: str,
    skill_name: str,
    method: str,
    *,
    people_label: int,
    people_skill: int,
    people_both: int,
) -> MergeJudgement:
    """Decide on one candidate from two kinds of evidence that must agree: the names (an
    alias rule, or :func:`name_agreement` for a meaning-based candidate) and who lists
    them (people who list both skills treat them as two)."""
    rarer = min(people_label, people_skill)
    share = people_both / rarer if rarer else 0.0
    listed = (
        f"{people_both} of the {rarer} people with the rarer one list both"
        if people_both
        else "nobody lists both"
    )
    names = name_agreement(label, skill_name)
    if method == "alias":
        why = names or "a known alias or the initials of the skill"
        return MergeJudgement(True, "sure", f"{why[0].upper()}{why[1:]}; {listed}.")
    if share >= CO_LISTED_LIMIT:
        return MergeJudgement(
            False, "unlikely",
            f"Close in meaning, but {listed}: people treat them as two different skills.",
        )  # fmt: skip
    if names is None:
        return MergeJudgement(
            False, "unlikely",
            "Close in meaning only; the names do not say they are the same skill. "
            "Keep them apart unless you know better.",
        )  # fmt: skip
    return MergeJudgement(True, "likely", f"Close in meaning and {names}; {listed}.")
