"""Coordinator nudges: running pairs that have not booked a first session, and a reminder.

A pair is *waiting* when its mentorship is active, started at least ``after_days`` ago,
and has no session that was not cancelled or declined (proposed, booked, held or missed
all count as "had or booked"). A coordinator nudges it: a message with up to three
suggested times is posted into the mentorship's thread (so both people get it in the inbox
and by their channels, queued through the outbox in the same unit of work). The message
itself, of kind ``nudge``, is the record: a pair nudged less than ``cooldown_days`` ago is
not nudged again.

Both numbers are per program (:class:`~mentormatch_desktop.services.programs.NudgePolicy`
in the program's settings); a caller may override them for one look (the panel's "no
session after", ``mentormatch nudges list --days``). The Schedule screen's panel and the
``mentormatch nudges`` command call the same two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.scheduling.slots import Slot
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.inbox import ensure_mentorship_thread, post
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.services.programs import NudgePolicy, nudge_policies
from mentormatch_desktop.services.schedule import ScheduleError, find_slots
from mentormatch_desktop.storage.models import Meeting, Mentorship, Message, Person, Thread

NUDGE_KIND = "nudge"
DEFAULT_AFTER_DAYS = NudgePolicy().after_days
DEFAULT_COOLDOWN_DAYS = NudgePolicy().cooldown_days
SUGGESTED_SLOTS = 3


@dataclass(frozen=True)
class WaitingPair:
    """A running pair with no session yet, and when it was last nudged."""

    mentorship_id: int
    mentor_name: str
    mentee_name: str
    started_at: datetime
    days_waiting: int
    last_nudged_at: datetime | None
    may_nudge: bool  # False: nudged within the cooldown
    program_id: int = 0
    cooldown_days: int = DEFAULT_COOLDOWN_DAYS  # the one that applied to this pair


@dataclass(frozen=True)
class NudgeResult:
    sent: tuple[int, ...]  # mentorship ids
    skipped: tuple[int, ...]  # nudged too recently, or no longer waiting


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _last_nudge() -> sa.ScalarSelect[datetime]:
    return (
        sa.select(sa.func.max(Message.created_at))
        .join(Thread, Thread.id == Message.thread_id)
        .where(Thread.mentorship_id == Mentorship.id, Message.kind == NUDGE_KIND)
        .scalar_subquery()
    )


def _no_session() -> sa.ColumnElement[bool]:
    gone = (MeetingStatus.CANCELLED, MeetingStatus.DECLINED)
    return ~Mentorship.meetings.any(Meeting.status.not_in(gone))


def _policy(
    policies: dict[int, NudgePolicy],
    program_id: int,
    after_days: int | None,
    cooldown_days: int | None,
) -> tuple[int, int]:
    own = policies.get(program_id, NudgePolicy())
    return (
        own.after_days if after_days is None else after_days,
        own.cooldown_days if cooldown_days is None else cooldown_days,
    )


def waiting_pairs(
    ctx: ServiceContext,
    program_id: int | None = None,
    *,
    after_days: int | None = None,
    cooldown_days: int | None = None,
) -> list[WaitingPair]:
    """Active pairs (of one program, or all) without a first session ``after_days`` after
    they started, longest waiting first. ``None`` means each program's own setting."""
    if (after_days is not None and after_days < 0) or (
        cooldown_days is not None and cooldown_days < 0
    ):
        raise ValueError("days cannot be negative")
    now = ctx.now()
    policies = nudge_policies(ctx.session, None if program_id is None else [program_id])
    # The database filters by the most lenient threshold; each pair's own is applied below.
    thresholds = (
        [after_days] if after_days is not None else [p.after_days for p in policies.values()]
    )
    loosest = min(thresholds, default=DEFAULT_AFTER_DAYS)
    mentor, mentee = aliased(Person), aliased(Person)
    last = _last_nudge().label("last_nudged_at")
    query = (
        sa.select(
            Mentorship.id,
            Mentorship.program_id,
            mentor.full_name,
            mentee.full_name,
            Mentorship.started_at,
            last,
        )
        .join(mentor, mentor.id == Mentorship.mentor_id)
        .join(mentee, mentee.id == Mentorship.mentee_id)
        .where(
            Mentorship.status == MentorshipStatus.ACTIVE,
            Mentorship.started_at <= now - timedelta(days=loosest),
            _no_session(),
        )
        .order_by(Mentorship.started_at, Mentorship.id)
    )
    if program_id is not None:
        query = query.where(Mentorship.program_id == program_id)
    out = []
    for mid, pid, mentor_name, mentee_name, started, nudged in ctx.session.execute(query):
        after, cooldown = _policy(policies, pid, after_days, cooldown_days)
        started = _aware(started)
        if started > now - timedelta(days=after):
            continue
        nudged = None if nudged is None else _aware(nudged)
        out.append(
            WaitingPair(
                mentorship_id=mid,
                mentor_name=mentor_name,
                mentee_name=mentee_name,
                started_at=started,
                days_waiting=(now - started).days,
                last_nudged_at=nudged,
                may_nudge=nudged is None or nudged <= now - timedelta(days=cooldown),
                program_id=pid,
                cooldown_days=cooldown,
            )
        )
    return out


