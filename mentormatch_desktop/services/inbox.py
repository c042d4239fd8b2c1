"""Participants' conversations: threads, messages, read state, search, edit and delete.

Every function acts as ``ctx.actor`` (a person: on SQLite the ``--as`` participant, on
PostgreSQL the signed-in login, where row-level security checks the same again) and only
flushes. Sending a message is one unit of work with three effects: the message row, one
outbox row per recipient and enabled channel (:mod:`.outbox` delivers them later), and the
sender's ``message_sent`` engagement event. On PostgreSQL it also NOTIFYs each member's
channel ``mm_person_<id>`` with ids only — NOTIFY ignores row-level security, so the
listener re-reads through its own permissions — and ``mm_outbox`` to wake workers; both are
sent by PostgreSQL only if the transaction commits.

A participant signed in with their own login on PostgreSQL may not read the recipients'
addresses, channels and preferences, nor other people's rows at all. For them three things
go through the database's definer helpers (``storage/security/87_rls_helpers.sql``):
finding a person by e-mail (:func:`person_by_email`), opening the conversation with them
(:func:`thread_with`), and the thread's ``last_message_at`` (a trigger). Their message is
written with ``fanout_pending`` set, and the delivery worker, on its own owner connection,
queues its deliveries (:func:`mentormatch_desktop.services.outbox.fan_out`): the message row
itself is the durable record that notifications are owed, so nothing is lost between the
two transactions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from mentormatch_desktop.domain.enums import (
    DeliveryStatus,
    EngagementKind,
    EnrolmentStatus,
    MentorshipStatus,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import participant_login
from mentormatch_desktop.services.me import person_addresses, person_names
from mentormatch_desktop.services.member_messages import readable
from mentormatch_desktop.services.notifications import (
    MessagingError,
    check_topic,
    first_due,
    reachable,
)
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Enrolment,
    Mentorship,
    Message,
    MessageDelivery,
    Person,
    Thread,
    ThreadParticipant,
)

EDIT_WINDOW = timedelta(minutes=15)
MAX_BODY = 20_000
PAGE_SIZE = 50
OUTBOX_CHANNEL = "mm_outbox"


def person_channel(person_id: int) -> str:
    """The LISTEN/NOTIFY channel on which ``person_id``'s open apps wake up."""
    return f"mm_person_{person_id}"


def delivery_key(message_id: int, recipient_id: int, channel: str) -> str:
    """The idempotency key of one delivery: the same on every retry, unique per send."""
    return f"m{message_id}.p{recipient_id}.{channel}"


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    kind: str
    subject: str
    program_id: int | None
    mentorship_id: int | None
    last_message_at: datetime | None
    unread: int
    muted: bool
    members: list[str] = field(default_factory=list)
    #: who started the thread (the only one who adds members to a group)
    created_by_id: int | None = None


@dataclass(frozen=True)
class MessageView:
    id: int
    thread_id: int
    sender_id: int | None
    sender_name: str
    kind: str
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool


@dataclass(frozen=True)
class MessagePage:
    """One page of a thread, oldest first; ``older`` is the cursor for the page before."""

    messages: list[MessageView]
    older: int | None


@dataclass(frozen=True)
class SentMessage:
    message_id: int
    thread_id: int
    deliveries: int
    #: True when the delivery worker queues the notifications (a participant's own login on
    #: PostgreSQL); ``deliveries`` is 0 then.
    fanout_pending: bool = False


# ------------------------------------------------------------------ helpers
def me(ctx: ServiceContext) -> int:
    """The acting person's id; messaging is always done as somebody."""
    if ctx.actor.person_id is None:
        raise MessagingError(
            "as", "messages are sent and read as a person: choose who (--as EMAIL)"
        )
    return ctx.actor.person_id


def _membership(ctx: ServiceContext, thread_id: int, person_id: int) -> ThreadParticipant:
    row = ctx.session.get(ThreadParticipant, (thread_id, person_id))
    if row is None:
        if ctx.session.get(Thread, thread_id) is None:
            raise MessagingError("thread", f"no thread with id {thread_id}")
        raise MessagingError("thread", f"you are not a member of thread {thread_id}")
    return row


def _notify(ctx: ServiceContext, channel: str, payload: dict[str, object]) -> None:
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(
            sa.text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": json.dumps(payload)}
        )


