"""The signed-in participant's own world: their profile and their mentorships.

Every query here reads only what row-level security lets a participant read (their own
``people`` row, their mentorships, the programs they are enrolled in) and other people only
through the ``directory`` view, so the same code runs for a participant login on a shared
database and for ``--as EMAIL`` on an embedded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import EngagementKind
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.domain.names import PREFERRED_NAME_LIMIT, address_name
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    Department,
    EngagementEvent,
    Mentorship,
    Person,
    Program,
)


@dataclass(frozen=True)
class MyMentorship:
    id: int
    program: str
    partner: str
    my_side: str  # "mentor" or "mentee"
    status: str
    started_at: datetime


@dataclass(frozen=True)
class MyProfile:
    person_id: int
    full_name: str
    email: str
    title: str
    department: str
    time_zone: str
    bio: str
    mentorships: tuple[MyMentorship, ...]
    preferred_name: str = ""  # empty: addressed by the first word of full_name


def _me(ctx: ServiceContext) -> int:
    if ctx.actor.person_id is None:
        raise FieldError("person", "this login is not linked to a person")
    return ctx.actor.person_id


def person_names(ctx: ServiceContext, ids: set[int]) -> dict[int, str]:
    """Other people's names: the directory's ``mm_person_names`` on PostgreSQL (a
    participant may not read other people's rows, but may read their public profile), the
    table on SQLite. Not the ``directory`` view: that builds every profile before filtering."""
    if not ids:
        return {}
    if ctx.session.get_bind().dialect.name == "postgresql":
        rows = ctx.session.execute(
            sa.text("SELECT id, full_name FROM mm_person_names(:ids)"),
            {"ids": sorted(ids)},
        )
    else:
        rows = ctx.session.execute(sa.select(Person.id, Person.full_name).where(Person.id.in_(ids)))
    return {int(i): str(n) for i, n in rows}


_names = person_names


def person_addresses(ctx: ServiceContext, ids: set[int]) -> dict[int, str]:
    """How to address each of ``ids`` briefly (an inbox preview's "Jun Jie: …"): their
    preferred name, else the first word of their full name (:func:`address_name`).

    Read like :func:`person_names`: through ``mm_person_addresses`` on PostgreSQL, which
    answers exactly the people ``mm_person_names`` does, from the table on SQLite."""
    if not ids:
        return {}
    if ctx.session.get_bind().dialect.name == "postgresql":
        rows = ctx.session.execute(
            sa.text("SELECT id, full_name, preferred_name FROM mm_person_addresses(:ids)"),
            {"ids": sorted(ids)},
        )
    else:
        rows = ctx.session.execute(
            sa.select(Person.id, Person.full_name, Person.preferred_name).where(Person.id.in_(ids))
        )
    return {int(i): address_name(str(full), preferred) for i, full, preferred in rows}


def my_profile(ctx: ServiceContext) -> MyProfile:
    """The acting person's profile and mentorships (newest first)."""
    me = _me(ctx)
    person = ctx.session.get(Person, me)
    if person is None:
        raise FieldError("person", "your profile is not visible to this login")
    department = (
        ctx.session.scalar(sa.select(Department.name).where(Department.id == person.department_id))
        if person.department_id
        else None
    )
    rows = ctx.session.execute(
        sa.select(Mentorship, Program.name)
        .join(Program, Program.id == Mentorship.program_id)
        .where(sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me))
        .order_by(Mentorship.started_at.desc())
    ).all()
    partners = {m.mentee_id if m.mentor_id == me else m.mentor_id for m, _ in rows}
    names = _names(ctx, partners)
    mentorships = tuple(
        MyMentorship(
            id=m.id,
            program=program,
            partner=names.get(m.mentee_id if m.mentor_id == me else m.mentor_id, "—"),
            my_side="mentor" if m.mentor_id == me else "mentee",
            status=m.status.value,
            started_at=m.started_at,
        )
        for m, program in rows
    )
    return MyProfile(
        person_id=me,
        full_name=person.full_name,
        email=person.email,
        title=person.title or "",
        department=department or "",
        time_zone=person.time_zone,
        bio=person.bio,
        mentorships=mentorships,
        preferred_name=person.preferred_name or "",
    )


def update_my_profile(
    ctx: ServiceContext,
    *,
    full_name: str,
    title: str,
    time_zone: str,
    bio: str,
    preferred_name: str | None = None,
) -> None:
    """Change the fields a participant owns; logs a ``profile_updated`` event if any changed.

    ``preferred_name`` ``None`` leaves the stored one alone (callers that predate it);
    an empty string clears it, so the person is addressed by the first word of their name.
    """
    me = _me(ctx)
    full_name, title, time_zone = full_name.strip(), title.strip(), time_zone.strip()
    if not full_name:
        raise FieldError("full_name", "your name cannot be empty")
    if preferred_name is not None:
        preferred_name = " ".join(preferred_name.split())
        if len(preferred_name) > PREFERRED_NAME_LIMIT:
            raise FieldError("preferred_name", f"at most {PREFERRED_NAME_LIMIT} characters, please")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FieldError("time_zone", f"{time_zone!r} is not a known time zone") from exc
    person = ctx.session.get(Person, me)
    if person is None:
        raise FieldError("person", "your profile is not visible to this login")
    wanted: dict[str, str | None] = {
        "full_name": full_name,
        "title": title or None,
        "time_zone": time_zone,
        "bio": bio,
    }
    if preferred_name is not None:
        wanted["preferred_name"] = preferred_name or None
    changed = [k for k, v in wanted.items() if getattr(person, k) != v]
    if not changed:
        return
    for key in changed:
        setattr(person, key, wanted[key])
    ctx.session.add(
        EngagementEvent(
            person_id=me,
            kind=EngagementKind.PROFILE_UPDATED,
            occurred_at=ctx.now(),
            payload={"fields": changed},
        )
    )
    ctx.session.flush()
