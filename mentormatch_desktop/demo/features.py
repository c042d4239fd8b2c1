"""Pair features the demo's hidden relation is built on, computed from profile data alone.

The demo generator decides how well each mentorship goes from these features; tests and
the analytics/learning work (issue 7) recompute them from the database with the same
functions and check the relation is there. Keep them pure: no database, no randomness.

* ``skill_fit`` – fraction of the mentee's *learn* skills the mentor *teaches* at a level
  strictly above the mentee's current level (0 when the mentee lists none).
* ``common_hours`` – hours per week both are available, on a UTC grid of 30-minute cells;
  each person's local weekly windows are converted with their zone's UTC offset at a
  reference instant (the demo's "now").
* ``tz_gap_hours`` – circular difference of the two UTC offsets at that instant (0–12 h).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

CELL_MINUTES = 30
CELLS_PER_WEEK = 7 * 24 * 60 // CELL_MINUTES  # 336
MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True)
class Profile:
    """What the features need to know about one person."""

    time_zone: str
    availability: tuple[tuple[int, int, int], ...] = ()  # (weekday 0=Mon, start_min, end_min)
    teach: Mapping[int, int] = field(default_factory=dict)  # skill id → level
    learn: Mapping[int, int] = field(default_factory=dict)  # skill id → current level


@dataclass(frozen=True)
class PairFeatures:
    skill_fit: float
    common_hours: float
    tz_gap_hours: float


@lru_cache(maxsize=1024)
def utc_offset_minutes(time_zone: str, at: datetime) -> int:
    """The zone's offset from UTC at ``at`` (aware), in minutes."""
    offset = at.astimezone(ZoneInfo(time_zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def availability_cells(slots: Iterable[tuple[int, int, int]], offset_minutes: int) -> np.ndarray:
    """A boolean vector of the 336 UTC half-hour cells of a week covered by local ``slots``.

    A cell counts when the window covers any part of it, so windows are rounded outwards.
    """
    cells = np.zeros(CELLS_PER_WEEK, dtype=bool)
    for weekday, start, end in slots:
        utc_start = weekday * 1440 + start - offset_minutes
        utc_end = weekday * 1440 + end - offset_minutes
        first = utc_start // CELL_MINUTES
        last = -(-utc_end // CELL_MINUTES)  # ceiling division
        cells[np.arange(first, last) % CELLS_PER_WEEK] = True
    return cells


def tz_gap_hours(offset_a_minutes: int, offset_b_minutes: int) -> float:
    """Circular distance between two UTC offsets, in hours (0–12)."""
    diff = abs(offset_a_minutes - offset_b_minutes) % 1440
    return min(diff, 1440 - diff) / 60.0


def skill_fit(mentee_learn: Mapping[int, int], mentor_teach: Mapping[int, int]) -> float:
    if not mentee_learn:
        return 0.0
    covered = sum(1 for s, lvl in mentee_learn.items() if mentor_teach.get(s, 0) > lvl)
    return covered / len(mentee_learn)


def pair_features(mentee: Profile, mentor: Profile, at: datetime) -> PairFeatures:
    """The features of one (mentee, mentor) pair at the reference instant ``at``."""
    off_mentee = utc_offset_minutes(mentee.time_zone, at)
    off_mentor = utc_offset_minutes(mentor.time_zone, at)
    both = availability_cells(mentee.availability, off_mentee) & availability_cells(
        mentor.availability, off_mentor
    )
    return PairFeatures(
        skill_fit=skill_fit(mentee.learn, mentor.teach),
        common_hours=float(both.sum()) * CELL_MINUTES / 60.0,
        tz_gap_hours=tz_gap_hours(off_mentee, off_mentor),
    )


# ---- vectorised forms used by the generator for whole cohorts -------------------------------


def skill_fit_matrix(learn: np.ndarray, teach: np.ndarray) -> np.ndarray:
    """``fit[i, j]`` for mentees' learn-level rows and mentors' teach-level rows.

    Both arrays are (people × skills) small ints, 0 meaning "not listed". Same definition
    as :func:`skill_fit`, as a few matrix products (one per level) instead of a pair loop.
    """
    covered = np.zeros((learn.shape[0], teach.shape[0]), dtype=np.float32)
    for level in range(1, 5):
        covered += (learn == level).astype(np.float32) @ (teach > level).astype(np.float32).T
    counts = (learn > 0).sum(axis=1).astype(np.float32)
    return covered / np.maximum(counts, 1.0)[:, None]


def common_hours_matrix(cells_a: np.ndarray, cells_b: np.ndarray) -> np.ndarray:
    """Common weekly hours for every row pair of two (people × 336) boolean cell arrays."""
    product = cells_a.astype(np.float32) @ cells_b.astype(np.float32).T
    return product * (CELL_MINUTES / 60.0)


def tz_gap_matrix(offsets_a: np.ndarray, offsets_b: np.ndarray) -> np.ndarray:
    a = offsets_a.astype(np.float32)
    b = offsets_b.astype(np.float32)
    diff = np.abs(a[:, None] - b[None, :]) % 1440
    return np.minimum(diff, 1440 - diff) / np.float32(60.0)
