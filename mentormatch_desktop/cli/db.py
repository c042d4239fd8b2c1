"""``mentormatch db …``: schema migrations."""

from __future__ import annotations

import click

from mentormatch_desktop.cli.common import database_option, resolve_database_url, safe_url
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Create and migrate the database schema."""


@db_group.command("upgrade")
@database_option
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
def db_upgrade(database_url: str | None, revision: str) -> None:
    """Apply Alembic migrations (SQLite or PostgreSQL)."""
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    try:
        upgrade(url, revision, engine=engine)
        click.echo(f"{safe_url(url)} is at revision {current_revision(engine)}")
    except Exception as exc:
        raise click.ClickException(f"migration of {safe_url(url)} failed: {exc}") from exc
    finally:
        engine.dispose()


@db_group.command("current")
@database_option
def db_current(database_url: str | None) -> None:
    """Show the schema revision of the database and the newest one this version knows."""
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    try:
        current = current_revision(engine) or "(empty: run `mentormatch db upgrade`)"
    except Exception as exc:
        raise click.ClickException(f"cannot read {safe_url(url)}: {exc}") from exc
    finally:
        engine.dispose()
    click.echo(f"database: {safe_url(url)}\ncurrent:  {current}\nhead:     {head_revision()}")
