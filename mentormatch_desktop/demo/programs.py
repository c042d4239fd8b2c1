"""Programs, enrolments, pair preferences, weight sets, past match runs and their pairs.

Past matches are made the way a coordinator with a scoring tool would have made them:
greedy on a weighted score plus noise (people are not perfect), respecting capacities,
must-not-match preferences and reporting lines. The noise matters: it leaves a spread of
skill fit across pairs, which is what lets the hidden relation show in the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from mentormatch_desktop.demo.features import (
    common_hours_matrix,
    skill_fit_matrix,
    tz_gap_matrix,
)
from mentormatch_desktop.demo.people import Org

DEFAULT_WEIGHTS = {
    "skill_fit": 0.35,
    "goal_fit": 0.15,
    "availability": 0.15,
    "experience_gap": 0.1,
    "time_zone": 0.1,
    "preferences": 0.05,
    "language": 0.05,
    "department": 0.05,
}
"""Criterion weights of each program's default WeightSet (version 1): all eight built-in
matching criteria (``plugins/matching/criteria.py``), summing to 1, so the Programs screen
shows a complete set. Historic runs were scored with these (see :class:`Scorer`)."""

TUNED_WEIGHTS = dict(
    DEFAULT_WEIGHTS, skill_fit=0.3, availability=0.2, experience_gap=0.15, department=0.0
)
"""Version 2 of the main program's weights, set before its second cohort: more weight on
availability, and (as coordinators tend to) on seniority and preferences, which the hidden
relation ignores, so weights learned from outcomes have something to improve on."""

AVAILABILITY_TARGET_HOURS = 6.0
"""The demo programs' ``availability_target_hours`` setting (the criterion's default is 3):
Northwind's coordinators give full marks for availability only at 6 common hours a week,
since pairs with more room in their calendars keep meeting. Stored in each program's
settings, so today's matching scores availability the way the historic runs did."""

PREFERRED_SENIORITY_GAP = 2.0
"""The experience-gap criterion's default for mentor programs (0 for peer programs)."""

GOAL_FIT_SCALE = 0.15
"""Goal fit in historic breakdowns: the goals are written about the mentee's learning
skills, and a mentor's profile names the skills they teach, so the TF-IDF similarity the
criterion computes follows the share of learning skills the mentor lists; the scale
brings it to the size TF-IDF similarities of these texts have (mean ~0.04 on matched
pairs)."""


@dataclass(frozen=True)
class ProgramSpec:
    key: str
    name: str
    kind: str
    status: str
    start_days_ago: int
    end_days_ahead: int  # negative: ended in the past
    cadence_days: int
    group_size: int
    effect: float  # added to engagement: healthier programs have a higher value
    end_effect: float  # added to the logit of ending early
    strategy: str
    noise: float  # how loosely past matches followed the score
    description: str


PROGRAMS = (
    ProgramSpec(
        "mentoring",
        "Company Mentoring Program",
        "one_to_one",
        "active",
        170,
        25,
        14,
        2,
        0.6,
        -0.3,
        "weighted",
        0.12,
        "Cross-department one-to-one mentoring in two cohorts; a third intake waits for matching.",
    ),
    ProgramSpec(
        "peer",
        "Peer Learning Circles",
        "peer",
        "active",
        125,
        55,
        21,
        2,
        -0.6,
        0.6,
        "peer",
        0.15,
        "Colleagues pair up to teach each other; lightly coordinated.",
    ),
    ProgramSpec(
        "leadership",
        "Leadership Circles",
        "group",
        "active",
        95,
        90,
        28,
        5,
        0.3,
        0.0,
        "greedy",
        0.1,
        "Monthly small-group mentoring for new and aspiring managers.",
    ),
    ProgramSpec(
        "buddies",
        "New Joiner Buddies (H1)",
        "one_to_one",
        "closed",
        182,
        -50,
        14,
        2,
        0.0,
        0.0,
        "greedy",
        0.3,
        "Last half-year's onboarding buddy program; closed.",
    ),
)


@dataclass
class Pair:
    """One mentorship as the history generator needs it (indices are person indices)."""

    id: int
    program: int
    mentor: int
    mentee: int
    group_key: str | None
    start: datetime
    planned_end: datetime
    fit: float
    hours: float
    gap: float
    score: float
    proposal_id: int


@dataclass
class ProgramContext:
    ids: list[int]
    starts: list[datetime]
    ends: list[datetime]
    pairs: list[Pair]
    enrolled: dict[int, list[tuple[int, str, datetime]]]  # program → (person, role, at)
    waitlist: list[int]  # mentee indices of the main program not matched yet


