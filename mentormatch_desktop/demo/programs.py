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
    "skill_fit": 0.45,
    "availability": 0.2,
    "time_zone": 0.15,
    "language": 0.1,
    "department": 0.1,
}
"""Criterion weights of each program's default WeightSet (version 1); the names are the
matching criteria's names (``plugins/matching/criteria.py``)."""


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
        0.4,
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
        -0.5,
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
        0.1,
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


def _lang_masks(org: Org) -> np.ndarray:
    codes = sorted({c for s in org.languages for c in s} - {"en"})
    bit = {c: 1 << k for k, c in enumerate(codes)}
    return np.array([sum(bit.get(c, 0) for c in s) for s in org.languages], dtype=np.int64)


class Scorer:
    """Weighted scores and their breakdown for blocks of (mentee × mentor) people."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.lang = _lang_masks(org)

    def block(self, mentees: np.ndarray, mentors: np.ndarray) -> dict[str, np.ndarray]:
        org = self.org
        fit = skill_fit_matrix(org.learn[mentees], org.teach[mentors])
        hours = common_hours_matrix(org.cells[mentees], org.cells[mentors])
        gap = tz_gap_matrix(org.offsets[mentees], org.offsets[mentors])
        lang = np.where((self.lang[mentees][:, None] & self.lang[mentors][None, :]) != 0, 1.0, 0.5)
        dept = (org.department_id[mentees][:, None] != org.department_id[mentors][None, :]) * 1.0
        parts = {
            "skill_fit": fit,
            "availability": np.minimum(hours, 10.0) / 10.0,
            "time_zone": 1.0 - gap / 12.0,
            "language": lang,
            "department": dept,
        }
        score = sum(DEFAULT_WEIGHTS[k] * v for k, v in parts.items())
        return {"score": score, "fit": fit, "hours": hours, "gap": gap, **parts}


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
