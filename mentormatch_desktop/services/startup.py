"""Opening the desktop app's database: get the schema ready, fill the embedded one on first start.

Plain Python, run by the UI in a worker (``ui/startup.py``) and callable from tests; it
lives below the UI so that the UI never has to import the app's bootstrap module
(``app`` imports ``ui``, not the other way round).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.storage.migrations import prepare_schema


@dataclass(frozen=True)
class StartupReport:
    demo_filled: bool


def prepare_database(
    url: str,
    engine: Engine,
    *,
    fill_demo: bool,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> StartupReport:
    """Get the schema ready and, if asked, fill an empty database with the demo organisation.

    SQLite is migrated; PostgreSQL is checked and raises
    :class:`~mentormatch_desktop.storage.migrations.SchemaMismatch` when it is behind or
    ahead of this version. Runs in a worker; plain Python so tests can call it directly.
    """
    report(progress, 0.0, "Checking the database schema…")
    prepare_schema(engine)
    check(cancel)
    if not fill_demo:
        report(progress, 1.0, "Database ready")
        return StartupReport(demo_filled=False)
    from mentormatch_desktop.plugin.host import default_host
    from mentormatch_desktop.services.context import unit_of_work
    from mentormatch_desktop.services.demo import ensure_demo_database

    def scaled(fraction: float, message: str) -> None:
        report(
            progress,
            0.05 + 0.95 * fraction,
            f"First start: creating a demo organisation\n{message}",
        )

    with unit_of_work(engine, plugins=default_host()) as ctx:
        filled = ensure_demo_database(ctx, progress=scaled, cancel=cancel)
    report(progress, 1.0, "Database ready")
    return StartupReport(demo_filled=bool(filled))
