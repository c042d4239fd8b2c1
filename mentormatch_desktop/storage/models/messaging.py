"""Threads, messages, the delivery outbox and who wants to be notified of what.

Writing a message and queueing its deliveries happen in one transaction; channel plugins
deliver afterwards, keyed by ``idempotency_key`` so a retry never sends twice. Notification
preferences are per person, channel and topic; a program may set defaults for its members.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.storage.models.base import Base, bigpk, created_at, enum_column, intpk


class Thread(Base):
    """A conversation: a mentorship's own thread, a program announcement, a group or a chat.

    ``kind`` is ``mentorship`` (at most one per mentorship: the unique index), ``announcement``
    (coordinators to a program or cohort), ``group`` (a peer circle, a group program's
    mentor with their mentees, ``group_key``, or a coordinator with both people of a pair:
    ``services/pair_messages.py``) or ``direct``.
    """

    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_last_message_at", "last_message_at"),
        Index("uq_threads_mentorship_id", "mentorship_id", unique=True),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20), default="direct", server_default="direct")
    subject: Mapped[str] = mapped_column(String(200), default="")
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL")
    )
    group_key: Mapped[str | None] = mapped_column(String(40))
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
    """One message. Deleting keeps the row (``deleted_at``) so read state and paging hold."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_thread_created", "thread_id", "created_at"),
        # Unread counts: live messages of a thread after last_read_at, and who sent them,
        # answered from the index alone (migration 0011).
        Index(
            "ix_messages_thread_unread",
            "thread_id",
            "created_at",
            postgresql_include=["sender_id"],
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # A thread's latest edit and deletion (the conversation's change watermark) from
        # the few edited or deleted rows alone (migration 0014).
        *(
            Index(
                f"ix_messages_thread_{column}",
                "thread_id",
                column,
                postgresql_where=text(f"{column} IS NOT NULL"),
                sqlite_where=text(f"{column} IS NOT NULL"),
            )
            for column in ("edited_at", "deleted_at")
        ),
        # Keyset paging of a thread walks (thread_id, id) backwards from the newest.
        Index("ix_messages_thread_id_id", "thread_id", "id"),
        # The delivery worker's fan-out queue: only the few rows still waiting are indexed.
        Index(
            "ix_messages_fanout_pending",
            "id",
            postgresql_where=text("fanout_pending"),
            sqlite_where=text("fanout_pending"),
        ),
    )

    id: Mapped[bigpk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="text")  # text|introduction|system
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    #: True while the notifications of this message are still to be queued. A participant
    #: on a shared database may not read the recipients' addresses and preferences, so
    #: their messages are written with it set and the delivery worker queues the
    #: deliveries (``outbox.fan_out``); everyone else queues them in the same transaction.
    fanout_pending: Mapped[bool] = mapped_column(default=False, server_default=false())


class MessageDelivery(Base):
    """The outbox: one row per (message, recipient, channel) still to deliver or delivered.

    ``next_attempt_at`` doubles as the claim lease: a worker that claims a row pushes it into
    the future, so a worker killed mid-send leaves the row to be claimed again once the lease
    runs out (and ``attempts`` counts that try, so a poison row still ends as a dead letter).
    """

    __tablename__ = "message_deliveries"
    __table_args__ = (Index("ix_message_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[bigpk]
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(
        String(30), default="new_message", server_default="new_message"
    )
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[created_at]


class NotificationPreference(Base):
    """Whether ``person`` wants ``topic`` (new_message, announcement…) through ``channel``.

    Absent means "as the program's default says" (then the built-in default).
    """

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[created_at]


class ProgramNotificationDefault(Base):
    """A coordinator's default for a program's members who have not chosen themselves."""

    __tablename__ = "program_notification_defaults"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool]


class UnsubscribeToken(Base):
    """The secret in an e-mail's unsubscribe link: using it turns one topic off (or all)."""

    __tablename__ = "unsubscribe_tokens"
    __table_args__ = (
        Index(
            "uq_unsubscribe_tokens_person_channel_topic",
            "person_id",
            "channel",
            "topic",
            unique=True,
        ),
    )

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(30), server_default=text("'*'"), default="*")
    created_at: Mapped[created_at]
    used_at: Mapped[datetime | None]