class Scorer:
    """Weighted scores and their per-criterion breakdown for blocks of (mentee × mentor) people.

    The values follow the built-in criteria's definitions (``plugins/matching/criteria.py``)
    with their default settings, so a historic proposal's breakdown reads like one the
    matching engine would produce today; goal fit is approximated (see
    :data:`GOAL_FIT_SCALE`). The hidden relation uses the demo's own pair features
    (``fit``, ``hours``, ``gap`` in the result), not these values.
    """

    def __init__(self, org: Org) -> None:
        self.org = org

    def block(
        self,
        mentees: np.ndarray,
        mentors: np.ndarray,
        *,
        preferences: np.ndarray,
        weights: dict[str, float] | None = None,
        peer: bool = False,
    ) -> dict[str, np.ndarray]:
        org = self.org
        learn, teach = org.learn[mentees], org.teach[mentors]
        fit = skill_fit_matrix(learn, teach)
        hours = common_hours_matrix(org.cells[mentees], org.cells[mentors])
        gap = tz_gap_matrix(org.offsets[mentees], org.offsets[mentors])
        seniority = org.seniority[mentors][None, :] - org.seniority[mentees][:, None]
        if peer:
            seniority = np.abs(seniority)
        preferred = 0.0 if peer else PREFERRED_SENIORITY_GAP
        dept = org.department_id[mentees][:, None] != org.department_id[mentors][None, :]
        skill, mention = skill_criterion_matrix(learn, teach)
        if peer:  # peer criteria are symmetric: each teaches the other, values averaged
            back_skill, back_mention = skill_criterion_matrix(
                org.learn[mentors], org.teach[mentees]
            )
            skill, mention = (skill + back_skill.T) / 2, (mention + back_mention.T) / 2
        parts = {
            "skill_fit": skill,
            "goal_fit": GOAL_FIT_SCALE * mention,
            "availability": np.minimum(hours / AVAILABILITY_TARGET_HOURS, 1.0),
            "experience_gap": np.maximum(0.0, 1.0 - np.abs(seniority - preferred) / 3.0),
            "time_zone": 1.0 - gap / 12.0,
            # everyone speaks English fluently or natively: the criterion gives 1 to all
            "language": np.ones(fit.shape, dtype=np.float32),
            "preferences": preferences,
            "department": dept * 1.0,
        }
        w = weights or DEFAULT_WEIGHTS
        score = sum(w.get(k, 0.0) * v for k, v in parts.items())
        return {"score": score, "fit": fit, "hours": hours, "gap": gap, **parts}


def skill_criterion_matrix(learn: np.ndarray, teach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The skill-fit criterion's values and the share of learning skills a mentor teaches at
    any level, for (people × skills) level arrays (0 = not listed).

    The criterion credits a skill fully when the mentor teaches it two or more levels above
    the mentee's current level and 0.6 when one level above.
    """
    full = np.zeros((learn.shape[0], teach.shape[0]), dtype=np.float32)
    one = np.zeros_like(full)
    listed = (teach > 0).astype(np.float32).T
    for level in range(1, 5):
        wants = (learn == level).astype(np.float32)
        full += wants @ (teach >= level + 2).astype(np.float32).T
        one += wants @ (teach == level + 1).astype(np.float32).T
    counts = np.maximum((learn > 0).sum(axis=1).astype(np.float32), 1.0)[:, None]
    mention = ((learn > 0).astype(np.float32) @ listed) / counts
    return (full + 0.6 * one) / counts, mention


def greedy_assign(
    score: np.ndarray, capacity: np.ndarray, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Mentees in random order each take their best remaining mentor (−inf = forbidden)."""
    s = score.astype(np.float64, copy=True)
    cap = capacity.copy()
    s[:, cap <= 0] = -np.inf
    pairs = []
    for i in rng.permutation(s.shape[0]):
        j = int(np.argmax(s[i]))
        if not np.isfinite(s[i, j]):
            continue
        pairs.append((int(i), j))
        cap[j] -= 1
        if cap[j] == 0:
            s[:, j] = -np.inf
    return pairs


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int, taken: set[int]) -> np.ndarray:
    pool = np.array([p for p in pool if p not in taken], dtype=np.int64)
    k = min(k, pool.size)
    chosen = rng.choice(pool, size=k, replace=False) if k else pool[:0]
    taken.update(int(c) for c in chosen)
    return np.sort(chosen)


def _forbid(
    score: np.ndarray,
    org: Org,
    mentees: np.ndarray,
    mentors: np.ndarray,
    must_not: set[tuple[int, int]],
) -> None:
    column = {int(p): j for j, p in enumerate(mentors)}
    for i, person in enumerate(mentees):
        for other in (int(person), int(org.manager[person])):
            j = column.get(other)
            if j is not None:
                score[i, j] = -np.inf
    row = {int(p): i for i, p in enumerate(mentees)}
    for a, b in must_not:
        for x, y in ((a, b), (b, a)):
            if x in row and y in column:
                score[row[x], column[y]] = -np.inf
    for j, person in enumerate(mentors):  # nobody mentors their own manager either
        i = row.get(int(org.manager[person]))
        if i is not None:
            score[i, j] = -np.inf
