"""Issue 11: metric arguments outside what a metric takes are refused, by name.

Before: ``days=-5`` and ``program=9999`` answered with zeros, ``bins=0`` and
``freq="weekly"`` with polars tracebacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mentormatch_desktop import workbench
from mentormatch_desktop.analytics import UnknownFilterValue
from mentormatch_desktop.analytics.arguments import MetricArgumentError
from mentormatch_desktop.cli import cli


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda wb: wb.at_risk(days=0), "days: must be at least 1"),
        (lambda wb: wb.at_risk(days=-5), "days: must be at least 1"),
        (lambda wb: wb.at_risk(days=float("nan")), "days: must be a whole number"),
        (lambda wb: wb.score_vs_outcome(bins=0), "bins: must be a whole number from 1 to 100"),
        (lambda wb: wb.engagement(freq="weekly"), "freq: 'weekly' is not a period"),
        (lambda wb: wb.burnup(freq="0w"), "freq: '0w' is not a period"),
        (lambda wb: wb.engagement(by="country"), "by: cannot group by 'country'"),
        (lambda wb: wb.completion(by="colour"), "by: cannot group by 'colour'"),
        (lambda wb: wb.coverage(by=None), "by: cannot group by None"),
    ],
)
def test_workbench_refuses_bad_arguments(db_url: str, call, words: str) -> None:
    wb = workbench.connect(db_url)
    with pytest.raises(MetricArgumentError, match=words):
        call(wb)
    wb.engine.dispose()


def test_unknown_program_id_is_refused_not_zeros(db_url: str) -> None:
    wb = workbench.connect(db_url)
    with pytest.raises(UnknownFilterValue, match="no program id 9999"):
        wb.funnel(program=9999)
    wb.engine.dispose()


def test_cli_takes_the_readme_name_and_reports_bad_arguments(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["metrics", "at-risk", "--database", db_url])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["metrics", "at-risk", "--days", "0", "--database", db_url])
    assert bad.exit_code == 2 and "--days" in bad.output and "at least 1" in bad.output
    bad = runner.invoke(cli, ["metrics", "funnel", "--program", "9999", "--database", db_url])
    assert bad.exit_code == 2 and "no program id 9999" in bad.output
    missing = tmp_path / "nope" / "report.html"
    bad = runner.invoke(cli, ["report", "-o", str(missing), "--database", db_url])
    assert bad.exit_code == 2 and "does not exist" in bad.output
    assert "Traceback" not in bad.output
