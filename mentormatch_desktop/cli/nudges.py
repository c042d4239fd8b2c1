"""``mentormatch nudges list|send``: pairs waiting for a first session, and nudging them.

The same service as the Schedule screen's "Waiting for a first session" tab
(:mod:`mentormatch_desktop.services.nudges`), so the thresholds are each program's own
(Programs screen) unless ``--days`` / ``--cooldown`` override them for this run; a cron job
can ``send`` daily and the per-program cooldown keeps pairs from being nudged twice.
"""

from __future__ import annotations

import json
from typing import Any

import click

from mentormatch_desktop.cli.common import database_option, open_database, unit_of_work
from mentormatch_desktop.services import nudges
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.services.programs import ProgramError, get_program

HEADERS = ("pair", "program", "mentor", "mentee", "started", "waiting", "last nudged", "may")


def _pair_json(p: nudges.WaitingPair) -> dict[str, Any]:
    return {
        "mentorship_id": p.mentorship_id,
        "program_id": p.program_id,
        "mentor": p.mentor_name,
        "mentee": p.mentee_name,
        "started_at": p.started_at.isoformat(),
        "days_waiting": p.days_waiting,
        "last_nudged_at": None if p.last_nudged_at is None else p.last_nudged_at.isoformat(),
        "may_nudge": p.may_nudge,
        "cooldown_days": p.cooldown_days,
    }


def _table(pairs: list[nudges.WaitingPair]) -> str:
    rows = [
        (
            str(p.mentorship_id),
            str(p.program_id),
            p.mentor_name,
            p.mentee_name,
            f"{p.started_at:%Y-%m-%d}",
            f"{p.days_waiting} d",
            "never" if p.last_nudged_at is None else f"{p.last_nudged_at:%Y-%m-%d}",
            "yes" if p.may_nudge else f"no ({p.cooldown_days} d cooldown)",
        )
        for p in pairs
    ]
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [HEADERS, *rows]
    )


def _options(fn):  # type: ignore[no-untyped-def]
    fn = click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )(fn)
    fn = click.option(
        "--cooldown",
        type=click.IntRange(0, 365),
        default=None,
        help="Days before a pair may be nudged again (default: each program's setting).",
    )(fn)
    fn = click.option(
        "--days",
        type=click.IntRange(0, 365),
        default=None,
        help="Days without a session before a pair counts as waiting (default: the program's).",
    )(fn)
    fn = click.option("--program", "program_id", type=int, default=None, help="A program id.")(fn)
    return database_option(fn)


def _check_program(ctx: Any, program_id: int | None) -> None:
    if program_id is not None:
        try:
            get_program(ctx, program_id)
        except ProgramError as exc:
            raise click.ClickException(str(exc.message)) from exc


@click.group("nudges")
def nudges_group() -> None:
    """Pairs with no first session yet, and nudging them (three suggested times)."""


@nudges_group.command("list")
@_options
def list_command(
    program_id: int | None,
    days: int | None,
    cooldown: int | None,
    fmt: str,
    database_url: str | None,
) -> None:
    """List the pairs waiting for a first session.

    Running pairs without a session N days after they started, longest waiting first.
    """
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            _check_program(ctx, program_id)
            pairs = nudges.waiting_pairs(ctx, program_id, after_days=days, cooldown_days=cooldown)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps([_pair_json(p) for p in pairs], indent=2))
    elif not pairs:
        click.echo("Every running pair has had or booked a session.")
    else:
        click.echo(_table(pairs))


@nudges_group.command("send")
@click.option(
    "--pair",
    "pair_ids",
    type=int,
    multiple=True,
    help="Nudge only this mentorship (repeatable); default: every waiting pair that may be.",
)
@_options
def send_command(
    pair_ids: tuple[int, ...],
    program_id: int | None,
    days: int | None,
    cooldown: int | None,
    fmt: str,
    database_url: str | None,
) -> None:
    """Nudge the waiting pairs (a message with three times that suit both).

    The message goes into each pair's mentorship thread (inbox and their channels). A pair
    nudged within its cooldown is skipped, so running this daily is safe.
    """
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            _check_program(ctx, program_id)
            waiting = nudges.waiting_pairs(ctx, program_id, after_days=days, cooldown_days=cooldown)
            wanted = set(pair_ids)
            unknown = wanted - {p.mentorship_id for p in waiting}
            ids = [
                p.mentorship_id
                for p in waiting
                if p.may_nudge and (not wanted or p.mentorship_id in wanted)
            ]
            result = nudges.nudge_pairs(ctx, ids, cooldown_days=cooldown) if ids else None
    except MessagingError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    sent = list(result.sent) if result else []
    skipped = sorted(
        (set(result.skipped) if result else set())
        | {
            p.mentorship_id
            for p in waiting
            if not p.may_nudge and (not wanted or p.mentorship_id in wanted)
        }
    )
    if fmt == "json":
        click.echo(
            json.dumps({"sent": sent, "skipped": skipped, "not_waiting": sorted(unknown)}, indent=2)
        )
        return
    click.echo(f"Nudged {len(sent)} pair(s)" + (f": {', '.join(map(str, sent))}" if sent else "."))
    if skipped:
        click.echo(
            f"Skipped {len(skipped)} nudged within their cooldown: {', '.join(map(str, skipped))}"
        )
    if unknown:
        click.echo(
            f"Not waiting (a session is booked, or not a running pair): "
            f"{', '.join(map(str, sorted(unknown)))}"
        )
