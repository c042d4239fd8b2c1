"""``mentormatch demo``: fill a database with the demo organisation."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from mentormatch_desktop.cli.common import (
    database_option,
    open_database,
    safe_url,
    unit_of_work,
)
from mentormatch_desktop.demo import DEFAULT_PARTICIPANTS, DEFAULT_SEED
from mentormatch_desktop.demo.generator import MIN_PARTICIPANTS
from mentormatch_desktop.services.demo import DemoDatabaseNotEmpty, fill_demo
from mentormatch_desktop.storage.migrations import (
    SchemaMismatch,
    create_schema_if_empty,
    prepare_schema,
)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date or date-time") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@click.command("demo")
@click.option(
    "--participants",
    "-n",
    type=click.IntRange(min=MIN_PARTICIPANTS),
    default=DEFAULT_PARTICIPANTS,
    show_default=True,
    help="People in the organisation.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed: same seed and --now give the same data.",
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    default=None,
    help="End of the generated history (e.g. 2026-06-01); default: today 00:00 UTC.",
)
@database_option
def demo_command(
    participants: int, seed: int, now_text: str | None, database_url: str | None
) -> None:
    """Fill an empty database with a realistic demo organisation and six months of history."""
    now = _parse_now(now_text)
    engine = open_database(database_url, check=False, create=True)
    try:  # a brand-new database gets its schema here; any other must already be current
        if not create_schema_if_empty(engine):
            prepare_schema(engine)
    except SchemaMismatch as exc:
        engine.dispose()
        raise click.ClickException(f"{safe_url(str(engine.url))}: {exc}") from exc
    started = time.perf_counter()
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        step = int(fraction * 10)
        if step != last[0]:
            last[0] = step
            click.echo(f"  {fraction:4.0%}  {message}", err=True)

    try:
        with unit_of_work(engine) as ctx:
            summary = fill_demo(
                ctx, participants=participants, seed=seed, now=now, progress=progress
            )
    except DemoDatabaseNotEmpty as exc:
        raise click.ClickException(f"{safe_url(str(engine.url))}: {exc}") from exc
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    click.echo(
        f"demo written to {safe_url(str(engine.url))}: {summary.participants} participants, "
        f"seed {summary.seed}, history up to {summary.now.isoformat()}\n"
        f"{summary.total_rows} rows in {elapsed:.1f} s "
        f"(generate {summary.generate_seconds:.1f} s, write {summary.write_seconds:.1f} s)"
    )
    for table, count in summary.rows.items():
        click.echo(f"  {table:22} {count:>9}")
