"""The built-in scoring criteria: skill fit, goal fit, experience gap, availability, time
zones, shared language, participants' preferences and departments.

Each criterion maps a cohort to values in [0, 1] per (mentee, mentor) pair and explains one
pair in a phrase. Besides the ``compute`` required by the plugin contract, each offers
``factors`` (see :mod:`mentormatch_desktop.matching.features`) so the scorer folds them into
one matrix product. Program ``settings`` tune them:

``preferred_seniority_gap`` (2; 0 for peer programs), ``availability_target_hours`` (3.0: common
hours per week worth full marks). Hard rules (no shared language, reporting lines,
"must not match") are not criteria: the scorer forbids those pairs outright.

Enrolment ``preferences`` understood by the ``preferences`` criterion, for either side:
``{"departments": [dept ids], "cross_department": true, "languages": ["de", …]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mentormatch_desktop.plugin.api import (
    Cohort,
    FactorisedCriterion,
    Participants,
    TfidfSimilarity,
    hookimpl,
    number_setting,
    symmetrise,
)
from mentormatch_desktop.plugin.api import (
    features as F,
)

if TYPE_CHECKING:
    import scipy.sparse as sp  # imported where a matrix is built: loading must stay cheap
from mentormatch_plugins.matching.preferences import Preferences

FLUENT = frozenset({"native", "fluent"})

LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "ms": "Malay", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}  # fmt: skip
"""Display names of common ISO 639-1 codes for explanations (other codes are shown as is)."""


def _row(matrix: sp.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one CSR row, without building a sparse row object."""
    lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]


# --------------------------------------------------------------------- skills
def level_gain(diff: np.ndarray) -> np.ndarray:
    """Credit for a mentor ``diff`` levels above the mentee: 1 → 0.6, 2 or more → 1."""
    return np.where(diff >= 2, 1.0, np.where(diff == 1, 0.6, 0.0)).astype(np.float32)


class SkillFit(FactorisedCriterion):
    name = "skill_fit"
    label = "Skill fit"
    description = (
        "Share of the mentee's target skills the mentor teaches, rewarding a mentor two or "
        "more levels above the mentee fully and one level above partly."
    )
    default_weight = 0.3

    def _one_way(self, learners: Participants, teachers: Participants) -> F.Factors:
        learn = learners.learn.tocoo()
        keys = learn.col.astype(np.int64) * 8 + learn.data.astype(np.int64)
        uniq, col = np.unique(keys, return_inverse=True)
        counts = np.maximum(np.diff(learners.learn.indptr), 1).astype(np.float32)
        mentee = np.zeros((len(learners), len(uniq)), dtype=np.float32)
        mentee[learn.row, col] = 1.0 / counts[learn.row]
        skills, levels = uniq // 8, (uniq % 8).astype(np.float32)
        taught = teachers.teach[:, skills].toarray() if len(uniq) else np.zeros((len(teachers), 0))
        mentor = np.where(taught > 0, level_gain(taught - levels[None, :]), 0.0)
        return F.Factors(mentee, mentor.astype(np.float32))

    def _build(self, cohort: Cohort) -> F.Factors:
        f = self._one_way(cohort.mentees, cohort.mentors)
        return symmetrise(f) if cohort.is_peer else f

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        skills, levels = _row(cohort.mentees.learn, mentee)
        if len(skills) == 0:
            return None
        taught = dict(zip(*_row(cohort.mentors.teach, mentor), strict=True))
        gains = [float(level_gain(np.asarray(taught.get(s, 0) - lv))) if taught.get(s) else 0.0
                 for s, lv in zip(skills.tolist(), levels.tolist(), strict=True)]  # fmt: skip
        order = sorted(range(len(skills)), key=lambda k: (-gains[k], skills[k]))
        hits = [cohort.skill_names[skills[k]] for k in order if gains[k] > 0]
        total = len(skills)
        if not hits:
            return f"Teaches none of the {total} target skills"
        return f"Teaches {len(hits)} of {total} target skills: {', '.join(hits)}"


