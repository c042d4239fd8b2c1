"""Read-only queries behind the participants table: rows, filter choices and lookups.

The participants screen shows tens of thousands of people, so :func:`participant_table`
returns plain columns (one list per column) built with a handful of set-based queries,
never one query per person. Filters by program, role, department and skill are applied in
SQL; the free-text filter is also available here for the CLI and notebooks (the desktop
filters text in memory for instant feedback while typing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import EnrolmentRole, EnrolmentStatus, SkillDirection
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.fetching import all_rows
from mentormatch_desktop.storage.models import (
    Department,
    Enrolment,
    Person,
    PersonSkill,
    Program,
    Skill,
)

MAX_SKILLS_SHOWN = 4


@dataclass(frozen=True)
class ParticipantFilter:
    """What the coordinator narrowed the table to; ``None`` means "any"."""

    program_id: int | None = None
    role: EnrolmentRole | None = None
    department_id: int | None = None
    skill_id: int | None = None
    text: str = ""
    include_inactive: bool = False


@dataclass
class ParticipantTable:
    """Columns of the participants table, aligned by index (row i is ``ids[i]``)."""

    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    time_zones: list[str] = field(default_factory=list)
    teaches: list[str] = field(default_factory=list)
    learns: list[str] = field(default_factory=list)
    capacity: list[int] = field(default_factory=list)
    active: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class FilterOptions:
    """Everything the filter bar offers, plus how many people exist at all."""

    programs: list[Choice]
    departments: list[Choice]
    skills: list[Choice]
    people_total: int


def _filtered_people(flt: ParticipantFilter) -> sa.Select[tuple[int]]:
    query = sa.select(Person.id)
    if not flt.include_inactive:
        query = query.where(Person.is_active.is_(True))
    if flt.department_id is not None:
        query = query.where(Person.department_id == flt.department_id)
    if flt.program_id is not None or flt.role is not None:
        enrolled = sa.select(Enrolment.id).where(
            Enrolment.person_id == Person.id, Enrolment.status == EnrolmentStatus.ACTIVE
        )
        if flt.program_id is not None:
            enrolled = enrolled.where(Enrolment.program_id == flt.program_id)
        if flt.role is not None:
            enrolled = enrolled.where(Enrolment.role == flt.role)
        query = query.where(enrolled.exists())
    if flt.skill_id is not None:
        query = query.where(
            sa.select(PersonSkill.id)
            .where(PersonSkill.person_id == Person.id, PersonSkill.skill_id == flt.skill_id)
            .exists()
        )
    text = flt.text.strip().lower()
    if text:
        pattern = f"%{text}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Person.full_name).like(pattern),
                sa.func.lower(Person.email).like(pattern),
                sa.func.lower(sa.func.coalesce(Person.title, "")).like(pattern),
            )
        )
    return query


def participant_table(
    ctx: ServiceContext, flt: ParticipantFilter | None = None
) -> ParticipantTable:
    """The rows of the participants table, sorted by name, for the given filter."""
    session = ctx.session
    flt = flt or ParticipantFilter()
    wanted = _filtered_people(flt).subquery()
    # Core rows on the session's connection, enum columns read as plain strings: at 20,000
    # people and 120,000 skill rows the ORM's per-row processing would triple the time.
    conn = session.connection()
    people = all_rows(
        conn.execute(
            sa.select(
                Person.id,
                Person.full_name,
                Person.email,
                Department.name,
                Person.title,
                Person.time_zone,
                Person.is_active,
            )
            .join(wanted, wanted.c.id == Person.id)
            .outerjoin(Department, Department.id == Person.department_id)
        )
    )
    people.sort(key=lambda row: (row[1].casefold(), row[0]))

    roles: dict[int, set[str]] = defaultdict(set)
    programs: dict[int, set[str]] = defaultdict(set)
    capacity: dict[int, int] = defaultdict(int)
    for person_id, role, program, cap in conn.execute(
        sa.select(Enrolment.person_id, _text(Enrolment.role), Program.name, Enrolment.capacity)
        .join(Program, Program.id == Enrolment.program_id)
        .join(wanted, wanted.c.id == Enrolment.person_id)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE)
    ):
        roles[person_id].add(role)
        programs[person_id].add(program)
        if role == EnrolmentRole.MENTOR.value:
            capacity[person_id] += cap

    teaches: dict[int, list[tuple[int, str]]] = defaultdict(list)
    learns: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for person_id, direction, level, skill in conn.execute(
        sa.select(
            PersonSkill.person_id, _text(PersonSkill.direction), PersonSkill.level, Skill.name
        )
        .join(Skill, Skill.id == PersonSkill.skill_id)
        .join(wanted, wanted.c.id == PersonSkill.person_id)
    ):
        bucket = teaches if direction == SkillDirection.TEACH.value else learns
        bucket[person_id].append((level, skill))

    table = ParticipantTable()
    for pid, name, email, department, title, tz, active in people:
        table.ids.append(pid)
        table.names.append(name)
        table.emails.append(email)
        table.departments.append(department or "")
        table.titles.append(title or "")
        table.roles.append(", ".join(r.capitalize() for r in sorted(roles.get(pid, ()))))
        table.programs.append(", ".join(sorted(programs.get(pid, ()))))
        table.time_zones.append(tz)
        table.teaches.append(_skill_summary(teaches.get(pid, [])))
        table.learns.append(_skill_summary(learns.get(pid, [])))
        table.capacity.append(capacity.get(pid, 0))
        table.active.append(bool(active))
    return table


def _text(column: sa.ColumnElement[object]) -> sa.ColumnElement[str]:
    """Read an enum column as its stored string (skips per-row enum conversion)."""
    return sa.type_coerce(column, sa.String)


def _skill_summary(skills: list[tuple[int, str]]) -> str:
    """Strongest skills first: "Python 5, SQL 4, … +2"."""
    ordered = sorted(skills, key=lambda s: (-s[0], s[1]))
    shown = ", ".join(f"{name} {level}" for level, name in ordered[:MAX_SKILLS_SHOWN])
    extra = len(ordered) - MAX_SKILLS_SHOWN
    return f"{shown} +{extra}" if extra > 0 else shown


def filter_options(ctx: ServiceContext) -> FilterOptions:
    """Programs, departments and skills to offer in the filter bar (only skills in use)."""
    session = ctx.session
    programs = [
        Choice(i, n)
        for i, n in session.execute(sa.select(Program.id, Program.name).order_by(Program.name))
    ]
    departments = [
        Choice(i, n)
        for i, n in session.execute(
            sa.select(Department.id, Department.name).order_by(Department.name)
        )
    ]
    used = sa.select(PersonSkill.skill_id).distinct().subquery()
    skills = [
        Choice(i, n)
        for i, n in session.execute(
            sa.select(Skill.id, Skill.name)
            .join(used, used.c.skill_id == Skill.id)
            .order_by(Skill.name)
        )
    ]
    total = session.scalar(sa.select(sa.func.count(Person.id))) or 0
    return FilterOptions(programs, departments, skills, int(total))


def people_count(ctx: ServiceContext) -> int:
    return int(ctx.session.scalar(sa.select(sa.func.count(Person.id))) or 0)


def find_people(
    ctx: ServiceContext, text: str, *, limit: int = 20, exclude: int | None = None
) -> list[Choice]:
    """People whose name or e-mail contains ``text`` (for pickers such as must-not-match)."""
    pattern = f"%{text.strip().lower()}%"
    query = (
        sa.select(Person.id, Person.full_name, Person.email)
        .where(
            sa.or_(
                sa.func.lower(Person.full_name).like(pattern),
                sa.func.lower(Person.email).like(pattern),
            )
        )
        .order_by(Person.full_name)
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Person.id != exclude)
    return [Choice(i, f"{n} <{e}>") for i, n, e in ctx.session.execute(query)]


def skill_names(ctx: ServiceContext) -> list[str]:
    """Every skill in the taxonomy, for completers in the profile editor."""
    session = ctx.session
    return list(session.scalars(sa.select(Skill.name).order_by(Skill.name)))


def department_names(ctx: ServiceContext) -> list[str]:
    session = ctx.session
    return list(session.scalars(sa.select(Department.name).order_by(Department.name)))
