"""The delivery worker behind ``mentormatch worker``: claims due outbox rows, hands them to
the channel plugins, records what happened.

Each claim is one short transaction and each outcome another, so nothing is held locked
while a channel talks to the network and a killed worker loses nothing (see
:mod:`mentormatch_desktop.services.outbox`). Several workers may run against PostgreSQL;
on SQLite run one. A channel that raises is contained: the delivery is retried later with
the exception kept as its error, and a third-party channel is disabled for this process
(the plugins view says why).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import AppRole, DeliveryStatus
from mentormatch_desktop.jobs import JobRunner
from mentormatch_desktop.plugin.contracts import Delivery, DeliveryResult
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import outbox
from mentormatch_desktop.services.context import Actor, Clock, ServiceContext, unit_of_work
from mentormatch_desktop.services.inbox import OUTBOX_CHANNEL
from mentormatch_desktop.storage.types import utcnow

log = logging.getLogger(__name__)

WORKER_ACTOR = Actor(person_id=None, login="mentormatch-worker", role=AppRole.COORDINATOR)
HOOK = "register_messaging_channels"


@dataclass
class WorkerStats:
    """What one pass (or a whole run) did, by outcome."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0  # dead letters: retry budget spent or refused for good
    released: int = 0  # claimed, then handed back unsent because the worker was stopping
    errors: list[str] = field(default_factory=list)

    def add(self, status: DeliveryStatus, rows: int, detail: str) -> None:
        if status == DeliveryStatus.SENT:
            self.sent += rows
        elif status == DeliveryStatus.PENDING:
            self.retrying += rows
        else:
            self.failed += rows
        if status != DeliveryStatus.SENT and detail and len(self.errors) < 20:
            self.errors.append(detail)

    def totals(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "released": self.released,
        }


def send_one(
    plugins: PluginHost, delivery: Delivery, disabled: dict[str, str] | None = None
) -> DeliveryResult:
    """Hand one delivery to its channel; whatever the channel does, return a result.

    ``disabled`` remembers, per channel name, why a channel that raised was switched off,
    so the deliveries that wait for it say why.
    """
    disabled = {} if disabled is None else disabled
    channel = plugins.messaging_channels().get(delivery.channel)
    if channel is None:
        why = (
            f" (disabled after {disabled[delivery.channel]})"
            if delivery.channel in disabled
            else ""
        )
        return DeliveryResult(
            ok=False,
            retry=True,
            detail=f"no messaging channel {delivery.channel!r} available on this worker{why}",
        )
    try:
        result = plugins.call_safely(HOOK, delivery.channel, channel.deliver, delivery)
    except Exception as exc:
        log.exception(
            "channel %s raised on delivery %s", delivery.channel, delivery.idempotency_key
        )
        disabled[delivery.channel] = f"{type(exc).__name__}: {exc}"
        return DeliveryResult(
            ok=False,
            retry=True,
            detail=f"channel {delivery.channel!r} raised {type(exc).__name__}: {exc}",
        )
    if not isinstance(result, DeliveryResult):
        return DeliveryResult(
            ok=False,
            retry=True,
            detail=f"channel {delivery.channel!r} returned {result!r}, not a DeliveryResult",
        )
    return result


def deliver_due(
    engine: Engine,
    plugins: PluginHost,
    *,
    batch_size: int = 50,
    clock: Clock = utcnow,
    max_attempts: int = outbox.MAX_ATTEMPTS,
    lease: timedelta = outbox.LEASE,
    stop: threading.Event | None = None,
) -> WorkerStats:
    """Deliver everything due now, batch after batch, and return what happened."""
    stats = WorkerStats()
    disabled: dict[str, str] = {}
    channels = plugins.messaging_channels()
    digest = frozenset(n for n, c in channels.items() if getattr(c, "digest", False))
    with _Recorder(engine) as recorder:
        _deliver_batches(engine, plugins, recorder, stats, disabled, digest, batch_size,
                         clock, max_attempts, lease, stop)  # fmt: skip
    return stats


