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
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole, DeliveryStatus
from mentormatch_desktop.plugin.contracts import Delivery, DeliveryResult
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import outbox
from mentormatch_desktop.services.context import Actor, Clock, unit_of_work
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
        for item in claimed:
            result = send_one(plugins, item.delivery, disabled)
            with unit_of_work(engine, plugins=plugins, actor=WORKER_ACTOR, clock=clock) as ctx:
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
    return stats


def run_worker(
    engine: Engine,
    plugins: PluginHost,
    *,
    poll: float = 2.0,
    batch_size: int = 50,
    lease: timedelta = outbox.LEASE,
    stop: threading.Event | None = None,
    on_pass: Any = None,
) -> None:
    """Deliver until ``stop`` is set: after each pass wait ``poll`` seconds, or less when
    PostgreSQL NOTIFYs ``mm_outbox`` (a message was just written)."""
    stop = stop or threading.Event()
    waiter = _Waiter(engine, poll)
    try:
        while not stop.is_set():
            try:
                stats = deliver_due(engine, plugins, batch_size=batch_size, lease=lease, stop=stop)
            except Exception:  # the database went away: keep the worker alive, try again
                log.exception("delivery pass failed; retrying in %.0f s", poll)
                stats = None
            if on_pass is not None:
                on_pass(stats)
            waiter.wait(stop)
    finally:
        waiter.close()
        for channel in plugins.messaging_channels().values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()


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
