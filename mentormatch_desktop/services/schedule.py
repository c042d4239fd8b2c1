"""Finding a time: load people's availability and busy time, ask the slot finder.

The database side of :mod:`mentormatch_desktop.scheduling`: weekly rows, dated exceptions
and preferences become :class:`~mentormatch_desktop.scheduling.PersonAvailability`; busy
blocks from connected calendars and sessions already proposed or booked (recurring series
expanded in their own zone) become busy intervals. Read-only: these services never write.

Under row-level security a participant (or a coordinator limited to some programs) cannot
read their partner's other sessions or calendar: their busy time comes from the definer
function ``mm_busy_intervals()``, which answers bare intervals (no title, partner or
meeting id) and only for people the caller schedules with (:func:`busy_intervals`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Integer, cast, func, or_, select, text
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus
from mentormatch_desktop.scheduling import (
    DateException,
    Horizon,
    PersonAvailability,
    Slot,
    SlotFinder,
    WeeklyWindow,
    WorkingHours,
)
from mentormatch_desktop.scheduling.recurrence import occurrences
from mentormatch_desktop.scheduling.slots import BusyArrays
from mentormatch_desktop.scheduling.zones import epoch_minutes
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import sees_only_some_people
from mentormatch_desktop.storage.models import (
    AvailabilityException,
    AvailabilitySlot,
    BusyBlock,
    Meeting,
    MeetingAttendee,
    Mentorship,
    Person,
    SchedulingPreference,
)

#: Sessions that hold a time: a proposal blocks the slot until it is answered.
HOLDING = (MeetingStatus.PROPOSED, MeetingStatus.SCHEDULED)
DEFAULT_NOTICE_MINUTES = 12 * 60
DEFAULT_BUFFER_MINUTES = 10


class ScheduleError(ValueError):
    """A scheduling question that cannot be answered as asked (unknown person, bad length)."""


@dataclass(frozen=True)
class Needs:
    """How much notice and slack a group needs: the strictest of its members."""

    notice_minutes: int
    buffer_minutes: int


def load_people(session: Session, person_ids: Sequence[int]) -> list[PersonAvailability]:
    """Availability of each person, in the order given."""
    ids = list(dict.fromkeys(person_ids))
    # Plain column rows, not ORM objects: a program-wide finder reads thousands of people.
    people = {
        pid: (zone_name, email)
        for pid, zone_name, email in session.execute(
            select(Person.id, Person.time_zone, Person.email).where(Person.id.in_(ids))
        )
    }
    missing = [i for i in ids if i not in people]
    if missing:
        raise ScheduleError(f"no person with id {missing[0]}")
    windows: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for pid, day, start, end in session.execute(
        select(
            AvailabilitySlot.person_id,
            AvailabilitySlot.weekday,
            AvailabilitySlot.start_minute,
            AvailabilitySlot.end_minute,
        ).where(AvailabilitySlot.person_id.in_(ids))
    ):
        windows[pid].append(_window(day, start, end))
    exceptions: dict[int, list[DateException]] = defaultdict(list)
    for ex in session.scalars(
        select(AvailabilityException).where(AvailabilityException.person_id.in_(ids))
    ):
        exceptions[ex.person_id].append(
            DateException(
                ex.first_day, ex.last_day, ex.available, ex.start_minute, ex.end_minute, ex.note
            )
        )
    prefs = {
        p.person_id: p
        for p in session.scalars(
            select(SchedulingPreference).where(SchedulingPreference.person_id.in_(ids))
        )
    }
    out = []
    for pid in ids:
        pref = prefs.get(pid)
        hours = (
            WorkingHours(
                pref.work_start_minute,
                pref.work_end_minute,
                frozenset(int(d) for d in pref.work_weekdays.split(",") if d.strip()),
            )
            if pref
            else WorkingHours()
        )
        out.append(
            PersonAvailability(
                pid,
                people[pid][0],
                tuple(sorted(windows[pid], key=lambda w: (w.weekday, w.start_minute))),
                tuple(exceptions[pid]),
                hours,
                label=people[pid][1],
            )
        )
    return out


@lru_cache(maxsize=16384)
def _window(day: int, start: int, end: int) -> WeeklyWindow:
    """Validated once per distinct row: thousands of people share a few dozen patterns."""
    return WeeklyWindow(day, start, end)


def needs_of(session: Session, person_ids: Sequence[int]) -> Needs:
    """The largest notice and buffer any of ``person_ids`` asked for (defaults otherwise)."""
    rows = session.scalars(
        select(SchedulingPreference).where(SchedulingPreference.person_id.in_(list(person_ids)))
    ).all()
    by_id = {r.person_id: r for r in rows}
    notice = [
        by_id[p].min_notice_minutes if p in by_id else DEFAULT_NOTICE_MINUTES for p in person_ids
    ]
    buffer = [by_id[p].buffer_minutes if p in by_id else DEFAULT_BUFFER_MINUTES for p in person_ids]
    return Needs(max(notice, default=0), max(buffer, default=0))


@dataclass(frozen=True)
class BusyInterval:
    """A time someone is busy: ``kind`` is ``session`` or ``calendar``; a recurring session
    comes with its rule and zone (``starts_at``/``ends_at`` are its first occurrence)."""

    person_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    time_zone: str | None


def busy_intervals(
    session: Session,
    person_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    ignore_meeting: int | None = None,
) -> list[BusyInterval]:
    """Busy intervals from ``mm_busy_intervals()`` (PostgreSQL with security installed):
    people the login may not schedule with are left out by the database."""
    rows = session.execute(
        text(
            "SELECT person_id, kind, starts_at, ends_at, rrule, time_zone"
            " FROM mm_busy_intervals(CAST(:ids AS integer[]), :since, :until, :skip)"
        ),
        {
            "ids": list(dict.fromkeys(person_ids)),
            "since": start,
            "until": end,
            "skip": ignore_meeting,
        },
    ).all()
    return [BusyInterval(*row) for row in rows]


def _busy_time_through_helper(
    session: Session,
    ids: list[int],
    start: datetime,
    end: datetime,
    ignore_meeting: int | None,
) -> dict[int, BusyArrays]:
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for b in busy_intervals(session, ids, start, end, ignore_meeting=ignore_meeting):
        if b.kind == "calendar" or not b.rrule:
            spans[b.person_id].append((epoch_minutes(b.starts_at), epoch_minutes(b.ends_at)))
            continue
        for occ in occurrences(
            b.starts_at, b.ends_at - b.starts_at, b.rrule, b.time_zone or "UTC", start, end
        ):
            spans[b.person_id].append((epoch_minutes(occ.start), epoch_minutes(occ.end)))
    out: dict[int, BusyArrays] = {}
    for pid, pairs in spans.items():
        arr = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        out[pid] = (arr[:, 0], arr[:, 1])
    return out


def busy_time(
    session: Session,
    person_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    ignore_meeting: int | None = None,
) -> dict[int, BusyArrays]:
    """Busy intervals (epoch minutes) per person: calendar busy blocks plus held sessions.

    ``ignore_meeting`` leaves one session out (rescheduling it must not collide with itself).
    """
    ids = list(dict.fromkeys(person_ids))
    if sees_only_some_people(session):
        return _busy_time_through_helper(session, ids, start, end, ignore_meeting)
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    out: dict[int, BusyArrays] = _busy_blocks(session, ids, start, end)
    rows = session.execute(
        select(Meeting, Mentorship.mentor_id, Mentorship.mentee_id)
        .join(Mentorship, Meeting.mentorship_id == Mentorship.id)
        .where(
            Meeting.status.in_(HOLDING),
            or_(Mentorship.mentor_id.in_(ids), Mentorship.mentee_id.in_(ids)),
            Meeting.starts_at < end,
            or_(Meeting.ends_at > start, Meeting.rrule.is_not(None)),
        )
    )
    group_rows = session.execute(
        select(Meeting, MeetingAttendee.person_id)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(
            Meeting.status.in_(HOLDING),
            MeetingAttendee.person_id.in_(ids),
            MeetingAttendee.response != "declined",
            Meeting.starts_at < end,
            or_(Meeting.ends_at > start, Meeting.rrule.is_not(None)),
        )
    ).all()
    # A group session keeps its attendees busy (those who have not declined), not the
    # pair whose mentorship anchors it.
    for meeting, pid in group_rows:
        if meeting.id == ignore_meeting:
            continue
        for occ in occurrences(
            meeting.starts_at,
            meeting.ends_at - meeting.starts_at,
            meeting.rrule,
            meeting.time_zone,
            start,
            end,
        ):
            spans[pid].append((epoch_minutes(occ.start), epoch_minutes(occ.end)))
    for meeting, mentor_id, mentee_id in rows:
        if meeting.id == ignore_meeting or meeting.is_group:
            continue
        for occ in occurrences(
            meeting.starts_at,
            meeting.ends_at - meeting.starts_at,
            meeting.rrule,
            meeting.time_zone,
            start,
            end,
        ):
            for pid in (mentor_id, mentee_id):
                if pid in ids:
                    spans[pid].append((epoch_minutes(occ.start), epoch_minutes(occ.end)))
    for pid, pairs in spans.items():
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        old_s, old_e = out.get(pid, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        out[pid] = (np.concatenate([old_s, arr[:, 0]]), np.concatenate([old_e, arr[:, 1]]))
    return out


def _busy_blocks(
    session: Session, ids: list[int], start: datetime, end: datetime
) -> dict[int, BusyArrays]:
    """Calendar busy blocks per person as epoch-minute arrays, one row per person.

    A program-wide finder reads ~30 blocks for each of thousands of people. One result row
    per block costs more in Python (row objects, and on SQLite ``strftime`` per value) than
    everything else the finder does, so the database aggregates each person's blocks into
    one row: PostgreSQL as arrays of epoch minutes, SQLite as its stored ISO text joined,
    which numpy parses in one call.
    """
    where = (BusyBlock.person_id.in_(ids), BusyBlock.ends_at > start, BusyBlock.starts_at < end)
    out: dict[int, BusyArrays] = {}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(
                BusyBlock.person_id,
                func.array_agg(_epoch_minutes(BusyBlock.starts_at, "postgresql")),
                func.array_agg(_epoch_minutes(BusyBlock.ends_at, "postgresql")),
            )
            .where(*where)
            .group_by(BusyBlock.person_id)
        ).all()
        for pid, starts, ends in rows:
            out[pid] = (np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))
        return out
    # SQLite keeps UTC as ISO text ("2026-03-02 17:00:00.000000"); the first 16 characters
    # are the minute, which numpy reads as datetime64[m] (whole epoch minutes, floored like
    # epoch_minutes()). Both aggregates walk the group's rows in the same order.
    rows = session.execute(
        select(
            BusyBlock.person_id,
            func.count(),
            func.group_concat(func.substr(BusyBlock.starts_at, 1, 16), ";"),
            func.group_concat(func.substr(BusyBlock.ends_at, 1, 16), ";"),
        )
        .where(*where)
        .group_by(BusyBlock.person_id)
    ).all()
    if not rows:
        return out
    starts = _minutes_of(";".join(r[2] for r in rows))
    ends = _minutes_of(";".join(r[3] for r in rows))
    cuts = np.cumsum([r[1] for r in rows])[:-1]
    for (pid, *_), a, b in zip(rows, np.split(starts, cuts), np.split(ends, cuts), strict=True):
        out[pid] = (a, b)
    return out


def _minutes_of(joined: str) -> np.ndarray:
    return np.array(joined.split(";"), dtype="datetime64[m]").astype(np.int64)


def _epoch_minutes(column: Any, dialect: str) -> Any:
    """Whole minutes since the epoch, computed by the database (no per-row Python)."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 60), BigInteger)
    # SQLite keeps UTC as ISO text; strftime('%s') reads it as UTC seconds.
    return cast(func.strftime("%s", column), Integer) // 60


