"""What scheduling needs beyond the weekly availability rows: dated exceptions, each
person's scheduling preferences, and what each side logged after a session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mentormatch_desktop.storage.models.base import Base, created_at, intpk
from mentormatch_desktop.storage.types import JSONDocument


class AvailabilityException(Base):
    """A dated change to someone's weekly availability, in their own local dates and times.

    ``available`` False removes time (holiday, travel week); True adds it (one Saturday).
    Without minutes the whole of each day is meant.
    """

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="days_ordered"),
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name="minute_range",
        ),
        Index("ix_availability_exceptions_person_days", "person_id", "first_day"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    first_day: Mapped[date]
    last_day: Mapped[date]
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    start_minute: Mapped[int | None] = mapped_column(SmallInteger)
    end_minute: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class SchedulingPreference(Base):
    """Working hours a person prefers to meet in, and how much notice and slack they need."""

    __tablename__ = "scheduling_preferences"
    __table_args__ = (
        CheckConstraint(
            "work_start_minute >= 0 AND work_end_minute <= 1440 "
            "AND work_start_minute < work_end_minute",
            name="work_range",
        ),
        CheckConstraint("min_notice_minutes >= 0 AND buffer_minutes >= 0", name="non_negative"),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    work_start_minute: Mapped[int] = mapped_column(SmallInteger, default=9 * 60)
    work_end_minute: Mapped[int] = mapped_column(SmallInteger, default=17 * 60)
    work_weekdays: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=12 * 60)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=10)


class SessionLog(Base):
    """One side's account of a session: held or not, notes, rating, next steps."""

    __tablename__ = "session_logs"
    __table_args__ = (
        UniqueConstraint("meeting_id", "author_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    held: Mapped[bool] = mapped_column(Boolean)
    private_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    shared_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    next_steps: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    logged_at: Mapped[datetime]
    created_at: Mapped[created_at]


class SessionNotice(Base):
    """Something the people of a session are told: a change to it, or a reminder before it.

    One row per (session, kind, occurrence, ICS sequence), enforced by the database, so a
    reminder goes out once however many workers run or restart, and a change is announced
    once. The row is written in the same unit of work as the change; the inbox message (and
    through it the outbox deliveries) is posted in that unit of work too when the acting
    login may queue deliveries, and otherwise by the worker, which then sets ``message_id``.
    ``ics`` is the invitation (REQUEST or CANCEL) the deliveries attach.
    """

    __tablename__ = "session_notices"
    __table_args__ = (
        # Once per session, kind, occurrence, sequence AND recipient (migration 0013): a
        # group session's reminder is one row per attendee; a pair's (recipient NULL) one.
        Index(
            "uq_session_notices_once",
            "meeting_id",
            "kind",
            "occurrence_at",
            "sequence",
            text("coalesce(recipient_id, 0)"),
            unique=True,
        ),
        Index("ix_session_notices_unposted", "posted_at", "id"),
    )

    id: Mapped[intpk]
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    # proposed, accepted, declined, countered, rescheduled, cancelled, reminder_24h, reminder_1h
    kind: Mapped[str] = mapped_column(String(20))
    occurrence_at: Mapped[datetime]  # the start of the (occurrence of the) session it is about
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    ics: Mapped[str] = mapped_column(Text, default="", server_default="")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    posted_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    # The one attendee a group session's reminder is for; NULL: everyone of the session.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))


#: An attendee's answer, as iCalendar's PARTSTAT spells it (lower case).
ATTENDEE_RESPONSES = ("needs-action", "accepted", "declined", "tentative")


class MeetingAttendee(Base):
    """One person invited to a group session (a peer circle, a mentor with mentees).

    A group session is one ``meetings`` row (one ICS UID, one SEQUENCE) with N attendee
    rows, not a meeting per pair: everybody's calendar holds the same event, and each
    attendee answers for themselves (the organiser's row is ``accepted`` from the start).
    Row-level security lets an attendee read the meeting and this list and change only
    their own answer; the organiser invites and resets answers when the time moves.
    """

    __tablename__ = "meeting_attendees"
    __table_args__ = (
        CheckConstraint(
            "response IN ('needs-action', 'accepted', 'declined', 'tentative')",
            name="response_known",
        ),
    )

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    response: Mapped[str] = mapped_column(
        String(20), default="needs-action", server_default="needs-action"
    )
    responded_at: Mapped[datetime | None]
    is_organiser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[created_at]
