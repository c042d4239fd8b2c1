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

import json
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost, default_host
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
    """What a service needs besides its arguments.

    Built by :func:`unit_of_work` (and, for tests and plugin authors, by the ``ctx`` fixture
    of :mod:`mentormatch_desktop.testing`). Services read and write through ``session``,
    may ``flush()``, and never commit, roll back or open another session.
    """

    session: Session
    actor: Actor
    plugins: PluginHost
    clock: Clock = field(default=utcnow)
    #: Set by a service that recorded its own failure (a ``failed`` match run) just before
    #: raising: the unit of work then commits that record instead of rolling it back.
    keep_on_error: bool = False

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
        """Add an audit-log row naming the acting person (written with the unit of work).

        A participant on a shared PostgreSQL database has no privilege on ``audit_log``:
        their row goes through ``mm_record_audit()``, which stamps the actor the database
        knows (storage/security/10_functions.sql), in this same transaction.
        """
        from mentormatch_desktop.storage.models import AuditLog

        if self.actor.role == AppRole.PARTICIPANT and self.session.get_bind().dialect.name == (
            "postgresql"
        ):
            self.session.flush()  # the row it names exists first, as with the ORM insert
            self.session.execute(
                sa.text(
                    "SELECT mm_record_audit(:at, :actor_id, :login, :action, :entity_type,"
                    " :entity_id, CAST(:d AS jsonb))"
                ),
                {
                    "at": self.now(),
                    "actor_id": self.actor.person_id,
                    "login": self.actor.login,
                    "action": action,
                    "entity_type": entity_type,
                    "entity_id": None if entity_id is None else str(entity_id),
                    "d": json.dumps(details or {}, default=str),
                },
            )
            return
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


# ---- who is acting ----------------------------------------------------------------------

_actors: weakref.WeakKeyDictionary[Engine, Actor] = weakref.WeakKeyDictionary()
_actors_lock = threading.Lock()


def resolve_actor(bind: Engine | Connection | Session) -> Actor:
    """Who acts on this database: the one place that decides it.

    On PostgreSQL it is the person whose ``people.db_login`` is ``current_user``, with the
    role stored in ``people.app_role``; a login no person row names (the server's owner,
    an operator running the CLI) acts as a coordinator without a person. On SQLite the
    file belongs to whoever opened it: :data:`LOCAL_COORDINATOR`.
    """
    if isinstance(bind, Session):
        connection = bind.connection()
    elif isinstance(bind, Engine):
        if bind.dialect.name != "postgresql":
            return LOCAL_COORDINATOR
        with bind.connect() as conn:
            try:
                return resolve_actor(conn)
            except sa.exc.ProgrammingError:  # no schema yet: before the first `db upgrade`
                return _UNRESOLVED
    else:
        connection = bind
    if connection.dialect.name != "postgresql":
        return LOCAL_COORDINATOR
    from mentormatch_desktop.services.identity import check_one_group
    from mentormatch_desktop.storage.models import Person

    check_one_group(connection)  # a login in two group roles is refused, not guessed at
    login = str(connection.scalar(sa.select(sa.func.current_user())))
    row = connection.execute(
        sa.select(Person.id, Person.app_role).where(Person.db_login == login)
    ).first()
    if row is None:
        return Actor(person_id=None, login=login, role=AppRole.COORDINATOR)
    return Actor(person_id=int(row.id), login=login, role=AppRole(row.app_role))


#: A PostgreSQL database without the people table yet: a coordinator, never remembered.
_UNRESOLVED = Actor(person_id=None, login=None, role=AppRole.COORDINATOR)


def actor_for(engine: Engine) -> Actor:
    """:func:`resolve_actor` for ``engine``, asked once per engine (one query on PostgreSQL).

    The login behind an engine never changes; call :func:`forget_actor` after changing
    the person row it names (or build the actor with :func:`resolve_actor` directly).
    """
    with _actors_lock:
        known = _actors.get(engine)
    if known is not None:
        return known
    actor = resolve_actor(engine)
    if actor is not _UNRESOLVED:
        with _actors_lock:
            _actors[engine] = actor
    return actor


def forget_actor(engine: Engine) -> None:
    """Resolve the acting person again on the next unit of work on ``engine``."""
    with _actors_lock:
        _actors.pop(engine, None)


# ---- the unit of work -------------------------------------------------------------------


@contextmanager
def unit_of_work(
    engine: Engine,
    *,
    plugins: PluginHost | None = None,
    actor: Actor | None = None,
    clock: Clock = utcnow,
) -> Iterator[ServiceContext]:
    """One transaction for one user action: commit on success, roll back on any exception.

    ``plugins`` defaults to the process-wide :func:`~mentormatch_desktop.plugin.host.default_host`
    and ``actor`` to the person :func:`actor_for` finds for the engine. A service that
    recorded its own failure (``ctx.keep_on_error``) has that record committed before the
    exception travels on.
    """
    host = plugins if plugins is not None else default_host()
    who = actor if actor is not None else actor_for(engine)
    kept: BaseException | None = None
    with session_factory(engine)() as session:
        ctx = ServiceContext(session=session, actor=who, plugins=host, clock=clock)
        with session.begin():  # commits when the block ends normally, else rolls back
            try:
                yield ctx
            except BaseException as exc:
                if not ctx.keep_on_error:
                    raise
                kept = exc  # the service recorded its failure: commit that, then re-raise
    if kept is not None:
        raise kept