def _new_thread(
    ctx: ServiceContext,
    kind: str,
    subject: str,
    members: list[int],
    *,
    program_id: int | None = None,
    mentorship_id: int | None = None,
    group_key: str | None = None,
) -> Thread:
    thread = Thread(
        kind=kind,
        subject=subject[:200],
        program_id=program_id,
        mentorship_id=mentorship_id,
        group_key=group_key,
        created_by_id=ctx.actor.person_id,
        created_at=ctx.now(),
    )
    ctx.session.add(thread)
    ctx.session.flush()
    for pid in dict.fromkeys(members):
        ctx.session.add(ThreadParticipant(thread_id=thread.id, person_id=pid, joined_at=ctx.now()))
    ctx.session.flush()
    return thread


def person_by_email(ctx: ServiceContext, email: str) -> int | None:
    """The person the acting person may write to at ``email``, or None.

    On a participant's own PostgreSQL login the database answers
    (``mm_messageable_person``): only mentorship partners and their programs' coordinators
    are found, and anyone else is None exactly like an unknown address.
    """
    address = email.strip().lower()
    if participant_login(ctx.session):
        found = ctx.session.scalar(sa.text("SELECT mm_messageable_person(:e)"), {"e": address})
        return int(found) if found is not None else None
    return ctx.session.scalar(
        sa.select(Person.id).where(sa.func.lower(Person.email) == address).limit(1)
    )


# ------------------------------------------------------------------ threads
def ensure_mentorship_thread(ctx: ServiceContext, mentorship_id: int) -> Thread:
    """The mentorship's own thread, created with both people the first time it is asked for."""
    thread = ctx.session.scalar(sa.select(Thread).where(Thread.mentorship_id == mentorship_id))
    if thread is not None:
        return thread
    m = ctx.session.get(Mentorship, mentorship_id)
    if m is None:
        raise MessagingError("mentorship", f"no mentorship with id {mentorship_id}")
    names = dict(
        ctx.session.execute(
            sa.select(Person.id, Person.full_name).where(Person.id.in_([m.mentor_id, m.mentee_id]))
        ).all()
    )
    subject = f"{names.get(m.mentor_id, '?')} & {names.get(m.mentee_id, '?')}"
    return _new_thread(
        ctx,
        "mentorship",
        subject,
        [m.mentor_id, m.mentee_id],
        program_id=m.program_id,
        mentorship_id=m.id,
    )


def ensure_group_thread(ctx: ServiceContext, program_id: int, group_key: str) -> Thread:
    """The thread of a group sharing ``group_key`` (a mentor with their mentees, a circle)."""
    thread = ctx.session.scalar(
        sa.select(Thread).where(
            Thread.kind == "group", Thread.program_id == program_id, Thread.group_key == group_key
        )
    )
    rows = ctx.session.execute(
        sa.select(Mentorship.mentor_id, Mentorship.mentee_id).where(
            Mentorship.program_id == program_id,
            Mentorship.group_key == group_key,
            Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]),
        )
    ).all()
    members = list(dict.fromkeys(pid for row in rows for pid in row))
    if thread is None:
        if not members:
            raise MessagingError("group", f"no running group {group_key!r} in program {program_id}")
        return _new_thread(
            ctx, "group", f"Group {group_key}", members, program_id=program_id, group_key=group_key
        )
    present = set(
        ctx.session.scalars(
            sa.select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread.id)
        )
    )
    for pid in members:
        if pid not in present:
            ctx.session.add(
                ThreadParticipant(thread_id=thread.id, person_id=pid, joined_at=ctx.now())
            )
    ctx.session.flush()
    return thread


def group_session_thread(
    ctx: ServiceContext, person_ids: Sequence[int], subject: str, *, program_id: int | None
) -> Thread:
    """The conversation of one group session: its attendees, no one else (no actor check:
    the session service decided who attends)."""
    return _new_thread(ctx, "group", subject, list(person_ids), program_id=program_id)


def new_group_thread(
    ctx: ServiceContext, person_ids: Sequence[int], subject: str, *, program_id: int | None
) -> Thread:
    """A new group conversation of ``person_ids`` started by the acting person (no actor
    check: the calling service decided who is in it, as :func:`group_session_thread`)."""
    return _new_thread(ctx, "group", subject, list(person_ids), program_id=program_id)


