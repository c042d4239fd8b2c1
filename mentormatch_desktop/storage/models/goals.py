"""Learning goals, written in prose by the participant who owns them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import GoalStatus
from mentormatch_desktop.storage.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.people import Person


class Goal(Base):
    __tablename__ = "goals"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[GoalStatus] = enum_column(GoalStatus, default=GoalStatus.OPEN)
    target_date: Mapped[date | None]
    achieved_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    person: Mapped[Person] = relationship(back_populates="goals")
