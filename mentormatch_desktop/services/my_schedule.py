"""A person's schedule as the desktop's Schedule screen shows and edits it.

Read: weekly availability, dated exceptions, preferred hours, sessions (upcoming and past,
with whose move it is) and calendar connections, for the signed-in participant or, for a
coordinator, a person they choose. Write: the weekly grid and exceptions. Find a time: the
common free slots of one mentorship, seen from one side.

On PostgreSQL a participant cannot read their partner's availability or calendar; the
partner's side of "find a time" comes from ``mm_partner_free_busy()`` (a definer function
that answers free/busy only, for a member of the mentorship). Everything else reads what
row-level security shows the caller, so the same code serves both backends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

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
from mentormatch_desktop.scheduling.explain import NoFit, explain_no_fit
from mentormatch_desktop.scheduling.recurrence import occurrences
from mentormatch_desktop.scheduling.zones import epoch_minutes, zone
from mentormatch_desktop.services import schedule
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import sees_only_some_people
from mentormatch_desktop.storage.models import (
    AvailabilityException,
    AvailabilitySlot,
    BusyBlock,
    CalendarConnection,
    Meeting,
    MeetingAttendee,
    Mentorship,
    Person,
    Program,
    SchedulingPreference,
    SessionLog,
    Thread,
)


class MyScheduleError(ValueError):
    """The request cannot be served as asked; the message says why."""


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    first_day: date
    last_day: date
    available: bool
    start_minute: int | None
    end_minute: int | None
    note: str


@dataclass(frozen=True)
class SessionRow:
    """One session as the person sees it."""

    id: int
    mentorship_id: int
    partner: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    agenda: str
    video_link: str
    recurring: bool
    proposed_by_me: bool
    awaiting_me: bool  # a proposal the other side made: accept, decline or counter
    logged_by_me: bool
    # Group sessions (one meeting, several attendees): where each stands, mine included.
    is_group: bool = False
    organised_by_me: bool = False
    my_response: str | None = None
    attendees: tuple[tuple[str, str], ...] = ()  # (name, response), the organiser first
    attendee_ids: tuple[int, ...] = ()
    # What the others wrote for everyone after the session: (author, shared notes). Never
    # their private notes (on PostgreSQL read through the shared_session_logs view).
    shared_notes: tuple[tuple[str, str], ...] = ()

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def can_log(self, now: datetime) -> bool:
        return (
            not self.logged_by_me
            and self.starts_at <= now
            and self.status
            in (MeetingStatus.SCHEDULED.value, MeetingStatus.HELD.value, MeetingStatus.MISSED.value)
        )


@dataclass(frozen=True)
class PairRow:
    """A running mentorship of the person, with whom."""

    id: int
    program: str
    partner: str
    partner_id: int
    my_side: str


@dataclass(frozen=True)
class ConnectionRow:
    id: int
    provider: str
    account: str
    settings: dict[str, Any]
    last_synced_at: datetime | None
    last_error: str
    busy_blocks: int


@dataclass(frozen=True)
class WeekItem:
    """Something in the person's current week: a session or calendar busy time (UTC)."""

    kind: str  # "session" or "busy"
    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class MySchedule:
    person_id: int
    full_name: str
    time_zone: str
    weekly: tuple[tuple[int, int, int], ...]  # (weekday, start_minute, end_minute), local
    exceptions: tuple[ExceptionRow, ...]
    working_hours: tuple[int, int]
    sessions: tuple[SessionRow, ...]
    pairs: tuple[PairRow, ...]
    connections: tuple[ConnectionRow, ...]
    now: datetime
    week: tuple[WeekItem, ...] = ()  # the current local week, Monday to Sunday

    @property
    def upcoming(self) -> list[SessionRow]:
        return [s for s in self.sessions if s.ends_at >= self.now]

    @property
    def past(self) -> list[SessionRow]:
        return sorted(
            (s for s in self.sessions if s.ends_at < self.now),
            key=lambda s: -s.starts_at.timestamp(),
        )


# ----------------------------------------------------------------- whose schedule
def person_for(ctx: ServiceContext, person_id: int | None = None) -> int:
    """The person whose schedule is meant: the signed-in one, or (coordinators) anyone."""
    if person_id is None or person_id == ctx.actor.person_id:
        if ctx.actor.person_id is None:
            raise MyScheduleError("this login is not linked to a person: choose whose schedule")
        return ctx.actor.person_id
    if not ctx.actor.is_coordinator:
        raise MyScheduleError("only a coordinator may open someone else's schedule")
    return person_id