def _slot_line(slot: Slot, names: dict[int, str]) -> str:
    parts = [
        f"{names.get(v.person_id, v.label)}: {v.start:%a} {v.start.day} {v.start:%b %H:%M}"
        f"–{v.end:%H:%M} ({v.time_zone})"
        for v in slot.people
    ]
    return "- " + " · ".join(parts)


def nudge_body(mentor: str, mentee: str, slots: list[Slot], names: dict[int, str]) -> str:
    """The reminder's text; ``mentor`` and ``mentee`` are the names to greet them by
    (:func:`~mentormatch_desktop.domain.names.address_name`), ``names`` full names by id."""
    lines = [
        f"Hello {mentee} and {mentor},",
        "",
        "You have not booked a first session yet. A first conversation early on is what",
        "makes a mentorship work: pick a time and propose it from the Schedule screen.",
    ]
    if slots:
        lines += ["", "Times that suit both of you:"] + [_slot_line(s, names) for s in slots]
    return "\n".join(lines)


def nudge_pairs(
    ctx: ServiceContext,
    mentorship_ids: list[int],
    *,
    cooldown_days: int | None = None,
    minutes: int = 45,
) -> NudgeResult:
    """Post a nudge (with up to three suggested times) to each pair that is still waiting
    and was not nudged within ``cooldown_days`` (``None``: its program's setting); the
    others are skipped."""
    if not ctx.actor.is_coordinator:
        raise MessagingError("mentorship", "only coordinators nudge pairs")
    if cooldown_days is not None and cooldown_days < 0:
        raise ValueError("days cannot be negative")
    now = ctx.now()
    policies = nudge_policies(ctx.session)
    sent: list[int] = []
    skipped: list[int] = []
    for mid in dict.fromkeys(mentorship_ids):
        row = ctx.session.execute(
            sa.select(Mentorship, _last_nudge()).where(
                Mentorship.id == mid,
                Mentorship.status == MentorshipStatus.ACTIVE,
                _no_session(),
            )
        ).first()
        if row is None:
            skipped.append(mid)
            continue
        m: Mentorship = row[0]
        _after, cooldown = _policy(policies, m.program_id, None, cooldown_days)
        if row[1] is not None and _aware(row[1]) > now - timedelta(days=cooldown):
            skipped.append(mid)
            continue
        people = {
            pid: (full, preferred)
            for pid, full, preferred in ctx.session.execute(
                sa.select(Person.id, Person.full_name, Person.preferred_name).where(
                    Person.id.in_([m.mentor_id, m.mentee_id])
                )
            )
        }
        names = {pid: full for pid, (full, _) in people.items()}
        try:
            slots = find_slots(
                ctx, [m.mentee_id, m.mentor_id], minutes=minutes, limit=SUGGESTED_SLOTS
            )
        except ScheduleError:
            slots = []
        body = nudge_body(
            address_name(*people[m.mentor_id]), address_name(*people[m.mentee_id]), slots, names
        )
        thread = ensure_mentorship_thread(ctx, m.id)
        post(ctx, thread, body, sender_id=ctx.actor.person_id, kind=NUDGE_KIND, activity=False)
        sent.append(mid)
    if sent:
        ctx.audit("mentorships.nudged", "mentorship", None, {"ids": sent})
    return NudgeResult(tuple(sent), tuple(skipped))
