"""Program health report: the dashboard's figures and charts as one HTML or PDF file.

Charts are drawn with matplotlib on pyplot-free ``Figure`` objects, so this works in a
worker thread, the CLI and CI without a display or Qt. HTML embeds each chart as a PNG
(data URI), so the file is self-contained; PDF is written with matplotlib's ``PdfPages``.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
import polars as pl

from mentormatch_desktop.analytics import DashboardData, Filters, compute_dashboard
from mentormatch_desktop.analytics.plots import CHARTS, chart_figure
from mentormatch_desktop.analytics.sql import Source
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.services.atomic import atomic_path, check_folder

REPORT_CHARTS = tuple(CHARTS)
KPI_LABELS = {
    "enrolled": ("Enrolled", "{:,}"),
    "matched": ("Matched", "{:,}"),
    "match_rate": ("Match rate", "{:.0%}"),
    "running": ("Active pairs", "{:,}"),
    "at_risk": ("At risk", "{:,}"),
    "sessions": ("Sessions held", "{:,}"),
    "messages": ("Messages", "{:,}"),
    "mean_rating": ("Mean rating", "{:.2f}"),
    "completion_rate": ("Completion rate", "{:.0%}"),
    "median_days_to_match": ("Median days to match", "{:.1f}"),
    "median_days_to_first_session": ("Median days to 1st session", "{:.1f}"),
    "mentor_utilisation": ("Mentor seats used", "{:.0%}"),
}


class ReportFormatError(ValueError):
    """The output file name does not end in .html, .htm or .pdf."""


@dataclass(frozen=True)
class ReportResult:
    path: Path
    format: str
    charts: int
    at_risk: int
    as_of: datetime


def format_kpis(kpis: pl.DataFrame) -> list[tuple[str, str]]:
    """(label, formatted value) for each headline number; missing values read "–"."""
    row = kpis.row(0, named=True)
    return [
        (label, "–" if row[key] is None else fmt.format(row[key]))
        for key, (label, fmt) in KPI_LABELS.items()
    ]


_HTML = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
.kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: .6em; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .5em; }
.kpi b { display: block; font-size: 1.4em; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.charts img { width: 100%; }
table { border-collapse: collapse; font-size: .85em; }
td, th { border-bottom: 1px solid #eee; padding: .25em .6em; text-align: left; }
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ scope }} · as of {{ as_of }}</p>
<section class="kpis">{% for label, value in kpis %}
<div class="kpi">{{ label }}<b>{{ value }}</b></div>{% endfor %}
</section>
<h2>Charts</h2>
<section class="charts">{% for title, png in charts %}
<figure><img alt="{{ title }}" src="data:image/png;base64,{{ png }}">
<figcaption>{{ title }}</figcaption></figure>{% endfor %}
</section>
{% for heading, columns, rows in tables %}
<h2>{{ heading }}</h2>
<table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endfor %}
</body></html>
"""
)


def _tables(data: DashboardData, limit: int = 25) -> list[tuple[str, list[str], list[list[str]]]]:
    def cells(frame: pl.DataFrame) -> list[list[str]]:
        return [["" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
                 for v in row] for row in frame.head(limit).iter_rows()]  # fmt: skip

    risk = data.at_risk.select("program", "mentor", "mentee", "days_silent", "reason")
    return [
        (f"At-risk mentorships ({data.at_risk.height})", risk.columns, cells(risk)),
        ("Completion by program", data.completion.columns, cells(data.completion)),
        ("Coverage by department", data.coverage_department.columns,
         cells(data.coverage_department)),
    ]  # fmt: skip


def _png(name: str, data: DashboardData) -> str:
    buf = io.BytesIO()
    chart_figure(name, data).savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _write_pdf(path: Path, title: str, data: DashboardData, cancel: CancelToken | None) -> None:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path) as pdf:
        cover = Figure(figsize=(11.69, 8.27))
        cover.text(0.05, 0.92, title, fontsize=20, weight="bold")
        cover.text(0.05, 0.87, f"{data.filters.describe()} · as of {data.as_of:%Y-%m-%d}")
        for i, (label, value) in enumerate(format_kpis(data.kpis)):
            x, y = 0.05 + (i % 4) * 0.23, 0.75 - (i // 4) * 0.1
            cover.text(x, y, label, fontsize=10, color="#555")
            cover.text(x, y - 0.04, value, fontsize=16, weight="bold")
        heading, columns, rows = _tables(data, limit=12)[0]
        cover.text(0.05, 0.42, heading, fontsize=12, weight="bold")
        if rows:
            ax = cover.add_axes((0.05, 0.03, 0.9, 0.36))
            ax.set_axis_off()
            ax.table(
                cellText=rows, colLabels=columns, loc="upper left", cellLoc="left"
            ).set_fontsize(7)
        pdf.savefig(cover)
        names = list(REPORT_CHARTS)
        for start in range(0, len(names), 4):
            check(cancel)
            page = Figure(figsize=(11.69, 8.27), layout="constrained")
            for sub, name in zip(
                page.subfigures(2, 2).flat, names[start : start + 4], strict=False
            ):
                chart_figure(name, data, figure=sub)
            pdf.savefig(page)
        info = pdf.infodict()
        info["Title"] = title


def program_report(
    source: Source,
    path: str | Path,
    filters: Filters | None = None,
    *,
    title: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ReportResult:
    """Write the program health report for ``filters`` to ``path`` (.html or .pdf)."""
    path = Path(path)
    fmt = {".html": "html", ".htm": "html", ".pdf": "pdf"}.get(path.suffix.lower())
    if fmt is None:
        raise ReportFormatError(f"{path.name}: the report file must end in .html or .pdf")
    check_folder(path)
    report(progress, 0.0, "computing metrics")
    data = compute_dashboard(source, filters, cancel=cancel)
    scope = (filters or Filters()).describe()  # as the user gave it: names, not ids
    title = title or f"Program health — {scope}"
    report(progress, 0.3, "drawing charts")
    if fmt == "html":
        charts = []
        for i, name in enumerate(REPORT_CHARTS):
            check(cancel)
            charts.append((CHARTS[name].title, _png(name, data)))
            report(progress, 0.3 + 0.6 * (i + 1) / len(REPORT_CHARTS), CHARTS[name].title)
        html = _HTML.render(
            title=title, scope=scope, as_of=f"{data.as_of:%Y-%m-%d %H:%M} UTC",
            kpis=format_kpis(data.kpis), charts=charts, tables=_tables(data),
        )  # fmt: skip
        with atomic_path(path) as partial:
            partial.write_text(html, encoding="utf-8")
    else:
        with atomic_path(path) as partial:
            _write_pdf(partial, title, data, cancel)
    report(progress, 1.0, f"wrote {path.name}")
    return ReportResult(path, fmt, len(REPORT_CHARTS), data.at_risk.height, data.as_of)
