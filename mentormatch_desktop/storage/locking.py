"""Row locks that work the same way on PostgreSQL and SQLite.

PostgreSQL locks rows: ``SELECT … FOR UPDATE`` (exclusive) or ``FOR SHARE``, held until the
transaction ends. SQLite has no row locks and one writer at a time; in WAL mode a reader
that later writes fails if another writer committed in between. So on SQLite a unit of
work that must read-then-write consistently takes the write lock *before* it reads
(``BEGIN IMMEDIATE``); other writers then wait (busy timeout) until it commits.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T", bound=tuple[Any, ...])


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def take_write_lock(session: Session) -> None:
    """On SQLite, make this transaction the database's only writer before it reads.

    A no-op on PostgreSQL (row locks do the work there). If the transaction already wrote
    (pysqlite opened it implicitly), it holds the write lock already and nothing changes.
    """
    if not is_sqlite(session):
        return
    dbapi = session.connection().connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        # pysqlite starts its own transactions only before a write, and sees this BEGIN.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def locked(stmt: sa.Select[T], *, shared: bool = False) -> sa.Select[T]:
    """``stmt`` with ``FOR UPDATE`` (``FOR SHARE`` when ``shared``) on PostgreSQL, reading
    fresh values into objects the session already holds. SQLite ignores the lock clause:
    pair it with :func:`take_write_lock`."""
    return stmt.with_for_update(read=shared).execution_options(populate_existing=True)
