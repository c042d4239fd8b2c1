"""Sessions as a workflow: propose → accept / decline / counter → reschedule / cancel → log.

Every step is one service on a :class:`ServiceContext` (flush only; the caller commits) and
writes, in the same unit of work, the engagement event the analytics read. The ICS UID of
a session never changes and its ``SEQUENCE`` goes up on every change to time or state, so
the partner's calendar app updates the event it has. Telling the partner goes through one
function, :func:`notify_partner`: the place the messaging outbox hooks in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from mentormatch_desktop.domain.enums import EngagementKind, MeetingStatus, MentorshipStatus
from mentormatch_desktop.scheduling.ics import Attendee, SessionEvent, invitation
from mentormatch_desktop.scheduling.recurrence import RecurrenceError, occurrences, parse_rrule
from mentormatch_desktop.scheduling.zones import UnknownTimeZone, zone
from mentormatch_desktop.services import activity, session_notices
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import sees_only_some_people
from mentormatch_desktop.services.schedule import busy_intervals
from mentormatch_desktop.storage.models import (
    Feedback,
    Meeting,
    MeetingAttendee,
    Mentorship,
    Milestone,
    Person,
    SessionLog,
)

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
UID_DOMAIN = "mentormatch.local"


class SessionError(ValueError):
    """A session step that is not allowed now, or an argument that cannot be used."""


@dataclass(frozen=True)
class SessionInfo:
    """What the caller shows after a step."""

    id: int
    mentorship_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    proposed_by_id: int | None
    uid: str
    sequence: int
    agenda: str
    video_link: str
    rrule: str | None


@dataclass(frozen=True)
class Notice:
    """A message to the other side(s) of a session, with its ICS attachment."""

    meeting_id: int
    change: str  # proposed, accepted, declined, countered, rescheduled, cancelled
    recipient_ids: tuple[int, ...]
    subject: str
    ics: bytes
    details: dict[str, Any] = field(default_factory=dict)


def _info(m: Meeting) -> SessionInfo:
    return SessionInfo(
        id=m.id,
        mentorship_id=m.mentorship_id,
        status=MeetingStatus(m.status).value,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        time_zone=m.time_zone,
        proposed_by_id=m.proposed_by_id,
        uid=m.series_uid or "",
        sequence=m.sequence,
        agenda=m.agenda,
        video_link=m.video_link,
        rrule=m.rrule,
    )


# ----------------------------------------------------------------- plumbing
def _acting_person(ctx: ServiceContext, mentorship: Mentorship, as_person: int | None) -> int:
    """Who acts: the signed-in participant, or a person a coordinator acts for."""
    if as_person is not None and as_person != ctx.actor.person_id:
        if not ctx.actor.is_coordinator:
            raise SessionError("only a coordinator may act for another person")
        person = as_person
    elif ctx.actor.person_id is not None:
        person = ctx.actor.person_id
    else:
        raise SessionError("say which side of the mentorship is acting (as_person)")
    if person not in (mentorship.mentor_id, mentorship.mentee_id):
        raise SessionError(f"person {person} is not part of mentorship {mentorship.id}")
    return person


def _mentorship(ctx: ServiceContext, mentorship_id: int) -> Mentorship:
    m = ctx.session.get(Mentorship, mentorship_id)
    if m is None:
        raise SessionError(f"no mentorship with id {mentorship_id}")
    return m


def _meeting(ctx: ServiceContext, meeting_id: int) -> Meeting:
    m = ctx.session.get(Meeting, meeting_id, with_for_update=True)
    if m is None:
        # FOR UPDATE also applies a table's UPDATE policies: an attendee of a group session
        # outside its anchor mentorship reads it but may not lock it. Their steps (answer,
        # log) change only their own rows, or go through a definer function.
        m = ctx.session.get(Meeting, meeting_id)
        if m is not None and not m.is_group:
            m = None
    if m is None:
        raise SessionError(f"no session with id {meeting_id}")
    return m


def _pair_meeting(ctx: ServiceContext, meeting_id: int, step: str) -> Meeting:
    """A session of two people; a group session has its own steps (:mod:`.group_sessions`)."""
    m = _meeting(ctx, meeting_id)
    if m.is_group:
        raise SessionError(
            f"session {m.id} is a group session: attendees {step} it through the group steps"
        )
    return m


def _others(mentorship: Mentorship, person: int) -> tuple[int, ...]:
    return tuple(p for p in (mentorship.mentor_id, mentorship.mentee_id) if p != person)


def record_activity(
    ctx: ServiceContext,
    person_id: int,
    mentorship: Mentorship,
    kind: EngagementKind,
    payload: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Write the engagement event analytics read, in this unit of work.

    The event itself is :func:`activity.record_event`'s (one activity model); the only
    addition is a participant writing their partner's event on PostgreSQL, which RLS lets
    only the database do after checking that both share the mentorship.
    """
    when = at or ctx.now()
    if (
        person_id != ctx.actor.person_id
        and not ctx.actor.is_coordinator
        and ctx.session.get_bind().dialect.name == "postgresql"
    ):
        ctx.session.execute(
            text("SELECT mm_record_partner_event(:p, :m, :k, :at, CAST(:payload AS jsonb))"),
            {
                "p": person_id,
                "m": mentorship.id,
                "k": EngagementKind(kind).value,
                "at": when,
                "payload": json.dumps(payload) if payload else None,
            },
        )
    else:
        activity.record_event(ctx, mentorship, person_id, kind, when, payload or None)


