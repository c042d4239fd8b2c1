"""``mentormatch metrics NAME`` and ``mentormatch report``: program health from the shell."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

import click
import polars as pl

from mentormatch_desktop.analytics import METRICS, Filters, UnknownFilterValue
from mentormatch_desktop.analytics.arguments import MetricArgumentError
from mentormatch_desktop.cli.common import database_option, open_database


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The filter flags every analytics command takes."""
    options = [
        click.option("--program", help="Program name or id."),
        click.option("--cohort", help="Cohort label."),
        click.option("--department", help="Department name or id."),
        click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD)."),
        click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _id_or_name(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def build_filters(program, cohort, department, start, end) -> Filters:  # type: ignore[no-untyped-def]
    day: Callable[[Any], date | None] = lambda v: v.date() if v is not None else None  # noqa: E731
    try:
        return Filters(_id_or_name(program), cohort, _id_or_name(department), day(start), day(end))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


# The README and the dashboard write "at-risk"; the functions are at_risk: both are taken.
_METRIC_NAMES = sorted(set(METRICS) | {n.replace("_", "-") for n in METRICS})


@click.command("metrics")
@click.argument("name", type=click.Choice(_METRIC_NAMES))
@filter_options
@click.option("--freq", default=None, help="Period for time series (1d, 1w, 1mo…).")
@click.option("--by", default=None, help="Grouping (program, cohort, department, time_zone).")
@click.option("--days", type=int, default=None, help="Silence threshold for at_risk.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
    show_default=True,
)  # fmt: skip
@click.option("--limit", type=int, default=50, show_default=True, help="Rows shown as a table.")
@database_option
def metrics_command(name: str, fmt: str, limit: int, database_url: str | None, **kw: Any) -> None:
    """Print metric NAME as a table (or CSV/JSON for scripts)."""
    name = name.replace("-", "_")
    metric = METRICS[name]
    accepted = inspect.signature(metric).parameters
    given = {k: kw.pop(k) for k in ("freq", "by", "days")}
    params = {k: v for k, v in given.items() if v is not None}
    unknown = [k for k in params if k not in accepted]
    if unknown:
        raise click.UsageError(f"metric {name} does not take --{unknown[0]}")
    filters = build_filters(**kw)
    engine = open_database(database_url)
    try:
        frame = metric(engine, filters, **params)
    except MetricArgumentError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.argument}") from exc
    except UnknownFilterValue as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from exc
    finally:
        engine.dispose()
    if fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        click.echo(frame.write_json())
    else:
        with pl.Config(tbl_rows=limit, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=40):
            click.echo(frame)


@click.command("report")
@filter_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Report file: .html or .pdf.")  # fmt: skip
@click.option("--title", default=None, help="Report title.")
@database_option
def report_command(output: str, title: str | None, database_url: str | None, **kw: Any) -> None:
    """Write the program health report (KPIs, charts, at-risk list) to HTML or PDF."""
    from mentormatch_desktop.services.reports import ReportFormatError, program_report

    filters = build_filters(**kw)
    engine = open_database(database_url)
    try:
        result = program_report(engine, output, filters, title=title)
    except (UnknownFilterValue, ReportFormatError) as exc:
        raise click.BadParameter(str(exc)) from exc
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--output") from exc
    finally:
        engine.dispose()
    click.echo(
        f"wrote {result.path} ({result.format}, {result.charts} charts, "
        f"{result.at_risk} mentorships at risk, as of {result.as_of:%Y-%m-%d %H:%M} UTC)"
    )
