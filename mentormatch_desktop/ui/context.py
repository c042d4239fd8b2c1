"""What every screen shares: settings, the database engine, plugins and connection state.

Screens never open engines or plugin hosts themselves; they get an :class:`AppContext`,
run services through :mod:`mentormatch_desktop.ui.workers` inside
``with context.unit_of_work() as ctx:`` (one transaction per user action, committed when
the block ends), and listen to ``data_changed`` to refresh when another screen changed
something they show.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from PySide6.QtCore import QObject, Signal
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from mentormatch_desktop.config import Settings
from mentormatch_desktop.plugin.host import PluginHost, default_host
from mentormatch_desktop.services.context import Actor, ServiceContext, unit_of_work
from mentormatch_desktop.services.identity import LOCAL, Identity
from mentormatch_desktop.storage.db import create_engine, session_factory

log = logging.getLogger(__name__)


class AppContext(QObject):
    """Shared application state; lives in the GUI thread, its engine is thread-safe."""

    connection_changed = Signal(bool, str)  # connected?, message for the user
    data_changed = Signal(str)  # topic: "participants", "programs", "matching", "mentorships"
    #: the signed-in person's inbox may have changed: {"thread_ids": [...]} (a notification
    #: or this app's own send/read) or {"catch_up": True} (re-read everything); see ui/live.py
    inbox_changed = Signal(object)

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        plugin_host: PluginHost | None = None,
        identity: Identity = LOCAL,
    ) -> None:
        super().__init__()
        self.settings = settings
        #: who is signed in (decides the screens; the database decides the data)
        self.identity = identity
        self.engine = engine or create_engine(settings.database_url)
        self._plugins = plugin_host
        self.connected: bool | None = None
        self.last_error = ""
        self.schema_mismatch = False
        self._sessions = session_factory(self.engine)
        self.notify_source: object = None

    # -- database ----------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def database_label(self) -> str:
        """Where the data lives, without the password ("SQLite · /path" or "PostgreSQL · …")."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            return f"SQLite · {url.database or 'in memory'}"
        host = f"{url.host or 'localhost'}{':' + str(url.port) if url.port else ''}"
        return f"PostgreSQL · {url.username + '@' if url.username else ''}{host}/{url.database}"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A plain session for analytics reads (use inside a worker, never on the GUI
        thread). Services take :meth:`unit_of_work` instead."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def unit_of_work(self) -> Iterator[ServiceContext]:
        """One user action's transaction, for a worker: the acting person (the signed-in
        login on PostgreSQL, the local coordinator on SQLite), the app's plugin host and
        a session; commits when the block ends, rolls back if it raises."""
        # --as EMAIL on SQLite acts as that person; otherwise the database decides.
        actor = None if self.identity is LOCAL else self.actor
        with unit_of_work(self.engine, plugins=self.plugins, actor=actor) as ctx:
            yield ctx

    def ping(self) -> None:
        """Raise if the database does not answer (called from a worker)."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def mark_connected(self) -> None:
        if self.connected is not True:
            self.connected = True
            self.last_error = ""
            self.connection_changed.emit(True, "Connected")

    def mark_unreachable(self, message: str, *, schema: bool = False) -> None:
        """The database cannot be used: down, or (``schema``) its schema is not the one
        this version needs; the banner says which and keeps retrying."""
        self.schema_mismatch = schema
        self.last_error = message
        if self.connected is not False:
            log.warning("database unreachable: %s", message)
        self.connected = False
        self.connection_changed.emit(False, message)

    @property
    def actor(self) -> Actor:
        """The acting person for services' units of work."""
        from mentormatch_desktop.domain.enums import AppRole

        role = {"participant": AppRole.PARTICIPANT, "analyst": AppRole.ANALYST}.get(
            self.identity.role, AppRole.COORDINATOR
        )
        return Actor(person_id=self.identity.person_id, login=self.identity.login, role=role)

    # -- plugins -----------------------------------------------------------------------
    @property
    def plugins(self) -> PluginHost:
        """The plugin host, loaded on first use: the process-wide one unless the context
        was given its own (tests)."""
        if self._plugins is None:
            return default_host()
        return self._plugins.load()

    def notify(self, topic: str, source: object = None) -> None:
        """Tell every screen that data under ``topic`` changed.

        ``source`` (the screen that made the change and already shows it) is not told.
        """
        self.notify_source = source
        try:
            self.data_changed.emit(topic)
        finally:
            self.notify_source = None

    def close(self) -> None:
        self.engine.dispose()
