"""Why no common slot was found, in words a participant can act on.

"Widen your weekly availability" is the wrong advice when the cause is a partner's busy
week, the minimum notice or time off. :func:`explain_no_fit` peels the finder's layers
back one at a time — who set no hours at all, the weekly rules alone, then dated
exceptions (time off), then busy time and sessions, then the notice at the start of the
window — and names the first layer that leaves no stretch as long as the session.

What it may say about someone else is only what free/busy already tells: that they are
busy, away or have hours elsewhere in the week, never what their events are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

import numpy as np

from mentormatch_desktop.scheduling.availability import local_clock, weekly_mask
from mentormatch_desktop.scheduling.grid import Horizon
from mentormatch_desktop.scheduling.slots import SlotFinder
from mentormatch_desktop.scheduling.zones import SLOT_MINUTES, SLOTS_PER_DAY

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY


class Cause(StrEnum):
    """The first layer that leaves no stretch as long as the session."""

    NO_AVAILABILITY = "no_availability"  # someone has set no weekly hours at all
    NO_OVERLAP = "no_overlap"  # the weekly hours never meet
    SHORT_OVERLAP = "short_overlap"  # they meet, but never for as long as the session
    TIME_OFF = "time_off"  # dated exceptions take every common stretch
    BUSY = "busy"  # busy time and booked sessions take every common stretch
    NOTICE = "notice"  # only stretches inside the minimum notice are left
    OTHER = "other"  # stretches exist but none starts on the search step


class Remedy(StrEnum):
    """What the person could do about it (a screen offers those it has an action for)."""

    EDIT_AVAILABILITY = "edit_availability"
    SHORTER = "shorter"
    FURTHER_AHEAD = "further_ahead"
    MESSAGE_PARTNER = "message_partner"


@dataclass(frozen=True)
class WeeklyHours:
    """One person's weekly hours as ``(weekday, start_minute, end_minute)`` on the
    *viewer's* wall clock, in the first week of the search."""

    person_id: int
    ranges: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class NoFit:
    """Why nothing fits; ``people`` are whom the cause is about (the viewer may be one)."""

    cause: Cause
    minutes: int
    weeks: int
    people: tuple[int, ...] = ()
    longest_minutes: int = 0  # longest common stretch at the layer that failed
    notice_minutes: int = 0
    hours: tuple[WeeklyHours, ...] = ()  # NO_OVERLAP: everyone's hours, viewer's clock
    apart: tuple[tuple[int, int], ...] = ()  # NO_OVERLAP: pairs whose hours never meet
    viewer_zone: str = "UTC"
    remedies: tuple[Remedy, ...] = ()

    def message(self, viewer_id: int, names: Mapping[int, str]) -> str:
        """The sentence the dialog shows; ``names`` are display names of the others."""
        return _message(self, viewer_id, names)


def _longest(mask: np.ndarray) -> int:
    """Length in slots of the longest run of ``True``."""
    if not mask.any():
        return 0
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def _all(masks: Sequence[np.ndarray]) -> np.ndarray:
    out = masks[0].copy()
    for m in masks[1:]:
        out &= m
    return out


def _fits(mask: np.ndarray, k: int, first: int = 0, step: int = 1, start_slot: int = 0) -> bool:
    """A start at or after slot ``first``, on the step, with ``k`` free slots from it."""
    n = mask.size
    if k > n:
        return False
    run = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(mask, out=run[1:])
    ok = (run[k:] - run[:-k]) == k
    ok[:first] = False
    if step > 1:
        ok &= (start_slot + np.arange(ok.size)) % step == 0
    return bool(ok.any())


