"""Options and helpers shared by the CLI modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy.engine import Engine

from mentormatch_desktop.config import DATABASE_URL_ENV, load_settings
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import SchemaMismatch, prepare_schema

if TYPE_CHECKING:
    from mentormatch_desktop.services.context import ServiceContext

F = TypeVar("F", bound=Callable[..., Any])


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


def open_database(database_url: str | None, *, check: bool = True) -> Engine:
    """An engine on the resolved database, whose schema is ready for this version.

    The embedded SQLite database is migrated on open; a PostgreSQL database is only
    checked (``mentormatch db upgrade`` is the one command that migrates a shared
    database), and a schema behind or ahead of this version stops the command with a
    message saying what to do.
    """
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    if check:
        try:
            prepare_schema(engine)
        except SchemaMismatch as exc:
            engine.dispose()
            raise click.ClickException(f"{_safe(url)}: {exc}") from exc
        except Exception as exc:
            engine.dispose()
            raise click.ClickException(f"cannot open database {_safe(url)}: {exc}") from exc
    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[ServiceContext]:
    """One command's transaction, acted by the login the database sees, with the process's
    plugin host: commits when the command's work succeeds, rolls back otherwise."""
    from mentormatch_desktop.plugin.host import default_host
    from mentormatch_desktop.services.context import unit_of_work as service_unit_of_work

    with service_unit_of_work(engine, plugins=default_host()) as ctx:
        yield ctx


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


safe_url = _safe
