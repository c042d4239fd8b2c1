"""Fill a database with the demo organisation (first start of the app, ``mentormatch demo``).

The demo is written in the caller's unit of work (a cancel rolls all of it back). The
schema must exist first: the app's start-up and ``mentormatch demo`` call
:func:`~mentormatch_desktop.storage.migrations.create_schema_if_empty` before opening it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.demo import (
    DEFAULT_PARTICIPANTS,
    DEFAULT_SEED,
    DemoConfig,
    default_now,
    generate,
)
from mentormatch_desktop.demo.writer import write_dataset
from mentormatch_desktop.domain.progress import CancelToken, Progress, report
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import Person, Program, Skill


class DemoDatabaseNotEmpty(Exception):
    """The demo only goes into an empty database: it must never mix with real data."""


@dataclass(frozen=True)
class DemoSummary:
    participants: int
    seed: int
    now: datetime
    rows: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def database_is_empty(session: Session) -> bool:
    """True when the schema exists and holds no people, skills or programs."""
    for model in (Person, Skill, Program):
        if session.execute(sa.select(model.id).limit(1)).first() is not None:
            return False
    return True


def fill_demo(
    ctx: ServiceContext,
    *,
    participants: int = DEFAULT_PARTICIPANTS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DemoSummary:
    """Generate the demo and write it into the unit of work (a cancel leaves nothing behind).

    Raises :class:`DemoDatabaseNotEmpty` when the database already has people, skills or
    programs. ``now`` (aware) ends the history; by default it is today's midnight UTC (see
    ``docs/demo-data.md``).
    """
    if not database_is_empty(ctx.session):
        raise DemoDatabaseNotEmpty(
            "the database already holds data; the demo only fills an empty database"
        )
    now = now if now is not None else default_now()
    config = DemoConfig(participants=participants, seed=seed, now=now)
    started = time.perf_counter()
    dataset = generate(config, progress=_scaled(progress, 0.0, 0.4), cancel=cancel)
    generated = time.perf_counter()
    write_dataset(ctx.session.connection(), dataset, progress=progress, cancel=cancel, start=0.4)
    finished = time.perf_counter()
    report(progress, 1.0, "demo ready")
    return DemoSummary(
        participants=participants,
        seed=seed,
        now=now,
        rows=dataset.counts(),
        generate_seconds=generated - started,
        write_seconds=finished - generated,
    )


def ensure_demo_database(
    ctx: ServiceContext,
    *,
    participants: int = DEFAULT_PARTICIPANTS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> bool:
    """Fill the database with the demo if (and only if) it is empty; True when it did.

    The app calls this on first start of the embedded database.
    """
    if not database_is_empty(ctx.session):
        return False
    fill_demo(ctx, participants=participants, seed=seed, now=now, progress=progress, cancel=cancel)
    return True


def _scaled(progress: Progress | None, low: float, high: float) -> Progress | None:
    if progress is None:
        return None

    def inner(fraction: float, message: str) -> None:
        progress(low + (high - low) * fraction, message)

    return inner