def _check_time(ctx: ServiceContext, start: datetime, minutes: int) -> datetime:
    if start.tzinfo is None or start.utcoffset() is None:
        raise SessionError("the session start needs a time zone (an aware datetime)")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise SessionError(
            f"a session lasts {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours, "
            f"not {minutes} minutes"
        )
    if start < ctx.now():
        raise SessionError(f"{start.isoformat()} is in the past")
    return start + timedelta(minutes=minutes)


#: How far ahead a standing series is checked for clashes (its first half year).
CLASH_HORIZON = timedelta(weeks=26)


def check_people_free(
    ctx: ServiceContext,
    people: Sequence[int],
    start: datetime,
    end: datetime,
    skip: int | None,
    *,
    rule: str | None = None,
    time_zone: str = "UTC",
) -> None:
    """Refuse a time that collides with another session one of ``people`` already holds.

    A person holds the sessions of their mentorships and the group sessions they attend
    and have not declined. Standing series count on both sides: every occurrence of the
    new (or moved) session in its first :data:`CLASH_HORIZON` is compared with every
    occurrence of the sessions they hold, each series expanded at its own wall time in its
    own zone (so a weekly 17:00 Berlin series and a weekly 11:00 New York one clash in some
    weeks and not in the weeks between the two DST changes).

    Only sessions are a hard conflict: calendar busy time is what the slot finder avoids,
    but a person may know a calendar block can move, so typing that time is allowed.
    """
    horizon_end = start + CLASH_HORIZON if rule else end
    # A one-off is taken as given (an instant in a DST fold must not be re-resolved).
    mine = _spans(start, end, rule, time_zone, start, horizon_end)
    if not mine:
        return
    last_end = max(e for _, e in mine)
    people = list(dict.fromkeys(people))
    live = (
        Meeting.status.in_((MeetingStatus.PROPOSED, MeetingStatus.SCHEDULED)),
        Meeting.starts_at < last_end,
        (Meeting.ends_at > start) | Meeting.rrule.is_not(None),
    )
    pair_ids = (
        select(Meeting.id)
        .join(Mentorship, Meeting.mentorship_id == Mentorship.id)
        .where(
            *live,
            Meeting.is_group.is_(False),
            (Mentorship.mentor_id.in_(people)) | (Mentorship.mentee_id.in_(people)),
        )
    )
    group_ids = select(MeetingAttendee.meeting_id).where(
        MeetingAttendee.person_id.in_(people), MeetingAttendee.response != "declined"
    )
    sessions = ctx.session.scalars(
        select(Meeting)
        .where(*live, Meeting.id.in_(pair_ids) | Meeting.id.in_(group_ids))
        .order_by(Meeting.starts_at)
    ).all()
    for other in sessions:
        if other.id == skip:
            continue
        theirs = _spans(
            other.starts_at, other.ends_at, other.rrule, other.time_zone, start, last_end
        )
        for occ_start, occ_end in theirs:
            _refuse_overlap(mine, occ_start, occ_end, f"session {other.id}", bool(other.rrule))
    if sees_only_some_people(ctx.session):
        # Row-level security hid the partner's sessions in their other mentorships: the
        # database answers their busy intervals (no titles, no partners, no ids).
        for busy in busy_intervals(ctx.session, people, start, last_end, ignore_meeting=skip):
            if busy.kind != "session":
                continue
            spans = _spans(
                busy.starts_at, busy.ends_at, busy.rrule, busy.time_zone or "UTC", start, last_end
            )
            for occ_start, occ_end in spans:
                _refuse_overlap(
                    mine, occ_start, occ_end, "another session of one of you", bool(busy.rrule)
                )