# ----------------------------------------------------------------------- goals
class GoalFit(FactorisedCriterion):
    """TF-IDF similarity of the mentee's goals and the mentor's profile.

    Replaceable: another text criterion (the semantic plugin) registers under its own name
    and the program's weights choose between them; :func:`features.cosine_factors` turns any
    pair of vector sets into the same fast form.
    """

    name = "goal_fit"
    label = "Goal fit"
    description = (
        "How closely the mentor's profile (bio, title, skills) matches the mentee's goals (TF-IDF)."
    )
    default_weight = 0.2
    weak_below = 0.1  # text similarities run low: 0.1 already means shared key terms

    def similarity(self, cohort: Cohort) -> TfidfSimilarity:
        key = "goal_fit.tfidf"
        if key not in cohort.cache:
            cohort.cache[key] = TfidfSimilarity.fit(cohort.goal_texts, cohort.profile_texts)
        return cohort.cache[key]

    def _build(self, cohort: Cohort) -> F.Representation:
        rep = self.similarity(cohort).factors()
        if not cohort.is_peer:
            return rep
        # a peer pair fits both ways: goals(a)·profile(b) and goals(b)·profile(a), averaged
        if isinstance(rep, F.Dense):
            return F.Dense((rep.matrix + rep.matrix.T) * np.float32(0.5))
        return symmetrise(rep)

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        if value < self.weak_below:
            return "Little overlap between goals and profile"
        terms = self.similarity(cohort).shared_terms(mentee, mentor)
        if not terms:
            return None
        return f"Profile matches goals: {', '.join(terms)}"


# ------------------------------------------------------------------ seniority
class ExperienceGap(FactorisedCriterion):
    name = "experience_gap"
    label = "Experience gap"
    description = (
        "How close the seniority gap is to the preferred gap (program setting "
        "preferred_seniority_gap): too close or too far both score lower."
    )
    default_weight = 0.1

    def preferred(self, cohort: Cohort) -> float:
        return number_setting(cohort, "preferred_seniority_gap", 0.0 if cohort.is_peer else 2.0)

    def _build(self, cohort: Cohort) -> F.Table:
        p = self.preferred(cohort)
        peer = cohort.is_peer

        def value(a: Any, b: Any) -> float:
            gap = abs(int(b) - int(a)) if peer else int(b) - int(a)
            return max(0.0, 1.0 - abs(gap - p) / 3.0)

        return F.category_table(
            cohort.mentees.seniority.tolist(), cohort.mentors.seniority.tolist(), value
        )

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        gap = int(cohort.mentors.seniority[mentor]) - int(cohort.mentees.seniority[mentee])
        years = int(cohort.mentors.years_experience[mentor]) - int(
            cohort.mentees.years_experience[mentee]
        )
        extra = f" ({years:+d} years)" if years else ""
        if gap == 0:
            return f"Same seniority{extra}"
        if gap < 0:
            return f"{-gap} level{'s' if gap < -1 else ''} less senior{extra}"
        return f"{gap} level{'s' if gap > 1 else ''} more senior{extra}"