def person_by_email(ctx: ServiceContext, email: str) -> int:
    """A person id for an e-mail address (coordinators choosing whose schedule to open)."""
    try:
        return schedule.people_by_email(ctx.session, [email])[0]
    except schedule.ScheduleError as exc:
        raise MyScheduleError(str(exc)) from exc


def _names(ctx: ServiceContext, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    if ctx.session.get_bind().dialect.name == "postgresql" and not ctx.actor.is_coordinator:
        rows = ctx.session.execute(
            sa.text("SELECT id, full_name FROM mm_person_names(:ids)"),
            {"ids": sorted(ids)},
        )
    else:
        rows = ctx.session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))
    return {int(i): str(n) for i, n in rows}


def my_schedule(ctx: ServiceContext, person_id: int | None = None) -> MySchedule:
    """Everything the Schedule screen shows for one person (read-only)."""
    me = person_for(ctx, person_id)
    person = ctx.session.get(Person, me)
    if person is None:
        raise MyScheduleError(f"person {me} is not visible to this login")
    weekly = tuple(
        (int(d), int(a), int(b))
        for d, a, b in ctx.session.execute(
            select(
                AvailabilitySlot.weekday, AvailabilitySlot.start_minute, AvailabilitySlot.end_minute
            )
            .where(AvailabilitySlot.person_id == me)
            .order_by(AvailabilitySlot.weekday, AvailabilitySlot.start_minute)
        )
    )
    exceptions = tuple(
        ExceptionRow(
            x.id, x.first_day, x.last_day, x.available, x.start_minute, x.end_minute, x.note
        )
        for x in ctx.session.scalars(
            select(AvailabilityException)
            .where(AvailabilityException.person_id == me)
            .order_by(AvailabilityException.first_day)
        )
    )
    pref = ctx.session.get(SchedulingPreference, me)
    hours = (pref.work_start_minute, pref.work_end_minute) if pref else (9 * 60, 17 * 60)
    mine = sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me)
    pair_rows = ctx.session.execute(
        select(Mentorship, Program.name)
        .join(Program, Program.id == Mentorship.program_id)
        .where(mine)
        .order_by(Mentorship.started_at.desc())
    ).all()
    partner_of = {m.id: (m.mentee_id if m.mentor_id == me else m.mentor_id) for m, _ in pair_rows}
    names = _names(ctx, set(partner_of.values()))
    pairs = tuple(
        PairRow(m.id, program, names.get(partner_of[m.id], "—"), partner_of[m.id],
                "mentor" if m.mentor_id == me else "mentee")
        for m, program in pair_rows
        if m.status == MentorshipStatus.ACTIVE
    )  # fmt: skip
    invited = dict(
        ctx.session.execute(
            select(MeetingAttendee.meeting_id, MeetingAttendee.response).where(
                MeetingAttendee.person_id == me
            )
        ).all()
    )
    meetings = ctx.session.scalars(
        select(Meeting)
        .where(
            sa.or_(
                sa.and_(Meeting.mentorship_id.in_(list(partner_of)), Meeting.is_group.is_(False)),
                Meeting.id.in_(list(invited)),
            )
        )
        .order_by(Meeting.starts_at)
    ).all()
    groups, group_ids = _group_rows(ctx, me, [g.id for g in meetings if g.is_group])
    notes = shared_notes_of(ctx, me, [g.id for g in meetings if g.ends_at < ctx.now()])
    logged = set(
        ctx.session.scalars(
            select(SessionLog.meeting_id).where(
                SessionLog.author_id == me, SessionLog.meeting_id.in_([g.id for g in meetings])
            )
        )
    )
    sessions = tuple(
        SessionRow(
            id=g.id,
            mentorship_id=g.mentorship_id,
            partner=_with(g, me, groups, names, partner_of),
            starts_at=g.starts_at,
            ends_at=g.ends_at,
            time_zone=g.time_zone,
            status=MeetingStatus(g.status).value,
            agenda=g.agenda,
            video_link=g.video_link,
            recurring=bool(g.rrule),
            proposed_by_me=g.proposed_by_id == me,
            awaiting_me=(
                invited.get(g.id) == "needs-action"
                and MeetingStatus(g.status) == MeetingStatus.SCHEDULED
                and g.ends_at >= ctx.now()
            )
            if g.is_group
            else MeetingStatus(g.status) == MeetingStatus.PROPOSED
            and g.proposed_by_id not in (None, me),
            logged_by_me=g.id in logged,
            is_group=g.is_group,
            organised_by_me=g.organiser_id == me,
            my_response=invited.get(g.id),
            attendees=groups.get(g.id, ()),
            attendee_ids=group_ids.get(g.id, ()),
            shared_notes=notes.get(g.id, ()),
        )
        for g in meetings
    )
    return MySchedule(
        week=_this_week(ctx, me, person.time_zone, meetings, names, partner_of),
        person_id=me,
        full_name=person.full_name,
        time_zone=person.time_zone,
        weekly=weekly,
        exceptions=exceptions,
        working_hours=hours,
        sessions=sessions,
        pairs=pairs,
        connections=tuple(connections_of(ctx, me)),
        now=ctx.now(),
    )


