"""Group sessions: one meeting for a peer circle or a mentor with several mentees.

A group session is ONE ``meetings`` row — one ICS UID, one SEQUENCE, one event in every
attendee's calendar — with a ``meeting_attendees`` row per person and their answer
(iTIP PARTSTAT: needs-action, accepted, declined, tentative). It is not a meeting per pair:
N pair rows would put N copies of the same hour in each calendar and could drift apart.

The organiser books the time (the session is ``scheduled`` at once, as a calendar invitation
is) and every attendee answers for themselves; moving the time resets the answers, and only
the organiser (or a coordinator acting for them) moves or cancels it. The meeting hangs on
one of the organiser's own mentorships in the group (``mentorship_id``: its programme and
the organiser's write access come from there); attendees who are not in that mentorship
read it through ``meeting_attendees`` (row-level security on PostgreSQL, see
``storage/security/89_group_sessions.sql``).

Every step writes, in the caller's unit of work, the acting person's engagement event on
their own mentorship in the group, and a ``session_notices`` row whose message goes to the
session's own conversation; reminders are per attendee (:mod:`.session_notices`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select

from mentormatch_desktop.domain.enums import EngagementKind, MeetingStatus, MentorshipStatus
from mentormatch_desktop.scheduling.ics import Attendee, SessionEvent
from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import sees_only_some_people
from mentormatch_desktop.services.sessions import SessionError, SessionInfo
from mentormatch_desktop.storage.models import (
    ATTENDEE_RESPONSES,
    Meeting,
    MeetingAttendee,
    Mentorship,
    Person,
)

#: A group is 3 to 8 people, the organiser included (a pair books a pair session).
MIN_PEOPLE, MAX_PEOPLE = 3, 8
ANSWERS = ("accepted", "declined", "tentative")
_RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
_EVENT_OF = {
    "accepted": EngagementKind.SESSION_SCHEDULED,
    "declined": EngagementKind.SESSION_DECLINED,
}


@dataclass(frozen=True)
class AttendeeInfo:
    person_id: int
    full_name: str
    email: str
    time_zone: str
    response: str
    responded_at: datetime | None
    is_organiser: bool


@dataclass(frozen=True)
class GroupSessionInfo:
    """A group session and where every attendee stands."""

    session: SessionInfo
    group_key: str | None
    organiser_id: int
    attendees: tuple[AttendeeInfo, ...]

    @property
    def id(self) -> int:
        return self.session.id

    def response_of(self, person_id: int) -> str | None:
        return next((a.response for a in self.attendees if a.person_id == person_id), None)


# ----------------------------------------------------------------- reading
@dataclass(frozen=True)
class _Person:
    id: int
    full_name: str
    email: str
    time_zone: str


def _people(ctx: ServiceContext, meeting_id: int) -> dict[int, _Person]:
    """Name, e-mail and zone of every attendee.

    A participant on PostgreSQL may not read the ``people`` row of a circle member they
    have no mentorship with: ``mm_meeting_people()`` answers, for attendees only.
    """
    if sees_only_some_people(ctx.session):
        rows = ctx.session.execute(
            sa.text("SELECT id, full_name, email, time_zone FROM mm_meeting_people(:m)"),
            {"m": meeting_id},
        ).all()
    else:
        rows = ctx.session.execute(
            select(Person.id, Person.full_name, Person.email, Person.time_zone)
            .join(MeetingAttendee, MeetingAttendee.person_id == Person.id)
            .where(MeetingAttendee.meeting_id == meeting_id)
        ).all()
    return {r.id: _Person(r.id, r.full_name, r.email or "", r.time_zone or "UTC") for r in rows}


def _rows(ctx: ServiceContext, meeting_id: int) -> list[MeetingAttendee]:
    return list(
        ctx.session.scalars(
            select(MeetingAttendee)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(MeetingAttendee.is_organiser.desc(), MeetingAttendee.person_id)
        )
    )


def attendee_ids(ctx: ServiceContext, meeting: Meeting) -> list[int]:
    """Everyone invited to ``meeting`` (the organiser first)."""
    return [a.person_id for a in _rows(ctx, meeting.id)]


def group_info(ctx: ServiceContext, meeting_id: int) -> GroupSessionInfo:
    """A group session as its attendees (and coordinators) see it."""
    meeting = ctx.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.is_group:
        raise SessionError(f"no group session with id {meeting_id}")
    return _info(ctx, meeting)


def _info(ctx: ServiceContext, meeting: Meeting) -> GroupSessionInfo:
    people = _people(ctx, meeting.id)
    attendees = tuple(
        AttendeeInfo(
            a.person_id,
            people[a.person_id].full_name if a.person_id in people else "—",
            people[a.person_id].email if a.person_id in people else "",
            people[a.person_id].time_zone if a.person_id in people else "UTC",
            a.response,
            a.responded_at,
            a.is_organiser,
        )
        for a in _rows(ctx, meeting.id)
    )
    return GroupSessionInfo(
        sessions._info(meeting), meeting.group_key, meeting.organiser_id, attendees
    )


def group_event(ctx: ServiceContext, meeting: Meeting) -> SessionEvent:
    """The calendar event of a group session: one ATTENDEE line per invitee with PARTSTAT."""
    people = _people(ctx, meeting.id)
    rows = _rows(ctx, meeting.id)
    organiser = people[meeting.organiser_id]
    others = [a for a in rows if a.person_id != meeting.organiser_id and a.person_id in people]
    names = ", ".join(people[a.person_id].full_name for a in rows if a.person_id in people)
    title = f"Group session {meeting.group_key}" if meeting.group_key else "Group session"
    return sessions.meeting_event(
        ctx,
        meeting,
        summary=f"{title}: {names}",
        organizer=Attendee(organiser.full_name, organiser.email),
        attendees=tuple(
            Attendee(
                people[a.person_id].full_name,
                people[a.person_id].email,
                a.response.upper(),
            )
            for a in others
        ),
        cancelled=MeetingStatus(meeting.status) == MeetingStatus.CANCELLED,
    )


# ----------------------------------------------------------------- who may act
def _organiser(ctx: ServiceContext, as_person: int | None) -> int:
    if as_person is not None and as_person != ctx.actor.person_id:
        if not ctx.actor.is_coordinator:
            raise SessionError("only a coordinator may act for another person")
        return as_person
    if ctx.actor.person_id is None:
        raise SessionError("say who organises the group session (as_person)")
    return ctx.actor.person_id


def attending_person(ctx: ServiceContext, meeting: Meeting, as_person: int | None) -> int:
    """The acting attendee (a coordinator may act for one); anyone else is refused."""
    person = _organiser(ctx, as_person)
    found = ctx.session.get(MeetingAttendee, (meeting.id, person))
    if found is None:
        raise SessionError(f"person {person} is not invited to group session {meeting.id}")
    return person


def _organiser_of(ctx: ServiceContext, meeting: Meeting, as_person: int | None) -> int:
    person = _organiser(ctx, as_person)
    if person != meeting.organiser_id:
        raise SessionError(f"only the organiser of group session {meeting.id} moves or cancels it")
    return person


def own_mentorship(ctx: ServiceContext, meeting: Meeting, person: int) -> Mentorship:
    """The mentorship an attendee's activity about ``meeting`` is counted on.

    The anchor when they are in it; otherwise their own running mentorship in the same
    group, else one with another attendee, else any running one of theirs. Engagement
    events, feedback and milestones then land where that person's analytics look.
    """
    anchor = ctx.session.get(Mentorship, meeting.mentorship_id)
    if anchor is not None and person in (anchor.mentor_id, anchor.mentee_id):
        return anchor
    others = [p for p in attendee_ids(ctx, meeting) if p != person]
    partner = sa.case(
        (Mentorship.mentor_id == person, Mentorship.mentee_id), else_=Mentorship.mentor_id
    )
    same_group = Mentorship.group_key == meeting.group_key if meeting.group_key else sa.false()
    rank = sa.case((same_group, 0), (partner.in_(others), 1), else_=2)
    found = ctx.session.scalar(
        select(Mentorship)
        .where(
            (Mentorship.mentor_id == person) | (Mentorship.mentee_id == person),
            Mentorship.status.in_(_RUNNING),
        )
        .order_by(rank, Mentorship.id)
        .limit(1)
    )
    if found is None:
        raise SessionError(f"person {person} has no running mentorship to count this session on")
    return found


def _eligible(
    ctx: ServiceContext, organiser: int, invitees: Sequence[int], group: tuple[int, str] | None
) -> Mentorship:
    """Check that the organiser may invite these people; the mentorship to anchor on.

    Invitable: the partners of the organiser's running mentorships and, for a named group
    (programme, group key) the organiser belongs to, every member of that group. The anchor
    is the organiser's mentorship with an invitee, preferring one of the group.
    """
    mine = list(
        ctx.session.scalars(
            select(Mentorship)
            .where(
                (Mentorship.mentor_id == organiser) | (Mentorship.mentee_id == organiser),
                Mentorship.status.in_(_RUNNING),
            )
            .order_by(Mentorship.id)
        )
    )
    partners = {m.mentee_id if m.mentor_id == organiser else m.mentor_id: m for m in mine}
    members: set[int] = set()
    if group is not None:
        from mentormatch_desktop.services.schedule import ScheduleError, group_members

        program_id, key = group
        try:
            members = set(group_members(ctx, program_id, key))
        except ScheduleError as exc:
            raise SessionError(str(exc)) from exc
        if organiser not in members:
            raise SessionError(f"person {organiser} is not in group {key!r}")
    for pid in invitees:
        if pid not in partners and pid not in members:
            raise SessionError(
                f"person {pid} is neither a mentoring partner of person {organiser} "
                "nor in the chosen group"
            )
    in_group = [
        m
        for m in mine
        if group is not None and m.program_id == group[0] and m.group_key == group[1]
    ]
    with_invitee = [m for m in (in_group or mine) if partners.get(_partner(m, organiser)) is m]
    anchor = next(
        (m for m in with_invitee if _partner(m, organiser) in invitees),
        in_group[0] if in_group else None,
    )
    if anchor is None or anchor.status != MentorshipStatus.ACTIVE:
        active = [m for m in mine if m.status == MentorshipStatus.ACTIVE]
        anchor = next((m for m in active if _partner(m, organiser) in invitees), None)
    if anchor is None:
        raise SessionError(
            f"person {organiser} has no active mentorship with anyone invited to anchor the session"
        )
    return anchor


def _partner(m: Mentorship, person: int) -> int:
    return m.mentee_id if m.mentor_id == person else m.mentor_id


def _record(
    ctx: ServiceContext,
    meeting: Meeting,
    person: int,
    kind: EngagementKind,
    extra: dict[str, object] | None = None,
) -> None:
    ms = own_mentorship(ctx, meeting, person)
    payload = {"meeting_id": meeting.id, "group": True, **(extra or {})}
    sessions.record_activity(ctx, person, ms, kind, payload)


# ----------------------------------------------------------------- the steps
def propose_group_session(
    ctx: ServiceContext,
    attendee_ids: Sequence[int],
    start: datetime,
    minutes: int,
    *,
    agenda: str = "",
    video_link: str = "",
    rrule: str | None = None,
    time_zone: str | None = None,
    group: tuple[int, str] | None = None,
    as_person: int | None = None,
) -> GroupSessionInfo:
    """Invite 2–7 people (3–8 with the organiser) to one session at ``start``.

    ``group`` (programme id, group key) names the circle it is for; without it the invitees
    must be the organiser's mentoring partners. Refused when it clashes with a session any
    attendee already holds. Each invitee then accepts, declines or answers tentative.
    """
    organiser = _organiser(ctx, as_person)
    invitees = [p for p in dict.fromkeys(attendee_ids) if p != organiser]
    if not MIN_PEOPLE <= len(invitees) + 1 <= MAX_PEOPLE:
        raise SessionError(
            f"a group session is for {MIN_PEOPLE} to {MAX_PEOPLE} people with the organiser, "
            f"not {len(invitees) + 1}"
        )
    anchor = _eligible(ctx, organiser, invitees, group)
    me = ctx.session.get(Person, organiser)
    assert me is not None
    tz = time_zone or me.time_zone or "UTC"
    everyone = [organiser, *invitees]
    end, rule = sessions.check_new_time(ctx, everyone, start, minutes, time_zone=tz, rrule=rrule)
    now = ctx.now()
    meeting = sessions.new_meeting(
        organiser=organiser,
        start=start,
        end=end,
        time_zone=tz,
        rule=rule,
        status=MeetingStatus.SCHEDULED,
        agenda=agenda,
        video_link=video_link,
        mentorship_id=anchor.id,
        is_group=True,
        group_key=group[1] if group else None,
        responded_at=now,  # booked now: reminders due before this moment are skipped
    )
    ctx.session.add(meeting)
    ctx.session.flush()
    # The organiser's row first: the policy on the others asks "is it my meeting?".
    ctx.session.add(
        MeetingAttendee(
            meeting_id=meeting.id,
            person_id=organiser,
            response="accepted",
            responded_at=now,
            is_organiser=True,
            created_at=now,
        )
    )
    ctx.session.flush()
    ctx.session.add_all(
        MeetingAttendee(meeting_id=meeting.id, person_id=pid, created_at=now) for pid in invitees
    )
    ctx.session.flush()
    _record(ctx, meeting, organiser, EngagementKind.SESSION_PROPOSED, {"attendees": len(everyone)})
    ctx.audit(
        "session.group_propose",
        "meeting",
        meeting.id,
        {"start": start.isoformat(), "attendees": everyone},
    )
    sessions.notify_partner(ctx, meeting, "proposed", organiser)
    return _info(ctx, meeting)


def respond_group_session(
    ctx: ServiceContext,
    meeting_id: int,
    response: str,
    *,
    note: str = "",
    as_person: int | None = None,
) -> GroupSessionInfo:
    """An attendee's answer: ``accepted``, ``declined`` or ``tentative`` (changeable)."""
    if response not in ANSWERS:
        raise SessionError(f"answer one of {', '.join(ANSWERS)}, not {response!r}")
    meeting = sessions._meeting(ctx, meeting_id)
    if not meeting.is_group:
        raise SessionError(f"session {meeting_id} is not a group session")
    person = attending_person(ctx, meeting, as_person)
    if person == meeting.organiser_id:
        raise SessionError("the organiser answers nobody: move or cancel the session instead")
    sessions.require_open(meeting, "there is nothing to answer")
    if meeting.ends_at < ctx.now() and not meeting.rrule:
        raise SessionError(f"session {meeting.id} is over")
    row = ctx.session.get(MeetingAttendee, (meeting.id, person))
    assert row is not None
    before = row.response
    row.response, row.responded_at = response, ctx.now()
    ctx.session.flush()
    if before != response:
        kind = _EVENT_OF.get(response)
        if kind is not None:
            _record(ctx, meeting, person, kind, {"note": note} if note else None)
        ctx.audit("session.group_answer", "meeting", meeting.id, {"answer": response})
        sessions.notify_partner(ctx, meeting, response, person, attendee_id=person, note=note)
    return _info(ctx, meeting)