# ------------------------------------------------ shared by pair and group sessions
def check_new_time(
    ctx: ServiceContext,
    people: Sequence[int],
    start: datetime,
    minutes: int,
    *,
    time_zone: str,
    rrule: str | None,
) -> tuple[datetime, str | None]:
    """Every check a new session (pair or group) passes before it is written, in the order
    its errors are reported: an aware start in the future, a length we allow, a known
    zone, a recurrence we can expand, and no clash with a session any of ``people`` holds.

    Returns the end and the rule as stored (without its ``RRULE:`` prefix).
    """
    end = _check_time(ctx, start, minutes)
    try:
        zone(time_zone)
    except UnknownTimeZone as exc:
        raise SessionError(str(exc)) from exc
    rule = _rrule_ok(rrule, start, time_zone)
    check_people_free(ctx, people, start, end, None, rule=rule, time_zone=time_zone)
    return end, rule


def check_moved_time(
    ctx: ServiceContext, meeting: Meeting, people: Sequence[int], start: datetime, minutes: int
) -> datetime:
    """The end of ``meeting`` moved to ``start``, once that time passes the same checks as
    a new one (its zone and rule stay and were checked when it was made; it does not
    clash with itself)."""
    end = _check_time(ctx, start, minutes)
    check_people_free(
        ctx, people, start, end, meeting.id, rule=meeting.rrule, time_zone=meeting.time_zone
    )
    return end


def new_meeting(
    *,
    organiser: int,
    start: datetime,
    end: datetime,
    time_zone: str,
    rule: str | None,
    status: MeetingStatus,
    agenda: str,
    video_link: str,
    **fields: Any,
) -> Meeting:
    """A session's ``meetings`` row with a fresh ICS UID at SEQUENCE 0: every later change
    bumps the SEQUENCE of that same UID, so calendars update the event they already have.
    ``fields`` adds what the caller's kind of session needs (mentorship, group)."""
    return Meeting(
        organiser_id=organiser,
        proposed_by_id=organiser,
        starts_at=start,
        ends_at=end,
        time_zone=time_zone,
        status=status,
        agenda=agenda.strip(),
        video_link=video_link.strip(),
        location=video_link.strip(),
        rrule=rule,
        series_uid=f"{uuid.uuid4()}@{UID_DOMAIN}",
        sequence=0,
        **fields,
    )


def require_open(meeting: Meeting, refused: str) -> None:
    """Refuse a step on a session that is no longer proposed or booked (``refused`` says
    what cannot be done, e.g. "it cannot be moved")."""
    status = MeetingStatus(meeting.status)
    if status not in (MeetingStatus.SCHEDULED, MeetingStatus.PROPOSED):
        raise SessionError(f"session {meeting.id} is {status.value}; {refused}")


def minutes_of(meeting: Meeting, minutes: int | None) -> int:
    """The length a move keeps: the one asked for, else the session's current length."""
    return minutes or int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


def mark_cancelled(meeting: Meeting) -> None:
    """Cancel an open session; the SEQUENCE goes up so calendars take the CANCEL."""
    require_open(meeting, "nothing to cancel")
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1


