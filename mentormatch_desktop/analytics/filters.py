"""The one filter every metric takes: program, cohort, department and a date range.

A metric receives a :class:`Filters` and applies the parts that make sense for what it
counts (see ``docs/analytics.md``). Names are accepted where people type them (notebooks,
the CLI); :meth:`Filters.resolve` turns them into ids once, before any query runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mentormatch_desktop.storage.models import Department, Program


class UnknownFilterValue(ValueError):
    """A program or department name that does not exist in the database."""

    def __init__(self, field: str, value: str | int, kind: str = "named") -> None:
        super().__init__(f"no {field} {kind} {value!r}")
        self.field = field
        self.value = value


@dataclass(frozen=True)
class Filters:
    """What slice of the organisation a metric looks at.

    ``program`` and ``department`` take an id or a name; ``cohort`` is the enrolment's
    cohort label. ``start``/``end`` are inclusive calendar dates (UTC). ``as_of`` is the
    instant "now" means for states such as *at risk* or *overdue*: by default the end of
    ``end`` when given, else the current time. Pin it in tests and reports so figures
    do not drift while you look at them.
    """

    program: int | str | None = None
    cohort: str | None = None
    department: int | str | None = None
    start: date | None = None
    end: date | None = None
    as_of: datetime | None = None
    subdepartments: tuple[int, ...] = ()  # filled by resolve(): the department's subtree

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"date range is empty: start {self.start} is after end {self.end}")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise ValueError("as_of must be time-zone aware")

    @property
    def program_id(self) -> int | None:
        """The program id once resolved (``None`` when no program filter is set)."""
        if isinstance(self.program, str):
            raise RuntimeError("call Filters.resolve() before using program_id")
        return self.program

    @property
    def department_id(self) -> int | None:
        if isinstance(self.department, str):
            raise RuntimeError("call Filters.resolve() before using department_id")
        return self.department

    @property
    def department_ids(self) -> tuple[int, ...]:
        """The department and every department below it (a filter on "Engineering" covers
        its teams)."""
        dept = self.department_id
        return (dept, *self.subdepartments) if dept is not None else ()

    @property
    def start_at(self) -> datetime | None:
        """First instant inside the range (UTC midnight of ``start``)."""
        return datetime.combine(self.start, time(), UTC) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """First instant after the range (UTC midnight after ``end``)."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC) if self.end else None

    def reference_time(self) -> datetime:
        """The instant states are judged at (see the class docstring)."""
        if self.as_of is not None:
            return self.as_of.astimezone(UTC)
        now = datetime.now(UTC)
        end = self.end_before
        return min(end, now) if end is not None else now

    def resolve(self, conn: Connection) -> Filters:
        """Replace program and department names with their ids (raises if unknown)."""
        program, department = self.program, self.department
        if isinstance(program, str):
            found = conn.scalar(sa.select(Program.id).where(Program.name == program))
            if found is None:
                raise UnknownFilterValue("program", program)
            program = found
        elif (
            program is not None
            and conn.scalar(sa.select(Program.id).where(Program.id == program)) is None
        ):
            raise UnknownFilterValue("program", program, kind="id")
        if isinstance(department, str):
            found = conn.scalar(sa.select(Department.id).where(Department.name == department))
            if found is None:
                raise UnknownFilterValue("department", department)
            department = found
        elif (
            department is not None
            and conn.scalar(sa.select(Department.id).where(Department.id == department)) is None
        ):
            raise UnknownFilterValue("department", department, kind="id")
        below: tuple[int, ...] = ()
        if department is not None:
            below = _descendants(conn, department)
        return replace(self, program=program, department=department, subdepartments=below)

    def describe(self) -> str:
        """A short human-readable summary, for titles and report headers."""
        parts = []
        if self.program is not None:
            parts.append(f"program {self.program}")
        if self.cohort:
            parts.append(f"cohort {self.cohort}")
        if self.department is not None:
            parts.append(f"department {self.department}")
        if self.start or self.end:
            parts.append(f"{self.start or '…'} – {self.end or '…'}")
        return ", ".join(parts) or "whole organisation"


def _descendants(conn: Connection, department: int) -> tuple[int, ...]:
    """Ids of every department below ``department`` (the table is small: read it whole)."""
    children: dict[int, list[int]] = {}
    for dept_id, parent in conn.execute(sa.select(Department.id, Department.parent_id)):
        if parent is not None:
            children.setdefault(parent, []).append(dept_id)
    found: list[int] = []
    stack = list(children.get(department, []))
    while stack:
        dept_id = stack.pop()
        if dept_id not in found and dept_id != department:
            found.append(dept_id)
            stack.extend(children.get(dept_id, []))
    return tuple(sorted(found))


ALL = Filters()
"""No filter: the whole organisation, as of now."""


@dataclass(frozen=True)
class FilterChoices:
    """What the dashboard's filter boxes offer: names, cohorts per program, date span."""

    programs: list[tuple[int, str]]
    departments: list[tuple[int, str]]
    cohorts: list[tuple[int, str]]  # (program id, cohort label)
    first_day: date | None
    last_day: date | None

    def cohorts_of(self, program_id: int | None) -> list[str]:
        """Cohort labels of one program (or of all programs), sorted, without repeats."""
        return sorted({c for p, c in self.cohorts if program_id is None or p == program_id})


def filter_choices(conn: Connection) -> FilterChoices:
    """Read the filter options (a handful of small queries)."""
    from mentormatch_desktop.storage.models import Enrolment, Mentorship

    e, m = Enrolment.__table__, Mentorship.__table__
    programs = conn.execute(sa.select(Program.id, Program.name).order_by(Program.name)).all()
    departments = conn.execute(
        sa.select(Department.id, Department.name).order_by(Department.name)
    ).all()
    cohorts = conn.execute(
        sa.select(e.c.program_id, e.c.cohort).where(e.c.cohort.is_not(None)).distinct()
    ).all()
    first, last = conn.execute(
        sa.select(sa.func.min(m.c.started_at), sa.func.max(m.c.started_at))
    ).one()
    return FilterChoices(
        programs=[tuple(r) for r in programs],
        departments=[tuple(r) for r in departments],
        cohorts=[tuple(r) for r in cohorts],
        first_day=first.date() if isinstance(first, datetime) else None,
        last_day=last.date() if isinstance(last, datetime) else None,
    )