def slot_finder(
    ctx: ServiceContext,
    person_ids: Sequence[int],
    *,
    weeks: int = 2,
    start: datetime | None = None,
    ignore_meeting: int | None = None,
) -> SlotFinder:
    """A :class:`SlotFinder` loaded with these people's availability and busy time."""
    if weeks < 1 or weeks > 26:
        raise ScheduleError(f"look 1 to 26 weeks ahead, not {weeks}")
    now = ctx.now()
    begin = start or now
    horizon = Horizon.weeks_from(begin, weeks)
    people = load_people(ctx.session, person_ids)
    busy = busy_time(
        ctx.session, person_ids, horizon.start, horizon.end, ignore_meeting=ignore_meeting
    )
    needs = needs_of(ctx.session, person_ids)
    return SlotFinder(
        horizon,
        people,
        busy,
        now=now,
        notice_minutes=needs.notice_minutes,
        buffer_minutes=needs.buffer_minutes,
    )


def find_slots(
    ctx: ServiceContext,
    person_ids: Sequence[int],
    *,
    minutes: int = 45,
    weeks: int = 2,
    limit: int = 10,
    step_minutes: int = 15,
    ignore_meeting: int | None = None,
) -> list[Slot]:
    """Ranked common free slots for 2–8 people (see :mod:`.scheduling.slots` for the order)."""
    ids = list(dict.fromkeys(person_ids))
    finder = checked_finder(ctx, ids, minutes=minutes, weeks=weeks, ignore_meeting=ignore_meeting)
    return finder.common(ids, minutes, limit=limit, step_minutes=step_minutes)


