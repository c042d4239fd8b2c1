"""Group conversations started by people (peer circles): start one, add members later.

Who may be in a participant's group is who they may write to, and one rule decides it on
both backends: on a participant's own PostgreSQL login the database answers
(``mm_messageable_people()`` in ``storage/security/89_group_threads.sql``, mirroring
``mm_may_message``) and its row-level security policies refuse anything else even in raw
SQL; elsewhere (SQLite, ``--as``) :func:`_messageable_query` asks the same question of the
tables. A participant may write to the partners of their running (active or paused)
mentorships and to the coordinators of programs they are actively enrolled in (a
coordinator listed for no program coordinates all of them). Coordinators acting as
themselves may include any active person.

Only the person who started a group adds members to it. Nobody can be added who the
starter may not write to, and such a person reads exactly like one who does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, EnrolmentStatus, MentorshipStatus
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.identity import participant_login
from mentormatch_desktop.services.inbox import _new_thread, me
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import (
    CoordinatorProgram,
    Enrolment,
    Mentorship,
    Person,
    Thread,
    ThreadParticipant,
)

MAX_SUBJECT = 200
MAX_MEMBERS = 50


@dataclass(frozen=True)
class Contact:
    """Someone the acting person may write to (for the member picker)."""

    id: int
    name: str


def _messageable_query(ctx: ServiceContext, mine: int) -> sa.Select[tuple[int, str]]:
    """The people ``mine`` may write to, as the tables say (the SQL helper's rule)."""
    running = [MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]
    coordinator = Person.app_role.in_([AppRole.COORDINATOR, AppRole.ADMIN])
    query = sa.select(Person.id, Person.full_name).where(Person.is_active, Person.id != mine)
    if ctx.actor.is_coordinator:
        return query.order_by(Person.full_name, Person.id)
    partners = sa.union(
        sa.select(Mentorship.mentee_id).where(
            Mentorship.mentor_id == mine, Mentorship.status.in_(running)
        ),
        sa.select(Mentorship.mentor_id).where(
            Mentorship.mentee_id == mine, Mentorship.status.in_(running)
        ),
    )
    enrolled = sa.select(Enrolment.program_id).where(
        Enrolment.person_id == mine, Enrolment.status == EnrolmentStatus.ACTIVE
    )
    of_my_programs = sa.select(CoordinatorProgram.person_id).where(
        CoordinatorProgram.program_id.in_(enrolled)
    )
    of_every_program = sa.and_(
        ~sa.exists().where(CoordinatorProgram.person_id == Person.id),
        sa.exists(enrolled),
    )
    return query.where(
        sa.or_(
            Person.id.in_(partners),
            sa.and_(coordinator, sa.or_(Person.id.in_(of_my_programs), of_every_program)),
        )
    ).order_by(Person.full_name, Person.id)


def messageable_people(ctx: ServiceContext) -> list[Contact]:
    """Everyone the acting person may write to, by name (the member picker's list)."""
    mine = me(ctx)
    if participant_login(ctx.session):
        rows = ctx.session.execute(sa.text("SELECT id, full_name FROM mm_messageable_people()"))
    else:
        rows = ctx.session.execute(_messageable_query(ctx, mine))
    return [Contact(int(pid), str(name)) for pid, name in rows]


def _allowed(ctx: ServiceContext, person_ids: list[int]) -> list[int]:
    """``person_ids`` without repeats, or a MessagingError naming the first one the acting
    person may not write to (an unknown id reads the same)."""
    mine = me(ctx)
    wanted = list(dict.fromkeys(int(p) for p in person_ids if int(p) != mine))
    if not wanted:
        raise MessagingError("members", "a group needs at least one other person")
    if len(wanted) > MAX_MEMBERS:
        raise MessagingError("members", f"a group holds at most {MAX_MEMBERS} other people")
    may = {c.id for c in messageable_people(ctx)}
    refused = [p for p in wanted if p not in may]
    if refused:
        raise MessagingError("members", f"no person with id {refused[0]} that you may write to")
    return wanted


def start_group(ctx: ServiceContext, subject: str, person_ids: list[int]) -> Thread:
    """A new group conversation named ``subject`` between the acting person and
    ``person_ids`` (people they may write to); they alone may add members later."""
    mine = me(ctx)
    name = " ".join(subject.split())
    if not name:
        raise MessagingError("subject", "name the group")
    if len(name) > MAX_SUBJECT:
        raise MessagingError("subject", f"a group's name is at most {MAX_SUBJECT} characters")
    members = _allowed(ctx, person_ids)
    thread = _new_thread(ctx, "group", name, [mine, *members])
    ctx.session.flush()
    return thread


def add_members(ctx: ServiceContext, thread_id: int, person_ids: list[int]) -> list[int]:
    """Add people to a group the acting person started; returns those newly added."""
    mine = me(ctx)
    thread = ctx.session.get(Thread, thread_id)
    if thread is None:
        raise MessagingError("thread", f"no thread with id {thread_id}")
    if thread.kind != "group" or thread.created_by_id != mine:
        raise MessagingError("thread", "only the person who started a group adds its members")
    present = set(
        ctx.session.scalars(
            sa.select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread_id)
        )
    )
    wanted = [p for p in dict.fromkeys(person_ids) if p not in present and p != mine]
    if not wanted:
        return []
    added = _allowed(ctx, wanted)
    now = ctx.now()
    for pid in added:
        ctx.session.add(ThreadParticipant(thread_id=thread_id, person_id=pid, joined_at=now))
    ctx.session.flush()
    return added


def group_info(ctx: ServiceContext, thread_id: int) -> tuple[bool, set[int]]:
    """Whether the acting person may add members to ``thread_id``, and its members' ids."""
    mine = me(ctx)
    thread = ctx.session.get(Thread, thread_id)
    members = set(
        ctx.session.scalars(
            sa.select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread_id)
        )
    )
    if thread is None or mine not in members:
        raise MessagingError("thread", f"no thread with id {thread_id}")
    return thread.kind == "group" and thread.created_by_id == mine, members
