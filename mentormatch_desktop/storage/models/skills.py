"""The skill taxonomy and what each person can teach or wants to learn."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import SkillDirection
from mentormatch_desktop.storage.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.people import Person


class SkillCategory(Base):
    __tablename__ = "skill_categories"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("skill_categories.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    category: Mapped[SkillCategory | None] = relationship()
    aliases: Mapped[list[SkillAlias]] = relationship(
        back_populates="skill", cascade="all, delete-orphan"
    )


class SkillAlias(Base):
    """Another spelling of a skill ("ML" for "Machine learning"), matched case-insensitively."""

    __tablename__ = "skill_aliases"

    id: Mapped[intpk]
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(120), unique=True)  # stored lower-cased

    skill: Mapped[Skill] = relationship(back_populates="aliases")


class PersonSkill(Base):
    """A skill a person can teach, or wants to learn, at a level from 1 (novice) to 5 (expert).

    For ``learn`` rows, ``level`` is the level the person has now; the mentor's ``teach``
    level above it is what skill fit rewards.
    """

    __tablename__ = "person_skills"
    __table_args__ = (
        UniqueConstraint("person_id", "skill_id", "direction"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    direction: Mapped[SkillDirection] = enum_column(SkillDirection)
    level: Mapped[int] = mapped_column(SmallInteger, default=3)

    person: Mapped[Person] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class SkillMergeSuggestion(Base):
    """A free-text skill label the system thinks is an existing skill; a coordinator decides."""

    __tablename__ = "skill_merge_suggestions"

    id: Mapped[intpk]
    label: Mapped[str] = mapped_column(String(120), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    similarity: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(40))  # "alias" | "embedding:<model>"
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|approved|rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