def _with(
    g: Meeting,
    me: int,
    groups: dict[int, tuple[tuple[str, str], ...]],
    names: dict[int, str],
    partner_of: dict[int, int],
) -> str:
    """Whom a session is with: the partner, or "Group: A, B, C" (everyone but me)."""
    if not g.is_group:
        return names.get(partner_of.get(g.mentorship_id, -1), "—")
    people = [n for n, _ in groups.get(g.id, ())]
    return "Group: " + ", ".join(people[:4]) + (f" +{len(people) - 4}" if len(people) > 4 else "")


def _group_rows(
    ctx: ServiceContext, me: int, meeting_ids: list[int]
) -> tuple[dict[int, tuple[tuple[str, str], ...]], dict[int, tuple[int, ...]]]:
    """(name, response) of every other attendee of each group session (the organiser
    first), and their ids."""
    from mentormatch_desktop.services import group_sessions

    out: dict[int, tuple[tuple[str, str], ...]] = {}
    ids: dict[int, tuple[int, ...]] = {}
    for mid in meeting_ids:
        others = [a for a in group_sessions.group_info(ctx, mid).attendees if a.person_id != me]
        out[mid] = tuple(
            (a.full_name, "organiser" if a.is_organiser else a.response) for a in others
        )
        ids[mid] = tuple(a.person_id for a in others)
    return out, ids


def shared_notes_of(
    ctx: ServiceContext, me: int, meeting_ids: Sequence[int]
) -> dict[int, tuple[tuple[str, str], ...]]:
    """The shared notes the others wrote about these sessions, by meeting: never their
    private notes, and not mine (I know what I wrote).

    A participant on PostgreSQL reads ``shared_session_logs`` (row-level security keeps
    ``session_logs`` rows to their authors); elsewhere only the shared column is selected.
    """
    if not meeting_ids:
        return {}
    ids = list(meeting_ids)
    if ctx.session.get_bind().dialect.name == "postgresql" and not ctx.actor.is_coordinator:
        rows = ctx.session.execute(
            sa.text(
                "SELECT meeting_id, author_id, shared_notes FROM shared_session_logs"
                " WHERE meeting_id = ANY(:ids) AND author_id <> :me ORDER BY logged_at"
            ),
            {"ids": ids, "me": me},
        ).all()
    elif ctx.session.get_bind().dialect.name == "postgresql":
        return {}  # coordinators hold no grant on either kind of notes
    else:
        rows = ctx.session.execute(
            select(SessionLog.meeting_id, SessionLog.author_id, SessionLog.shared_notes)
            .where(SessionLog.meeting_id.in_(ids), SessionLog.author_id != me)
            .order_by(SessionLog.logged_at)
        ).all()
    rows = [r for r in rows if (r[2] or "").strip()]
    authors = _author_names(ctx, ids, {int(r[1]) for r in rows})
    out: dict[int, list[tuple[str, str]]] = {}
    for mid, author, text in rows:
        out.setdefault(int(mid), []).append((authors.get(int(author), "—"), text.strip()))
    return {k: tuple(v) for k, v in out.items()}


