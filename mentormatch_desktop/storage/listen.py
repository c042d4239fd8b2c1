"""LISTEN/NOTIFY without a thread: a dedicated PostgreSQL connection an event loop watches.

The app's open inbox wakes when a service NOTIFYs the person's channel (``mm_person_<id>``,
ids only: NOTIFY ignores row-level security, so the listener re-reads through its own
permissions). :class:`NotificationListener` holds its own autocommit connection (never a
pooled one: LISTEN belongs to the session), exposes the socket with :meth:`fileno` for a
select loop or a ``QSocketNotifier`` to watch, and :meth:`poll` reads whatever arrived
without ever blocking. A lost connection raises :class:`ListenerLost` from :meth:`poll`;
the caller reconnects and re-reads everything, so nothing sent meanwhile is missed.

Qt-free, like all of storage: the Qt glue is ``ui/live.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine


class ListenerLost(ConnectionError):
    """The listening connection is gone; make a new listener and re-read."""


@dataclass(frozen=True)
class Notification:
    channel: str
    payload: str
    pid: int  # backend process that sent it

    def data(self) -> dict[str, Any]:
        """The JSON payload as a dict (empty when it is not a JSON object)."""
        try:
            value = json.loads(self.payload) if self.payload else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class NotificationListener:
    """``LISTEN`` on ``channels`` over a connection of its own, with ``engine``'s login.

    Connecting blocks (network), so callers on a GUI thread create it in a worker; after
    that :meth:`poll` and :meth:`fileno` never block.
    """

    def __init__(self, engine: Engine, channels: Iterable[str], *, connect_timeout: int = 10):
        if engine.dialect.name != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL; embedded databases poll instead")
        import psycopg
        from psycopg import sql

        args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.setdefault("connect_timeout", connect_timeout)
        kwargs["application_name"] = "mentormatch-listen"
        try:
            self._conn = psycopg.connect(*args, **kwargs, autocommit=True)
        except psycopg.OperationalError as exc:
            raise ListenerLost(str(exc).strip().splitlines()[0]) from exc
        self.channels = tuple(dict.fromkeys(channels))
        for channel in self.channels:
            self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def fileno(self) -> int:
        """The socket to watch for readability."""
        return self._conn.pgconn.socket

    def poll(self) -> list[Notification]:
        """Everything that arrived since the last call; empty if nothing. Never blocks."""
        import psycopg

        pgconn = self._conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError as exc:
            raise ListenerLost(str(exc).strip().splitlines()[0] or "connection lost") from exc
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise ListenerLost("connection lost")
        found = []
        while (n := pgconn.notifies()) is not None:
            found.append(Notification(n.relname.decode(), n.extra.decode(), n.be_pid))
        return found

    def backend_pid(self) -> int:
        return int(self._conn.info.backend_pid)

    @property
    def closed(self) -> bool:
        return bool(self._conn.closed)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> NotificationListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