def checked_finder(
    ctx: ServiceContext,
    person_ids: Sequence[int],
    *,
    minutes: int,
    weeks: int = 2,
    ignore_meeting: int | None = None,
) -> SlotFinder:
    """:func:`slot_finder` for 2–8 people and a 15-minute to 8-hour session, so a caller
    can both ask it for slots and, when there are none, ask it why (:mod:`.explain`)."""
    ids = list(dict.fromkeys(person_ids))
    if not 2 <= len(ids) <= 8:
        raise ScheduleError(f"find slots for 2 to 8 different people, not {len(ids)}")
    if not 15 <= minutes <= 8 * 60:
        raise ScheduleError(f"a session lasts 15 minutes to 8 hours, not {minutes} minutes")
    return slot_finder(ctx, ids, weeks=weeks, ignore_meeting=ignore_meeting)


def people_by_email(session: Session, emails: Sequence[str]) -> list[int]:
    """Person ids for e-mail addresses (case-insensitive), naming the first unknown one."""
    wanted = [e.strip().lower() for e in emails]
    rows = dict(
        session.execute(select(Person.email, Person.id).where(Person.email.in_(wanted))).all()
    )
    found = {k.lower(): v for k, v in rows.items()}
    for email in wanted:
        if email not in found:
            # Some rows may have been stored with capitals: one slower lookup before giving up.
            row = session.scalar(select(Person.id).where(Person.email.ilike(email)))
            if row is None:
                raise ScheduleError(f"no person with e-mail {email!r}")
            found[email] = row
    return [found[e] for e in wanted]


