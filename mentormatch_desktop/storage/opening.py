"""Opening a database the user named, and saying precisely why it cannot be used.

Every entry point (CLI commands, the notebook workbench, the app) opens its database
here, so the same mistakes get the same messages:

* a URL that is not one (``not a url``) or names a backend we do not run on (``mysql://``);
* a mistyped SQLite path: only ``create=True`` (``db upgrade``, ``demo``) may create a
  database file; anything else refuses a file that does not exist instead of creating an
  empty database and reporting "0 participants";
* a database that is empty ("not initialised: run mentormatch db upgrade"), has tables
  but no ``alembic_version`` (not made by MentorMatch's migrations), is behind or ahead of
  this version's schema.

:func:`explain` turns a driver error met later (a read-only file, a lost connection) into
one sentence. All problems are :class:`DatabaseProblem`, which the CLI prints and exits
with status 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from mentormatch_desktop.storage.db import create_engine, normalise_url

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
UPGRADE_HINT = "run `mentormatch db upgrade`"


class DatabaseProblem(Exception):
    """The database cannot be used as asked; the message says why and what to do."""

    exit_code = 3


class NotInitialised(DatabaseProblem):
    """The database exists but holds no MentorMatch schema yet."""


def safe(url: str | URL) -> str:
    try:
        return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(str(url))


def parse_url(url: str | URL) -> URL:
    """A supported database URL, or :class:`DatabaseProblem` saying what is wrong with it."""
    try:
        parsed = normalise_url(url)
    except ArgumentError:
        raise DatabaseProblem(
            f"{str(url)!r} is not a database URL; use sqlite:///path/to/file.sqlite3 or "
            "postgresql://user@host/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseProblem(
            f"{safe(parsed)}: the {backend!r} database is not supported; MentorMatch runs on "
            "SQLite (sqlite:///file) and PostgreSQL (postgresql://…)"
        )
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file of a file-backed SQLite URL (None for in-memory databases)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None  # a URI filename: the driver decides
    return Path(url.database)


def create_private_file(path: Path) -> None:
    """Create an empty database file readable only by its owner (0600).

    SQLite would create it with the umask (usually 0644), and the file holds personal
    data. The -wal and -shm files SQLite adds later copy this file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def open_engine(url: str | URL, *, create: bool = False, **kwargs: Any) -> Engine:
    """An engine on ``url`` after checking the URL and, for SQLite, that the file exists.

    With ``create`` a missing SQLite file is created (0600); without, it is refused."""
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None and not path.exists():
        if not create:
            raise DatabaseProblem(
                f"no database file at {path}: check the path (a new database is only "
                f"created by `mentormatch db upgrade` or `mentormatch demo`)"
            )
        try:
            create_private_file(path)
        except OSError as exc:
            raise DatabaseProblem(
                f"cannot create the database file {path}: {exc.strerror or exc}"
            ) from exc
    if path is not None and path.is_dir():
        raise DatabaseProblem(f"{path} is a folder, not a database file")
    try:
        return create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseProblem(f"cannot use {safe(parsed)}: {exc}") from exc


def _tables_and_revision(engine: Engine) -> tuple[set[str], str | None]:
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise explain(exc, engine.url) from exc
    return tables, revision


def refuse_foreign_schema(engine: Engine) -> None:
    """Raise :class:`DatabaseProblem` for tables without ``alembic_version``: a database
    MentorMatch's migrations did not make (migrating it would collide with its tables)."""
    tables, _ = _tables_and_revision(engine)
    if tables and "alembic_version" not in tables:
        names = sorted(tables)
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        raise DatabaseProblem(
            f"the database {safe(engine.url)} has tables ({shown}) but no alembic_version: "
            "it was not created by MentorMatch's migrations. Use an empty database for "
            "MentorMatch, or one created by `mentormatch db upgrade`"
        )