# --------------------------------------------------------------- availability
class Availability(FactorisedCriterion):
    name = "availability"
    label = "Common availability"
    description = (
        "Hours per week both are free (UTC, time-zone aware), full marks at the program's "
        "availability_target_hours."
    )
    default_weight = 0.15

    def _build(self, cohort: Cohort) -> F.Representation:
        cap = 4.0 * number_setting(cohort, "availability_target_hours", 3.0)  # in quarter hours
        if cap <= 0:
            raise ValueError("program setting 'availability_target_hours' must be positive")
        ue, ce = F.unique_rows(cohort.mentees.availability)
        um, cm = F.unique_rows(cohort.mentors.availability)
        (a, b), counts = F.dedupe_columns(ue, um)
        a = a.astype(np.float32) * counts
        b = b.astype(np.float32)
        n_pairs = cohort.n_mentees * cohort.n_mentors
        if len(ue) * len(um) <= min(4_000_000, n_pairs // 4):
            return F.Table(ce, cm, F.Saturate(cap)(a @ b.T))
        return F.Factors(a[ce], b[cm], transform=F.Saturate(cap))

    def common_hours(self, cohort: Cohort, mentee: int, mentor: int) -> float:
        both = cohort.mentees.availability[mentee] & cohort.mentors.availability[mentor]
        return float(both.sum()) / 4.0

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        if (
            not cohort.mentees.availability[mentee].any()
            or not cohort.mentors.availability[mentor].any()
        ):
            return None
        hours = self.common_hours(cohort, mentee, mentor)
        if hours == 0:
            return "No common availability"
        return f"{hours:g} h/week common availability"


# ------------------------------------------------------------------ time zones
def zone_hours_apart(a_minutes: int, b_minutes: int) -> float:
    d = abs(int(a_minutes) - int(b_minutes)) % 1440
    return min(d, 1440 - d) / 60.0


class TimeZoneDistance(FactorisedCriterion):
    name = "time_zone"
    label = "Time-zone distance"
    description = "Closer UTC offsets score higher; 12 hours apart scores 0."
    default_weight = 0.1

    def _build(self, cohort: Cohort) -> F.Table:
        return F.category_table(
            cohort.mentees.utc_offset_minutes.tolist(),
            cohort.mentors.utc_offset_minutes.tolist(),
            lambda a, b: max(0.0, 1.0 - zone_hours_apart(a, b) / 12.0),
        )

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        hours = zone_hours_apart(
            cohort.mentees.utc_offset_minutes[mentee], cohort.mentors.utc_offset_minutes[mentor]
        )
        if hours == 0:
            return "Same time zone"
        if hours == int(hours):
            return f"{int(hours)} time zone{'s' if hours > 1 else ''} apart"
        return f"{hours:g} h apart"


# ------------------------------------------------------------------- language
def language_value(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    """1 for a language both speak fluently, 0.7 if only at working level, 0 for none;
    0.5 when either side recorded no languages (unknown is not a mismatch)."""
    if not a or not b:
        return 0.5
    da, db = dict(a), dict(b)
    shared = set(da) & set(db)
    if not shared:
        return 0.0
    return 1.0 if any(da[c] in FLUENT and db[c] in FLUENT for c in shared) else 0.7


def language_keys(side: Participants) -> list[frozenset[tuple[str, str]]]:
    return [frozenset(langs.items()) for langs in side.languages]


class SharedLanguage(FactorisedCriterion):
    name = "language"
    label = "Shared language"
    description = (
        "A language both speak (fluently scores higher). No shared language forbids the pair."
    )
    default_weight = 0.05

    def _build(self, cohort: Cohort) -> F.Table:
        return F.category_table(
            language_keys(cohort.mentees), language_keys(cohort.mentors), language_value
        )

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        a, b = cohort.mentees.languages[mentee], cohort.mentors.languages[mentor]
        shared = sorted(set(a) & set(b))
        if not a or not b:
            return None
        if not shared:
            return "No shared language"
        return f"Shared language: {', '.join(LANGUAGE_NAMES.get(c, c) for c in shared)}"


# ---------------------------------------------------------------- departments
class Department(FactorisedCriterion):
    name = "department"
    label = "Cross-department"
    description = (
        "Prefers a mentor from another department (on when the program setting "
        "prefer_cross_department is true, or when given a weight)."
    )
    default_weight = 0.0

    def _build(self, cohort: Cohort) -> F.Table:
        def value(a: Any, b: Any) -> float:
            if a < 0 or b < 0:
                return 0.5
            return 0.0 if a == b else 1.0

        return F.category_table(
            cohort.mentees.department_ids.tolist(), cohort.mentors.department_ids.tolist(), value
        )

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        a = int(cohort.mentees.department_ids[mentee])
        b = int(cohort.mentors.department_ids[mentor])
        if a < 0 or b < 0:
            return None
        names = cohort.department_names
        if a == b:
            return f"Same department ({names.get(a, a)})"
        return f"Cross-department: {names.get(a, a)} ↔ {names.get(b, b)}"


@dataclass(frozen=True)
class _Registry:
    """The criterion objects this plugin registers (one instance each)."""

    items: tuple[Any, ...]


BUILTIN_CRITERIA = _Registry(
    (
        SkillFit(),
        GoalFit(),
        ExperienceGap(),
        Availability(),
        TimeZoneDistance(),
        SharedLanguage(),
        Preferences(),
        Department(),
    )
)


@hookimpl
def register_match_criteria() -> list[Any]:
    return list(BUILTIN_CRITERIA.items)


__all__ = [
    "Availability",
    "Department",
    "ExperienceGap",
    "GoalFit",
    "Preferences",
    "SharedLanguage",
    "SkillFit",
    "TimeZoneDistance",
    "register_match_criteria",
]
