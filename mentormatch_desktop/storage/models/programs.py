"""Programs, who is enrolled in which role, pair preferences and versioned criterion weights."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    PairPreferenceKind,
    ProgramKind,
    ProgramStatus,
)
from mentormatch_desktop.storage.models.base import Base, created_at, enum_column, intpk, jsondoc

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.people import Person


class Program(Base):
    """A mentoring program. ``settings`` holds matching constraints and defaults.

    Criterion weights are not here: they live in :class:`WeightSet` versions so every match
    run records exactly which weights produced it.
    """

    __tablename__ = "programs"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[ProgramKind] = enum_column(ProgramKind, default=ProgramKind.ONE_TO_ONE)
    status: Mapped[ProgramStatus] = enum_column(ProgramStatus, default=ProgramStatus.DRAFT)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    session_cadence_days: Mapped[int] = mapped_column(SmallInteger, default=14)
    group_size: Mapped[int] = mapped_column(SmallInteger, default=2)
    settings: Mapped[jsondoc]
    created_at: Mapped[created_at]

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="program", cascade="all, delete-orphan"
    )


class Enrolment(Base):
    """A person's participation in a program in one role.

    ``capacity`` is how many mentees a mentor takes (or how many mentors a mentee wants);
    ``preferences`` holds the participant's own wishes (languages, cross-department…).
    """

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("program_id", "person_id", "role"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        Index("ix_enrolments_program_role_status", "program_id", "role", "status"),
    )

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[EnrolmentRole] = enum_column(EnrolmentRole)
    status: Mapped[EnrolmentStatus] = enum_column(EnrolmentStatus, default=EnrolmentStatus.ACTIVE)
    capacity: Mapped[int] = mapped_column(SmallInteger, default=1)
    cohort: Mapped[str | None] = mapped_column(String(40))
    motivation: Mapped[str] = mapped_column(Text, default="", server_default="")
    preferences: Mapped[jsondoc]
    enrolled_at: Mapped[created_at]

    program: Mapped[Program] = relationship(back_populates="enrolments")
    person: Mapped[Person] = relationship()


class PairPreference(Base):
    """A participant's wish about one specific other person: prefer, avoid, or must not match.

    ``program_id`` NULL means it holds in every program.
    """

    __tablename__ = "pair_preferences"
    __table_args__ = (UniqueConstraint("program_id", "person_id", "other_person_id"),)

    id: Mapped[intpk]
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    other_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[PairPreferenceKind] = enum_column(PairPreferenceKind)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class WeightSet(Base):
    """A versioned set of criterion weights for a program; the highest version is current.

    ``source`` says where it came from (``default``, ``manual``, ``learned``); learned sets
    keep their evidence (outcome count, cross-validated metrics) in ``evidence``.
    """

    __tablename__ = "weight_sets"
    __table_args__ = (UniqueConstraint("program_id", "version"),)

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(SmallInteger)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    evidence: Mapped[jsondoc]
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[created_at]


class CoordinatorProgram(Base):
    """Limits a coordinator to some programs. A coordinator with no row here sees them all.

    Only the owner role writes this table (``mentormatch org grant --program``); the
    row-level security policies read it through ``mm_coordinated_programs()``.
    """

    __tablename__ = "coordinator_programs"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
