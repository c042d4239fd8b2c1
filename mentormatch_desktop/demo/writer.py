"""Bulk insertion of a generated demo: COPY on PostgreSQL, executemany on SQLite.

Ids are already in the rows, so nothing needs to come back from the database; on
PostgreSQL the id sequences are moved past the inserted ids afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from mentormatch_desktop.demo.dataset import TABLE_ORDER, DemoDataset
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.storage.models import Base
from mentormatch_desktop.storage.types import json_default


def write_dataset(
    conn: Connection,
    ds: DemoDataset,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    start: float = 0.4,
) -> None:
    """Insert every table of ``ds`` inside the caller's transaction on ``conn``."""
    names = [n for n in TABLE_ORDER if n in ds.tables]
    total = sum(len(ds.tables[n].rows) for n in names) or 1
    done = 0
    postgres = conn.dialect.name == "postgresql"
    deferred: list[sa.Table] = []
    if postgres:
        # A crash may lose this transaction, never corrupt anything: fine for a bulk fill.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        deferred = [Base.metadata.tables[n] for n in names if len(ds.tables[n].rows) >= BULK_ROWS]
        _drop_structures(conn, deferred)
    else:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for name in names:
        check(cancel)
        rows = ds.tables[name]
        report(progress, start + (1 - start) * done / total, f"writing {name}")
        table = Base.metadata.tables[name]
        if postgres:
            _copy(conn, table, rows.columns, rows.rows)
        else:
            _executemany(conn, table, rows.columns, rows.rows)
        done += len(rows.rows)
    if postgres:
        report(progress, 0.97, "building indexes and checking references")
        _restore_structures(conn, deferred)
        for name in names:
            table = Base.metadata.tables[name]
            if "id" in table.c and table.c.id.autoincrement and len(ds.tables[name].rows):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
    report(progress, 0.99, "gathering planner statistics")
    _analyze(conn, names)
    report(progress, 1.0, "demo written")


def _analyze(conn: Connection, names: list[str]) -> None:
    """Give the planner statistics for the tables just loaded, in the same transaction.

    A freshly filled database has none until autovacuum comes round, and autovacuum may be
    off or slow: until then PostgreSQL guesses row counts and picks plans for empty tables
    (hash-joining every meeting, or looping over 20,000 people). ANALYZE inside the
    transaction samples the rows it inserted, and its statistics become visible with the
    commit. On SQLite the query planner reads sqlite_stat1 the same way; ANALYZE is cheap at
    the demo's size.
    """
    if conn.dialect.name == "postgresql":
        # Only the loaded tables: a whole-database ANALYZE would also visit the catalogs.
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql("ANALYZE " + ", ".join(quote(n) for n in names))
    else:
        conn.exec_driver_sql("ANALYZE")


BULK_ROWS = 20_000
"""Tables at least this large are loaded without their secondary indexes and foreign keys,
which are rebuilt (and checked in one pass) afterwards: per-row index upkeep and per-row
foreign-key triggers cost far more than one sort and one join. All of it happens inside
the transaction, so nobody ever sees a table without its constraints."""


def _drop_structures(conn: Connection, tables: list[sa.Table]) -> None:
    for table in tables:
        for fk in table.foreign_key_constraints:
            conn.execute(DropConstraint(fk))
        for index in table.indexes:
            if not index.unique:
                conn.execute(DropIndex(index))


def _restore_structures(conn: Connection, tables: list[sa.Table]) -> None:
    for table in tables:
        for index in table.indexes:
            if not index.unique:
                conn.execute(CreateIndex(index))
        for fk in table.foreign_key_constraints:
            conn.execute(AddConstraint(fk))


def _json_columns(table: sa.Table, columns: tuple[str, ...]) -> list[int]:
    return [k for k, c in enumerate(columns) if isinstance(table.c[c].type, sa.JSON)]


def _copy(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    as_json = _json_columns(table, columns)
    dumps: Callable[[Any], str] = lambda v: json.dumps(v, default=json_default)  # noqa: E731
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(columns)
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
        if as_json:
            for row in rows:
                values = list(row)
                for k in as_json:
                    if values[k] is not None:
                        values[k] = dumps(values[k])
                copy.write_row(values)
        else:
            for row in rows:
                copy.write_row(row)


def _executemany(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    # Through Core so column types (UTC datetimes, JSON, enums) convert exactly as the ORM does.
    batch = 20_000
    for first in range(0, len(rows), batch):
        conn.execute(
            table.insert(),
            [dict(zip(columns, r, strict=True)) for r in rows[first : first + batch]],
        )
