"""Telling the people of a session: change notices and reminders, through the inbox.

A change (proposed, accepted, declined, countered, rescheduled, cancelled) and each reminder
(24 h and 1 h before every occurrence) is one ``session_notices`` row, unique per session,
kind, occurrence and ICS sequence: the database, not the worker's memory, is what makes a
reminder go out once, whether the worker restarts or two workers run.

A notice becomes a message in the mentorship's thread (so the partner sees it in the inbox)
and that message queues its deliveries through each recipient's notification preferences
(:func:`.inbox.post`, topic ``new_message`` for changes and ``session_reminder`` for
reminders). Both happen in the caller's unit of work when the acting login may queue
deliveries (SQLite, a coordinator, the worker). A participant signed in to PostgreSQL may
not read their partner's channels and preferences, so there the notice row is written with
the change and :func:`post_pending` — a worker job — turns it into the message shortly after;
the change and the promise to tell are still one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mentormatch_desktop.domain.enums import MeetingStatus
from mentormatch_desktop.scheduling.recurrence import occurrences
from mentormatch_desktop.scheduling.zones import zone
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    Meeting,
    MeetingAttendee,
    Mentorship,
    Person,
    SessionNotice,
    Thread,
)

CHANGES = (
    "proposed",
    "accepted",
    "declined",
    "tentative",
    "countered",
    "rescheduled",
    "cancelled",
)
#: Reminder kinds, nearest first: when several are due at once only the nearest is sent.
REMINDERS: tuple[tuple[str, timedelta], ...] = (
    ("reminder_1h", timedelta(hours=1)),
    ("reminder_24h", timedelta(hours=24)),
)
CHANGE_TOPIC, REMINDER_TOPIC = "new_message", "session_reminder"
_VERBS = {
    "proposed": "proposed a mentoring session",
    "accepted": "accepted the mentoring session",
    "declined": "declined the proposed session",
    "countered": "proposed another time for the session",
    "rescheduled": "moved the mentoring session",
    "cancelled": "cancelled the mentoring session",
}
_GROUP_VERBS = {
    "proposed": "invited you to a group session",
    "accepted": "will come to the group session",
    "declined": "cannot come to the group session",
    "tentative": "might come to the group session (tentative)",
    "rescheduled": "moved the group session (please answer again)",
    "cancelled": "cancelled the group session",
}


@dataclass(frozen=True)
class PostedNotice:
    notice_id: int
    meeting_id: int
    kind: str
    message_id: int | None
    deliveries: int


def may_post_now(ctx: ServiceContext) -> bool:
    """Whether this login may read recipients' preferences and queue their deliveries."""
    return ctx.session.get_bind().dialect.name != "postgresql" or ctx.actor.is_coordinator


def record_change(
    ctx: ServiceContext,
    meeting: Meeting,
    change: str,
    actor_id: int,
    ics: bytes,
    details: dict[str, Any] | None = None,
    *,
    attendee_id: int | None = None,
) -> SessionNotice | None:
    """Write the notice of a change to ``meeting`` (and its message, when allowed now).

    ``attendee_id``: a group session attendee's answer, one notice per attendee and answer
    at a sequence; answering the same again announces nothing (None).
    """
    if change not in CHANGES:
        raise ValueError(f"unknown session change {change!r}")
    values = {
        "meeting_id": meeting.id,
        "kind": change,
        "occurrence_at": meeting.starts_at,
        "sequence": meeting.sequence,
        "actor_id": actor_id,
        "details": {k: v for k, v in (details or {}).items() if v not in (None, "")},
        "ics": ics.decode("utf-8"),
        "created_at": ctx.now(),
        "recipient_id": attendee_id,
        "posted_at": None,
    }
    if attendee_id is None:
        notice: SessionNotice | None = SessionNotice(**values)
        ctx.session.add(notice)
        ctx.session.flush()
    else:
        inserted = _insert_once(ctx, values)
        notice = ctx.session.get(SessionNotice, inserted) if inserted is not None else None
    if notice is None:
        return None
    if may_post_now(ctx):
        post_notice(ctx, notice)
    return notice


