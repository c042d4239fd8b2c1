"""``mentormatch slots`` and ``mentormatch calendar export``: finding and exporting sessions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mentormatch_desktop.cli.common import database_option, open_database
from mentormatch_desktop.plugin.host import default_host
from mentormatch_desktop.services.calendars import CalendarError, export_sessions_ics
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.schedule import ScheduleError, find_slots, people_by_email


def _table(slots: list, emails: list[str]) -> str:
    head = ["#", "UTC", *emails, "fits"]
    rows = []
    for n, s in enumerate(slots, 1):
        local = [
            f"{v.start:%a %d %b %H:%M}–{v.end:%H:%M} {v.start:%Z}" + (" *" if v.note else "")
            for v in s.people
        ]
        fits = "preferred hours" if s.all_preferred else f"+{s.worst_inconvenience} min"
        rows.append([str(n), f"{s.start:%a %d %b %H:%M}", *local, fits])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    notes = [f"* {v.label}: {v.note}" for s in slots for v in s.people if v.note]
    return "\n".join(lines + notes)


@click.command("slots")
@click.option(
    "--between",
    "emails",
    multiple=True,
    required=True,
    metavar="EMAIL",
    help="A participant's e-mail (give 2 to 8; repeat the option or list them after it).",
)
@click.argument("more", nargs=-1, metavar="[EMAIL…]")
@click.option("--weeks", default=2, show_default=True, type=click.IntRange(1, 26))
@click.option("--minutes", default=45, show_default=True, type=click.IntRange(15, 480))
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@database_option
def slots_command(
    emails: tuple[str, ...],
    more: tuple[str, ...],
    weeks: int,
    minutes: int,
    limit: int,
    fmt: str,
    database_url: str | None,
) -> None:
    """Ranked common free slots for 2 to 8 people, in UTC and each person's own zone.

    Everyone's preferred hours first, then the least inconvenient for whoever is worse off.
    """
    everyone = [*emails, *more]
    engine = open_database(database_url)
    try:
        with unit_of_work(engine, plugins=default_host()) as ctx:
            ids = people_by_email(ctx.session, everyone)
            found = find_slots(ctx, ids, minutes=minutes, weeks=weeks, limit=limit, step_minutes=15)
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps([s.to_json() for s in found], indent=2))
    elif not found:
        click.echo(f"No common {minutes}-minute slot in the next {weeks} week(s).")
    else:
        click.echo(_table(found, everyone))


@click.group("calendar")
def calendar_group() -> None:
    """Sessions as calendar files."""


@calendar_group.command("export")
@click.option("--as", "email", required=True, metavar="EMAIL", help="Whose sessions to export.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@database_option
def export_command(email: str, output: Path, database_url: str | None) -> None:
    """Write a person's proposed and booked sessions to an .ics file."""
    engine = open_database(database_url)
    try:
        with unit_of_work(engine, plugins=default_host()) as ctx:
            (person_id,) = people_by_email(ctx.session, [email])
            data = export_sessions_ics(ctx, person_id)
    except (ScheduleError, CalendarError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    output.write_bytes(data)
    count = data.count(b"BEGIN:VEVENT")
    click.echo(f"Wrote {count} session(s) to {output}")