def add_members(ctx: ServiceContext, thread: Thread, person_ids: Sequence[int]) -> None:
    """Add whoever of ``person_ids`` is not in ``thread`` yet (system use, like ``post``)."""
    present = set(
        ctx.session.scalars(
            sa.select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread.id)
        )
    )
    for pid in dict.fromkeys(person_ids):
        if pid not in present:
            ctx.session.add(
                ThreadParticipant(thread_id=thread.id, person_id=pid, joined_at=ctx.now())
            )
    ctx.session.flush()


def thread_with(ctx: ServiceContext, other_id: int, *, subject: str | None = None) -> Thread:
    """The conversation between the acting person and ``other_id``.

    With a ``subject``: a new two-person conversation so named. Without: their running
    mentorship's thread when they have one; otherwise their existing two-person thread, or
    a new one.
    """
    mine = me(ctx)
    if mine == other_id:
        raise MessagingError("to", "you cannot write to yourself")
    if participant_login(ctx.session):
        # Under row-level security the database opens (or creates) the thread, for people
        # the participant may write to only; anyone else looks like nobody at all.
        tid = ctx.session.scalar(
            sa.text("SELECT mm_thread_with(:p, :s)"), {"p": other_id, "s": subject}
        )
        thread = ctx.session.get(Thread, tid) if tid is not None else None
        if thread is None:
            raise MessagingError("to", f"no person with id {other_id}")
        return thread
    if ctx.session.get(Person, other_id) is None:
        raise MessagingError("to", f"no person with id {other_id}")
    if subject and subject.strip():
        return _new_thread(ctx, "direct", subject.strip(), [mine, other_id])
    mentorship_id = ctx.session.scalar(
        sa.select(Mentorship.id)
        .where(
            sa.or_(
                sa.and_(Mentorship.mentor_id == mine, Mentorship.mentee_id == other_id),
                sa.and_(Mentorship.mentor_id == other_id, Mentorship.mentee_id == mine),
            ),
            Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]),
        )
        .order_by(Mentorship.started_at.desc())
        .limit(1)
    )
    if mentorship_id is not None:
        return ensure_mentorship_thread(ctx, mentorship_id)
    a, b = aliased(ThreadParticipant), aliased(ThreadParticipant)
    existing = ctx.session.scalar(
        sa.select(Thread)
        .join(a, sa.and_(a.thread_id == Thread.id, a.person_id == mine))
        .join(b, sa.and_(b.thread_id == Thread.id, b.person_id == other_id))
        .where(Thread.kind == "direct")
        .limit(1)
    )
    if existing is not None:
        return existing
    names = dict(
        ctx.session.execute(
            sa.select(Person.id, Person.full_name).where(Person.id.in_([mine, other_id]))
        ).all()
    )
    return _new_thread(ctx, "direct", f"{names[mine]} & {names[other_id]}", [mine, other_id])


# ------------------------------------------------------------------ writing
def post(
    ctx: ServiceContext,
    thread: Thread,
    body: str,
    *,
    sender_id: int | None,
    kind: str = "text",
    topic: str = "new_message",
    activity: bool = True,
    recipients: Sequence[int] | None = None,
) -> SentMessage:
    """Write a message into ``thread`` and queue its deliveries (no membership check).

    For services that speak for the system (introductions, announcements); people use
    :func:`send_message`. ``sender_id`` None means MentorMatch itself. ``activity`` False
    (session notices and reminders) records no ``message_sent`` event and leaves the
    last activity (read from the log) alone: the step that caused the notice has its own event.
    ``recipients`` narrows the deliveries to those members (a group session's reminder to
    the attendees it is due for); everyone in the thread still sees the message.
    """
    text = body.strip()
    if not text:
        raise MessagingError("text", "the message is empty")
    if len(text) > MAX_BODY:
        raise MessagingError("text", f"the message is longer than {MAX_BODY:,} characters")
    check_topic(topic)
    now = ctx.now()
    deferred = participant_login(ctx.session)
    message = Message(
        thread_id=thread.id,
        sender_id=sender_id,
        kind=kind,
        body=text,
        created_at=now,
        fanout_pending=deferred,
    )
    ctx.session.add(message)
    if not deferred:  # on PostgreSQL the mm_touch_thread trigger does it for everyone
        thread.last_message_at = now
    ctx.session.flush()
    if sender_id is not None and activity:
        ctx.session.add(
            EngagementEvent(
                person_id=sender_id,
                program_id=thread.program_id,
                mentorship_id=thread.mentorship_id,
                kind=EngagementKind.MESSAGE_SENT,
                occurred_at=now,
                payload={"thread_id": thread.id, "message_id": message.id},
            )
        )
    members = ctx.session.scalars(
        sa.select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread.id)
    ).all()
    queued = 0 if deferred else queue_deliveries(ctx, message, topic, only=recipients)
    for pid in members:
        _notify(ctx, person_channel(pid), {"thread_id": thread.id, "message_id": message.id})
    if queued or deferred:
        _notify(ctx, OUTBOX_CHANNEL, {"message_id": message.id})
    return SentMessage(message.id, thread.id, queued, deferred)


