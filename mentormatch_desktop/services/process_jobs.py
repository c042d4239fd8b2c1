"""Model-heavy services packaged to run in a separate process (see ``ui/processes.py``).

A child process cannot share the app's engine, session or plugin host, so each job takes
the database URL and plain arguments, builds its own engine, runs one unit of work and
returns plain, picklable data. The CLI or a notebook may call these too; they behave like
the services they wrap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.learning import WeightSuggestion, suggest_weights
from mentormatch_desktop.services.skills import SuggestResult, suggest_skill_merges
from mentormatch_desktop.storage.db import create_engine

if TYPE_CHECKING:
    from mentormatch_desktop.analytics import Filters
    from mentormatch_desktop.services.reports import ReportResult


def suggest_skill_merges_job(
    database_url: str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> SuggestResult:
    """Find duplicate skills (the sentence model loads here, not in the app's process)."""
    engine = create_engine(database_url)
    try:
        with unit_of_work(engine) as ctx:
            return suggest_skill_merges(ctx, progress=progress, cancel=cancel)
    finally:
        engine.dispose()


def suggest_weights_job(
    database_url: str,
    program_id: int,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> WeightSuggestion:
    """Learn criterion weights from outcomes for ``program_id`` (read-only)."""
    engine = create_engine(database_url)
    try:
        with unit_of_work(engine) as ctx:
            return suggest_weights(ctx, program_id, progress=progress, cancel=cancel)
    finally:
        engine.dispose()


def program_report_job(
    database_url: str,
    path: str,
    filters: Filters | None = None,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ReportResult:
    """Write the program health report (matplotlib draws its charts here, where it cannot
    hold the app's interpreter lock; see ``services.reports.program_report``)."""
    from mentormatch_desktop.services.reports import program_report

    engine = create_engine(database_url)
    try:
        return program_report(engine, path, filters, progress=progress, cancel=cancel)
    finally:
        engine.dispose()
