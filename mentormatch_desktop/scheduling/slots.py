"""Common free slots for 2..n people, ranked so the worse-off person suffers least.

A :class:`SlotFinder` is built once for a horizon and a set of people: each person's free
mask (weekly rules and exceptions, minus busy time and booked sessions widened by the
buffer) and inconvenience per slot are computed up front, so asking for many pairs or
groups afterwards (the coordinator's "first slot for every unscheduled pair") is a few
array operations per question.

Ranking: slots inside everyone's preferred hours first; then the smallest inconvenience of
the worst-off person (minutes outside their working window, see
:func:`.availability.working_inconvenience`); then the total over everyone; then the
earliest. With ``spread`` the result never contains two overlapping slots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from mentormatch_desktop.scheduling.availability import (
    PersonAvailability,
    availability_mask,
    inconvenience,
)
from mentormatch_desktop.scheduling.grid import Horizon, interval_matrix
from mentormatch_desktop.scheduling.zones import SLOT_MINUTES, epoch_minutes, offsets, zone

BusyArrays = tuple[np.ndarray, np.ndarray]  # epoch-minute starts, ends


@dataclass(frozen=True)
class LocalView:
    """One person's view of a slot: their wall-clock times and how it suits them."""

    person_id: int
    label: str
    time_zone: str
    start: datetime  # aware, in the person's zone
    end: datetime
    preferred: bool
    inconvenience_minutes: int
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "person": self.label,
            "time_zone": self.time_zone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "preferred": self.preferred,
            "inconvenience_minutes": self.inconvenience_minutes,
            "note": self.note,
        }


@dataclass(frozen=True)
class Slot:
    """A proposed session time (UTC) and how it looks to each participant."""

    start: datetime
    end: datetime
    people: tuple[LocalView, ...]

    @property
    def all_preferred(self) -> bool:
        return all(p.preferred for p in self.people)

    @property
    def worst_inconvenience(self) -> int:
        return max((p.inconvenience_minutes for p in self.people), default=0)

    @property
    def notes(self) -> list[str]:
        return [p.note for p in self.people if p.note]

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "minutes": int((self.end - self.start).total_seconds() // 60),
            "all_preferred": self.all_preferred,
            "worst_inconvenience_minutes": self.worst_inconvenience,
            "people": [p.to_json() for p in self.people],
        }


def _local_note(start: datetime, end: datetime) -> str | None:
    """Say when a wall time is ambiguous or the clocks change during the session."""
    tz = start.tzinfo
    notes = []
    for label, t in (("starts", start), ("ends", end)):
        naive = t.replace(tzinfo=None)
        if (
            naive.replace(tzinfo=tz, fold=0).utcoffset()
            != naive.replace(tzinfo=tz, fold=1).utcoffset()
        ):
            notes.append(
                f"{label} at {t:%H:%M}, a time that happens twice tonight "
                f"(this is the one at UTC{t:%z})"
            )
    if start.utcoffset() != end.utcoffset():
        notes.append("the clocks change during this session")
    return "; ".join(notes) or None


