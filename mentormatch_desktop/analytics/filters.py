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

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"no {field} named {value!r}")
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
        if isinstance(department, str):
            found = conn.scalar(sa.select(Department.id).where(Department.name == department))
            if found is None:
                raise UnknownFilterValue("department", department)
            department = found
        return replace(self, program=program, department=department)

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


ALL = Filters()
"""No filter: the whole organisation, as of now."""
