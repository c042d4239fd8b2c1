"""``mentormatch solve``: run a matching strategy on a problem file (no database needed).

The file format is ``docs/solve-format.md``. Exit status: 0 when a solution was found
(optimal or feasible), 1 when the problem is infeasible or the solver failed (the solution
file is still written, with the diagnosis), 2 when the problem file is invalid.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from mentormatch_desktop.matching.feasibility import InfeasibleSolution, check_solution
from mentormatch_desktop.matching.problem import MatchProblem
from mentormatch_desktop.matching.solve_format import SolveFormatError, dump_solution, read_problem
from mentormatch_desktop.plugin.host import PluginError, PluginHost, default_host
from mentormatch_desktop.services.atomic import atomic_path


class InvalidProblem(click.ClickException):
    exit_code = 2


def _finite_seconds(ctx: click.Context, param: click.Parameter, value: float | None):
    """``--time-limit nan`` passes FloatRange (NaN compares false with the bound)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value


@click.command("solve")
@click.argument("problem_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--strategy",
    "strategy_name",
    default=None,
    help="Strategy name (default: optimizer; peer for a peer pool).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=None,
    callback=_finite_seconds,
    help="Seconds the solver may use.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Solution file (default: standard output).",
)
@click.option(
    "--compare",
    "compare_names",
    default=None,
    metavar="A,B,…",
    help="Also print a comparison of these strategies (to standard error).",
)
@click.option(
    "--why-not",
    "why_not_queries",
    multiple=True,
    metavar="MENTEE[,MENTOR]",
    help="Explain why a mentee is unmatched, or not with MENTOR (repeatable).",
)
def solve_command(
    problem_file: Path,
    strategy_name: str | None,
    time_limit: float | None,
    output: Path | None,
    compare_names: str | None,
    why_not_queries: tuple[str, ...],
) -> None:
    """Solve PROBLEM_FILE (mentormatch.problem/1) and write a mentormatch.solution/1 document."""
    if output is not None and not output.parent.is_dir():
        raise click.BadParameter(
            f"the folder {output.parent} does not exist", param_hint="-o/--output"
        )
    try:
        problem = read_problem(problem_file)
    except SolveFormatError as exc:
        raise InvalidProblem(str(exc)) from exc
    # Every name is checked before anything is solved or written.
    queries = [_why_not_query(problem, q) for q in why_not_queries]
    try:
        host = default_host()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc
    name = strategy_name or ("peer" if problem.kind == "peer" else "optimizer")
    try:
        strategy = host.strategy(name)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--strategy") from exc
    compared = _strategies(host, compare_names) if compare_names else []
    solution = host.call_safely(
        "register_match_strategies", name, strategy.solve, problem, time_limit=time_limit
    )
    try:  # the run's own check; the file carries the strategy's numbers, so they must agree
        check_solution(problem, solution, strategy=name, rescore=False)
    except InfeasibleSolution as exc:  # never written as a solution
        raise click.ClickException(str(exc)) from exc
    text = dump_solution(problem, solution, strategy=name)
    if output is None:
        click.echo(text, nl=False)
    else:
        with atomic_path(output) as partial:
            partial.write_text(text, encoding="utf-8")
    if compared:
        _print_comparison(problem, compared, time_limit)
    for mentee, mentor in queries:
        from mentormatch_desktop.matching.solvers.why_not import why_not

        click.echo(why_not(problem, solution, mentee, mentor).text, err=True)
    if solution.status in ("infeasible", "error", "cancelled"):
        click.echo(f"{solution.status}: {solution.diagnosis}", err=True)
        sys.exit(1)


def _strategies(host: PluginHost, names: str) -> list:
    try:
        return [host.strategy(n.strip()) for n in names.split(",") if n.strip()]
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--compare") from exc


def _print_comparison(problem: MatchProblem, strategies: list, time_limit: float | None) -> None:
    from mentormatch_desktop.matching.solvers.compare import compare_strategies, format_table

    click.echo(
        format_table(compare_strategies(problem, strategies, time_limit=time_limit)), err=True
    )


def _why_not_query(problem: MatchProblem, query: str) -> tuple[int, int | None]:
    """(mentee index, mentor index or None) of ``MENTEE[,MENTOR]``; unknown ids refused."""
    parts = [p.strip() for p in query.split(",")]
    mentee_id = parts[0]
    if mentee_id not in problem.mentee_ids:
        raise click.BadParameter(f"unknown mentee id {mentee_id!r}", param_hint="--why-not")
    mentor = None
    if len(parts) > 1:
        ids = problem.mentee_ids if problem.kind == "peer" else problem.mentor_ids
        if parts[1] not in ids:
            raise click.BadParameter(f"unknown mentor id {parts[1]!r}", param_hint="--why-not")
        mentor = ids.index(parts[1])
    return problem.mentee_ids.index(mentee_id), mentor