class SlotFinder:
    """Free-slot questions over one horizon for a fixed set of people."""

    def __init__(
        self,
        horizon: Horizon,
        people: Sequence[PersonAvailability],
        busy: Mapping[int, BusyArrays] | None = None,
        *,
        now: datetime | None = None,
        notice_minutes: int = 0,
        buffer_minutes: int = 0,
    ) -> None:
        if notice_minutes < 0 or buffer_minutes < 0:
            raise ValueError("minimum notice and buffer cannot be negative")
        self.horizon = horizon
        self.people = {p.person_id: p for p in people}
        busy = busy or {}
        n_people = len(people)
        self._row = {p.person_id: i for i, p in enumerate(people)}
        available = np.empty((n_people, horizon.n_slots), dtype=bool)
        for i, p in enumerate(people):
            available[i] = availability_mask(p, horizon)
        spans = [(self._row[pid], s, e) for pid, (s, e) in busy.items() if pid in self._row]
        self._busy_rows: np.ndarray | None = None
        if spans:
            rows = np.concatenate([np.full(len(s), r, dtype=np.int64) for r, s, _ in spans])
            starts = np.concatenate([np.asarray(s, dtype=np.int64) for _, s, _ in spans])
            ends = np.concatenate([np.asarray(e, dtype=np.int64) for _, _, e in spans])
            self._busy_rows = interval_matrix(
                horizon, rows, starts, ends, n_people, buffer_minutes=buffer_minutes
            )
            free = available & ~self._busy_rows
        else:
            free = available.copy()
        # Kept apart from ``free`` so :mod:`.explain` can say which of rules, time off,
        # busy time or notice took the common time away when nothing fits.
        self._available_rows = available
        self.notice_minutes = notice_minutes
        self._free_rows = free
        self._free = {p.person_id: free[i] for i, p in enumerate(people)}
        self._cost = {p.person_id: inconvenience(p, horizon) for p in people}
        self.first_start = 0
        if now is not None:
            earliest = epoch_minutes(now) + notice_minutes - horizon.start_minute
            self.first_start = max(0, -(-earliest // SLOT_MINUTES))

    def free_mask(self, person_id: int) -> np.ndarray:
        """The person's free slots (read it, do not change it)."""
        return self._free[person_id]

    def available_mask(self, person_id: int) -> np.ndarray:
        """The person's rules and dated exceptions, before busy time (read only)."""
        return self._available_rows[self._row[person_id]]

    def busy_mask(self, person_id: int) -> np.ndarray:
        """Slots the person's busy time and sessions (widened by the buffer) take."""
        if self._busy_rows is None:
            return np.zeros(self.horizon.n_slots, dtype=bool)
        return self._busy_rows[self._row[person_id]]

    def _candidates(
        self, person_ids: Sequence[int], minutes: int, step_minutes: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        if len(set(person_ids)) < 2:
            raise ValueError("common slots need at least two different people")
        missing = [i for i in person_ids if i not in self.people]
        if missing:
            raise KeyError(f"people {missing} are not loaded in this slot finder")
        if minutes <= 0:
            raise ValueError(f"session length must be positive, not {minutes} minutes")
        if step_minutes <= 0 or step_minutes % SLOT_MINUTES:
            raise ValueError(f"step must be a positive multiple of {SLOT_MINUTES} minutes")
        k = -(-minutes // SLOT_MINUTES)
        n = self.horizon.n_slots
        empty = np.zeros(0, np.int64)
        if k > n:
            return empty, empty, empty, k
        free = self._free[person_ids[0]] & self._free[person_ids[1]]
        for pid in person_ids[2:]:
            free &= self._free[pid]
        run = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(free, out=run[1:])
        ok = (run[k:] - run[:-k]) == k  # length n - k + 1
        ok[: self.first_start] = False
        step = step_minutes // SLOT_MINUTES
        if step > 1:
            aligned = (self.horizon.start_minute // SLOT_MINUTES + np.arange(ok.size)) % step
            ok &= aligned == 0
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return idx, empty, empty, k
        worst = total = None
        for pid in person_ids:
            cost = self._cost[pid]
            window = cost[idx]  # the session's cost is its worst quarter hour
            for j in range(1, k):
                window = np.maximum(window, cost[idx + j])
            worst = window if worst is None else np.maximum(worst, window)
            total = window if total is None else total + window
        return idx, worst, total, k

    @staticmethod
    def _order(idx: np.ndarray, worst: np.ndarray, total: np.ndarray) -> np.ndarray:
        """Indices into ``idx`` from best to worst (see the module docstring)."""
        return np.lexsort((idx, total, worst, worst > 0))

    def common(
        self,
        person_ids: Sequence[int],
        minutes: int,
        *,
        limit: int = 10,
        step_minutes: int = 15,
        spread: bool = True,
    ) -> list[Slot]:
        """Up to ``limit`` ranked slots of ``minutes`` when everyone in ``person_ids`` is free."""
        idx, worst, total, k = self._candidates(person_ids, minutes, step_minutes)
        if idx.size == 0:
            return []
        order = self._order(idx, worst, total)
        chosen: list[int] = []
        taken = np.zeros(self.horizon.n_slots + k, dtype=bool)
        for j in order:
            i = int(idx[j])
            if spread and taken[i]:
                continue
            chosen.append(i)
            if spread:
                taken[max(0, i - k + 1) : i + k] = True
            if len(chosen) >= limit:
                break
        return [self.describe(person_ids, i, minutes) for i in chosen]

    def first(
        self, person_ids: Sequence[int], minutes: int, *, step_minutes: int = 15
    ) -> int | None:
        """Slot index of the best-ranked start, or ``None``: the cheap question for bulk use."""
        idx, worst, total, _ = self._candidates(person_ids, minutes, step_minutes)
        if idx.size == 0:
            return None
        # One argmin on a composite key: ranks as _order does, without a full sort.
        key = (worst.astype(np.int64) * (1 << 20) + total) * (1 << 20) + idx
        return int(idx[int(np.argmin(key))])

    def first_for_pairs(
        self,
        pairs: Sequence[tuple[int, int]],
        minutes: int,
        *,
        step_minutes: int = 15,
        chunk: int = 512,
    ) -> list[int | None]:
        """:meth:`first` for many pairs at once (the coordinator's bulk question).

        Same answers as calling :meth:`first` per pair, but whole blocks of pairs go through
        numpy together: per-pair calls spent most of their time in numpy call overhead on
        2,688-slot rows, 2,000 times over.
        """
        if not pairs:
            return []
        for a, b in pairs:
            if a == b:
                raise ValueError("common slots need at least two different people")
            for pid in (a, b):
                if pid not in self.people:
                    raise KeyError(f"people {[pid]} are not loaded in this slot finder")
        if minutes <= 0:
            raise ValueError(f"session length must be positive, not {minutes} minutes")
        if step_minutes <= 0 or step_minutes % SLOT_MINUTES:
            raise ValueError(f"step must be a positive multiple of {SLOT_MINUTES} minutes")
        k = -(-minutes // SLOT_MINUTES)
        n = self.horizon.n_slots
        if k > n:
            return [None] * len(pairs)
        m = n - k + 1
        allowed = np.ones(m, dtype=bool)
        allowed[: self.first_start] = False
        step = step_minutes // SLOT_MINUTES
        if step > 1:
            allowed &= (self.horizon.start_minute // SLOT_MINUTES + np.arange(m)) % step == 0
        # The session's cost is its worst quarter hour: a sliding max over k slots, computed
        # once per distinct cost row (people in one zone with one set of hours share it).
        distinct: dict[int, int] = {}
        windows: list[np.ndarray] = []
        cost_row: dict[int, int] = {}
        for pid, cost in self._cost.items():
            key = id(cost)
            if key not in distinct:
                w = cost[:m].astype(np.int64)
                for j in range(1, k):
                    w = np.maximum(w, cost[j : m + j])
                distinct[key] = len(windows)
                windows.append(w)
            cost_row[pid] = distinct[key]
        window_cost = np.stack(windows)
        position = np.arange(m, dtype=np.int64)
        never = np.iinfo(np.int64).max
        out: list[int | None] = []
        for lo in range(0, len(pairs), chunk):
            part = pairs[lo : lo + chunk]
            ra = np.fromiter((self._row[a] for a, _ in part), np.intp, len(part))
            rb = np.fromiter((self._row[b] for _, b in part), np.intp, len(part))
            free = self._free_rows[ra] & self._free_rows[rb]
            run = np.zeros((len(part), n + 1), dtype=np.int32)
            np.cumsum(free, axis=1, out=run[:, 1:])
            ok = ((run[:, k:] - run[:, :-k]) == k) & allowed
            ca = window_cost[np.fromiter((cost_row[a] for a, _ in part), np.intp, len(part))]
            cb = window_cost[np.fromiter((cost_row[b] for _, b in part), np.intp, len(part))]
            key = (np.maximum(ca, cb) * (1 << 20) + ca + cb) * (1 << 20) + position
            key[~ok] = never
            best = np.argmin(key, axis=1)
            found = ok[np.arange(len(part)), best]
            out.extend(int(i) if f else None for i, f in zip(best, found, strict=True))
        return out

    def describe(self, person_ids: Sequence[int], index: int, minutes: int) -> Slot:
        """The :class:`Slot` starting at slot ``index`` with each person's local view."""
        start = self.horizon.slot_start(index)
        end = start + timedelta(minutes=minutes)
        k = -(-minutes // SLOT_MINUTES)
        views = []
        for pid in person_ids:
            p = self.people[pid]
            tz = zone(p.time_zone)
            cost = int(self._cost[pid][index : index + k].max())
            local_start, local_end = start.astimezone(tz), end.astimezone(tz)
            # Folds and jumps only happen next to an offset change: look closer only there.
            n = self.horizon.n_slots
            near = offsets(p.time_zone, self.horizon.start_minute, n)[
                max(0, index - 12) : min(n, index + k + 12)
            ]
            note = _local_note(local_start, local_end) if near.min() != near.max() else None
            views.append(
                LocalView(
                    person_id=pid,
                    label=p.label,
                    time_zone=p.time_zone,
                    start=local_start,
                    end=local_end,
                    preferred=cost == 0,
                    inconvenience_minutes=cost,
                    note=note,
                )
            )
        return Slot(start=start, end=end, people=tuple(views))
