"""``mentormatch match``: run a strategy on a program in the database and store the run.

Prints a summary and the best proposals with their explanations. ``--dry-run`` computes
everything and stores nothing. ``--approve`` also approves the run at once, as the app's
"Approve run" does: every proposed pair becomes a mentorship and gets its introduction
message, in the same transaction as the run. Exit status 1 when the run failed (the failed run is
recorded with its reason unless it was a dry run).
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.cli.common import database_option, open_database, unit_of_work
from mentormatch_desktop.domain.enums import ProgramKind
from mentormatch_desktop.matching.solvers.compare import format_table
from mentormatch_desktop.services.introductions import introduce_run
from mentormatch_desktop.services.matching import (
    MatchingError,
    RunSummary,
    approve_run,
    compare_strategies,
    run_matching,
)
from mentormatch_desktop.storage.models import Program


def _program_id(session: Session, program: str) -> int:
    """A program by id or by exact (case-insensitive) name."""
    if program.isdigit() and session.get(Program, int(program)) is not None:
        return int(program)
    found = session.scalars(
        sa.select(Program.id).where(sa.func.lower(Program.name) == program.lower())
    ).all()
    if len(found) == 1:
        return found[0]
    names = session.scalars(sa.select(Program.name).order_by(Program.name)).all()
    raise click.BadParameter(
        f"no program {program!r}; known: {', '.join(names) or 'none'}", param_hint="--program"
    )


def print_summary(summary: RunSummary, top: int) -> None:
    where = "dry run, not stored" if summary.run_id is None else f"run {summary.run_id}"
    click.echo(f"{summary.strategy}: {summary.solver_status} ({where})")
    if summary.kind == "peer":
        who = f"{summary.n_mentees} participants"
    else:
        who = f"{summary.n_mentees} mentees ({summary.n_mentors} mentors)"
    click.echo(f"  matched {summary.matched} of {who}, {len(summary.proposals)} pairs")
    if summary.proposals:
        click.echo(
            f"  score total {summary.total_score:.3f} · mean {summary.mean_score:.3f} · "
            f"min {summary.min_score:.3f}"
        )
    pruned = " (pruned from both sides)" if summary.pruned else ""
    click.echo(
        f"  {summary.n_pairs} candidate pairs{pruned} · solve {summary.solve_seconds:.2f} s · "
        f"total {summary.seconds:.2f} s"
    )
    weights = ", ".join(f"{k} {v:.2f}" for k, v in sorted(summary.weights.items()))
    version = summary.weight_set_version or "defaults"
    click.echo(f"  weights (version {version}): {weights}")
    if summary.diagnosis:
        click.echo(f"  note: {summary.diagnosis}")
    if top and summary.proposals:
        click.echo(f"\nTop {min(top, len(summary.proposals))} proposals:")
        for p in summary.proposals[:top]:
            click.echo(f"  {p.score:.3f}  {p.mentee_name} → {p.mentor_name}")
            if p.explanation:
                click.echo(f"         {p.explanation}")


@click.command("match")
@click.option("--program", "program", required=True, help="Program id or name.")
@click.option(
    "--strategy",
    default=None,
    help="Strategy plugin (default: optimizer; peer for peer programs). See `mentormatch plugins`.",
)
@click.option("--dry-run", is_flag=True, help="Compute and print; store nothing.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, help="Solver seconds.")
@click.option(
    "--no-keep-locked",
    is_flag=True,
    help="Ignore pairs locked or accepted in the previous run.",
)
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True)
@click.option(
    "--approve",
    is_flag=True,
    help="Approve the run at once: every proposed pair becomes a mentorship (with its "
    "introduction message). Review first with --dry-run.",
)
@click.option(
    "--compare",
    "compare_names",
    default=None,
    metavar="A,B,…",
    help="Only compare these strategies on the program (a table; nothing stored).",
)
@database_option
def match_command(
    program: str,
    strategy: str | None,
    dry_run: bool,
    time_limit: float | None,
    no_keep_locked: bool,
    top: int,
    compare_names: str | None,
    approve: bool,
    database_url: str | None,
) -> None:
    """Match a program's participants and store the proposals (with explanations)."""
    if approve and (dry_run or compare_names):
        raise click.UsageError("--approve stores and approves a run: not with --dry-run, --compare")
    engine = open_database(database_url)
    try:
        # A failed run is recorded (the service asks the unit of work to keep that record).
        with unit_of_work(engine) as ctx:
            session = ctx.session
            program_id = _program_id(session, program)
            if compare_names:
                names = [n.strip() for n in compare_names.split(",") if n.strip()]
                try:
                    rows = compare_strategies(ctx, program_id, names, time_limit=time_limit)
                except MatchingError as exc:
                    raise click.ClickException(str(exc)) from None
                click.echo(format_table(rows))
                return
            if strategy is None:
                kind = session.get(Program, program_id).kind  # type: ignore[union-attr]
                strategy = "peer" if kind == ProgramKind.PEER else "optimizer"
            try:
                summary = run_matching(
                    ctx,
                    program_id,
                    strategy,
                    dry_run=dry_run,
                    time_limit=time_limit,
                    keep_locked=not no_keep_locked,
                )
            except MatchingError as exc:
                recorded = f" (recorded as failed run {exc.run_id})" if exc.run_id else ""
                raise click.ClickException(f"matching failed{recorded}: {exc}") from None
            approved = None
            if approve and summary.run_id is not None:
                try:  # the same unit of work: the run and its mentorships land together
                    approved = approve_run(ctx, summary.run_id)
                    introduce_run(ctx, summary.run_id)
                except MatchingError as exc:
                    raise click.ClickException(f"approving run {summary.run_id}: {exc}") from None
        print_summary(summary, top)
        if approved is not None:
            click.echo(
                f"\napproved run {approved.run_id}: {approved.mentorships_created} "
                f"mentorship(s) created"
                + (f", {approved.already_active} already active" if approved.already_active else "")
            )
    finally:
        engine.dispose()