def _author_names(ctx: ServiceContext, meeting_ids: list[int], ids: set[int]) -> dict[int, str]:
    names = _names(ctx, ids)
    missing = ids - set(names)
    if missing and ctx.session.get_bind().dialect.name == "postgresql":
        # A circle member outside one's mentorships: named by the attendee list.
        for mid in meeting_ids:
            for pid, name in ctx.session.execute(
                sa.text("SELECT id, full_name FROM mm_meeting_people(:m)"), {"m": mid}
            ):
                if pid in missing:
                    names[int(pid)] = str(name)
    return names


def _this_week(
    ctx: ServiceContext,
    me: int,
    time_zone: str,
    meetings: Sequence[Meeting],
    names: dict[int, str],
    partner_of: dict[int, int],
) -> tuple[WeekItem, ...]:
    """Sessions (series expanded in their zone) and busy time of the current local week."""
    tz = zone(time_zone)
    monday = week_start(ctx.now(), time_zone)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
    items: list[WeekItem] = []
    live = (MeetingStatus.PROPOSED, MeetingStatus.SCHEDULED, MeetingStatus.HELD)
    for g in meetings:
        if MeetingStatus(g.status) not in live:
            continue
        if g.is_group:
            partner = "Group session"
        else:
            partner = names.get(partner_of.get(g.mentorship_id, -1), "partner")
        for occ in occurrences(
            g.starts_at, g.ends_at - g.starts_at, g.rrule, g.time_zone, start, end
        ):
            items.append(WeekItem("session", occ.start, occ.end, partner))
    for a, b in ctx.session.execute(
        select(BusyBlock.starts_at, BusyBlock.ends_at).where(
            BusyBlock.person_id == me, BusyBlock.ends_at > start, BusyBlock.starts_at < end
        )
    ):
        items.append(WeekItem("busy", a, b, "Busy"))
    return tuple(sorted(items, key=lambda i: i.start))


def connections_of(ctx: ServiceContext, person_id: int) -> list[ConnectionRow]:
    """The person's calendar connections with how their last sync went."""
    counts = dict(
        ctx.session.execute(
            sa.text(
                "SELECT connection_id, count(*) FROM busy_blocks WHERE person_id = :p"
                " GROUP BY connection_id"
            ),
            {"p": person_id},
        ).all()
    )
    return [
        ConnectionRow(
            id=c.id,
            provider=c.provider,
            account=c.account,
            settings=dict(c.settings or {}),
            last_synced_at=c.last_synced_at,
            # ``last_error`` arrives with the worker's periodic sync (migration 0007).
            last_error=str(getattr(c, "last_error", "") or ""),
            busy_blocks=int(counts.get(c.id, 0)),
        )
        for c in ctx.session.scalars(
            select(CalendarConnection)
            .where(CalendarConnection.person_id == person_id)
            .order_by(CalendarConnection.id)
        )
    ]


# ----------------------------------------------------------------- editing availability
def save_weekly_availability(
    ctx: ServiceContext,
    windows: Sequence[tuple[int, int, int]],
    *,
    person_id: int | None = None,
) -> int:
    """Replace the person's weekly windows (local wall time); returns how many are stored.

    Touching or overlapping windows of one day are merged first, so the grid the screen
    paints and the rows stored always agree.
    """
    me = person_for(ctx, person_id)
    try:
        checked = [WeeklyWindow(int(d), int(a), int(b)) for d, a, b in windows]
    except ValueError as exc:
        raise MyScheduleError(str(exc)) from exc
    merged: list[list[int]] = []
    for w in sorted(checked, key=lambda w: (w.weekday, w.start_minute)):
        if merged and merged[-1][0] == w.weekday and w.start_minute <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], w.end_minute)
        else:
            merged.append([w.weekday, w.start_minute, w.end_minute])
    ctx.session.execute(delete(AvailabilitySlot).where(AvailabilitySlot.person_id == me))
    ctx.session.add_all(
        AvailabilitySlot(person_id=me, weekday=d, start_minute=a, end_minute=b)
        for d, a, b in merged
    )
    ctx.session.flush()
    ctx.audit("availability.save", "person", me, {"windows": len(merged)})
    return len(merged)


