"""The bulk question ("a first slot for every unscheduled pair") answers exactly what asking
pair by pair does, across zones on both hemispheres and the March DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mentormatch_desktop.scheduling import Horizon, PersonAvailability, SlotFinder, WorkingHours
from mentormatch_desktop.scheduling.grid import interval_mask, interval_matrix
from mentormatch_desktop.scheduling.zones import epoch_minutes

START = datetime(2026, 3, 2, tzinfo=UTC)  # US DST on 8 Mar, EU on 29 Mar, Sydney ends 5 Apr
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


def people(rng: np.random.Generator, n: int) -> list[PersonAvailability]:
    out = []
    for pid in range(n):
        start = int(rng.integers(6, 14)) * 60
        days = sorted(rng.choice(7, size=int(rng.integers(1, 6)), replace=False).tolist())
        hours = WorkingHours(int(rng.integers(7, 11)) * 60, int(rng.integers(15, 20)) * 60)
        out.append(
            PersonAvailability.from_rows(
                pid,
                ZONES[pid % len(ZONES)],
                [(d, start, start + int(rng.integers(1, 9)) * 60) for d in days],
                working_hours=hours,
            )
        )
    return out


@pytest.mark.parametrize("minutes,step", [(45, 15), (60, 30), (15, 15), (120, 60)])
def test_first_for_pairs_matches_first_dst(minutes: int, step: int) -> None:
    rng = np.random.default_rng(minutes + step)
    horizon = Horizon.weeks_from(START, 5)
    crowd = people(rng, 60)
    base = epoch_minutes(START)
    busy = {}
    for p in crowd:
        starts = base + rng.integers(0, 35 * 96, 25) * 15
        busy[p.person_id] = (starts, starts + rng.choice([30, 60, 90], 25))
    finder = SlotFinder(
        horizon, crowd, busy, now=START + timedelta(hours=5), notice_minutes=720, buffer_minutes=10
    )
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, 60, (300, 2)) if a != b]
    bulk = finder.first_for_pairs(pairs, minutes, step_minutes=step, chunk=64)
    one_by_one = [finder.first([a, b], minutes, step_minutes=step) for a, b in pairs]
    assert bulk == one_by_one
    assert any(i is None for i in bulk) and any(i is not None for i in bulk)


def test_first_for_pairs_refuses_what_first_refuses() -> None:
    horizon = Horizon.weeks_from(START, 1)
    crowd = people(np.random.default_rng(1), 3)
    finder = SlotFinder(horizon, crowd)
    with pytest.raises(ValueError):
        finder.first_for_pairs([(1, 1)], 45)
    with pytest.raises(KeyError):
        finder.first_for_pairs([(1, 99)], 45)
    with pytest.raises(ValueError):
        finder.first_for_pairs([(0, 1)], 45, step_minutes=10)
    assert finder.first_for_pairs([], 45) == []


def test_interval_matrix_matches_interval_mask_per_row() -> None:
    rng = np.random.default_rng(7)
    horizon = Horizon.weeks_from(START, 2)
    base = epoch_minutes(START)
    rows = rng.integers(0, 20, 400)
    starts = base + rng.integers(-200, 14 * 1440 + 200, 400)  # some outside the horizon
    ends = starts + rng.integers(1, 300, 400)
    matrix = interval_matrix(horizon, rows, starts, ends, 20, buffer_minutes=10)
    for r in range(20):
        sel = rows == r
        expected = interval_mask(horizon, starts[sel], ends[sel], buffer_minutes=10)
        assert np.array_equal(matrix[r], expected)
