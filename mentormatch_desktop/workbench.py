"""The notebook-facing facade: program-health metrics as polars frames, charts, matching.

::

    from mentormatch_desktop import workbench
    wb = workbench.connect()                     # the configured or embedded database
    wb.engagement(freq="1w", by="program")       # a polars DataFrame
    wb.at_risk(days=30, program="Company Mentoring Program")
    wb.plot("engagement", program=...)            # the dashboard's chart, inline
    proposals = wb.run_matching("Company Mentoring Program", "optimizer")

Every metric method takes the same filter keywords (``program``, ``cohort``,
``department``, ``start``, ``end``, ``as_of``; dates as ``date`` or ISO strings) or a
ready :class:`~mentormatch_desktop.analytics.Filters` as ``filters=``. The numbers are the
dashboard's: both call :mod:`mentormatch_desktop.analytics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop import analytics
from mentormatch_desktop.analytics import DashboardData, Filters
from mentormatch_desktop.config import load_settings
from mentormatch_desktop.storage.models import Department, Enrolment, MatchProposal, Person, Program

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_desktop.services.context import ServiceContext
    from mentormatch_desktop.services.reports import ReportResult

DateLike = date | str | None


def _as_date(value: DateLike) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


class Workbench:
    """Metrics, charts and matching on one database. Create with :func:`connect`."""

    def __init__(self, engine: Engine, *, plugins: PluginHost | None = None) -> None:
        self.engine = engine
        self._plugins = plugins

    @property
    def plugins(self) -> PluginHost:
        """The plugin host: the process-wide one unless the workbench was given another."""
        if self._plugins is None:
            from mentormatch_desktop.plugin.host import default_host

            self._plugins = default_host()
        return self._plugins

    @contextmanager
    def unit_of_work(self) -> Iterator[ServiceContext]:
        """One transaction for calling services from a notebook::

            with wb.unit_of_work() as ctx:
                matching.approve_run(ctx, run_id)

        Commits when the block ends, rolls back if it raises.
        """
        from mentormatch_desktop.services.context import unit_of_work
        from mentormatch_desktop.storage.opening import explain

        try:
            with unit_of_work(self.engine, plugins=self.plugins) as ctx:
                yield ctx
        except sa.exc.DBAPIError as exc:
            # A notebook user gets the same sentence as the CLI (read-only file, lost
            # connection, missing schema), not the driver's traceback.
            raise explain(exc, self.engine.url) from exc

    def __repr__(self) -> str:
        return f"Workbench({self.engine.url.render_as_string(hide_password=True)!r})"

    # ---- filters -----------------------------------------------------------------------
    def filters(
        self,
        program: int | str | None = None,
        cohort: str | None = None,
        department: int | str | None = None,
        start: DateLike = None,
        end: DateLike = None,
        as_of: datetime | str | None = None,
        filters: Filters | None = None,
    ) -> Filters:
        """A :class:`Filters` from keywords (or ``filters`` itself when given)."""
        if filters is not None:
            return filters
        return Filters(program, cohort, department, _as_date(start), _as_date(end),
                       _as_datetime(as_of))  # fmt: skip

    def _run(self, metric: Callable[..., pl.DataFrame], scope: dict[str, Any], **params: Any):
        return metric(self.engine, self.filters(**scope), **params)

    # ---- metrics (see mentormatch_desktop.analytics for each definition) ----------------
    def funnel(self, **scope: Any) -> pl.DataFrame:
        """Enrolled → matched → first session → active → completed."""
        return self._run(analytics.funnel, scope)

    def engagement(self, freq: str = "1w", by: str | None = "program", **scope: Any):
        """Sessions, messages and events per period, by program, cohort or department."""
        return self._run(analytics.engagement, scope, freq=freq, by=by)

    def burnup(self, freq: str = "1w", **scope: Any) -> pl.DataFrame:
        """Milestones due vs completed, cumulative per period."""
        return self._run(analytics.milestone_burnup, scope, freq=freq)

    def satisfaction(self, **scope: Any) -> pl.DataFrame:
        """Rating distribution (1–5)."""
        return self._run(analytics.satisfaction, scope)

    def satisfaction_trend(self, freq: str = "1mo", **scope: Any) -> pl.DataFrame:
        """Mean rating and responses per period."""
        return self._run(analytics.satisfaction_trend, scope, freq=freq)

    def at_risk(self, days: int = 30, **scope: Any) -> pl.DataFrame:
        """Running mentorships silent for ``days`` or with overdue milestones."""
        return self._run(analytics.at_risk, scope, days=days)

    def mentor_load(self, **scope: Any) -> pl.DataFrame:
        """Mentees per mentor against capacity."""
        return self._run(analytics.mentor_load, scope)

    def time_to_match(self, **scope: Any) -> pl.DataFrame:
        """Days from enrolment to match and from match to first session."""
        return self._run(analytics.time_to_match, scope)

    def completion(self, by: str | None = "program", **scope: Any) -> pl.DataFrame:
        """Completion and early-ending rates among ended mentorships."""
        return self._run(analytics.completion, scope, by=by)

    def score_vs_outcome(self, bins: int = 5, **scope: Any) -> pl.DataFrame:
        """Sessions, rating and completion per match-score band."""
        return self._run(analytics.score_vs_outcome, scope, bins=bins)

    def coverage(self, by: str = "department", **scope: Any) -> pl.DataFrame:
        """Demand met and mentor supply per department or time zone."""
        return self._run(analytics.coverage, scope, by=by)

    def heatmap(self, **scope: Any) -> pl.DataFrame:
        """Sessions and messages by local weekday × hour."""
        return self._run(analytics.activity_heatmap, scope)

    def mentorships(self, **scope: Any) -> pl.DataFrame:
        """One row per mentorship with activity, milestones and ratings."""
        return self._run(analytics.mentorships, scope)

    def dashboard(self, **scope: Any) -> DashboardData:
        """Every dashboard frame at once (shares the database reads)."""
        return analytics.compute_dashboard(self.engine, self.filters(**scope))

    # ---- the organisation ----------------------------------------------------------------
    def programs(self) -> pl.DataFrame:
        """Programs with their kind, status and dates."""
        p = Program.__table__
        return self.sql(sa.select(p.c.id, p.c.name, p.c.kind, p.c.status, p.c.starts_on,
                                  p.c.ends_on).order_by(p.c.id))  # fmt: skip

    def departments(self) -> pl.DataFrame:
        d = Department.__table__
        return self.sql(sa.select(d.c.id, d.c.name).order_by(d.c.name))

    def cohorts(self) -> pl.DataFrame:
        """Cohort labels per program with how many people are enrolled in each."""
        e, p = Enrolment.__table__, Program.__table__
        stmt = (
            sa.select(p.c.name.label("program"), e.c.cohort, sa.func.count().label("people"))
            .join(p, p.c.id == e.c.program_id)
            .where(e.c.cohort.is_not(None))
            .group_by(p.c.name, e.c.cohort)
            .order_by(p.c.name, e.c.cohort)
        )
        return self.sql(stmt)

    def sql(self, query: str | sa.Executable) -> pl.DataFrame:
        """Run one read-only query and return its rows as a DataFrame.

        Read-only for real: the statement runs in a read-only transaction on PostgreSQL
        and on a ``query_only`` connection on SQLite, as exactly one statement, and is
        rolled back after; a write raises :class:`ReadOnlyQuery`."""
        from mentormatch_desktop.storage.readonly import read_only_rows

        columns, rows = read_only_rows(self.engine, query)
        return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)

    # ---- matching ------------------------------------------------------------------------
    def run_matching(
        self,
        program: int | str,
        strategy: str = "optimizer",
        *,
        dry_run: bool = False,
        **options: Any,
    ) -> pl.DataFrame:
        """Run ``strategy`` on ``program`` through the matching service and return its
        proposals as a DataFrame: names, score, one ``score_<criterion>`` column per
        criterion of the breakdown, explanation. Best score first.

        The run is stored like one started from the app (so it can be reviewed and
        approved later) unless ``dry_run``; ``run_id`` says which run it is. ``options``
        go to :func:`mentormatch_desktop.services.matching.run_matching`.
        """
        from mentormatch_desktop.services import matching

        with self.unit_of_work() as ctx:
            program_id = self._program_id(ctx.session.connection(), program)
            summary = matching.run_matching(ctx, program_id, strategy, dry_run=dry_run,
                                            **options)  # fmt: skip
        return proposals_frame(summary.proposals)

    def proposals(self, run_id: int) -> pl.DataFrame:
        """The proposals of match run ``run_id``, best score first, with names."""
        mp = MatchProposal.__table__
        mentee, mentor = Person.__table__.alias("mentee"), Person.__table__.alias("mentor")
        stmt = (
            sa.select(mp.c.run_id, mp.c.id.label("proposal_id"), mp.c.mentee_id,
                      mentee.c.full_name.label("mentee"), mp.c.mentor_id,
                      mentor.c.full_name.label("mentor"), mp.c.score, mp.c.status,
                      mp.c.explanation)
            .join(mentee, mentee.c.id == mp.c.mentee_id)
            .join(mentor, mentor.c.id == mp.c.mentor_id)
            .where(mp.c.run_id == run_id)
            .order_by(mp.c.score.desc(), mp.c.id)
        )  # fmt: skip
        return self.sql(stmt)

    def _program_id(self, conn: sa.Connection, program: int | str) -> int:
        resolved = Filters(program=program).resolve(conn).program_id
        assert resolved is not None
        return resolved

    # ---- charts and reports ----------------------------------------------------------------
    def plot(self, chart: str = "engagement", **scope: Any) -> Figure:
        """Draw one dashboard chart (names: :attr:`charts`) as a matplotlib Figure.

        Jupyter shows the returned figure inline; elsewhere call ``.savefig(path)``. The
        figure is not registered with pyplot, so it is shown once and never leaks.
        """
        from matplotlib.figure import Figure

        from mentormatch_desktop.analytics.plots import CHARTS, chart_figure

        if chart not in CHARTS:
            raise ValueError(f"unknown chart {chart!r}; choose one of {', '.join(CHARTS)}")
        fig = Figure(figsize=(7.5, 3.8), layout="constrained")
        return chart_figure(chart, self.dashboard(**scope), figure=fig)

    @property
    def charts(self) -> list[str]:
        from mentormatch_desktop.analytics.plots import CHARTS

        return list(CHARTS)

    def report(self, path: str | Path, **scope: Any) -> ReportResult:
        """Write the program health report (.html or .pdf) for the filter."""
        from mentormatch_desktop.services.reports import program_report

        return program_report(self.engine, path, self.filters(**scope))


def proposals_frame(proposals: list[Any]) -> pl.DataFrame:
    """Proposal views (from the matching service) as a DataFrame, breakdown flattened.

    Best score first; equal scores by mentee, mentor, then proposal id, so two runs of a
    notebook print the same table.
    """
    criteria = sorted({c for p in proposals for c in p.breakdown})
    rows = [
        {
            "run_id": p.run_id, "proposal_id": p.id, "mentee_id": p.mentee_id,
            "mentee": p.mentee_name, "mentor_id": p.mentor_id, "mentor": p.mentor_name,
            "score": p.score, "status": p.status,
            **{f"score_{c}": p.breakdown.get(c) for c in criteria},
            "explanation": p.explanation,
        }
        for p in proposals
    ]  # fmt: skip
    schema = {
        "run_id": pl.Int64, "proposal_id": pl.Int64, "mentee_id": pl.Int64, "mentee": pl.String,
        "mentor_id": pl.Int64, "mentor": pl.String, "score": pl.Float64, "status": pl.String,
        **{f"score_{c}": pl.Float64 for c in criteria}, "explanation": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema).sort(
        ["score", "mentee", "mentor", "proposal_id"],
        descending=[True, False, False, False],
        nulls_last=True,
    )


def connect(url: str | None = None) -> Workbench:
    """A workbench on ``url``, or on the configured database (flag > environment >
    config file > the embedded SQLite database) when ``url`` is None.

    Raises :class:`~mentormatch_desktop.storage.opening.DatabaseProblem` for a URL that is
    not one, a SQLite file that does not exist (never creates one), and a database that is
    not initialised ("run mentormatch db upgrade") or not at this version's schema."""
    from mentormatch_desktop.storage.opening import check_schema, open_engine

    engine = open_engine(url or load_settings(None).database_url)
    try:
        check_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return Workbench(engine)