def add_exception(
    ctx: ServiceContext,
    first_day: date,
    last_day: date,
    *,
    available: bool = False,
    start_minute: int | None = None,
    end_minute: int | None = None,
    note: str = "",
    person_id: int | None = None,
) -> int:
    """Add time off (or extra time) on local dates; returns the exception's id."""
    me = person_for(ctx, person_id)
    try:
        DateException(first_day, last_day, available, start_minute, end_minute, note)
    except ValueError as exc:
        raise MyScheduleError(str(exc)) from exc
    row = AvailabilityException(
        person_id=me,
        first_day=first_day,
        last_day=last_day,
        available=available,
        start_minute=start_minute,
        end_minute=end_minute,
        note=note.strip(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit("availability.exception_add", "person", me, {"exception_id": row.id})
    return row.id


def remove_exception(ctx: ServiceContext, exception_id: int) -> None:
    """Remove one of the person's exceptions (row-level security keeps it to their own)."""
    row = ctx.session.get(AvailabilityException, exception_id)
    if row is None:
        raise MyScheduleError(f"no exception with id {exception_id}")
    person_for(ctx, row.person_id)
    ctx.session.delete(row)
    ctx.session.flush()
    ctx.audit(
        "availability.exception_remove", "person", row.person_id, {"exception_id": exception_id}
    )


# ----------------------------------------------------------------- find a time
@dataclass(frozen=True)
class TimeChoice:
    """Common free slots of one mentorship, the viewer's view first in every slot."""

    mentorship_id: int
    viewer_id: int
    partner_id: int
    partner: str
    viewer_zone: str
    partner_zone: str
    minutes: int
    slots: tuple[Slot, ...]
    #: Why there are no slots (``None`` when there are): the dialog says it and offers
    #: the action that fixes it.
    no_fit: NoFit | None = None
    #: The pair's conversation, when there is one: "Message them" after nothing fitted.
    thread_id: int | None = None


def _viewer(ctx: ServiceContext, ms: Mentorship, as_person: int | None) -> int:
    if as_person is not None:
        if as_person not in (ms.mentor_id, ms.mentee_id):
            raise MyScheduleError(f"person {as_person} is not part of mentorship {ms.id}")
        return person_for(ctx, as_person)
    if ctx.actor.person_id in (ms.mentor_id, ms.mentee_id):
        return ctx.actor.person_id  # type: ignore[return-value]
    if ctx.actor.is_coordinator:
        return ms.mentee_id
    raise MyScheduleError(f"mentorship {ms.id} is not yours")


def find_a_time(
    ctx: ServiceContext,
    mentorship_id: int,
    *,
    minutes: int = 45,
    weeks: int = 2,
    limit: int = 12,
    as_person: int | None = None,
    ignore_meeting: int | None = None,
) -> TimeChoice:
    """Ranked common free slots of both people of ``mentorship_id``, for one of them."""
    ms = ctx.session.get(Mentorship, mentorship_id)
    if ms is None:
        raise MyScheduleError(f"no mentorship with id {mentorship_id}")
    viewer = _viewer(ctx, ms, as_person)
    partner = ms.mentee_id if viewer == ms.mentor_id else ms.mentor_id
    names = _names(ctx, {partner})
    # Row-level security in force hides the partner's row: ask the definer function for
    # their free/busy instead (an owner connection acting as a participant reads tables).
    restricted = (
        ctx.session.get_bind().dialect.name == "postgresql"
        and not ctx.actor.is_coordinator
        and ctx.session.scalar(select(Person.id).where(Person.id == partner)) is None
    )
    try:
        if restricted:
            finder = _finder_through_free_busy(
                ctx, ms.id, viewer, partner, minutes, weeks, ignore_meeting, names
            )
        else:
            finder = schedule.checked_finder(
                ctx, [viewer, partner], minutes=minutes, weeks=weeks, ignore_meeting=ignore_meeting
            )
    except schedule.ScheduleError as exc:
        raise MyScheduleError(str(exc)) from exc
    slots = finder.common([viewer, partner], minutes, limit=limit)
    no_fit = None if slots else explain_no_fit(finder, [viewer, partner], minutes, viewer_id=viewer)
    first = slots[0].people if slots else ()
    zones = {v.person_id: v.time_zone for v in first}
    if not zones:
        people = {p.person_id: p.time_zone for p in _zones(ctx, ms.id, viewer, partner)}
        zones = people
    return TimeChoice(
        mentorship_id=ms.id,
        viewer_id=viewer,
        partner_id=partner,
        partner=names.get(partner, "your partner"),
        viewer_zone=zones.get(viewer, "UTC"),
        partner_zone=zones.get(partner, "UTC"),
        minutes=minutes,
        slots=tuple(slots),
        no_fit=no_fit,
        thread_id=(
            None
            if slots
            else ctx.session.scalar(select(Thread.id).where(Thread.mentorship_id == ms.id))
        ),
    )


@dataclass(frozen=True)
class _Zone:
    person_id: int
    time_zone: str


def _zones(ctx: ServiceContext, ms_id: int, viewer: int, partner: int) -> list[_Zone]:
    me = ctx.session.get(Person, viewer)
    out = [_Zone(viewer, me.time_zone if me else "UTC")]
    if ctx.session.get_bind().dialect.name == "postgresql" and not ctx.actor.is_coordinator:
        tz = ctx.session.execute(
            sa.text("SELECT time_zone FROM directory WHERE id = :p"), {"p": partner}
        ).scalar()
    else:
        tz = ctx.session.scalar(select(Person.time_zone).where(Person.id == partner))
    out.append(_Zone(partner, tz or "UTC"))
    return out


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _finder_through_free_busy(
    ctx: ServiceContext,
    ms_id: int,
    viewer: int,
    partner: int,
    minutes: int,
    weeks: int,
    ignore_meeting: int | None,
    names: dict[int, str],
) -> SlotFinder:
    """The slot finder with the partner's side from ``mm_partner_free_busy()``."""
    if not 15 <= minutes <= 8 * 60:
        raise MyScheduleError(f"a session lasts 15 minutes to 8 hours, not {minutes} minutes")
    if not 1 <= weeks <= 26:
        raise MyScheduleError(f"look 1 to 26 weeks ahead, not {weeks}")
    now = ctx.now()
    horizon = Horizon.weeks_from(now, weeks)
    own = schedule.load_people(ctx.session, [viewer])[0]
    other, spans, prefs = _partner_side(ctx, ms_id, partner, horizon, names)
    busy = schedule.busy_time(
        ctx.session, [viewer, partner], horizon.start, horizon.end, ignore_meeting=ignore_meeting
    )
    _add_spans(busy, partner, spans)
    needs = schedule.needs_of(ctx.session, [viewer])
    notice = max(needs.notice_minutes, int(prefs[3]) if prefs else schedule.DEFAULT_NOTICE_MINUTES)
    buffer = max(needs.buffer_minutes, int(prefs[4]) if prefs else schedule.DEFAULT_BUFFER_MINUTES)
    return SlotFinder(
        horizon, [own, other], busy, now=now, notice_minutes=notice, buffer_minutes=buffer
    )


def _add_spans(busy: dict[int, Any], person: int, spans: list[tuple[int, int]]) -> None:
    if spans:
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        old_s, old_e = busy.get(person, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        busy[person] = (np.concatenate([old_s, arr[:, 0]]), np.concatenate([old_e, arr[:, 1]]))


def _partner_side(
    ctx: ServiceContext, ms_id: int, partner: int, horizon: Horizon, names: dict[int, str]
) -> tuple[PersonAvailability, list[tuple[int, int]], list[Any] | None]:
    """A partner's availability, busy spans (epoch minutes) and preferences, from
    ``mm_partner_free_busy()`` (free/busy only, for a member of the mentorship)."""
    raw = ctx.session.execute(
        sa.text("SELECT mm_partner_free_busy(:m, :a, :b)"),
        {"m": ms_id, "a": horizon.start, "b": horizon.end},
    ).scalar_one()
    doc = raw if isinstance(raw, dict) else json.loads(raw)
    prefs = doc.get("preferences")
    hours = (
        WorkingHours(
            int(prefs[0]), int(prefs[1]),
            frozenset(int(d) for d in str(prefs[2]).split(",") if d.strip()),
        )
        if prefs
        else WorkingHours()
    )  # fmt: skip
    other = PersonAvailability(
        partner,
        doc["time_zone"],
        tuple(WeeklyWindow(int(d), int(a), int(b)) for d, a, b in doc["weekly"]),
        tuple(
            DateException(
                date.fromisoformat(f), date.fromisoformat(t), bool(av),
                None if s is None else int(s), None if e is None else int(e),
            )
            for f, t, av, s, e in doc["exceptions"]
        ),
        hours,
        label=names.get(partner, "partner"),
    )  # fmt: skip
    spans = [(epoch_minutes(_when(a)), epoch_minutes(_when(b))) for a, b in doc["busy"]]
    for start, end, rule, tz in doc["sessions"]:
        first, last = _when(start), _when(end)
        for occ in occurrences(first, last - first, rule, tz, horizon.start, horizon.end):
            spans.append((epoch_minutes(occ.start), epoch_minutes(occ.end)))
    return other, spans, prefs


# ----------------------------------------------------------------- a group session
@dataclass(frozen=True)
class GroupChoices:
    """Whom a person may invite to a group session: partners and the members of their
    groups (a mentor with mentees, a peer circle) — as far as this login may see them."""

    viewer_id: int
    people: tuple[tuple[int, str], ...]  # (person id, name), not the viewer
    groups: tuple[tuple[str, int, str, tuple[int, ...]], ...]  # (label, program, key, members)


def group_choices(ctx: ServiceContext, as_person: int | None = None) -> GroupChoices:
    me = person_for(ctx, as_person)
    mine = ctx.session.execute(
        select(Mentorship, Program.name)
        .join(Program, Program.id == Mentorship.program_id)
        .where(
            sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me),
            Mentorship.status == MentorshipStatus.ACTIVE,
        )
    ).all()
    ids: dict[int, None] = {}
    groups = []
    for m, _program in mine:
        ids[m.mentee_id if m.mentor_id == me else m.mentor_id] = None
    for key, program_id, program in sorted(
        {(m.group_key, m.program_id, program) for m, program in mine if m.group_key}
    ):
        try:
            members = tuple(p for p in schedule.group_members(ctx, program_id, key) if p != me)
        except schedule.ScheduleError:
            continue
        for p in members:
            ids[p] = None
        if len(members) >= 2:
            groups.append((f"Group {key} ({program})", program_id, key, members))
    names = _names(ctx, set(ids))
    people = tuple(sorted(((p, names.get(p, f"person {p}")) for p in ids), key=lambda x: x[1]))
    return GroupChoices(me, people, tuple(groups))


@dataclass(frozen=True)
class GroupTimeChoice:
    viewer_id: int
    people: tuple[tuple[int, str, str], ...]  # (id, name, zone), the viewer first
    minutes: int
    slots: tuple[Slot, ...]
    no_fit: NoFit | None = None  # why there are no slots, as for a pair


def find_group_time(
    ctx: ServiceContext,
    person_ids: Sequence[int],
    *,
    minutes: int = 60,
    weeks: int = 2,
    limit: int = 12,
    as_person: int | None = None,
    ignore_meeting: int | None = None,
) -> GroupTimeChoice:
    """Ranked common slots for the viewer and 2–7 others (a group session).

    A participant on PostgreSQL sees only their partners' free/busy (through
    ``mm_partner_free_busy()``, one mentorship each); elsewhere the finder reads everyone.
    """
    me = person_for(ctx, as_person)
    others = [p for p in dict.fromkeys(person_ids) if p != me]
    if not 2 <= len(others) <= 7:
        raise MyScheduleError(
            f"a group session is for 3 to 8 people with you; {len(others) + 1} chosen"
        )
    if not 15 <= minutes <= 8 * 60:
        raise MyScheduleError(f"a session lasts 15 minutes to 8 hours, not {minutes} minutes")
    everyone = [me, *others]
    names = _names(ctx, set(others))
    # Row-level security in force (a participant's own login): partners' free/busy only.
    restricted = sees_only_some_people(ctx.session)
    try:
        if not restricted:
            finder = schedule.checked_finder(
                ctx, everyone, minutes=minutes, weeks=weeks, ignore_meeting=ignore_meeting
            )
        else:
            finder = _group_finder_through_free_busy(ctx, me, others, weeks, ignore_meeting, names)
    except schedule.ScheduleError as exc:
        raise MyScheduleError(str(exc)) from exc
    slots = finder.common(everyone, minutes, limit=limit)
    no_fit = None if slots else explain_no_fit(finder, everyone, minutes, viewer_id=me)
    zones = {v.person_id: v.time_zone for v in slots[0].people} if slots else {}
    if not zones:
        for p in schedule.load_people(ctx.session, [me]):
            zones[p.person_id] = p.time_zone
    mine = ctx.session.get(Person, me)
    names[me] = mine.full_name if mine else "you"
    return GroupTimeChoice(
        me,
        tuple((p, names.get(p, "—"), zones.get(p, "UTC")) for p in everyone),
        minutes,
        tuple(slots),
        no_fit,
    )


def _group_finder_through_free_busy(
    ctx: ServiceContext,
    me: int,
    others: list[int],
    weeks: int,
    ignore_meeting: int | None,
    names: dict[int, str],
) -> SlotFinder:
    if not 1 <= weeks <= 26:
        raise MyScheduleError(f"look 1 to 26 weeks ahead, not {weeks}")
    ms_of = {
        (m.mentee_id if m.mentor_id == me else m.mentor_id): m.id
        for m in ctx.session.scalars(
            select(Mentorship).where(
                sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me),
                Mentorship.status.in_((MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)),
            )
        )
    }
    strangers = [p for p in others if p not in ms_of]
    if strangers:
        raise MyScheduleError(
            "on a shared database you see the free time of your own mentoring partners only; "
            "ask a coordinator to book a circle beyond them"
        )
    now = ctx.now()
    horizon = Horizon.weeks_from(now, weeks)
    people = [schedule.load_people(ctx.session, [me])[0]]
    busy = schedule.busy_time(
        ctx.session, [me, *others], horizon.start, horizon.end, ignore_meeting=ignore_meeting
    )
    needs = schedule.needs_of(ctx.session, [me])
    notice, buffer = needs.notice_minutes, needs.buffer_minutes
    for p in others:
        other, spans, prefs = _partner_side(ctx, ms_of[p], p, horizon, names)
        people.append(other)
        _add_spans(busy, p, spans)
        notice = max(notice, int(prefs[3]) if prefs else schedule.DEFAULT_NOTICE_MINUTES)
        buffer = max(buffer, int(prefs[4]) if prefs else schedule.DEFAULT_BUFFER_MINUTES)
    return SlotFinder(horizon, people, busy, now=now, notice_minutes=notice, buffer_minutes=buffer)


# ----------------------------------------------------------------- for screenshots
def showcase_person(ctx: ServiceContext) -> tuple[int, str] | None:
    """A participant whose Schedule has something to show (``--screenshots``): sessions
    both ahead and behind, with a running partner in another time zone. The lowest id of
    those, so the same demo always gives the same person: ``(id, e-mail)``, or ``None``
    when nobody qualifies.
    """
    now = ctx.now()
    mentor, mentee = aliased(Person), aliased(Person)
    rows = ctx.session.execute(
        select(Mentorship.mentor_id, Mentorship.mentee_id, Meeting.starts_at)
        .join(Meeting, Meeting.mentorship_id == Mentorship.id)
        .join(mentor, mentor.id == Mentorship.mentor_id)
        .join(mentee, mentee.id == Mentorship.mentee_id)
        .where(
            Mentorship.status == MentorshipStatus.ACTIVE,
            mentor.time_zone != mentee.time_zone,
            Meeting.status != MeetingStatus.CANCELLED,
        )
    ).all()
    ahead: set[int] = set()
    behind: set[int] = set()
    for a, b, starts in rows:
        (ahead if _aware(starts) >= now else behind).update((a, b))
    both = sorted(ahead & behind)
    if not both:
        return None
    email = ctx.session.scalar(select(Person.email).where(Person.id == both[0]))
    return both[0], str(email)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def nothing_fits_example(
    ctx: ServiceContext, person_id: int | None = None
) -> tuple[int, int, int] | None:
    """``(mentorship, minutes, weeks)`` for which the person's Find a time finds nothing
    today, searched as the dialog would (their pairs by id, the longest length and the
    shortest look-ahead first); ``None`` when every search finds a slot. Only reads."""
    me = person_for(ctx, person_id)
    pairs = ctx.session.scalars(
        select(Mentorship.id)
        .where(
            sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me),
            Mentorship.status == MentorshipStatus.ACTIVE,
        )
        .order_by(Mentorship.id)
    ).all()
    for weeks in (1, 2):
        for minutes in (90, 60, 45):
            for ms in pairs:
                choice = find_a_time(ctx, ms, minutes=minutes, weeks=weeks, as_person=person_id)
                if not choice.slots:
                    return ms, minutes, weeks
    return None


def local_time(instant: datetime, time_zone: str) -> datetime:
    """``instant`` on the wall clock of ``time_zone`` (for screens and tests)."""
    return instant.astimezone(zone(time_zone))


def week_start(now: datetime, time_zone: str) -> date:
    """Monday of the week containing ``now`` in ``time_zone``."""
    local = local_time(now, time_zone).date()
    return local - timedelta(days=local.weekday())