# ------------------------------------------------------------------ the message
def _when(start: datetime, end: datetime, time_zone: str) -> str:
    tz = zone(time_zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    return f"{a:%a %d %b %Y, %H:%M}–{b:%H:%M} {time_zone}"


def compose(
    notice: SessionNotice, meeting: Meeting, people: dict[int, Person], start: datetime
) -> str:
    """The message text: what happened, when in each person's own zone, agenda and link."""
    end = start + (meeting.ends_at - meeting.starts_at)
    if meeting.is_group:
        order = sorted(people)
    else:
        ms = meeting.mentorship
        order = [ms.mentor_id, ms.mentee_id]
    times = "\n".join(
        f"  {people[p].full_name}: {_when(start, end, people[p].time_zone or 'UTC')}"
        for p in order
        if p in people
    )
    if notice.kind.startswith("reminder_"):
        lead = "24 hours" if notice.kind == "reminder_24h" else "1 hour"
        what = "group session" if meeting.is_group else "mentoring session"
        head = f"Reminder: your {what} starts in {lead}."
    else:
        who = people[notice.actor_id].full_name if notice.actor_id in people else "Someone"
        verbs = _GROUP_VERBS if meeting.is_group else _VERBS
        head = f"{who} {verbs[notice.kind]}."
    lines = [head, times]
    if notice.kind in ("proposed", "countered", "rescheduled"):
        if meeting.is_group:
            lines.append("Accept, decline or say maybe in MentorMatch (Schedule).")
        else:
            lines.append("Accept, decline or propose another time in MentorMatch.")
    if meeting.rrule and not notice.kind.startswith("reminder_"):
        lines.append(f"Repeats: {meeting.rrule} ({meeting.time_zone})")
    if meeting.agenda:
        lines.append(f"Agenda: {meeting.agenda}")
    if meeting.video_link and notice.kind not in ("cancelled", "declined"):
        lines.append(f"Join: {meeting.video_link}")
    for key, label in (("reason", "Reason"), ("note", "Note")):
        if notice.details.get(key):
            lines.append(f"{label}: {notice.details[key]}")
    return "\n".join(lines)


def _thread_and_people(ctx: ServiceContext, meeting: Meeting) -> tuple[Thread, dict[int, Person]]:
    """Where a session's notices go and who its people are.

    A pair: the mentorship's thread. A group session: its own conversation with every
    attendee, made by whoever posts its first notice (the worker, for a participant on
    PostgreSQL, who may not add other people to a thread).
    """
    if not meeting.is_group:
        ms = meeting.mentorship
        ids = [ms.mentor_id, ms.mentee_id]
        thread = inbox.ensure_mentorship_thread(ctx, ms.id)
    else:
        ids = list(
            ctx.session.scalars(
                sa.select(MeetingAttendee.person_id).where(MeetingAttendee.meeting_id == meeting.id)
            )
        )
        found = ctx.session.get(Thread, meeting.thread_id) if meeting.thread_id else None
        if found is None:
            program_id = ctx.session.scalar(
                sa.select(Mentorship.program_id).where(Mentorship.id == meeting.mentorship_id)
            )
            subject = f"Group session {meeting.group_key}" if meeting.group_key else "Group session"
            found = inbox.group_session_thread(ctx, ids, subject, program_id=program_id)
            meeting.thread_id = found.id
        else:
            inbox.add_members(ctx, found, ids)
        thread = found
    people = {p.id: p for p in ctx.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
    return thread, people


def post_notice(
    ctx: ServiceContext, notice: SessionNotice, *, also: Sequence[SessionNotice] = ()
) -> PostedNotice:
    """Post ``notice`` into the session's thread; the message queues its deliveries.

    A reminder addressed to attendees (``recipient_id``; ``also`` the rows of the other
    attendees due at the same moment) is one message whose deliveries go to those
    attendees only.
    """
    meeting = ctx.session.get(Meeting, notice.meeting_id)
    assert meeting is not None
    thread, people = _thread_and_people(ctx, meeting)
    reminder = notice.kind.startswith("reminder_")
    rows = [notice, *also]
    only = [n.recipient_id for n in rows if n.recipient_id is not None] if reminder else None
    sent = inbox.post(
        ctx,
        thread,
        compose(notice, meeting, people, notice.occurrence_at),
        sender_id=None if reminder else notice.actor_id,
        kind="session",
        topic=REMINDER_TOPIC if reminder else CHANGE_TOPIC,
        activity=False,
        recipients=only or None,
    )
    for row in rows:
        row.message_id = sent.message_id
        row.posted_at = ctx.now()
    ctx.session.flush()
    return PostedNotice(notice.id, meeting.id, notice.kind, sent.message_id, sent.deliveries)


def post_pending(ctx: ServiceContext, *, limit: int = 100) -> list[PostedNotice]:
    """Worker job: post the notices written by logins that could not post them themselves.

    Rows are taken ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never post the
    same notice; on SQLite the unit of work holds the single write lock.
    """
    query = (
        sa.select(SessionNotice)
        .where(SessionNotice.posted_at.is_(None))
        .order_by(SessionNotice.id)
        .limit(limit)
    )
    if ctx.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [post_notice(ctx, n) for n in ctx.session.scalars(query).all()]


# ------------------------------------------------------------------ reminders
def _insert_once(ctx: ServiceContext, values: dict[str, Any]) -> int | None:
    """Insert a notice unless its (session, kind, occurrence, sequence, recipient) exists;
    its id or None. The conflict target is the once-only index (recipient NULL as 0)."""
    dialect = ctx.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return ctx.session.scalar(
        insert(SessionNotice)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[
                "meeting_id",
                "kind",
                "occurrence_at",
                "sequence",
                sa.text("coalesce(recipient_id, 0)"),
            ]
        )
        .returning(SessionNotice.id)
    )


def queue_reminders(ctx: ServiceContext) -> list[PostedNotice]:
    """Worker job: send every reminder that is due now, once.

    For each booked session (each occurrence of a standing one) starting within 24 hours,
    a reminder kind is due once its lead time is reached. When a worker comes back late and
    both are due, only the nearest goes out and the other is recorded as skipped, as is a
    reminder whose moment had passed before the session was booked (booked 5 h ahead:
    the 1 h reminder only). Whoever inserts the row first posts it; everyone else's insert
    is a no-op, so nothing is sent twice.

    A group session's reminder is one row per attendee who has not declined (the once-only
    key includes the recipient), posted as one message delivered to exactly the attendees
    whose rows this pass inserted: an attendee who accepts late still gets the next one,
    nobody gets one twice.
    """
    now = ctx.now()
    longest = max(lead for _, lead in REMINDERS)
    rows = ctx.session.scalars(
        sa.select(Meeting)
        .join(Mentorship, Meeting.mentorship_id == Mentorship.id)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at <= now + longest,
            sa.or_(Meeting.starts_at > now, Meeting.rrule.is_not(None)),
        )
        .order_by(Meeting.id)
    ).all()
    posted = []
    for meeting in rows:
        booked = meeting.responded_at or meeting.created_at
        for occ in occurrences(
            meeting.starts_at,
            meeting.ends_at - meeting.starts_at,
            meeting.rrule,
            meeting.time_zone,
            now,
            now + longest + timedelta(minutes=1),
        ):
            if occ.start <= now or occ.start > now + longest:
                continue
            sent_one = False
            for kind, lead in REMINDERS:  # nearest first
                due = occ.start - lead
                if due > now:
                    continue
                skip = None
                if sent_one:
                    skip = "a nearer reminder was due at the same time"
                elif booked is not None and booked > due:
                    skip = "booked after this reminder was due"
                values = {
                    "meeting_id": meeting.id,
                    "kind": kind,
                    "occurrence_at": occ.start,
                    "sequence": 0,
                    "actor_id": None,
                    "details": {"skipped": skip} if skip else {},
                    "ics": "",
                    "posted_at": now if skip else None,
                    "created_at": now,
                }
                recipients = _reminded(ctx, meeting) if meeting.is_group else [None]
                inserted = [
                    i
                    for i in (_insert_once(ctx, {**values, "recipient_id": r}) for r in recipients)
                    if i is not None
                ]
                sent_one = True
                if inserted and skip is None:
                    rows = [ctx.session.get(SessionNotice, i) for i in inserted]
                    first, *rest = [n for n in rows if n is not None]
                    posted.append(post_notice(ctx, first, also=rest))
    return posted


def _reminded(ctx: ServiceContext, meeting: Meeting) -> list[int | None]:
    """The attendees of a group session a reminder goes to: all who have not declined."""
    return list(
        ctx.session.scalars(
            sa.select(MeetingAttendee.person_id)
            .where(
                MeetingAttendee.meeting_id == meeting.id,
                MeetingAttendee.response != "declined",
            )
            .order_by(MeetingAttendee.person_id)
        )
    )
