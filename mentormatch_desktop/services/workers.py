"""Worker heartbeats and the health report behind ``mentormatch worker --status``.

A worker writes its row at start, after every pass and when it stops; the report joins
those rows with the outbox's queue depth, so an admin can tell from any machine whether
a worker is up, when it last finished a pass without error, and how much is waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import MessageDelivery, WorkerHeartbeat

#: A worker that has not beaten for this many polls (and at least ``MIN_STALE``) is
#: reported as gone: killed, or its machine lost.
STALE_POLLS = 5
MIN_STALE = timedelta(seconds=60)


def beat(
    ctx: ServiceContext,
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    version: str,
    jobs: list[str],
    poll: float,
    started_at: datetime,
    success: bool | None = None,
    error: str = "",
    totals: dict[str, int] | None = None,
    stopped: bool = False,
) -> None:
    """Insert or refresh this worker's row. ``success`` None: no pass ran (start, stop)."""
    now = ctx.now()
    row = ctx.session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(
            worker_id=worker_id,
            hostname=hostname,
            pid=pid,
            version=version,
            started_at=started_at,
            last_error="",
            totals={},
        )
        ctx.session.add(row)
    row.jobs = ",".join(jobs)
    row.poll_seconds = poll
    row.beat_at = now
    if success:
        row.last_success_at = now
    elif success is False:
        row.last_error, row.last_error_at = error[:4000], now
    if totals is not None:
        row.totals = dict(totals)
    row.stopped_at = now if stopped else None
    ctx.session.flush()


@dataclass(frozen=True)
class WorkerState:
    worker_id: str
    hostname: str
    pid: int
    version: str
    jobs: str
    state: str  # running | stopped | gone (no beat for STALE_POLLS polls)
    started_at: datetime
    beat_at: datetime
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    stopped_at: datetime | None
    totals: dict[str, Any]


@dataclass(frozen=True)
class StatusReport:
    workers: list[WorkerState]
    pending: int  # deliveries waiting (due now or later)
    due: int  # pending and due now
    oldest_due_seconds: float | None  # how long the oldest due delivery has waited
    dead_letters: int

    @property
    def running(self) -> list[WorkerState]:
        return [w for w in self.workers if w.state == "running"]

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "healthy": bool(self.running),
            "queue": {
                "pending": self.pending,
                "due": self.due,
                "oldest_due_seconds": self.oldest_due_seconds,
                "dead_letters": self.dead_letters,
            },
            "workers": [
                {
                    **{k: v for k, v in w.__dict__.items() if not isinstance(v, datetime)},
                    **{k: iso(v) for k, v in w.__dict__.items() if isinstance(v, datetime)},
                    "last_success_at": iso(w.last_success_at),
                    "last_error_at": iso(w.last_error_at),
                    "stopped_at": iso(w.stopped_at),
                }
                for w in self.workers
            ],
        }


def status(ctx: ServiceContext, *, keep_stopped: timedelta = timedelta(days=1)) -> StatusReport:
    """Every worker seen lately, and the outbox's depth. Reads only."""
    now = ctx.now()
    workers = []
    for row in ctx.session.scalars(
        sa.select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc())
    ):
        if row.stopped_at is not None:
            if now - row.stopped_at > keep_stopped:
                continue
            state = "stopped"
        elif now - row.beat_at > max(MIN_STALE, timedelta(seconds=STALE_POLLS * row.poll_seconds)):
            state = "gone"
        else:
            state = "running"
        workers.append(
            WorkerState(
                row.worker_id,
                row.hostname,
                row.pid,
                row.version,
                row.jobs,
                state,
                row.started_at,
                row.beat_at,
                row.last_success_at,
                row.last_error,
                row.last_error_at,
                row.stopped_at,
                dict(row.totals or {}),
            )
        )
    pending = MessageDelivery.status == DeliveryStatus.PENDING
    is_due = sa.or_(
        MessageDelivery.next_attempt_at.is_(None), MessageDelivery.next_attempt_at <= now
    )
    n_pending, n_due, oldest = ctx.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(is_due),
            sa.func.min(
                sa.func.coalesce(MessageDelivery.next_attempt_at, MessageDelivery.created_at)
            ).filter(is_due),
        ).where(pending)
    ).one()
    dead = ctx.session.scalar(
        sa.select(sa.func.count()).where(
            MessageDelivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.DEAD])
        )
    )
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return StatusReport(
        workers=workers,
        pending=int(n_pending or 0),
        due=int(n_due or 0),
        oldest_due_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        dead_letters=int(dead or 0),
    )
