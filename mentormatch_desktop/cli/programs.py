"""``mentormatch programs``: list and create programs from the command line.

The desktop app's Programs screen does the same through the same service
(:func:`~mentormatch_desktop.services.programs.create_program`); the command exists so an
administrator can set up a shared database end to end from a terminal (docs/deployment.md,
"From nothing to two participants and a coordinator"), and scripts can too.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from mentormatch_desktop.cli.common import database_option, open_database, unit_of_work
from mentormatch_desktop.domain.enums import ProgramKind, ProgramStatus
from mentormatch_desktop.services.programs import ProgramError, ProgramInput, create_program
from mentormatch_desktop.storage.models import Program

KINDS = {"one-to-one": ProgramKind.ONE_TO_ONE, "group": ProgramKind.GROUP, "peer": ProgramKind.PEER}


@click.group("programs")
def programs_group() -> None:
    """List and create mentoring programs."""


@programs_group.command("list")
@database_option
def programs_list(database_url: str | None) -> None:
    """Every program the login may see: id, status, kind and name."""
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            rows = ctx.session.execute(
                sa.select(Program.id, Program.status, Program.kind, Program.name).order_by(
                    Program.id
                )
            ).all()
    finally:
        engine.dispose()
    if not rows:
        click.echo("No programs yet: `mentormatch programs add NAME` creates one.")
        return
    click.echo(f"{'ID':>4}  {'STATUS':8}  {'KIND':10}  NAME")
    for pid, status, kind, name in rows:
        click.echo(f"{pid:>4}  {status:8}  {kind:10}  {name}")


@programs_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(KINDS)), default="one-to-one", show_default=True)
@click.option(
    "--draft",
    is_flag=True,
    help="Create it as a draft (default: active, so people can be enrolled and matched).",
)
@click.option("--description", default="", help="What the program is for.")
@database_option
def programs_add(
    name: str, kind: str, draft: bool, description: str, database_url: str | None
) -> None:
    """Create the program NAME (with the default matching weights)."""
    engine = open_database(database_url)
    data = ProgramInput(
        name=name,
        kind=KINDS[kind],
        status=ProgramStatus.DRAFT if draft else ProgramStatus.ACTIVE,
        description=description,
    )
    try:
        with unit_of_work(engine) as ctx:
            made = create_program(ctx, data)
    except ProgramError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"program {made.id}: {made.name} ({made.kind}, {made.status})")