def _spans(
    starts_at: datetime,
    ends_at: datetime,
    rrule: str | None,
    time_zone: str,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """A session's times between ``start`` and ``end``: each occurrence of a series (at its
    own wall time in its own zone), or the one-off as it is."""
    if not rrule:
        return [(starts_at, ends_at)]
    return [
        (o.start, o.end)
        for o in occurrences(starts_at, ends_at - starts_at, rrule, time_zone, start, end)
    ]


def _refuse_overlap(
    mine: list[tuple[datetime, datetime]],
    occ_start: datetime,
    occ_end: datetime,
    what: str,
    standing: bool,
) -> None:
    if any(a < occ_end and occ_start < b for a, b in mine):
        series = " (a standing session)" if standing else ""
        raise SessionError(
            f"clashes with {what}{series} at {occ_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )


def _rrule_ok(rule: str | None, start: datetime, tz: str) -> str | None:
    if not rule:
        return None
    try:
        parse_rrule(rule, start.astimezone(zone(tz)))
    except RecurrenceError as exc:
        raise SessionError(str(exc)) from exc
    return rule.removeprefix("RRULE:")


@dataclass(frozen=True)
class _Named:
    id: int
    full_name: str
    email: str


def _mentorship_people(ctx: ServiceContext, ms: Mentorship) -> dict[int, _Named]:
    """Name and e-mail of both sides of a mentorship.

    On PostgreSQL a participant may not read their partner's ``people`` row, so both come
    from ``mm_mentorship_people()``, which answers members and coordinators of it only.
    """
    if ctx.session.get_bind().dialect.name == "postgresql":
        rows = ctx.session.execute(
            text("SELECT id, full_name, email FROM mm_mentorship_people(:m)"), {"m": ms.id}
        ).all()
    else:
        rows = ctx.session.execute(
            select(Person.id, Person.full_name, Person.email).where(
                Person.id.in_([ms.mentor_id, ms.mentee_id])
            )
        ).all()
    people = {r.id: _Named(r.id, r.full_name, r.email or "") for r in rows}
    if len(people) < 2:
        raise SessionError(f"the people of mentorship {ms.id} cannot be read by this login")
    return people


def session_event(ctx: ServiceContext, meeting: Meeting) -> SessionEvent:
    """The calendar view of a session (what connectors publish and invitations carry)."""
    if meeting.is_group:
        from mentormatch_desktop.services import group_sessions

        return group_sessions.group_event(ctx, meeting)
    ms = meeting.mentorship
    people = _mentorship_people(ctx, ms)
    organiser = people[meeting.proposed_by_id or meeting.organiser_id]
    others = [people[i] for i in (ms.mentor_id, ms.mentee_id) if i != organiser.id]
    return meeting_event(
        ctx,
        meeting,
        summary=f"Mentoring: {people[ms.mentor_id].full_name} & {people[ms.mentee_id].full_name}",
        organizer=Attendee(organiser.full_name, organiser.email),
        attendees=tuple(Attendee(p.full_name, p.email) for p in others),
        cancelled=MeetingStatus(meeting.status)
        in (MeetingStatus.CANCELLED, MeetingStatus.DECLINED),
    )


def meeting_event(
    ctx: ServiceContext,
    meeting: Meeting,
    *,
    summary: str,
    organizer: Attendee,
    attendees: tuple[Attendee, ...],
    cancelled: bool,
) -> SessionEvent:
    """The fields every session's calendar event shares (pair or group): UID, SEQUENCE,
    times, agenda with the video link, recurrence; the caller says who and whether it is off."""
    description = meeting.agenda
    if meeting.video_link:
        description = f"{description}\n\nJoin: {meeting.video_link}".strip()
    return SessionEvent(
        uid=meeting.series_uid or f"meeting-{meeting.id}@{UID_DOMAIN}",
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        time_zone=meeting.time_zone,
        summary=summary,
        description=description,
        location=meeting.video_link,
        organizer=organizer,
        attendees=attendees,
        rrule=meeting.rrule,
        cancelled=cancelled,
        stamp=ctx.now(),
    )


def notify_partner(
    ctx: ServiceContext,
    meeting: Meeting,
    change: str,
    actor_id: int,
    *,
    attendee_id: int | None = None,
    **details: Any,
) -> Notice | None:
    """Tell the other side(s) of ``meeting`` what changed, with an ICS invitation.

    In this unit of work: a ``session_notices`` row (the ICS REQUEST or CANCEL with it) and,
    where this login may queue deliveries, the message in the mentorship's thread whose
    deliveries follow the partner's notification preferences; otherwise the worker posts
    it (:mod:`.session_notices`). The change and the notice commit or roll back together.
    """
    method = "CANCEL" if change in ("cancelled", "declined") else "REQUEST"
    ics = invitation(session_event(ctx, meeting), method)  # type: ignore[arg-type]
    if meeting.is_group:
        from mentormatch_desktop.services import group_sessions

        recipients = tuple(p for p in group_sessions.attendee_ids(ctx, meeting) if p != actor_id)
    else:
        recipients = _others(meeting.mentorship, actor_id)
    subject = f"Mentoring session {change}: {meeting.starts_at:%a %d %b %H:%M} UTC"
    notice = session_notices.record_change(
        ctx, meeting, change, actor_id, ics, details, attendee_id=attendee_id
    )
    if notice is None:  # the same answer of the same attendee was announced already
        return None
    return Notice(meeting.id, change, recipients, subject, ics, {**details, "notice_id": notice.id})


# ----------------------------------------------------------------- the steps
def propose_session(
    ctx: ServiceContext,
    mentorship_id: int,
    start: datetime,
    minutes: int,
    *,
    agenda: str = "",
    video_link: str = "",
    rrule: str | None = None,
    time_zone: str | None = None,
    as_person: int | None = None,
) -> SessionInfo:
    """Propose a session (one-off, or standing with an RRULE recurring in ``time_zone``)."""
    ms = _mentorship(ctx, mentorship_id)
    if ms.status != MentorshipStatus.ACTIVE:
        raise SessionError(f"mentorship {mentorship_id} is {MentorshipStatus(ms.status).value}")
    person = _acting_person(ctx, ms, as_person)
    proposer = ctx.session.get(Person, person)
    assert proposer is not None
    tz = time_zone or proposer.time_zone
    pair = [ms.mentor_id, ms.mentee_id]
    end, rule = check_new_time(ctx, pair, start, minutes, time_zone=tz, rrule=rrule)
    meeting = new_meeting(
        organiser=person,
        start=start,
        end=end,
        time_zone=tz,
        rule=rule,
        status=MeetingStatus.PROPOSED,
        agenda=agenda,
        video_link=video_link,
        mentorship=ms,
    )
    ctx.session.add(meeting)
    ctx.session.flush()
    record_activity(ctx, person, ms, EngagementKind.SESSION_PROPOSED, {"meeting_id": meeting.id})
    ctx.audit("session.propose", "meeting", meeting.id, {"start": start.isoformat()})
    notify_partner(ctx, meeting, "proposed", person)
    return _info(meeting)


def _answering(ctx: ServiceContext, meeting: Meeting, as_person: int | None) -> int:
    person = _acting_person(ctx, meeting.mentorship, as_person)
    if MeetingStatus(meeting.status) != MeetingStatus.PROPOSED:
        raise SessionError(
            f"session {meeting.id} is {MeetingStatus(meeting.status).value}, not proposed"
        )
    if person == meeting.proposed_by_id:
        raise SessionError("the other side answers a proposal, not the one who made it")
    return person


def accept_session(
    ctx: ServiceContext, meeting_id: int, *, as_person: int | None = None
) -> SessionInfo:
    """Accept the proposed time: the session is booked for both."""
    meeting = _pair_meeting(ctx, meeting_id, "accept")
    person = _answering(ctx, meeting, as_person)
    meeting.status = MeetingStatus.SCHEDULED
    meeting.responded_at = ctx.now()
    meeting.sequence += 1
    ms = meeting.mentorship
    for pid in (ms.mentor_id, ms.mentee_id):
        record_activity(ctx, pid, ms, EngagementKind.SESSION_SCHEDULED, {"meeting_id": meeting.id})
    ctx.audit("session.accept", "meeting", meeting.id)
    notify_partner(ctx, meeting, "accepted", person)
    ctx.session.flush()
    return _info(meeting)


def decline_session(
    ctx: ServiceContext, meeting_id: int, *, reason: str = "", as_person: int | None = None
) -> SessionInfo:
    """Decline the proposed time (propose another with :func:`counter_propose`)."""
    meeting = _pair_meeting(ctx, meeting_id, "decline")
    person = _answering(ctx, meeting, as_person)
    meeting.status = MeetingStatus.DECLINED
    meeting.responded_at = ctx.now()
    meeting.sequence += 1
    record_activity(
        ctx,
        person,
        meeting.mentorship,
        EngagementKind.SESSION_DECLINED,
        {"meeting_id": meeting.id, "reason": reason} if reason else {"meeting_id": meeting.id},
    )
    ctx.audit("session.decline", "meeting", meeting.id, {"reason": reason})
    notify_partner(ctx, meeting, "declined", person, reason=reason)
    ctx.session.flush()
    return _info(meeting)


def _move(
    ctx: ServiceContext, meeting: Meeting, person: int, start: datetime, minutes: int
) -> None:
    ms = meeting.mentorship
    end = check_moved_time(ctx, meeting, [ms.mentor_id, ms.mentee_id], start, minutes)
    meeting.starts_at, meeting.ends_at = start, end
    meeting.status = MeetingStatus.PROPOSED
    meeting.proposed_by_id = person
    meeting.responded_at = ctx.now()
    meeting.sequence += 1


def counter_propose(
    ctx: ServiceContext,
    meeting_id: int,
    start: datetime,
    minutes: int,
    *,
    note: str = "",
    as_person: int | None = None,
) -> SessionInfo:
    """Answer a proposal with another time; the first proposer now accepts or declines."""
    meeting = _pair_meeting(ctx, meeting_id, "answer")
    person = _answering(ctx, meeting, as_person)
    _move(ctx, meeting, person, start, minutes)
    record_activity(
        ctx,
        person,
        meeting.mentorship,
        EngagementKind.SESSION_PROPOSED,
        {"meeting_id": meeting.id, "counter": True},
    )
    ctx.audit("session.counter", "meeting", meeting.id, {"start": start.isoformat(), "note": note})
    notify_partner(ctx, meeting, "countered", person, note=note)
    ctx.session.flush()
    return _info(meeting)


def reschedule_session(
    ctx: ServiceContext,
    meeting_id: int,
    start: datetime,
    minutes: int | None = None,
    *,
    note: str = "",
    as_person: int | None = None,
) -> SessionInfo:
    """Move a booked (or proposed) session; the other side accepts the new time again."""
    if _meeting(ctx, meeting_id).is_group:
        from mentormatch_desktop.services import group_sessions

        return group_sessions.reschedule_group_session(
            ctx, meeting_id, start, minutes, note=note, as_person=as_person
        ).session
    meeting = _meeting(ctx, meeting_id)
    person = _acting_person(ctx, meeting.mentorship, as_person)
    require_open(meeting, "it cannot be moved")
    old = meeting.starts_at
    _move(ctx, meeting, person, start, minutes_of(meeting, minutes))
    record_activity(
        ctx,
        person,
        meeting.mentorship,
        EngagementKind.SESSION_RESCHEDULED,
        {"meeting_id": meeting.id, "from": old.isoformat(), "to": start.isoformat()},
    )
    ctx.audit("session.reschedule", "meeting", meeting.id, {"from": old.isoformat(), "note": note})
    notify_partner(ctx, meeting, "rescheduled", person, note=note)
    ctx.session.flush()
    return _info(meeting)


def cancel_session(
    ctx: ServiceContext, meeting_id: int, *, reason: str = "", as_person: int | None = None
) -> SessionInfo:
    """Cancel a proposed or booked session; calendars get a CANCEL with the same UID."""
    if _meeting(ctx, meeting_id).is_group:
        from mentormatch_desktop.services import group_sessions

        return group_sessions.cancel_group_session(
            ctx, meeting_id, reason=reason, as_person=as_person
        ).session
    meeting = _meeting(ctx, meeting_id)
    person = _acting_person(ctx, meeting.mentorship, as_person)
    mark_cancelled(meeting)
    record_activity(
        ctx,
        person,
        meeting.mentorship,
        EngagementKind.SESSION_CANCELLED,
        {"meeting_id": meeting.id},
    )
    ctx.audit("session.cancel", "meeting", meeting.id, {"reason": reason})
    notify_partner(ctx, meeting, "cancelled", person, reason=reason)
    ctx.session.flush()
    return _info(meeting)


@dataclass(frozen=True)
class LogInfo:
    log_id: int
    meeting_status: str
    milestone_ids: tuple[int, ...]
    feedback_id: int | None


def log_session(
    ctx: ServiceContext,
    meeting_id: int,
    *,
    held: bool,
    private_notes: str = "",
    shared_notes: str = "",
    rating: int | None = None,
    next_steps: Sequence[str] = (),
    steps_as_milestones: bool = False,
    as_person: int | None = None,
) -> LogInfo:
    """One side's account after the session; held or missed, rating, next steps.

    The meeting becomes ``held`` as soon as either side says it was held (a one-sided
    "missed" does not overrule the other's "held"). A rating is also written as feedback,
    and next steps can become milestones owned by the mentee.
    """
    from mentormatch_desktop.services import group_sessions

    meeting = _meeting(ctx, meeting_id)
    if meeting.is_group:
        person = group_sessions.attending_person(ctx, meeting, as_person)
        ms = group_sessions.own_mentorship(ctx, meeting, person)
    else:
        person = _acting_person(ctx, meeting.mentorship, as_person)
        ms = meeting.mentorship
    status = MeetingStatus(meeting.status)
    if status not in (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.MISSED):
        raise SessionError(f"session {meeting.id} is {status.value}; only a booked one is logged")
    now = ctx.now()
    if meeting.starts_at > now:
        raise SessionError(f"session {meeting.id} has not started yet")
    if rating is not None and not 1 <= rating <= 5:
        raise SessionError(f"rating must be 1 to 5, not {rating}")
    steps = [s.strip() for s in next_steps if s.strip()]
    existing = ctx.session.scalar(
        select(SessionLog).where(
            SessionLog.meeting_id == meeting.id, SessionLog.author_id == person
        )
    )
    if existing is not None:
        raise SessionError(f"person {person} already logged session {meeting.id}")
    log = SessionLog(
        meeting_id=meeting.id,
        author_id=person,
        held=held,
        private_notes=private_notes,
        shared_notes=shared_notes,
        rating=rating,
        next_steps=steps,
        logged_at=now,
    )
    ctx.session.add(log)
    if meeting.is_group:
        group_sessions.mark_held(ctx, meeting, held)
    elif held:
        meeting.status = MeetingStatus.HELD
    elif status == MeetingStatus.SCHEDULED:
        meeting.status = MeetingStatus.MISSED
    kind = EngagementKind.SESSION_HELD if held else EngagementKind.SESSION_MISSED
    record_activity(ctx, person, ms, kind, {"meeting_id": meeting.id}, at=min(meeting.ends_at, now))
    feedback_id = None
    if rating is not None:
        fb = Feedback(
            mentorship_id=ms.id,
            meeting_id=meeting.id,
            author_id=person,
            rating=rating,
            comment=shared_notes,
        )
        ctx.session.add(fb)
        ctx.session.flush()
        feedback_id = fb.id
        record_activity(
            ctx,
            person,
            ms,
            EngagementKind.FEEDBACK_GIVEN,
            {"meeting_id": meeting.id, "rating": rating},
        )
    milestone_ids: list[int] = []
    if steps_as_milestones:
        for step in steps:
            ml = Milestone(mentorship_id=ms.id, owner_id=ms.mentee_id, title=step[:200])
            ctx.session.add(ml)
            ctx.session.flush()
            milestone_ids.append(ml.id)
    ctx.session.flush()
    ctx.audit("session.log", "meeting", meeting.id, {"held": held, "author": person})
    return LogInfo(log.id, MeetingStatus(meeting.status).value, tuple(milestone_ids), feedback_id)


def sessions_of(ctx: ServiceContext, person_id: int) -> list[Meeting]:
    """A person's sessions (all states), earliest first: what the ICS export writes.

    Pair sessions of their mentorships, and the group sessions they attend and have not
    declined (a group session anchored on their mentorship counts only if they attend).
    """
    pair_ids = (
        select(Meeting.id)
        .join(Mentorship, Meeting.mentorship_id == Mentorship.id)
        .where(
            Meeting.is_group.is_(False),
            (Mentorship.mentor_id == person_id) | (Mentorship.mentee_id == person_id),
        )
    )
    group_ids = select(MeetingAttendee.meeting_id).where(
        MeetingAttendee.person_id == person_id, MeetingAttendee.response != "declined"
    )
    return list(
        ctx.session.scalars(
            select(Meeting)
            .where(Meeting.id.in_(pair_ids) | Meeting.id.in_(group_ids))
            .order_by(Meeting.starts_at)
        )
    )
