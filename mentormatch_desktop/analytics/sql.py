"""Small SQL building blocks shared by the metrics, portable across SQLite and PostgreSQL.

Metrics aggregate in the database and bring back small result sets; :func:`read_frame`
turns a result into a polars DataFrame with an explicit schema, so an empty result still
has the right columns and types.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from mentormatch_desktop.storage.fetching import all_rows

Source = Connection | Engine | Session
"""Anything a metric can read from: an engine, a connection or an ORM session."""


@contextmanager
def connection_of(source: Source) -> Iterator[Connection]:
    """A connection for ``source``; opens (and closes) one only when given an engine."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            yield conn
    elif isinstance(source, Session):
        yield source.connection()
    else:
        yield source


def read_frame(
    conn: Connection, stmt: sa.Executable, schema: Mapping[str, pl.DataType | type]
) -> pl.DataFrame:
    """Execute ``stmt`` and return its rows as a DataFrame with exactly ``schema``.

    On PostgreSQL the result is streamed with ``COPY (…) TO STDOUT`` as CSV and parsed by
    polars: a columnar read that keeps per-row Python work (type processors, tuple
    building) out of the refresh, which matters when several reads run concurrently.
    Elsewhere rows are fetched normally and handed to polars column by column.
    """
    if is_postgres(conn):
        return _copy_frame(conn, stmt, schema)
    rows = all_rows(conn.execute(stmt))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype=dtype)
            for (name, dtype), values in zip(schema.items(), columns, strict=True)
        ]
    )


def _copy_frame(
    conn: Connection, stmt: sa.Executable, schema: Mapping[str, pl.DataType | type]
) -> pl.DataFrame:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors  # the same conversions execute() would apply
    params = {
        key: processors[key](value) if key in processors else value
        for key, value in compiled.construct_params().items()
    }
    buffer = io.BytesIO()
    raw = conn.connection.dbapi_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", params) as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    stamps = [name for name, dtype in schema.items() if isinstance(dtype, pl.Datetime)]
    as_text = {name: pl.String if name in stamps else dtype for name, dtype in schema.items()}
    if buffer.tell() == 0:
        return pl.DataFrame(schema=dict(schema))
    frame = pl.read_csv(buffer.getvalue(), has_header=False, new_columns=list(schema),
                        schema_overrides=as_text)  # fmt: skip
    return frame.with_columns(
        pl.col(name).str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", time_zone="UTC", time_unit="us")
        for name in stamps
    ).cast(dict(schema))  # type: ignore[arg-type]


class utc_date(FunctionElement[Any]):
    """The UTC calendar date of a stored timestamp."""

    type = sa.Date()
    inherit_cache = True


@compiles(utc_date)
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores naive UTC ISO text; date() takes its first ten characters' meaning.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_pg(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


class utc_hour(FunctionElement[Any]):
    """The stored timestamp truncated to the hour, as ISO text (``YYYY-MM-DD HH:00``).

    Used where a local-time conversion must happen outside the database (SQLite has no
    time-zone database).
    """

    type = sa.String()
    inherit_cache = True


@compiles(utc_hour)
def _utc_hour_sqlite(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d %H:00', {compiler.process(element.clauses, **kw)})"


@compiles(utc_hour, "postgresql")
def _utc_hour_pg(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"to_char(({inner}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00')"


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``COUNT(*) FILTER (WHERE …)`` written portably as a sum of a CASE."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def utc_datetime(col: str) -> pl.Expr:
    """Normalise a datetime column to microsecond UTC (what every frame here uses)."""
    return pl.col(col).cast(pl.Datetime("us", "UTC"))


UTC_DT = pl.Datetime("us", "UTC")
