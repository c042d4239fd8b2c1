"""Time zones on the 15-minute UTC grid, and local wall times that do not exist or repeat.

Everything in :mod:`mentormatch_desktop.scheduling` is computed on a grid of 15-minute UTC
slots. Going *from* UTC *to* local time is always well defined, so the slot finder never
invents a nonexistent local time: it asks, for each UTC slot, what the clock on each person's
wall says. The opposite direction — a person types "Sunday 02:30" or a weekly series recurs
at a wall time — can land in a DST gap (nonexistent) or fold (ambiguous); :func:`resolve_local`
says which, and picks the instant RFC 5545 prescribes (the offset in force *before* the
transition), so callers can tell the user instead of silently moving the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: 1970-01-01 was a Thursday: weekday (Monday = 0) of epoch day ``d`` is ``(d + 3) % 7``.
EPOCH_WEEKDAY = 3


class UnknownTimeZone(ValueError):
    """A zone name that is not in the IANA database."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``; a clear error naming the zone when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise UnknownTimeZone(f"unknown time zone {name!r}") from exc


def epoch_minutes(instant: datetime) -> int:
    """Whole minutes from the Unix epoch to an aware ``instant``."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: give it a time zone")
    return int((instant - EPOCH).total_seconds() // 60)


def from_epoch_minutes(minutes: int) -> datetime:
    """The UTC instant ``minutes`` after the epoch."""
    return EPOCH + timedelta(minutes=int(minutes))


def _offset_minutes(tz: ZoneInfo, minute: int) -> int:
    offset = from_epoch_minutes(minute).astimezone(tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


@lru_cache(maxsize=4096)
def _offsets_cached(name: str, start_minute: int, n_slots: int) -> np.ndarray:
    tz = zone(name)
    day = SLOTS_PER_DAY
    # Sample once per UTC day; a change between two samples is bisected to its slot.
    # Offsets change at most a few times a year, so this costs ~horizon/1 day calls.
    marks = sorted({*range(0, n_slots, day), max(n_slots - 1, 0)})
    values = [_offset_minutes(tz, start_minute + i * SLOT_MINUTES) for i in marks]
    out = np.full(n_slots, values[0], dtype=np.int32)
    points = list(zip(marks, values, strict=True))
    for (a, va), (b, vb) in pairwise(points):
        out[a : b + 1] = va
        if va != vb:
            lo, hi = a, b  # offset(lo) == va, offset(hi) != va
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_minutes(tz, start_minute + mid * SLOT_MINUTES) == va:
                    lo = mid
                else:
                    hi = mid
            out[hi : b + 1] = vb
    out.setflags(write=False)
    return out


def offsets(name: str, start_minute: int, n_slots: int) -> np.ndarray:
    """UTC offset in minutes of zone ``name`` at each of ``n_slots`` slots from ``start_minute``.

    Read-only and cached: every person in the same zone over the same horizon shares it.
    Assumes at most one offset change per UTC day, true of every zone in use.
    """
    return _offsets_cached(name, int(start_minute), int(n_slots))


class LocalStatus(StrEnum):
    """How a local wall time maps to instants on a given day."""

    OK = "ok"
    NONEXISTENT = "nonexistent"  # skipped by a DST jump forward
    AMBIGUOUS = "ambiguous"  # repeated by a DST jump back


@dataclass(frozen=True)
class LocalResolution:
    """A local wall time resolved to an instant, with what was odd about it."""

    wall: datetime  # naive wall time as asked
    zone: str
    instant: datetime  # aware UTC, per RFC 5545: the offset before the transition
    status: LocalStatus

    @property
    def note(self) -> str | None:
        """A sentence for the user, or ``None`` when the time is unremarkable."""
        when = self.wall.strftime("%a %d %b %H:%M")
        local = self.instant.astimezone(zone(self.zone)).strftime("%H:%M %Z")
        if self.status is LocalStatus.NONEXISTENT:
            return f"{when} does not exist in {self.zone} (clocks jump forward); taken as {local}"
        if self.status is LocalStatus.AMBIGUOUS:
            return (
                f"{when} happens twice in {self.zone} (clocks go back); taken as the first, {local}"
            )
        return None


def resolve_local(wall: datetime, zone_name: str) -> LocalResolution:
    """Map naive ``wall`` time in ``zone_name`` to an instant, flagging gaps and folds."""
    if wall.tzinfo is not None:
        wall = wall.replace(tzinfo=None)
    tz = zone(zone_name)
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    instant = first.astimezone(UTC)
    if first.utcoffset() == second.utcoffset():
        status = LocalStatus.OK
    elif instant.astimezone(tz).replace(tzinfo=None) != wall:
        status = LocalStatus.NONEXISTENT
    else:
        status = LocalStatus.AMBIGUOUS
    return LocalResolution(wall=wall, zone=zone_name, instant=instant, status=status)


def is_ambiguous_wall(local: datetime) -> bool:
    """True when the aware ``local`` time's wall clock reading also names another instant."""
    tz = local.tzinfo
    naive = local.replace(tzinfo=None)
    return (
        naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()
        and resolve_local(naive, str(tz)).status is LocalStatus.AMBIGUOUS
    )


def local_day_number(day: date) -> int:
    """Days from 1970-01-01 to ``day`` (the grid's local-day index)."""
    return (day - date(1970, 1, 1)).days
