"""Alembic environment: runs on a connection handed in by the app, or on a URL."""

from __future__ import annotations

import os

from alembic import context

from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import compare_type
from mentormatch_desktop.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("MENTORMATCH_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or "sqlite:///mentormatch-dev.sqlite3"
    )


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs batch mode
        compare_type=compare_type,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