def _deliver_batches(
    engine: Engine,
    plugins: PluginHost,
    recorder: _Recorder,
    stats: WorkerStats,
    disabled: dict[str, str],
    digest: frozenset[str],
    batch_size: int,
    clock: Clock,
    max_attempts: int,
    lease: timedelta,
    stop: threading.Event | None,
) -> None:
    while stop is None or not stop.is_set():
        # Participants' messages whose deliveries are still to be queued (see outbox.fan_out).
        while True:
            with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
                if outbox.fan_out(ctx) == 0:
                    break
        with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
            ids = outbox.claim(ctx, limit=batch_size, lease=lease)
        if not ids:
            break
        with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
            claimed = outbox.load(ctx, ids, digest_channels=digest)
        for n, item in enumerate(claimed):
            if stop is not None and stop.is_set():
                # Asked to stop (SIGTERM): what is claimed but not sent goes back to the
                # queue at once, for this worker's successor or another running worker.
                rest = [row for later in claimed[n:] for row in later.row_ids]
                with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
                    outbox.release(ctx, rest)
                stats.released += len(rest)
                log.info("stopping: released %d claimed deliveries", len(rest))
                return
            result = send_one(plugins, item.delivery, disabled)
            with recorder.unit(plugins, clock) as ctx:
                status = outbox.record(ctx, item, result, max_attempts=max_attempts)
            stats.add(status, len(item.row_ids), result.detail)
            if status == DeliveryStatus.PENDING:
                log.info(
                    "delivery %s will be retried: %s", item.delivery.idempotency_key, result.detail
                )
            elif status != DeliveryStatus.SENT:
                log.warning(
                    "delivery %s is a dead letter: %s", item.delivery.idempotency_key, result.detail
                )


class _Recorder:
    """Where outcomes are written: one statement, one round trip, its own commit each.

    A connection of its own in autocommit mode, so recording an outcome is a single
    ``UPDATE`` rather than BEGIN, UPDATE, COMMIT, and it is durable against a killed worker
    the moment it returns — which the crash guarantee needs: an outcome is stored before
    the next delivery is handed to its channel, so a kill can only ever leave the one
    delivery in flight unrecorded. On PostgreSQL with ``synchronous_commit`` off (see
    :func:`outbox.relax_commit` for why that is safe). On a SQLite file the statement is
    its own transaction, written to the WAL before it returns. An in-memory SQLite
    database has one connection per thread, shared with the units of work: there each
    outcome is its own unit of work.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.conn: Connection | None = None

    def __enter__(self) -> _Recorder:
        postgres = self.engine.dialect.name == "postgresql"
        if postgres or self.engine.url.database not in (None, "", ":memory:"):
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if postgres:
                self.conn.execute(sa.text("SET synchronous_commit = off"))
            self.session = Session(bind=self.conn, expire_on_commit=False)
            self.session.info[outbox.RELAXED_SESSION] = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.session is not None:
            self.session.close()
        if self.conn is not None:
            if self.engine.dialect.name == "postgresql":
                with contextlib.suppress(Exception):
                    self.conn.execute(sa.text("RESET synchronous_commit"))
            self.conn.close()

    @contextlib.contextmanager
    def unit(self, plugins: PluginHost, clock: Clock) -> Iterator[ServiceContext]:
        if self.session is None:
            with unit_of_work(self.engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
                yield ctx
            return
        yield ServiceContext(session=self.session, actor=WORKER_ACTOR, plugins=plugins, clock=clock)
        self.session.commit()  # autocommit: nothing goes over the wire


@dataclass(frozen=True)
class Job:
    """One kind of background work, run once per pass of :func:`run_worker`.

    ``run(engine, plugins, stop)`` does what is due now and returns a summary (an object
    with ``totals() -> dict[str, int]``, or None); it should return soon after ``stop`` is
    set, leaving nothing claimed. An exception fails this pass of this job only: it is
    logged and kept as the worker's last error, and the other jobs still run.
    """

    name: str
    run: Callable[[Engine, PluginHost, threading.Event], Any]


def outbox_job(*, batch_size: int = 50, lease: timedelta = outbox.LEASE) -> Job:
    """Deliver the notification outbox through the channel plugins."""
    return Job(
        "outbox",
        lambda engine, plugins, stop: deliver_due(
            engine, plugins, batch_size=batch_size, lease=lease, stop=stop
        ),
    )


@dataclass
class ScheduledCounts:
    """What the periodic jobs of :mod:`mentormatch_desktop.jobs` did in one pass."""

    done: dict[str, dict[str, int]]

    def totals(self) -> dict[str, int]:
        return {
            f"{job} {what}": n for job, counts in self.done.items() for what, n in counts.items()
        }


def scheduled_job(runner: JobRunner | None = None) -> Job:
    """Session notices, reminders and calendar sync, each at most once per its period."""
    runner = runner or JobRunner()
    return Job(
        "scheduled",
        lambda engine, plugins, stop: ScheduledCounts(runner.run_due(engine, plugins, utcnow)),
    )


def default_jobs(*, batch_size: int = 50, lease: timedelta = outbox.LEASE) -> list[Job]:
    """The jobs ``mentormatch worker`` runs, in order. Add new kinds of work here.

    The scheduled jobs come first, so a reminder queued in a pass goes out in that pass.
    """
    return [scheduled_job(), outbox_job(batch_size=batch_size, lease=lease)]


@dataclass
class PassResult:
    """What one pass of every job did: summaries by job name, errors by job name."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def run_worker(
    engine: Engine,
    plugins: PluginHost,
    *,
    poll: float = 2.0,
    batch_size: int = 50,
    lease: timedelta = outbox.LEASE,
    stop: threading.Event | None = None,
    on_pass: Any = None,
    jobs: list[Job] | None = None,
    heartbeat: Heartbeat | None = None,
) -> None:
    """Run every job until ``stop`` is set: after each pass wait ``poll`` seconds, or less
    when PostgreSQL NOTIFYs ``mm_outbox`` (a message was just written).

    ``on_pass(result)`` receives each pass's :class:`PassResult`; ``heartbeat`` (when
    given) is written at start, after each pass and at the end.
    """
    stop = stop or threading.Event()
    jobs = jobs if jobs is not None else default_jobs(batch_size=batch_size, lease=lease)
    waiter = _Waiter(engine, poll)
    if heartbeat is not None:
        heartbeat.start(engine, plugins, [job.name for job in jobs], poll)
    try:
        while not stop.is_set():
            result = run_pass(engine, plugins, jobs, stop)
            if heartbeat is not None:
                heartbeat.after_pass(engine, plugins, result)
            if on_pass is not None:
                on_pass(result)
            if not stop.is_set():
                waiter.wait(stop)
    finally:
        waiter.close()
        if heartbeat is not None:
            heartbeat.stopped(engine, plugins)
        for channel in plugins.messaging_channels().values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()


