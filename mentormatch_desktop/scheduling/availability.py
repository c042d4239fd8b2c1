"""A person's availability: weekly rules in their own zone, dated exceptions, preferred hours.

Rules are stored in local wall time on purpose ("Tuesdays 9–11" stays 9–11 when the clocks
change). To compare people in different zones we never convert the rules themselves; we ask,
for every 15-minute UTC slot of the horizon, what each person's wall clock reads there (see
:mod:`.zones`) and look the reading up in a 7 × 96 local week grid. DST then takes care of
itself: in the week the US has shifted and Europe has not, a New Yorker's 11:00 is simply a
different UTC slot than the week before, and a Berliner's 17:00 is the same one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from mentormatch_desktop.scheduling.grid import Horizon
from mentormatch_desktop.scheduling.zones import (
    EPOCH_WEEKDAY,
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    local_day_number,
    offsets,
    zone,
)

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class WeeklyWindow:
    """Every ``weekday`` (Monday = 0) from ``start_minute`` to ``end_minute`` local time."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0 (Monday) … 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"window {self.start_minute}–{self.end_minute} must lie within one day "
                "and end after it starts"
            )


@dataclass(frozen=True)
class DateException:
    """Dated change to the weekly rules, e.g. a holiday, a travel week, one extra evening.

    ``first_day``..``last_day`` are *local* dates (inclusive). Without minutes the whole day
    is meant. ``available=False`` removes time (holidays), ``True`` adds it; removals win.
    """

    first_day: date
    last_day: date
    available: bool = False
    start_minute: int | None = None
    end_minute: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"exception ends {self.last_day} before it starts {self.first_day}")
        if (self.start_minute is None) != (self.end_minute is None):
            raise ValueError("give both start and end minutes of the exception, or neither")
        if self.start_minute is not None and not (
            0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY  # type: ignore[operator]
        ):
            raise ValueError(f"exception times {self.start_minute}–{self.end_minute} are invalid")


@dataclass(frozen=True)
class WorkingHours:
    """The hours a person would rather meet in (local), on the given weekdays."""

    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    weekdays: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"working hours {self.start_minute}–{self.end_minute} are invalid")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays {sorted(self.weekdays)} must be 0 (Monday) … 6")


#: Minutes of inconvenience added for a slot on a day the person does not normally work.
OFF_DAY_PENALTY = 4 * 60


@dataclass(frozen=True)
class PersonAvailability:
    """Everything about one person the slot finder needs besides their busy time."""

    person_id: int
    time_zone: str
    weekly: tuple[WeeklyWindow, ...] = ()
    exceptions: tuple[DateException, ...] = ()
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    label: str = ""

    def __post_init__(self) -> None:
        zone(self.time_zone)  # a clear error now rather than deep inside the finder

    @classmethod
    def from_rows(
        cls,
        person_id: int,
        time_zone: str,
        windows: Iterable[tuple[int, int, int]],
        **kwargs: object,
    ) -> PersonAvailability:
        """Build from ``(weekday, start_minute, end_minute)`` rows as stored."""
        weekly = tuple(WeeklyWindow(int(d), int(a), int(b)) for d, a, b in windows)
        return cls(person_id, time_zone, weekly, **kwargs)  # type: ignore[arg-type]


def week_grid(windows: Sequence[WeeklyWindow]) -> np.ndarray:
    """The local week as ``(7, 96)`` bools; edges round inward to whole quarter hours."""
    return _week_grid(tuple(windows))


