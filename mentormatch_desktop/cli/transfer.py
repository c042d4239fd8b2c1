"""``mentormatch import …`` and ``mentormatch export …``: participant files (CSV, XLSX)."""

from __future__ import annotations

from pathlib import Path

import click

from mentormatch_desktop.cli.common import database_option, open_database, unit_of_work
from mentormatch_desktop.domain.participants import ImportFailed
from mentormatch_desktop.services.participants import export_participants, import_participants

_PROGRAM_HELP = "Program name or id: rows are enrolled in it (import) or taken from it (export)."


@click.group("import")
def import_group() -> None:
    """Import data from files."""


@click.group("export")
def export_group() -> None:
    """Export data to files."""


@import_group.command("participants")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--program", default=None, metavar="P", help=_PROGRAM_HELP)
@click.option(
    "--clear-empty",
    is_flag=True,
    help="Empty cells clear the stored values (by default they leave them alone).",
)
@database_option
def import_participants_command(
    file: Path, program: str | None, clear_empty: bool, database_url: str | None
) -> None:
    """Import participants from FILE.csv or FILE.xlsx (see docs/import-format.md).

    Every problem is reported as file:row:field: message and nothing is written unless
    the whole file is valid. Re-importing updates people (by external_id, then e-mail);
    empty cells keep stored values unless --clear-empty.
    """
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            summary = import_participants(ctx, file, program=program, clear_empty=clear_empty)
    except ImportFailed as failed:
        for error in failed.errors:
            click.echo(str(error), err=True)
        count = len(failed.errors)
        raise click.ClickException(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was imported"
        ) from None
    finally:
        engine.dispose()
    target = f" into {summary.program}" if summary.program else ""
    click.echo(
        f"imported {summary.rows} participant{'s' if summary.rows != 1 else ''}{target}: "
        f"{summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )
    if summary.created_skills:
        click.echo(f"new skills created: {', '.join(summary.created_skills)}")
    if summary.created_departments:
        click.echo(f"new departments created: {', '.join(summary.created_departments)}")
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


@export_group.command("participants")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--program", default=None, metavar="P", help=_PROGRAM_HELP)
@database_option
def export_participants_command(file: Path, program: str | None, database_url: str | None) -> None:
    """Export participants to FILE.csv or FILE.xlsx in the import format."""
    if file.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("FILE must end in .csv or .xlsx", param_hint="FILE")
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            summary = export_participants(ctx, file, program=program)
    except ImportFailed as failed:
        raise click.ClickException(str(failed)) from None
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from None
    finally:
        engine.dispose()
    source = f" of {summary.program}" if summary.program else ""
    click.echo(f"exported {summary.rows} participants{source} to {summary.file}")