def topic_of(message: Message) -> str:
    """The notification topic of a message queued later (by the worker's fan-out)."""
    return "announcement" if message.kind == "announcement" else "new_message"


def queue_deliveries(
    ctx: ServiceContext, message: Message, topic: str, *, only: Sequence[int] | None = None
) -> int:
    """One outbox row per member of the message's thread (not its sender, not muting it)
    and channel that ``topic`` reaches them on; returns how many.

    Reads the recipients' addresses and preferences: the sender's own transaction does it
    where it may, the delivery worker for a participant's message (:mod:`.outbox`).
    """
    now = ctx.now()
    thread = ctx.session.get(Thread, message.thread_id)
    assert thread is not None
    members = ctx.session.execute(
        sa.select(ThreadParticipant.person_id, ThreadParticipant.muted).where(
            ThreadParticipant.thread_id == message.thread_id
        )
    ).all()
    recipients = [
        pid
        for pid, muted in members
        if pid != message.sender_id and not muted and (only is None or pid in only)
    ]
    queued = 0
    for reach in reachable(ctx, recipients, topic, program_id=thread.program_id):
        ctx.session.add(
            MessageDelivery(
                message_id=message.id,
                recipient_id=reach.person_id,
                channel=reach.channel,
                topic=topic,
                idempotency_key=delivery_key(message.id, reach.person_id, reach.channel),
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=first_due(now, reach.time_zone, reach.settings),
                created_at=now,
            )
        )
        queued += 1
    ctx.session.flush()
    return queued


def send_message(ctx: ServiceContext, thread_id: int, body: str) -> SentMessage:
    """The acting person writes ``body`` into a thread they belong to."""
    sender = me(ctx)
    _membership(ctx, thread_id, sender)
    thread = ctx.session.get(Thread, thread_id)
    assert thread is not None
    if thread.kind == "announcement" and thread.created_by_id != sender:
        raise MessagingError(
            "thread", "announcements are read-only; reply to the coordinator directly"
        )
    return post(ctx, thread, body, sender_id=sender)


def post_announcement(
    ctx: ServiceContext, program_id: int, subject: str, body: str, *, cohort: str | None = None
) -> SentMessage:
    """A coordinator writes to every active member of a program (or of one cohort)."""
    if not ctx.actor.is_coordinator:
        raise MessagingError("program", "only coordinators send announcements")
    if not subject.strip():
        raise MessagingError("subject", "an announcement needs a subject")
    query = sa.select(Enrolment.person_id).where(
        Enrolment.program_id == program_id, Enrolment.status == EnrolmentStatus.ACTIVE
    )
    if cohort is not None:
        query = query.where(Enrolment.cohort == cohort)
    members = list(dict.fromkeys(ctx.session.scalars(query)))
    if not members:
        where = f"cohort {cohort!r} of program {program_id}" if cohort else f"program {program_id}"
        raise MessagingError("program", f"{where} has no active members")
    sender = ctx.actor.person_id
    thread = _new_thread(
        ctx,
        "announcement",
        subject.strip(),
        ([sender] if sender else []) + members,
        program_id=program_id,
    )
    sent = post(ctx, thread, body, sender_id=sender, kind="announcement", topic="announcement")
    ctx.audit(
        "announcement.sent", "thread", thread.id, {"program_id": program_id, "cohort": cohort}
    )
    return sent


