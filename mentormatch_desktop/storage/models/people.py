"""People and their profiles: departments, reporting lines, languages, availability, contacts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.storage.models.base import (
    Base,
    created_at,
    enum_column,
    intpk,
    jsondoc,
    updated_at,
)

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.goals import Goal
    from mentormatch_desktop.storage.models.skills import PersonSkill


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))


class Person(Base):
    """A participant (mentor, mentee, peer) or a coordinator: one row per human.

    ``db_login`` names the PostgreSQL role this person connects as in a shared deployment;
    row-level security policies compare it with ``current_user``.
    """

    __tablename__ = "people"

    id: Mapped[intpk]
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # What the person wants to be called ("Jun Jie", "Bob"); NULL means address them by
    # domain.names.address_name's fallback. See that function for why it is not derived.
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str | None] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    seniority: Mapped[int] = mapped_column(SmallInteger, default=1)  # 1 junior … 7 executive
    years_experience: Mapped[int] = mapped_column(SmallInteger, default=0)
    hired_on: Mapped[date | None]
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(40))
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    app_role: Mapped[AppRole] = enum_column(AppRole, default=AppRole.PARTICIPANT)
    db_login: Mapped[str | None] = mapped_column(String(63), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    attributes: Mapped[jsondoc]  # organisation-defined fields; protected ones are never features
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    department: Mapped[Department | None] = relationship()
    manager: Mapped[Person | None] = relationship(remote_side="Person.id")
    languages: Mapped[list[PersonLanguage]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    availability: Mapped[list[AvailabilitySlot]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="AvailabilitySlot.weekday"
    )
    skills: Mapped[list[PersonSkill]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    goals: Mapped[list[Goal]] = relationship(back_populates="person", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"Person(id={self.id!r}, email={self.email!r})"


class PersonLanguage(Base):
    __tablename__ = "person_languages"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)  # ISO 639-1 code
    level: Mapped[str] = mapped_column(String(12), default="fluent")  # native|fluent|working

    person: Mapped[Person] = relationship(back_populates="languages")


class AvailabilitySlot(Base):
    """A weekly recurring window in the person's own time zone (minutes from local midnight).

    Stored in local time on purpose: "Tuesdays 9–11" must stay 9–11 across DST changes.
    """

    __tablename__ = "availability_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="minute_range",
        ),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)

    person: Mapped[Person] = relationship(back_populates="availability")


class ContactChannel(Base):
    """Where a person wants messages delivered, per messaging channel (e-mail, Slack…)."""

    __tablename__ = "contact_channels"
    __table_args__ = (
        Index("uq_contact_channels_person_channel", "person_id", "channel", unique=True),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(320))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