def hours_on_clock(mask: np.ndarray, horizon: Horizon, viewer_zone: str) -> WeeklyHours:
    """``mask``'s first week read on the viewer's wall clock, as ranges per weekday."""
    week = min(horizon.n_slots, SLOTS_PER_WEEK)
    clock = local_clock(viewer_zone, horizon)
    grid = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    grid[clock.week_index[:week][mask[:week]]] = True
    ranges = []
    for day in range(7):
        row = grid[day * SLOTS_PER_DAY : (day + 1) * SLOTS_PER_DAY]
        padded = np.concatenate(([0], row.astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(padded))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            ranges.append((day, int(a) * SLOT_MINUTES, int(b) * SLOT_MINUTES))
    return WeeklyHours(-1, tuple(ranges))


def explain_no_fit(
    finder: SlotFinder,
    person_ids: Sequence[int],
    minutes: int,
    *,
    viewer_id: int,
    step_minutes: int = 15,
) -> NoFit | None:
    """Why ``finder`` has no ``minutes``-long slot for ``person_ids`` (``None``: it has).

    ``viewer_id`` is whose clock weekly hours are shown on and who "you" is.
    """
    ids = list(dict.fromkeys(person_ids))
    horizon = finder.horizon
    k = -(-minutes // SLOT_MINUTES)
    step = max(1, step_minutes // SLOT_MINUTES)
    weeks = max(1, round(horizon.n_slots / SLOTS_PER_WEEK))
    viewer_zone = finder.people[viewer_id].time_zone
    others = [p for p in ids if p != viewer_id]
    pair = len(ids) == 2

    def partner_remedy(who: Sequence[int]) -> tuple[Remedy, ...]:
        return (Remedy.MESSAGE_PARTNER,) if pair and any(p != viewer_id for p in who) else ()

    base = {"minutes": minutes, "weeks": weeks, "viewer_zone": viewer_zone}

    unset = [
        p
        for p in ids
        if not finder.people[p].weekly and not any(e.available for e in finder.people[p].exceptions)
    ]
    if unset:
        remedies = (Remedy.EDIT_AVAILABILITY,) if viewer_id in unset else ()
        return NoFit(
            Cause.NO_AVAILABILITY, people=tuple(unset),
            remedies=remedies + partner_remedy(unset), **base,
        )  # fmt: skip

    available = {p: finder.available_mask(p) for p in ids}
    common = _all([available[p] for p in ids])
    if _longest(common) < k:
        weekly = {p: weekly_mask(finder.people[p], horizon) for p in ids}
        rules = _all([weekly[p] for p in ids])
        if not rules.any():
            apart = tuple(
                (a, b) for a, b in combinations(ids, 2) if not (weekly[a] & weekly[b]).any()
            )
            odd = []
            for p in ids:
                rest = _all([weekly[q] for q in ids if q != p])
                if rest.any() and not (rest & weekly[p]).any():
                    odd.append(p)
            named = odd or sorted({p for ab in apart for p in ab}, key=ids.index)
            hours = tuple(
                WeeklyHours(p, hours_on_clock(weekly[p], horizon, viewer_zone).ranges) for p in ids
            )
            return NoFit(
                Cause.NO_OVERLAP, people=tuple(named), hours=hours, apart=apart,
                remedies=(Remedy.EDIT_AVAILABILITY, *partner_remedy(others)), **base,
            )  # fmt: skip
        longest = _longest(rules)
        if longest < k:
            return NoFit(
                Cause.SHORT_OVERLAP, longest_minutes=longest * SLOT_MINUTES,
                remedies=(Remedy.SHORTER, Remedy.EDIT_AVAILABILITY), **base,
            )  # fmt: skip
        away = [
            p
            for p in ids
            if _longest(_all([weekly[q] if q == p else available[q] for q in ids])) >= k
        ] or [p for p in ids if (weekly[p] & ~available[p] & rules).any()]
        return NoFit(
            Cause.TIME_OFF, people=tuple(away), longest_minutes=_longest(common) * SLOT_MINUTES,
            remedies=(Remedy.FURTHER_AHEAD, *partner_remedy(away)), **base,
        )  # fmt: skip

    busy = {p: finder.busy_mask(p) for p in ids}
    free = common.copy()
    for p in ids:
        free &= ~busy[p]
    if _longest(free) < k:
        blocking = [p for p in ids if _longest(common & ~busy[p]) < k] or [
            p for p in ids if (busy[p] & common).any()
        ]
        return NoFit(
            Cause.BUSY, people=tuple(blocking), longest_minutes=_longest(free) * SLOT_MINUTES,
            remedies=(Remedy.FURTHER_AHEAD, Remedy.SHORTER, *partner_remedy(blocking)), **base,
        )  # fmt: skip
    start_slot = horizon.start_minute // SLOT_MINUTES
    if _fits(free, k, finder.first_start, step, start_slot):
        return None
    if _fits(free, k, 0, step, start_slot):
        return NoFit(
            Cause.NOTICE, notice_minutes=finder.notice_minutes,
            remedies=(Remedy.FURTHER_AHEAD,), **base,
        )  # fmt: skip
    return NoFit(Cause.OTHER, remedies=(Remedy.FURTHER_AHEAD, Remedy.SHORTER), **base)


# ----------------------------------------------------------------- words
def duration_words(minutes: int) -> str:
    """``45 minutes``, ``1 hour``, ``1 h 30 min``, ``12 hours``."""
    h, m = divmod(int(minutes), 60)
    if not h:
        return f"{m} minutes"
    if not m:
        return f"{h} hour{'s' if h > 1 else ''}"
    return f"{h} h {m} min"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(ranges: Sequence[tuple[int, int, int]]) -> str:
    """``Mon–Fri 09:00–12:00; Sat 10:00–11:00``: days with the same hours grouped."""
    if not ranges:
        return "no hours"
    by_day: dict[int, list[tuple[int, int]]] = {}
    for day, a, b in ranges:
        by_day.setdefault(day, []).append((a, b))
    groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
    for day in sorted(by_day):
        spans = tuple(by_day[day])
        if groups and groups[-1][1] == spans and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans))
    parts = []
    for days, spans in groups:
        label = (
            DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
        )
        parts.append(f"{label} " + ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in spans))
    return "; ".join(parts)