def run_pass(
    engine: Engine, plugins: PluginHost, jobs: list[Job], stop: threading.Event
) -> PassResult:
    """Run each job once; one job's failure (the database went away) does not stop the rest."""
    result = PassResult()
    for job in jobs:
        if stop.is_set():
            break
        try:
            result.results[job.name] = job.run(engine, plugins, stop)
        except Exception as exc:
            log.exception(
                "job %s failed; trying again next pass", job.name, extra={"job": job.name}
            )
            result.errors[job.name] = f"{type(exc).__name__}: {exc}"
    return result


class Heartbeat:
    """Writes this worker's row in ``worker_heartbeats`` (best effort: a worker whose
    database is briefly away keeps working and beats again when it is back)."""

    def __init__(self, worker_id: str | None = None) -> None:
        from mentormatch_desktop._version import __version__

        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = worker_id or f"{self.hostname}:{self.pid}:{uuid.uuid4().hex[:6]}"
        self.version = __version__
        self.started_at = utcnow()
        self.jobs: list[str] = []
        self.poll = 0.0
        self.totals: dict[str, int] = {}

    def _write(self, engine: Engine, plugins: PluginHost, **kwargs: Any) -> None:
        from mentormatch_desktop.services import workers

        try:
            with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR) as ctx:
                outbox.relax_commit(ctx)
                workers.beat(
                    ctx,
                    self.worker_id,
                    hostname=self.hostname,
                    pid=self.pid,
                    version=self.version,
                    jobs=self.jobs,
                    poll=self.poll,
                    started_at=self.started_at,
                    totals=self.totals,
                    **kwargs,
                )
        except Exception as exc:
            log.warning("cannot write the heartbeat: %s", exc, extra={"worker_id": self.worker_id})

    def start(self, engine: Engine, plugins: PluginHost, jobs: list[str], poll: float) -> None:
        self.jobs, self.poll = jobs, poll
        self._write(engine, plugins)

    def after_pass(self, engine: Engine, plugins: PluginHost, result: PassResult) -> None:
        for summary in result.results.values():
            totals = getattr(summary, "totals", None)
            if callable(totals):
                for key, value in totals().items():
                    self.totals[key] = self.totals.get(key, 0) + int(value)
        self._write(
            engine,
            plugins,
            success=result.ok,
            error="; ".join(f"{k}: {v}" for k, v in result.errors.items()),
        )

    def stopped(self, engine: Engine, plugins: PluginHost) -> None:
        self._write(engine, plugins, stopped=True)


class _Waiter:
    """Sleeps between passes; on PostgreSQL wakes early on ``NOTIFY mm_outbox``."""

    def __init__(self, engine: Engine, poll: float) -> None:
        self.poll = poll
        self.conn: Any = None
        if engine.dialect.name == "postgresql":
            try:
                import psycopg

                url = engine.url.set(drivername="postgresql")
                self.conn = psycopg.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                )
                self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
            except Exception:
                log.warning("cannot LISTEN for new messages; polling every %.1f s", poll)
                self.conn = None

    def wait(self, stop: threading.Event) -> None:
        if self.conn is None:
            stop.wait(self.poll)
            return
        deadline = time.monotonic() + self.poll
        try:
            for _ in self.conn.notifies(timeout=self.poll, stop_after=1):
                break
        except Exception:
            log.warning("lost the LISTEN connection; polling from now on")
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
