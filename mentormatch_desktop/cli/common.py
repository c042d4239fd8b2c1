"""Options and helpers shared by the CLI modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine

from mentormatch_desktop.config import DATABASE_URL_ENV, load_settings
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import upgrade

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


def open_database(database_url: str | None, *, migrate: bool = True) -> Engine:
    """An engine on the resolved database, brought to the latest schema first by default."""
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    if migrate:
        try:
            upgrade(url, engine=engine)
        except Exception as exc:
            raise click.ClickException(f"cannot open database {_safe(url)}: {exc}") from exc
    return engine


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


safe_url = _safe