def _names_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _message(fit: NoFit, viewer_id: int, names: Mapping[int, str]) -> str:
    def name(p: int) -> str:
        return "you" if p == viewer_id else names.get(p, "someone")

    period = f"the next {fit.weeks} weeks" if fit.weeks > 1 else "the next week"
    length = duration_words(fit.minutes)
    others = [p for p in fit.people if p != viewer_id]
    me = viewer_id in fit.people
    if fit.cause is Cause.NO_AVAILABILITY:
        if me and not others:
            return (
                "You have not set your weekly availability yet, so there is nothing to "
                "compare. Paint the hours you can meet under Weekly availability."
            )
        who = _names_list([names.get(p, "someone") for p in others])
        verb = "has" if len(others) == 1 else "have"
        text = f"{who} {verb} not set any weekly availability yet"
        text += ", and neither have you." if me else "."
        return text + " Ask them to add the hours they can meet."
    if fit.cause is Cause.NO_OVERLAP:
        hours = "; ".join(
            f"{'you' if h.person_id == viewer_id else names.get(h.person_id, 'someone')}: "
            f"{hours_text(h.ranges)}"
            for h in fit.hours
        )
        if len(fit.hours) == 2:
            partner = next(
                (p for p in (fit.hours[0].person_id, fit.hours[1].person_id) if p != viewer_id),
                viewer_id,
            )
            head = f"Your weekly hours and {names.get(partner, 'your partner')}'s never overlap."
        elif fit.people:
            who = _names_list([name(p) for p in fit.people])
            verb = "have" if len(fit.people) > 1 or fit.people == (viewer_id,) else "has"
            head = f"{who[:1].upper()}{who[1:]} {verb} no weekly hours in common with the rest."
        else:
            head = "The group's weekly hours never all overlap."
        return (
            f"{head} In your time ({fit.viewer_zone}) — {hours}. A {length} session needs "
            f"at least {length} that is inside everyone's hours on the same day."
        )
    if fit.cause is Cause.SHORT_OVERLAP:
        return (
            f"Your weekly hours overlap for at most {duration_words(fit.longest_minutes)} "
            f"at a time, less than the {length} session. Try a shorter session, or add "
            "hours next to the overlap."
        )
    if fit.cause is Cause.TIME_OFF:
        if me and not others:
            return (
                f"Your time off covers every time you could meet in {period}. Look further ahead."
            )
        who = _names_list([names.get(p, "someone") for p in others])
        tail = " (and so is your time off)" if me else ""
        return (
            f"{who} {'is' if len(others) == 1 else 'are'} away at every time you could meet "
            f"in {period}{tail}. Look further ahead."
        )
    if fit.cause is Cause.BUSY:
        if me and not others:
            return (
                f"Your own sessions and calendar take every time you could meet in {period}. "
                "Look further ahead or try a shorter session."
            )
        who = _names_list([names.get(p, "someone") for p in others])
        if me:
            return (
                f"Between your own sessions and calendar and {who}'s busy times, no "
                f"{length} is left in {period}. Look further ahead or try a shorter session."
            )
        return (
            f"{who} {'is' if len(others) == 1 else 'are'} busy at every time you could meet "
            f"in {period}. Look further ahead or try a shorter session."
        )
    if fit.cause is Cause.NOTICE:
        return (
            f"The only common times in {period} start sooner than the "
            f"{duration_words(fit.notice_minutes)} of notice needed. Look further ahead."
        )
    return f"No {length} slot starts on the quarter hour in {period}. Look further ahead."
