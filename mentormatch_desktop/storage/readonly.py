"""Running a query the user typed without any way for it to write.

``workbench.sql()`` was documented as read-only but ran whatever it got: ``DROP TABLE``
committed on SQLite, and ``DELETE …; COMMIT; SELECT …`` emptied the audit log on
PostgreSQL. Here a query runs

* as exactly one statement (the driver refuses a second: psycopg through the extended
  protocol, sqlite3 by design), so it cannot ``COMMIT`` its way out of the transaction;
* in a read-only transaction on PostgreSQL (``SET TRANSACTION READ ONLY``) and with
  ``PRAGMA query_only`` on SQLite, so the database itself refuses any write;
* and is rolled back afterwards whatever happened.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


class ReadOnlyQuery(ValueError):
    """The query tried to write, or held more than one statement."""


_WRITE_SIGNS = (
    "read-only transaction",
    "readonly database",
    "attempt to write",
    "query_only",
)
_MANY_SIGNS = ("multiple commands", "one statement at a time")


def _refusal(exc: BaseException) -> ReadOnlyQuery | None:
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if any(s in low for s in _MANY_SIGNS):
        return ReadOnlyQuery(f"run one statement at a time (got several): {first}")
    if any(s in low for s in _WRITE_SIGNS):
        return ReadOnlyQuery(f"sql() only reads; the query tried to write: {first}")
    return None


def read_only_rows(
    engine: Engine, query: str | sa.Executable
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``query``, run read-only as one statement."""
    backend = engine.dialect.name
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif backend == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
        try:
            if isinstance(query, str):
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    if backend == "postgresql":
                        cursor.execute(query, prepare=True)  # one statement only
                    else:
                        cursor.execute(query)
                    columns = [d[0] for d in cursor.description or ()]
                    rows = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
                finally:
                    cursor.close()
            else:
                result = conn.execute(query)
                columns = list(result.keys())
                rows = [tuple(r) for r in result.all()]
        except Exception as exc:
            refusal = _refusal(exc)
            if refusal is not None:
                raise refusal from exc
            raise
        finally:
            conn.rollback()
            if backend == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.commit()
    return columns, rows