def reschedule_group_session(
    ctx: ServiceContext,
    meeting_id: int,
    start: datetime,
    minutes: int | None = None,
    *,
    note: str = "",
    as_person: int | None = None,
) -> GroupSessionInfo:
    """The organiser moves the session: a new SEQUENCE, and everyone answers again."""
    meeting = sessions._meeting(ctx, meeting_id)
    person = _organiser_of(ctx, meeting, as_person)
    sessions.require_open(meeting, "it cannot be moved")
    length = sessions.minutes_of(meeting, minutes)
    rows = _rows(ctx, meeting.id)
    end = sessions.check_moved_time(ctx, meeting, [a.person_id for a in rows], start, length)
    old = meeting.starts_at
    meeting.starts_at, meeting.ends_at = start, end
    meeting.sequence += 1
    meeting.responded_at = ctx.now()
    for a in rows:
        if not a.is_organiser:
            a.response, a.responded_at = "needs-action", None
    ctx.session.flush()
    _record(
        ctx,
        meeting,
        person,
        EngagementKind.SESSION_RESCHEDULED,
        {"from": old.isoformat(), "to": start.isoformat()},
    )
    ctx.audit("session.group_reschedule", "meeting", meeting.id, {"from": old.isoformat()})
    sessions.notify_partner(ctx, meeting, "rescheduled", person, note=note)
    return _info(ctx, meeting)


