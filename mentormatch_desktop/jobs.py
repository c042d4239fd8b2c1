"""Periodic jobs the worker runs besides delivering the outbox.

Each job is a plain function of ``(engine, plugins, clock)`` that opens its own units of
work, is idempotent (the database, not this process, remembers what was done) and returns
counts for the log. :class:`JobRunner` runs each one at most once per its period; the
worker calls :meth:`JobRunner.run_due` on every pass, before delivering, so a reminder
queued in a pass goes out in the same pass.

* ``session-notices`` — post the session notices participants wrote on PostgreSQL
  (their login may not queue their partner's deliveries);
* ``session-reminders`` — 24 h and 1 h before each booked session, once (unique rows);
* ``calendar-sync`` — bring connected calendars' busy time up to date (each connection
  claimed for its period, so several workers split the work and a failing calendar is
  retried once a period, its error kept for the app to show).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars, session_notices
from mentormatch_desktop.services.context import Actor, Clock, unit_of_work

log = logging.getLogger(__name__)

JOB_ACTOR = Actor(person_id=None, login="mentormatch-worker", role=AppRole.COORDINATOR)
JobFn = Callable[[Engine, PluginHost, Clock], dict[str, int]]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: JobFn


def post_session_notices(engine: Engine, plugins: PluginHost, clock: Clock) -> dict[str, int]:
    posted = 0
    while True:
        with unit_of_work(engine, plugins=plugins, actor=JOB_ACTOR, clock=clock) as ctx:
            batch = session_notices.post_pending(ctx, limit=100)
        posted += len(batch)
        if len(batch) < 100:
            return {"posted": posted}


def send_session_reminders(engine: Engine, plugins: PluginHost, clock: Clock) -> dict[str, int]:
    with unit_of_work(engine, plugins=plugins, actor=JOB_ACTOR, clock=clock) as ctx:
        sent = session_notices.queue_reminders(ctx)
    return {"reminders": len(sent)}


def sync_calendars(
    engine: Engine,
    plugins: PluginHost,
    clock: Clock,
    *,
    every: timedelta = calendars.SYNC_EVERY,
) -> dict[str, int]:
    """Sync every connection due; each in its own unit of work, so one failure stays alone."""
    with unit_of_work(engine, plugins=plugins, actor=JOB_ACTOR, clock=clock) as ctx:
        ids = calendars.claim_due_syncs(ctx, every=every)
    synced = failed = 0
    for connection_id in ids:
        try:
            with unit_of_work(engine, plugins=plugins, actor=JOB_ACTOR, clock=clock) as ctx:
                calendars.sync_calendar(ctx, connection_id)
            synced += 1
        except calendars.CalendarError as exc:
            failed += 1
            log.warning("calendar connection %s: %s", connection_id, exc)
            with unit_of_work(engine, plugins=plugins, actor=JOB_ACTOR, clock=clock) as ctx:
                calendars.record_sync_failure(ctx, connection_id, str(exc))
    return {"synced": synced, "failed": failed}


def default_jobs() -> list[Job]:
    """The jobs ``mentormatch worker`` runs, with their periods."""
    return [
        Job("session-notices", timedelta(seconds=0), post_session_notices),
        Job("session-reminders", timedelta(minutes=1), send_session_reminders),
        Job("calendar-sync", timedelta(minutes=1), sync_calendars),
    ]


class JobRunner:
    """Runs each job when its period has passed since its last run in this process.

    A job that raises is logged and tried again next period; it never stops the worker.
    """

    def __init__(self, jobs: Sequence[Job] | None = None) -> None:
        self.jobs = list(default_jobs() if jobs is None else jobs)
        self._last: dict[str, float] = {}

    def run_due(
        self, engine: Engine, plugins: PluginHost, clock: Clock
    ) -> dict[str, dict[str, int]]:
        done: dict[str, dict[str, int]] = {}
        for job in self.jobs:
            last = self._last.get(job.name)
            if last is not None and time.monotonic() - last < job.every.total_seconds():
                continue
            self._last[job.name] = time.monotonic()
            try:
                done[job.name] = job.run(engine, plugins, clock)
            except Exception:
                log.exception("job %s failed; it runs again next period", job.name)
        return done
