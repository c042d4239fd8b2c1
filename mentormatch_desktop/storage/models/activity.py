"""Engagement events (what dashboards aggregate) and the audit log (who changed what)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mentormatch_desktop.domain.enums import EngagementKind
from mentormatch_desktop.storage.models.base import Base, bigpk, enum_column, jsondoc
from mentormatch_desktop.storage.types import JSONDocument, utcnow


class EngagementEvent(Base):
    """One thing a participant did. Append-only; the largest table, so kept narrow."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        Index("ix_engagement_events_program_occurred", "program_id", "occurred_at"),
        Index("ix_engagement_events_mentorship_occurred", "mentorship_id", "occurred_at"),
        Index("ix_engagement_events_person_occurred", "person_id", "occurred_at"),
        Index("ix_engagement_events_occurred", "occurred_at"),
    )

    id: Mapped[bigpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE")
    )
    kind: Mapped[EngagementKind] = enum_column(EngagementKind)
    occurred_at: Mapped[datetime]
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[bigpk]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    actor_login: Mapped[str | None] = mapped_column(String(63))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[jsondoc]
