"""The unit of work every service runs in: session, acting person, plugins and clock.

Services take a :class:`ServiceContext`, read and write through ``ctx.session``, call
``flush()`` when they need database-generated values, and return plain data. They never
commit or roll back: the caller (a UI worker, a CLI command, a workbench call, a background
job) opens one :func:`unit_of_work`, calls as many services as the user's action needs, and
the block commits once on success or rolls back on any exception. That is what lets
"approve the run" and "queue the introductions" be one transaction.

The acting person travels with the context so that every audit row names who acted; the
plugin host is loaded once per process and handed down, so a plugin disabled after a failure
stays disabled; the clock is injectable so tests and the demo can pin "now".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.storage.db import session_factory
from mentormatch_desktop.storage.types import utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person (when known), their database login and their role.

    On PostgreSQL the person is the one whose ``people.db_login`` is ``current_user``; on the
    embedded SQLite database whoever opens the file is its coordinator (``LOCAL``).
    """

    person_id: int | None
    login: str | None
    role: AppRole

    @property
    def is_coordinator(self) -> bool:
        return self.role in (AppRole.COORDINATOR, AppRole.ADMIN)


#: The local user of an embedded database: its coordinator, with no person row needed.
LOCAL_COORDINATOR = Actor(person_id=None, login="local", role=AppRole.COORDINATOR)


@dataclass
class ServiceContext:
    """What a service needs besides its arguments. Built by :func:`unit_of_work` only."""

    session: Session
    actor: Actor
    plugins: PluginHost
    clock: Clock = field(default=utcnow)

    def now(self) -> datetime:
        """The current time (aware, UTC) as this unit of work sees it."""
        return self.clock()

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: object | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Add an audit-log row naming the acting person (written with the unit of work)."""
        from mentormatch_desktop.storage.models import AuditLog

        self.session.add(
            AuditLog(
                at=self.now(),
                actor_id=self.actor.person_id,
                actor_login=self.actor.login,
                action=action,
                entity_type=entity_type,
                entity_id=None if entity_id is None else str(entity_id),
                details=details or {},
            )
        )


@contextmanager
def unit_of_work(
    engine: Engine,
    *,
    plugins: PluginHost,
    actor: Actor = LOCAL_COORDINATOR,
    clock: Clock = utcnow,
) -> Iterator[ServiceContext]:
    """One transaction for one user action: commit on success, roll back on any exception."""
    with session_factory(engine).begin() as session:
        yield ServiceContext(session=session, actor=actor, plugins=plugins, clock=clock)
