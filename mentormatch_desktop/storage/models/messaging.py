"""Threads, messages and the delivery outbox.

Writing a message and queueing its deliveries happen in one transaction; channel plugins
deliver afterwards, keyed by ``idempotency_key`` so a retry never sends twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.storage.models.base import Base, bigpk, created_at, enum_column, intpk


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_last_message_at", "last_message_at"),)

    id: Mapped[intpk]
    subject: Mapped[str] = mapped_column(String(200), default="")
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[created_at]
    last_message_at: Mapped[datetime | None]

    participants: Mapped[list[ThreadParticipant]] = relationship(
        back_populates="thread", cascade="all, delete-orphan"
    )


class ThreadParticipant(Base):
    """Membership of a thread; ``last_read_at`` gives the unread count cheaply."""

    __tablename__ = "thread_participants"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[created_at]
    last_read_at: Mapped[datetime | None]
    muted: Mapped[bool] = mapped_column(default=False)

    thread: Mapped[Thread] = relationship(back_populates="participants")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_created", "thread_id", "created_at"),)

    id: Mapped[bigpk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="text")  # text|introduction|system
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
    edited_at: Mapped[datetime | None]


class MessageDelivery(Base):
    """The outbox: one row per (message, recipient, channel) still to deliver or delivered."""

    __tablename__ = "message_deliveries"
    __table_args__ = (Index("ix_message_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[bigpk]
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