def check_schema(engine: Engine) -> str:
    """The schema revision, after checking the database is MentorMatch's and current.

    Raises :class:`NotInitialised` for an empty database, and :class:`DatabaseProblem`
    for tables without ``alembic_version`` or a schema behind or ahead of this version
    (the message of :func:`~mentormatch_desktop.storage.migrations.check_schema`)."""
    from mentormatch_desktop.storage.migrations import SchemaMismatch
    from mentormatch_desktop.storage.migrations import check_schema as check_revision

    refuse_foreign_schema(engine)
    _, revision = _tables_and_revision(engine)
    if revision is None:
        raise NotInitialised(f"the database {safe(engine.url)} is not initialised: {UPGRADE_HINT}")
    try:
        check_revision(engine)
    except SchemaMismatch as exc:
        raise DatabaseProblem(f"{safe(engine.url)}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise explain(exc, engine.url) from exc
    return revision


_LOST = (
    "server closed the connection",
    "terminating connection",
    "connection already closed",
    "connection is closed",
    "consuming input failed",
    "could not receive data",
    "connection to server",
    "ssl connection has been closed",
    "the connection is lost",
)


def explain(exc: BaseException, url: str | URL | None = None) -> DatabaseProblem:
    """One sentence for a driver error: read-only file, lost connection, missing schema.

    Anything not recognised keeps the driver's first line, prefixed by the database."""
    where = safe(url) if url is not None else "the database"
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "readonly database" in low or ("read-only" in low and "sqlite" in where):
        return DatabaseProblem(
            f"{where} is read-only: nothing was written (check the file's and its folder's "
            "permissions)"
        )
    # Refusals at connect time come first: libpq words them "connection to server at …
    # failed: …", which would otherwise read as a connection lost in the middle of work.
    tls = _tls_problem(text)
    if tls is not None:
        return DatabaseProblem(f"cannot connect to {where} over TLS: {tls}")
    if low.startswith("connection failed:") or "could not connect" in low:
        return DatabaseProblem(f"cannot connect to {where}: {_libpq_detail(text)}")
    if (isinstance(exc, DBAPIError) and exc.connection_invalidated) or any(s in low for s in _LOST):
        return DatabaseProblem(
            f"the connection to {where} was lost: nothing of this command was saved "
            f"(the database rolls back unfinished work); try again ({first})"
        )
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return NotInitialised(f"{where} is not initialised ({first}): {UPGRADE_HINT}")
    if "unable to open database file" in low:
        return DatabaseProblem(f"cannot open {where}: the file or its folder is not accessible")
    if "could not connect" in low or "connection refused" in low or "connection failed" in low:
        return DatabaseProblem(f"cannot connect to {where}: {first}")
    return DatabaseProblem(f"{where}: {first}")


def _tls_problem(text: str) -> str | None:
    """What went wrong with TLS (``sslmode``, ``sslrootcert``), in words an admin can act
    on, or None when ``text`` is about something else. libpq's own words follow in
    brackets; its "connection to server at …, port … failed:" preamble is dropped."""
    detail = _libpq_detail(text)
    low = text.lower()
    if "certificate verify failed" in low:
        return (
            "the server's certificate is not signed by the CA in sslrootcert "
            f"(or ~/.postgresql/root.crt): check which CA file the client uses ({detail})"
        )
    if "does not match host name" in low:
        return (
            "the server's certificate does not name the host connected to: connect by a "
            f"name the certificate lists, or have it reissued ({detail})"
        )
    if "root certificate file" in low:
        return f"the CA file to check the server's certificate against is missing ({detail})"
    if "server does not support ssl" in low:
        return f"the server does not offer TLS, and sslmode requires it ({detail})"
    if "ssl error" in low or "ssl syscall" in low or "certificate" in low:
        return detail
    return None


def _libpq_detail(text: str) -> str:
    """libpq's reason without its "connection to server at …, port … failed:" preamble."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line.rsplit("failed: ", 1)[-1].strip().removeprefix("FATAL:").strip()
