"""Options and helpers shared by the CLI modules.

Exit status of every command (documented in the README): 0 done; 1 the input or request
was refused with a message (an import problem, an unknown name, an infeasible solve);
2 a usage error or an invalid ``solve`` problem file; 3 the database cannot be used (not
found, not initialised, behind or ahead of this version, read-only, connection lost, not a
MentorMatch database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from mentormatch_desktop.config import DATABASE_URL_ENV, load_settings
from mentormatch_desktop.storage.migrations import SchemaMismatch, prepare_schema
from mentormatch_desktop.storage.opening import (
    DatabaseProblem,
    explain,
    open_engine,
    refuse_foreign_schema,
    safe,
)

if TYPE_CHECKING:
    from mentormatch_desktop.services.context import ServiceContext

F = TypeVar("F", bound=Callable[..., Any])
DATABASE_EXIT_CODE = 3


class DatabaseUnavailable(click.ClickException):
    """The database cannot be used; exit status 3."""

    exit_code = DATABASE_EXIT_CODE


def database_error(exc: BaseException) -> DatabaseUnavailable | None:
    """The message and exit status 3 for a database problem raised inside a command (a
    read-only file, a lost connection); None for any other exception."""
    if isinstance(exc, DatabaseProblem):
        return DatabaseUnavailable(str(exc))
    if isinstance(exc, SQLAlchemyError):
        return DatabaseUnavailable(str(explain(exc)))
    return None


def database_option(fn: F) -> F:
    """``--database URL``; falls back to $MENTORMATCH_DATABASE_URL, the config file, then
    the embedded SQLite database in the user's data dir."""
    return click.option(
        "--database",
        "database_url",
        metavar="URL",
        default=None,
        help=f"SQLAlchemy URL (sqlite:///file or postgresql://…); default: ${DATABASE_URL_ENV} "
        "or the embedded database.",
    )(fn)


def resolve_database_url(database_url: str | None) -> str:
    return load_settings(database_url).database_url


def open_database(database_url: str | None, *, check: bool = True, create: bool = False) -> Engine:
    """An engine on the resolved database, whose schema is ready for this version.

    The embedded SQLite database is migrated on open; a PostgreSQL database is only
    checked (``mentormatch db upgrade`` is the one command that migrates a shared
    database), and a schema behind or ahead of this version stops the command with a
    message saying what to do. Only ``create`` (``db upgrade``, ``demo``) may create a
    missing SQLite file: any other command refuses a mistyped path rather than work on a
    new empty database. Problems raise :class:`DatabaseUnavailable` (exit status 3).
    """
    url = resolve_database_url(database_url)
    try:
        engine = open_engine(url, create=create)
    except DatabaseProblem as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    if check:
        try:
            refuse_foreign_schema(engine)
            prepare_schema(engine)
        except (DatabaseProblem, SchemaMismatch) as exc:
            engine.dispose()
            # Most problems ("cannot connect to URL: …") name the database already; saying
            # it twice made a wrong password a line and a half of the same URL.
            where = safe(url)
            message = str(exc) if where in str(exc) else f"{where}: {exc}"
            raise DatabaseUnavailable(message) from exc
        except SQLAlchemyError as exc:
            engine.dispose()
            raise DatabaseUnavailable(f"cannot open database: {explain(exc, url)}") from exc
    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[ServiceContext]:
    """One command's transaction, acted by the login the database sees, with the process's
    plugin host: commits when the command's work succeeds, rolls back otherwise."""
    from mentormatch_desktop.plugin.host import default_host
    from mentormatch_desktop.services.context import unit_of_work as service_unit_of_work

    with service_unit_of_work(engine, plugins=default_host()) as ctx:
        yield ctx


safe_url = safe