def cancel_group_session(
    ctx: ServiceContext, meeting_id: int, *, reason: str = "", as_person: int | None = None
) -> GroupSessionInfo:
    """The organiser cancels: every calendar gets a CANCEL with the same UID."""
    meeting = sessions._meeting(ctx, meeting_id)
    person = _organiser_of(ctx, meeting, as_person)
    sessions.mark_cancelled(meeting)
    ctx.session.flush()
    _record(ctx, meeting, person, EngagementKind.SESSION_CANCELLED)
    ctx.audit("session.group_cancel", "meeting", meeting.id, {"reason": reason})
    sessions.notify_partner(ctx, meeting, "cancelled", person, reason=reason)
    return _info(ctx, meeting)


def mark_held(ctx: ServiceContext, meeting: Meeting, held: bool) -> None:
    """After an attendee's log: the session is ``held`` once anyone says so.

    An attendee outside the anchor mentorship may not update the meeting row on
    PostgreSQL; ``mm_mark_group_meeting()`` does it for attendees only.
    """
    if sees_only_some_people(ctx.session) and meeting.organiser_id != ctx.actor.person_id:
        ctx.session.execute(
            sa.text("SELECT mm_mark_group_meeting(:m, :held)"), {"m": meeting.id, "held": held}
        )
        ctx.session.refresh(meeting)
        return
    if held:
        meeting.status = MeetingStatus.HELD
    elif MeetingStatus(meeting.status) == MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.MISSED


def group_sessions_of(ctx: ServiceContext, person_id: int) -> list[GroupSessionInfo]:
    """Every group session a person is invited to, earliest first."""
    ids = ctx.session.scalars(
        select(Meeting.id)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.person_id == person_id, Meeting.is_group.is_(True))
        .order_by(Meeting.starts_at)
    ).all()
    return [group_info(ctx, i) for i in ids]


__all__ = [
    "ANSWERS",
    "ATTENDEE_RESPONSES",
    "AttendeeInfo",
    "GroupSessionInfo",
    "cancel_group_session",
    "group_event",
    "group_info",
    "group_sessions_of",
    "propose_group_session",
    "reschedule_group_session",
    "respond_group_session",
]