def first_slots_for_unscheduled(
    ctx: ServiceContext, program_id: int, *, minutes: int = 45, weeks: int = 2
) -> dict[int, Slot | None]:
    """The best first slot for every active pair of a program with no session yet.

    One finder for everyone involved, so each person's availability and busy time are
    computed once however many pairs they are in.
    """
    pairs = ctx.session.execute(
        select(Mentorship.id, Mentorship.mentor_id, Mentorship.mentee_id).where(
            Mentorship.program_id == program_id,
            Mentorship.status == MentorshipStatus.ACTIVE,
            ~Mentorship.meetings.any(Meeting.status != MeetingStatus.CANCELLED),
        )
    ).all()
    if not pairs:
        return {}
    ids = sorted({p for _, a, b in pairs for p in (a, b)})
    finder = slot_finder(ctx, ids, weeks=weeks)
    found = finder.first_for_pairs([(mentor, mentee) for _, mentor, mentee in pairs], minutes)
    return {
        mid: None if index is None else finder.describe([mentor, mentee], index, minutes)
        for (mid, mentor, mentee), index in zip(pairs, found, strict=True)
    }


def group_members(ctx: ServiceContext, program_id: int, group_key: str) -> list[int]:
    """Everyone in a running group (a mentor with their mentees, or a peer circle).

    A group is the running mentorships of a program that share ``group_key``; its members
    are the people on either side of them, in a stable order (by id).
    """
    rows = ctx.session.execute(
        select(Mentorship.mentor_id, Mentorship.mentee_id).where(
            Mentorship.program_id == program_id,
            Mentorship.group_key == group_key,
            Mentorship.status.in_((MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)),
        )
    ).all()
    members = sorted({p for row in rows for p in row})
    if not members:
        raise ScheduleError(f"no running group {group_key!r} in program {program_id}")
    return members


def find_group_slots(
    ctx: ServiceContext,
    program_id: int,
    group_key: str,
    *,
    minutes: int = 60,
    weeks: int = 2,
    limit: int = 10,
) -> list[Slot]:
    """Ranked common slots for a whole group (3–8 people), as for a pair."""
    return find_slots(
        ctx, group_members(ctx, program_id, group_key), minutes=minutes, weeks=weeks, limit=limit
    )
