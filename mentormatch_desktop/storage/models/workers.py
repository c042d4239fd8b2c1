"""Background workers' heartbeats: what ``mentormatch worker --status`` reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentormatch_desktop.storage.models.base import Base, jsondoc


class WorkerHeartbeat(Base):
    """One row per worker process, written at start, after every pass and at exit.

    Kept in the database rather than a file or a port so an admin can check every worker
    of a shared deployment from any machine. A worker whose ``beat_at`` is older than a
    few polls without a ``stopped_at`` died without saying so (``SIGKILL``, power loss).
    """

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    version: Mapped[str] = mapped_column(String(40))
    jobs: Mapped[str] = mapped_column(Text, default="")
    poll_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    totals: Mapped[jsondoc]

    def as_dict(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.key) for c in self.__table__.columns}
