"""Calendar connections and the busy time read from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentormatch_desktop.storage.models.base import Base, created_at, intpk, jsondoc


class CalendarConnection(Base):
    """A participant's link to an external calendar; secrets are in the OS keyring."""

    __tablename__ = "calendar_connections"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))  # connector name: ics, caldav, google…
    account: Mapped[str] = mapped_column(String(320))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secret_ref: Mapped[str | None] = mapped_column(String(200))
    sync_state: Mapped[jsondoc]
    last_synced_at: Mapped[datetime | None]
    # The worker's periodic sync (migration 0008): when it last tried, and why it failed
    # ("" after a success), so a revoked token says "reconnect your calendar" in the app.
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[created_at]


class BusyBlock(Base):
    __tablename__ = "busy_blocks"
    __table_args__ = (Index("ix_busy_blocks_person_starts", "person_id", "starts_at"),)

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    source_uid: Mapped[str | None] = mapped_column(String(200))
