"""Mentorships and their life: milestones, sessions (meetings) and feedback."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus
from mentormatch_desktop.storage.models.base import Base, created_at, enum_column, intpk

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.people import Person


RUNNING_SQL = "status IN ('active', 'paused')"


class Mentorship(Base):
    """An approved pairing. Group programs hold one row per mentee, sharing ``group_key``.

    The database keeps two rules whatever client writes (migration 0003): one running
    (active or paused) mentorship per program, mentee and mentor (the partial unique index
    below), and no mentor past their enrolment's capacity (a trigger, which the models
    cannot express).
    """

    __tablename__ = "mentorships"
    __table_args__ = (
        Index("ix_mentorships_program_status", "program_id", "status"),
        Index(
            "uq_mentorships_running_pair",
            "program_id",
            "mentee_id",
            "mentor_id",
            unique=True,
            postgresql_where=text(RUNNING_SQL),
            sqlite_where=text(RUNNING_SQL),
        ),
    )

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_proposals.id", ondelete="SET NULL")
    )
    group_key: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[MentorshipStatus] = enum_column(
        MentorshipStatus, default=MentorshipStatus.ACTIVE
    )
    match_score: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[created_at]

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="mentorship", cascade="all, delete-orphan", order_by="Milestone.due_on"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="mentorship", cascade="all, delete-orphan", order_by="Meeting.starts_at"
    )


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_mentorship_due", "mentorship_id", "due_on"),)

    id: Mapped[intpk]
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    due_on: Mapped[date | None]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    mentorship: Mapped[Mentorship] = relationship(back_populates="milestones")


class Meeting(Base):
    """A mentoring session. ``rrule`` (RFC 5545) is set on the first of a recurring series."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_mentorship_starts", "mentorship_id", "starts_at"),
        Index("ix_meetings_starts_status", "starts_at", "status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[intpk]
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # zone the series recurs in
    status: Mapped[MeetingStatus] = enum_column(MeetingStatus, default=MeetingStatus.SCHEDULED)
    location: Mapped[str] = mapped_column(Text, default="", server_default="")
    agenda: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    rrule: Mapped[str | None] = mapped_column(String(200))
    series_uid: Mapped[str | None] = mapped_column(String(80), index=True)
    external_refs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # provider → event id
    # The session workflow (migration 0006): who proposed the current time, the ICS
    # SEQUENCE (bumped on every change so calendars update rather than duplicate), the
    # video link, and when the other side last answered.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    video_link: Mapped[str] = mapped_column(Text, default="", server_default="")
    responded_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    # Group sessions (migration 0013): ``mentorship_id`` is the organiser's own mentorship
    # in the group (programme and access come from it), the people are in
    # ``meeting_attendees``; ``group_key`` names the circle it was booked for, if any, and
    # ``thread_id`` the conversation its notices go to (made by whoever posts the first).
    is_group: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    group_key: Mapped[str | None] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))

    mentorship: Mapped[Mentorship] = relationship(back_populates="meetings")


class Feedback(Base):
    """A rating (1–5) and comment by one side of a mentorship, optionally about one meeting."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_mentorship_created", "mentorship_id", "created_at"),
    )

    id: Mapped[intpk]
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Private feedback is for the author alone: coordinators never read it (RLS), analysts
    # see only its rating in aggregates.
    is_private: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[created_at]
