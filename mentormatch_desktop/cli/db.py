"""``mentormatch db …``: schema migrations."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from mentormatch_desktop.cli.common import (
    DatabaseUnavailable,
    database_option,
    resolve_database_url,
    safe_url,
)
from mentormatch_desktop.storage.migrations import (
    MigrationRefused,
    current_revision,
    head_revision,
    pending_revisions,
    upgrade,
    upgrade_sql,
)
from mentormatch_desktop.storage.opening import DatabaseProblem, explain, open_engine


@click.group("db")
def db_group() -> None:
    """Create and migrate the database schema."""


@db_group.command("upgrade")
@database_option
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
@click.option(
    "--sql",
    "print_sql",
    is_flag=True,
    help="Print the SQL the upgrade would run (PostgreSQL), for a DBA to review and run; "
    "changes nothing.",
)
def db_upgrade(database_url: str | None, revision: str, print_sql: bool) -> None:
    """Apply Alembic migrations (SQLite or PostgreSQL).

    Says first what it will apply; never downgrades; on PostgreSQL holds an advisory lock,
    so two admins cannot migrate one database at once.
    """
    url = resolve_database_url(database_url)
    try:
        engine = open_engine(url, create=not print_sql)
    except DatabaseProblem as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    try:
        if print_sql:
            sql = upgrade_sql(engine, revision)
            click.echo(sql or f"-- {safe_url(url)} is already at {current_revision(engine)}")
            return
        current, steps = pending_revisions(engine, revision)
        if steps:
            click.echo(f"upgrading {safe_url(url)} from {current or 'empty'}:", err=True)
            for step in steps:
                click.echo(f"  {step}", err=True)
        upgrade(url, revision, engine=engine)
        click.echo(f"{safe_url(url)} is at revision {current_revision(engine)}")
    except MigrationRefused as exc:
        raise click.ClickException(f"{safe_url(url)}: {exc}") from exc
    except SQLAlchemyError as exc:
        problem = str(explain(exc, url))
        # "migration failed" only when one ran: a refused connection says so by itself.
        prefix = "" if problem.startswith("cannot connect") else "migration failed: "
        raise DatabaseUnavailable(f"{prefix}{problem}") from exc
    finally:
        engine.dispose()


@db_group.command("current")
@database_option
def db_current(database_url: str | None) -> None:
    """Show the schema revision of the database and the newest one this version knows."""
    url = resolve_database_url(database_url)
    try:
        engine = open_engine(url)
    except DatabaseProblem as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    try:
        current = current_revision(engine) or "(empty: run `mentormatch db upgrade`)"
    except SQLAlchemyError as exc:
        problem = str(explain(exc, url))
        prefix = "" if problem.startswith("cannot connect") else "cannot read "
        raise DatabaseUnavailable(f"{prefix}{problem}") from exc
    finally:
        engine.dispose()
    click.echo(f"database: {safe_url(url)}\ncurrent:  {current}\nhead:     {head_revision()}")
