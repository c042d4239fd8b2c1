"""A participant's home screen ("My mentoring"): what is going on and what needs them.

One read for the whole screen: the acting person's running mentorships (partner, program,
next session, open milestones, unread messages in the pair's thread), their open goals,
their unread total, and a short to-do list (threads waiting for a reply, session times
waiting for their answer). Everything is read as ``ctx.actor``, so on a shared database
row-level security keeps it to their own rows; other people's names come through the
``directory`` (:func:`.me._names`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import (
    GoalStatus,
    MeetingStatus,
    MentorshipStatus,
)
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.inbox import list_threads
from mentormatch_desktop.services.me import _me, person_names
from mentormatch_desktop.storage.models import (
    Goal,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    Program,
)

RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
UPCOMING = (MeetingStatus.PROPOSED, MeetingStatus.SCHEDULED)


@dataclass(frozen=True)
class HomeMentorship:
    id: int
    program: str
    partner: str
    my_side: str  # "mentor" or "mentee"
    status: str
    started_at: datetime
    next_session: datetime | None
    next_session_confirmed: bool
    open_milestones: int
    thread_id: int | None
    unread: int


@dataclass(frozen=True)
class HomeGoal:
    id: int
    title: str
    target_date: date | None


@dataclass(frozen=True)
class ToDo:
    """Something waiting for the person: ``kind`` is ``reply`` or ``confirm``."""

    kind: str
    text: str
    thread_id: int | None = None
    mentorship_id: int | None = None


@dataclass(frozen=True)
class Home:
    person_id: int
    full_name: str
    time_zone: str
    mentorships: tuple[HomeMentorship, ...]
    goals: tuple[HomeGoal, ...]
    unread: int
    todo: tuple[ToDo, ...]
    #: what the greeting calls them (:func:`address_name`: preferred name, else first word)
    address: str = ""


def my_home(ctx: ServiceContext) -> Home:
    """Everything the participant's home screen shows, read in one unit of work."""
    me = _me(ctx)
    person = ctx.session.get(Person, me)
    full_name = person.full_name if person is not None else ""
    time_zone = person.time_zone if person is not None else "UTC"
    now = ctx.now()
    rows = ctx.session.execute(
        sa.select(Mentorship, Program.name)
        .join(Program, Program.id == Mentorship.program_id)
        .where(
            sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me),
            Mentorship.status.in_(RUNNING),
        )
        .order_by(Mentorship.started_at.desc())
    ).all()
    ids = [m.id for m, _ in rows]
    partner_of = {m.id: (m.mentee_id if m.mentor_id == me else m.mentor_id) for m, _ in rows}
    names = person_names(ctx, set(partner_of.values()))

    upcoming: dict[int, Meeting] = {}
    if ids:
        for meeting in ctx.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.mentorship_id.in_(ids),
                Meeting.status.in_(UPCOMING),
                Meeting.starts_at >= now,
            )
            .order_by(Meeting.starts_at)
        ):
            upcoming.setdefault(meeting.mentorship_id, meeting)
    milestones = (
        dict(
            ctx.session.execute(
                sa.select(Milestone.mentorship_id, sa.func.count(Milestone.id))
                .where(Milestone.mentorship_id.in_(ids), Milestone.completed_at.is_(None))
                .group_by(Milestone.mentorship_id)
            ).all()
        )
        if ids
        else {}
    )
    threads = list_threads(ctx)
    by_mentorship = {t.mentorship_id: t for t in threads if t.mentorship_id is not None}

    mentorships = []
    todo: list[ToDo] = []
    for m, program in rows:
        partner = names.get(partner_of[m.id], "—")
        meeting = upcoming.get(m.id)
        thread = by_mentorship.get(m.id)
        mentorships.append(
            HomeMentorship(
                id=m.id,
                program=program,
                partner=partner,
                my_side="mentor" if m.mentor_id == me else "mentee",
                status=m.status.value,
                started_at=m.started_at,
                next_session=meeting.starts_at if meeting else None,
                next_session_confirmed=bool(meeting and meeting.status == MeetingStatus.SCHEDULED),
                open_milestones=int(milestones.get(m.id, 0)),
                thread_id=thread.id if thread else None,
                unread=thread.unread if thread else 0,
            )
        )
        waiting = meeting is not None and meeting.status == MeetingStatus.PROPOSED
        if waiting and meeting.proposed_by_id != me:
            todo.append(
                ToDo("confirm", f"Confirm the session {partner} proposed", mentorship_id=m.id)
            )
    for t in threads:
        if t.unread and not t.muted:
            # Where the messages are, not who wrote them: the thread's members are not the
            # senders (a coordinator's introduction in a pair's thread read as the partner's).
            if len(t.members) == 1:
                where = f"your conversation with {t.members[0]}"
            else:
                where = t.subject or ", ".join(t.members[:2])
            word = "message" if t.unread == 1 else "messages"
            todo.append(ToDo("reply", f"{t.unread} new {word} in {where}", thread_id=t.id))
    goals = tuple(
        HomeGoal(g.id, g.title, g.target_date)
        for g in ctx.session.scalars(
            sa.select(Goal)
            .where(Goal.person_id == me, Goal.status == GoalStatus.OPEN)
            .order_by(Goal.target_date.asc().nulls_last(), Goal.id)
        )
    )
    return Home(
        person_id=me,
        full_name=full_name,
        time_zone=time_zone,
        mentorships=tuple(mentorships),
        goals=goals,
        unread=sum(t.unread for t in threads),
        todo=tuple(todo),
        address=address_name(full_name, person.preferred_name if person is not None else None),
    )