def announcement_audience(ctx: ServiceContext, program_id: int) -> dict[str | None, int]:
    """How many active members a program's announcement reaches: per cohort (None for the
    members in no cohort); their sum is the whole program."""
    rows = ctx.session.execute(
        sa.select(Enrolment.cohort, sa.func.count(sa.distinct(Enrolment.person_id)))
        .where(Enrolment.program_id == program_id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .group_by(Enrolment.cohort)
    ).all()
    return {cohort: int(n) for cohort, n in rows}


def edit_message(ctx: ServiceContext, message_id: int, body: str) -> MessageView:
    """Change one's own message within :data:`EDIT_WINDOW` of sending it."""
    message = _own_recent(ctx, message_id, "edit")
    text = body.strip()
    if not text:
        raise MessagingError("text", "the message is empty (delete it instead)")
    if len(text) > MAX_BODY:
        raise MessagingError("text", f"the message is longer than {MAX_BODY:,} characters")
    message.body, message.edited_at = text, ctx.now()
    ctx.session.flush()
    _notify_members(ctx, message)
    return _view(message, "")


def delete_message(ctx: ServiceContext, message_id: int) -> None:
    """Remove one's own message within the window; deliveries not yet sent are cancelled."""
    message = _own_recent(ctx, message_id, "delete")
    message.body, message.deleted_at = "", ctx.now()
    if participant_login(ctx.session):
        # No privilege on the outbox: the worker cancels what is left (outbox.load) and
        # never fans out a deleted message.
        ctx.session.flush()
        _notify_members(ctx, message)
        return
    ctx.session.execute(
        sa.update(MessageDelivery)
        .where(
            MessageDelivery.message_id == message.id,
            MessageDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, last_error="message deleted by its sender")
    )
    ctx.session.flush()
    _notify_members(ctx, message)


def _own_recent(ctx: ServiceContext, message_id: int, verb: str) -> Message:
    message = ctx.session.get(Message, message_id)
    if message is None or message.deleted_at is not None:
        raise MessagingError("message", f"no message with id {message_id}")
    if message.sender_id != me(ctx):
        raise MessagingError("message", f"you can only {verb} your own messages")
    if ctx.now() - message.created_at > EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise MessagingError("message", f"messages can be {verb}ed for {minutes} minutes only")
    return message


def _notify_members(ctx: ServiceContext, message: Message) -> None:
    for pid in ctx.session.scalars(
        sa.select(ThreadParticipant.person_id).where(
            ThreadParticipant.thread_id == message.thread_id
        )
    ):
        _notify(
            ctx, person_channel(pid), {"thread_id": message.thread_id, "message_id": message.id}
        )


# ------------------------------------------------------------------ reading
#: "Read up to" of someone who never opened a thread: before any message can exist.
NEVER_READ = datetime(1900, 1, 1, tzinfo=UTC)


def _unread_count(person_id: int, msg: type[Message] = Message) -> sa.ScalarSelect[int]:
    """Messages by others after the person's ``last_read_at`` (correlated per thread).

    Written so that ``ix_messages_thread_unread`` answers it alone: a range on
    (thread_id, created_at) — a never-read thread starts at :data:`NEVER_READ` rather than
    an ``OR … IS NULL`` the index cannot bound —, ``deleted_at IS NULL`` as the index's own
    condition and the sender from its included column, counted with ``count(*)``.

    The bound is a CASE, not ``coalesce``: under row-level security PostgreSQL uses a
    condition as an index bound only if it is provably leak-proof, and it does not know
    that of ``coalesce`` (the scan then read every message of the thread, 10,000 for a
    long one, and filtered them).
    """
    never = sa.bindparam("never_read", NEVER_READ, type_=Message.created_at.type)
    read_up_to = sa.case(
        (ThreadParticipant.last_read_at.is_(None), never),
        else_=ThreadParticipant.last_read_at,
    )
    return (
        sa.select(sa.func.count())
        .select_from(msg)
        .where(
            msg.thread_id == ThreadParticipant.thread_id,
            msg.created_at > read_up_to,
            msg.deleted_at.is_(None),
            sa.or_(msg.sender_id.is_(None), msg.sender_id != person_id),
        )
        .scalar_subquery()
    )


def list_threads(ctx: ServiceContext, *, with_members: bool = True) -> list[ThreadSummary]:
    """The acting person's threads, most recent first, each with its unread count."""
    mine = me(ctx)
    msg = readable(ctx)
    rows = ctx.session.execute(
        sa.select(Thread, ThreadParticipant.muted, _unread_count(mine, msg).label("unread"))
        .join(ThreadParticipant, ThreadParticipant.thread_id == Thread.id)
        .where(ThreadParticipant.person_id == mine)
        .order_by(Thread.last_message_at.desc().nulls_last(), Thread.id.desc())
    ).all()
    members: dict[int, list[str]] = {}
    if with_members and rows:
        pairs = ctx.session.execute(
            sa.select(ThreadParticipant.thread_id, ThreadParticipant.person_id).where(
                ThreadParticipant.thread_id.in_([t.id for t, _, _ in rows]),
                ThreadParticipant.person_id != mine,
            )
        ).all()
        names = person_names(ctx, {pid for _, pid in pairs})
        for tid, pid in pairs:
            members.setdefault(tid, []).append(names.get(pid, "—"))
        for names_of_thread in members.values():
            names_of_thread.sort()
    return [
        ThreadSummary(
            t.id,
            t.kind,
            t.subject,
            t.program_id,
            t.mentorship_id,
            t.last_message_at,
            int(unread or 0),
            bool(muted),
            members.get(t.id, []),
            t.created_by_id,
        )
        for t, muted, unread in rows
    ]


def unread_total(ctx: ServiceContext) -> int:
    """All unread messages of the acting person (the sidebar badge); muted threads count too."""
    return sum(t.unread for t in list_threads(ctx, with_members=False))


def read_page(
    ctx: ServiceContext, thread_id: int, *, before: int | None = None, limit: int = PAGE_SIZE
) -> MessagePage:
    """A page of a thread ending just before message id ``before`` (or at the newest).

    Keyset paging on (thread_id, id): the first page of a 10,000-message thread reads 50
    index entries, never the rest.
    """
    _membership(ctx, thread_id, me(ctx))
    if not 1 <= limit <= 500:
        raise MessagingError("limit", "a page holds 1 to 500 messages")
    msg = readable(ctx)
    query = sa.select(msg).where(msg.thread_id == thread_id).order_by(msg.id.desc()).limit(limit)
    if before is not None:
        query = query.where(msg.id < before)
    rows = list(ctx.session.scalars(query))
    names = _sender_names(ctx, rows)
    views = [_view(m, _sender(names, m)) for m in reversed(rows)]
    older = views[0].id if len(rows) == limit else None
    return MessagePage(views, older)


def _sender_names(ctx: ServiceContext, messages: list[Message]) -> dict[int, str]:
    """The senders' names, read through the directory (row-level security hides other
    people's rows from a participant, not their names)."""
    return person_names(ctx, {m.sender_id for m in messages if m.sender_id is not None})


def _sender(names: dict[int, str], m: Message) -> str:
    return "MentorMatch" if m.sender_id is None else names.get(m.sender_id, "—")


def _view(m: Message, sender_name: str) -> MessageView:
    return MessageView(
        m.id,
        m.thread_id,
        m.sender_id,
        sender_name,
        m.kind,
        "" if m.deleted_at else m.body,
        m.created_at,
        m.edited_at,
        m.deleted_at is not None,
    )


def mark_read(ctx: ServiceContext, thread_id: int) -> int:
    """Everything in the thread up to now is read by the acting person; returns how many."""
    return _read_up_to(ctx, thread_id, ctx.now(), partial=False)


def mark_read_through(ctx: ServiceContext, thread_id: int, seen_at: datetime) -> int:
    """The thread is read up to the message sent at ``seen_at`` (the newest one the reader
    has had on screen) and no further; returns how many became read.

    For a conversation opened in the middle (a search hit far back): the messages below
    what the reader saw stay unread. Read state only moves forward, so this never undoes a
    later ``mark_read``.
    """
    return _read_up_to(ctx, thread_id, seen_at, partial=True)


def _read_up_to(ctx: ServiceContext, thread_id: int, up_to: datetime, *, partial: bool) -> int:
    """Move the acting person's read mark to ``up_to`` (never back); how many became read.
    ``partial``: messages may stay unread past the mark, so they are counted again after."""
    mine = me(ctx)
    member = _membership(ctx, thread_id, mine)
    before = member.last_read_at
    msg = readable(ctx)
    unread = ctx.session.scalar(
        sa.select(_unread_count(mine, msg)).where(
            ThreadParticipant.thread_id == thread_id, ThreadParticipant.person_id == mine
        )
    )
    member.last_read_at = up_to if before is None else max(_utc(before), _utc(up_to))
    ctx.session.flush()
    if unread and partial:
        # what is still unread past the new mark: the difference is what became read
        unread -= (
            ctx.session.scalar(
                sa.select(_unread_count(mine, msg)).where(
                    ThreadParticipant.thread_id == thread_id, ThreadParticipant.person_id == mine
                )
            )
            or 0
        )
    if unread:
        thread = ctx.session.get(Thread, thread_id)
        assert thread is not None
        ctx.session.add(
            EngagementEvent(
                person_id=mine,
                program_id=thread.program_id,
                mentorship_id=thread.mentorship_id,
                kind=EngagementKind.MESSAGE_READ,
                occurred_at=ctx.now(),
                payload={"thread_id": thread_id, "count": int(unread)},
            )
        )
    ctx.session.flush()
    _notify(ctx, person_channel(mine), {"thread_id": thread_id, "read": True})
    return int(unread or 0)


def _utc(value: datetime) -> datetime:
    """SQLite hands stored times back without a zone; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def set_muted(ctx: ServiceContext, thread_id: int, muted: bool) -> None:
    """Mute a thread: it still counts unread in the app but sends no notifications."""
    _membership(ctx, thread_id, me(ctx)).muted = muted
    ctx.session.flush()


def search_messages(ctx: ServiceContext, query: str, *, limit: int = 50) -> list[MessageView]:
    """The acting person's messages (in threads they belong to) containing ``query``."""
    words = query.strip()
    if len(words) < 2:
        raise MessagingError("query", "search for at least two characters")
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    msg = readable(ctx)
    rows = list(
        ctx.session.scalars(
            sa.select(msg)
            .join(ThreadParticipant, ThreadParticipant.thread_id == msg.thread_id)
            .where(
                ThreadParticipant.person_id == me(ctx),
                msg.deleted_at.is_(None),
                msg.body.ilike(pattern, escape="\\"),
            )
            .order_by(msg.id.desc())
            .limit(limit)
        )
    )
    names = _sender_names(ctx, rows)
    return [_view(m, _sender(names, m)) for m in rows]


@dataclass(frozen=True)
class LastMessage:
    sender_name: str
    body: str
    created_at: datetime
    #: how a preview names the sender ("Jun Jie: …"): :func:`address_name` of them
    sender_short: str = ""


def last_messages(ctx: ServiceContext, thread_ids: list[int]) -> dict[int, LastMessage]:
    """The newest visible message of each of ``thread_ids`` (for previews in a thread list).

    One query over the ``(thread_id, id)`` index: the newest id per thread, then those rows.
    Only threads the acting person belongs to are answered.
    """
    if not thread_ids:
        return {}
    msg = readable(ctx)
    newest = (
        sa.select(sa.func.max(msg.id).label("id"))
        .join(ThreadParticipant, ThreadParticipant.thread_id == msg.thread_id)
        .where(
            msg.thread_id.in_(thread_ids),
            msg.deleted_at.is_(None),
            ThreadParticipant.person_id == me(ctx),
        )
        .group_by(msg.thread_id)
        .subquery()
    )
    rows = list(ctx.session.scalars(sa.select(msg).join(newest, newest.c.id == msg.id)))
    names = _sender_names(ctx, rows)
    short = person_addresses(ctx, {m.sender_id for m in rows if m.sender_id is not None})
    return {
        m.thread_id: LastMessage(_sender(names, m), m.body, m.created_at, _sender(short, m))
        for m in rows
    }


def inbox_marker(ctx: ServiceContext) -> tuple[object, ...]:
    """A cheap fingerprint of the acting person's inbox: it changes when a message arrives,
    is edited or deleted, a thread is joined, or their read state moves.

    What an embedded (SQLite) app polls every few seconds instead of LISTEN/NOTIFY; one
    indexed aggregate query.
    """
    mine = me(ctx)
    row = ctx.session.execute(
        sa.select(
            sa.func.count(sa.distinct(ThreadParticipant.thread_id)),
            sa.func.max(ThreadParticipant.last_read_at),
            sa.func.max(Message.id),
            sa.func.max(Message.edited_at),
            sa.func.max(Message.deleted_at),
        )
        .select_from(ThreadParticipant)
        .outerjoin(Message, Message.thread_id == ThreadParticipant.thread_id)
        .where(ThreadParticipant.person_id == mine)
    ).one()
    return tuple(row)
