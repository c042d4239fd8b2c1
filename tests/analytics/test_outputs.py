"""The report, the CLI, the workbench and the example notebook, on the demo database."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import polars as pl
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from mentormatch_desktop import workbench
from mentormatch_desktop.analytics import Filters
from mentormatch_desktop.cli import cli
from mentormatch_desktop.services.reports import ReportFormatError, program_report
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.testing import DemoInfo

pytestmark = pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
NOTEBOOK = Path(__file__).parents[2] / "resources" / "notebooks" / "program_health.ipynb"


def test_html_and_pdf_reports(demo_db_url: str, demo_info: DemoInfo, tmp_path: Path) -> None:
    engine = create_engine(demo_db_url)
    html = program_report(engine, tmp_path / "r.html", Filters(as_of=demo_info.now))
    text = html.path.read_text()
    assert text.count('src="data:image/png;base64,') == html.charts == 12
    assert "At-risk mentorships" in text and "Completion by program" in text
    pdf = program_report(engine, tmp_path / "r.pdf", Filters(as_of=demo_info.now))
    assert pdf.path.read_bytes()[:5] == b"%PDF-"
    assert pdf.at_risk == html.at_risk
    with pytest.raises(ReportFormatError, match=r"must end in \.html or \.pdf"):
        program_report(engine, tmp_path / "r.docx")
    engine.dispose()


def test_metrics_and_report_commands(demo_db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["metrics", "funnel", "--database", demo_db_url])
    assert shown.exit_code == 0, shown.output
    assert "first_session" in shown.output and "enrolled" in shown.output
    as_csv = runner.invoke(
        cli, ["metrics", "engagement", "--by", "department", "--freq", "1mo", "--format", "csv",
              "--database", demo_db_url],
    )  # fmt: skip
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output.splitlines()[0] == "period,group,sessions,messages,events"
    bad = runner.invoke(cli, ["metrics", "funnel", "--program", "Nope", "--database", demo_db_url])
    assert bad.exit_code != 0 and "no program named 'Nope'" in bad.output
    wrong = runner.invoke(cli, ["metrics", "funnel", "--days", "3", "--database", demo_db_url])
    assert wrong.exit_code != 0 and "does not take --days" in wrong.output
    out = tmp_path / "report.html"
    made = runner.invoke(cli, ["report", "-o", str(out), "--database", demo_db_url])
    assert made.exit_code == 0, made.output
    assert out.exists() and "charts" in made.output


def test_workbench_frames_plots_and_matching(demo_db_url: str, demo_info: DemoInfo) -> None:
    wb = workbench.connect(demo_db_url)
    program = wb.programs()["name"][0]
    weekly = wb.engagement(freq="1w", by="program", program=program, as_of=demo_info.now)
    assert set(weekly["group"].unique()) == {program}
    assert wb.funnel(program=program)["participants"][0] > 0
    assert wb.at_risk(days=30, as_of=demo_info.now.isoformat()).height > 0
    figure = wb.plot("heatmap")
    assert figure.axes and figure.axes[0].get_title() == "Activity by weekday and hour"
    with pytest.raises(ValueError, match="unknown chart"):
        wb.plot("pie")
    one_to_one = wb.programs().filter(pl.col("kind") == "one_to_one")["name"][0]
    proposals = wb.run_matching(one_to_one, "optimizer", dry_run=True)
    assert proposals.height > 0
    assert proposals["score"].is_sorted(descending=True)
    assert any(c.startswith("score_") for c in proposals.columns)
    wb.engine.dispose()


def test_example_notebook_runs(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTORMATCH_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {
        "path": str(NOTEBOOK.parent)}}).execute()  # fmt: skip
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4  # funnel, engagement, score vs outcome, heatmap: once each
    texts = "\n".join(o["data"].get("text/plain", "") for c in code for o in c.outputs
                      if "data" in o)  # fmt: skip
    assert "first_session" in texts and "completion_rate" in texts and "explanation" in texts
    assert os.environ["MENTORMATCH_DATABASE_URL"] == demo_db_url