@lru_cache(maxsize=8192)
def _week_grid(windows: tuple[WeeklyWindow, ...]) -> np.ndarray:
    grid = np.zeros((7, SLOTS_PER_DAY), dtype=bool)
    for w in windows:
        first = -(-w.start_minute // SLOT_MINUTES)
        last = w.end_minute // SLOT_MINUTES
        grid[w.weekday, first:last] = True
    grid.setflags(write=False)
    return grid


@lru_cache(maxsize=1024)
def working_inconvenience(hours: WorkingHours) -> np.ndarray:
    """Minutes of inconvenience of each local quarter hour of the week, ``(7, 96)`` int32.

    Zero inside working hours; outside, the distance to the nearest edge of the working
    window (a 19:00 start is 2 h worse than a 17:00 one), plus :data:`OFF_DAY_PENALTY` on a
    day that is not a working day. Simple, monotone, and easy to explain in the UI.
    """
    minutes = np.arange(SLOTS_PER_DAY, dtype=np.int32) * SLOT_MINUTES
    start_q = minutes
    end_q = minutes + SLOT_MINUTES
    before = np.clip(hours.start_minute - start_q, 0, None)
    after = np.clip(end_q - hours.end_minute, 0, None)
    day = (before + after).astype(np.int32)
    out = np.tile(day, (7, 1))
    for d in range(7):
        if d not in hours.weekdays:
            out[d] += OFF_DAY_PENALTY
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class LocalClock:
    """What a person's wall clock reads at each slot of a horizon (all int32 arrays)."""

    day: np.ndarray  # local day number (days since 1970-01-01)
    weekday: np.ndarray  # Monday = 0
    quarter: np.ndarray  # quarter hour of the local day, 0..95
    minute_of_day: np.ndarray
    week_index: np.ndarray  # weekday * 96 + quarter: a flat index into a (7, 96) grid


def local_clock(time_zone: str, horizon: Horizon) -> LocalClock:
    """Vectorised UTC → local wall clock over the horizon (cached per zone and horizon:
    thousands of people share a few dozen zones). The arrays are read-only."""
    return _local_clock(time_zone, horizon.start_minute, horizon.n_slots)


@lru_cache(maxsize=1024)
def _local_clock(time_zone: str, start_minute: int, n_slots: int) -> LocalClock:
    horizon = Horizon(start_minute, n_slots)
    utc = horizon.start_minute + np.arange(horizon.n_slots, dtype=np.int64) * SLOT_MINUTES
    local = utc + offsets(time_zone, horizon.start_minute, horizon.n_slots)
    day = local // MINUTES_PER_DAY
    minute_of_day = (local - day * MINUTES_PER_DAY).astype(np.int32)
    clock = LocalClock(
        day=day.astype(np.int32),
        weekday=((day + EPOCH_WEEKDAY) % 7).astype(np.int32),
        quarter=minute_of_day // SLOT_MINUTES,
        minute_of_day=minute_of_day,
        week_index=(
            ((day + EPOCH_WEEKDAY) % 7) * SLOTS_PER_DAY + minute_of_day // SLOT_MINUTES
        ).astype(np.intp),
    )
    for arr in (clock.day, clock.weekday, clock.quarter, clock.minute_of_day, clock.week_index):
        arr.setflags(write=False)
    return clock


def _exception_mask(exc: DateException, clock: LocalClock) -> np.ndarray:
    first, last = local_day_number(exc.first_day), local_day_number(exc.last_day)
    mask = (clock.day >= first) & (clock.day <= last)
    if exc.start_minute is not None and exc.end_minute is not None:
        start = clock.minute_of_day
        if exc.available:  # added time: the whole quarter must be inside
            mask &= (start >= exc.start_minute) & (start + SLOT_MINUTES <= exc.end_minute)
        else:  # removed time: any overlap removes the quarter
            mask &= (start + SLOT_MINUTES > exc.start_minute) & (start < exc.end_minute)
    return mask


def availability_mask(person: PersonAvailability, horizon: Horizon) -> np.ndarray:
    """Bool per slot: the person's rules and exceptions say they could meet then.

    A fresh array the caller may change."""
    free = _weekly_mask(person.time_zone, person.weekly, horizon).copy()
    if not person.exceptions:
        return free
    clock = local_clock(person.time_zone, horizon)
    for exc in person.exceptions:
        if exc.available:
            free |= _exception_mask(exc, clock)
    for exc in person.exceptions:
        if not exc.available:
            free &= ~_exception_mask(exc, clock)
    return free


def weekly_mask(person: PersonAvailability, horizon: Horizon) -> np.ndarray:
    """The weekly rules alone over a horizon, without dated exceptions (read only): what
    "their hours" mean when telling someone why two people's hours never meet."""
    return _weekly_mask(person.time_zone, person.weekly, horizon)


@lru_cache(maxsize=4096)
def _weekly_mask(time_zone: str, weekly: tuple[WeeklyWindow, ...], horizon: Horizon) -> np.ndarray:
    """The weekly rules alone over a horizon; shared by people with the same rules and zone."""
    out = _week_grid(weekly).ravel().take(local_clock(time_zone, horizon).week_index)
    out.setflags(write=False)
    return out


def inconvenience(person: PersonAvailability, horizon: Horizon) -> np.ndarray:
    """Minutes of inconvenience per slot (0 inside the person's preferred hours).

    Read-only and shared by everyone with the same zone and working hours."""
    return _inconvenience(person.time_zone, person.working_hours, horizon)


@lru_cache(maxsize=1024)
def _inconvenience(time_zone: str, hours: WorkingHours, horizon: Horizon) -> np.ndarray:
    clock = local_clock(time_zone, horizon)
    out = working_inconvenience(hours).ravel().take(clock.week_index)
    out.setflags(write=False)
    return out
