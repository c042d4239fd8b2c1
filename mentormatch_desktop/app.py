"""Desktop entry point: ``mentormatch-desktop`` and ``python -m mentormatch_desktop``.

Start-up order: resolve settings (flag > environment > config file > default), open the
main window, then get the database ready in a worker — the embedded SQLite database is
brought to the latest schema, a shared PostgreSQL database is only checked (only
``mentormatch db upgrade`` migrates it; a schema behind or ahead of the app is explained
in the banner) — and, for the embedded database on first start, fill it with the demo
organisation, behind a progress dialog that can be cancelled. If the database cannot be
reached the window still opens, explains what happened and reconnects when the server
answers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from mentormatch_desktop import __version__
from mentormatch_desktop.config import default_database_url, load_settings
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.storage.migrations import prepare_schema

log = logging.getLogger(__name__)


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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mentormatch-desktop",
        description="MentorMatch Desktop: the coordinator's mentoring workbench.",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="SQLAlchemy URL (sqlite:///file or postgresql://…); default: "
        "$MENTORMATCH_DATABASE_URL, the config file, or the embedded demo database",
    )
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="write a PNG of every main screen to DIR (offscreen) and exit",
    )
    parser.add_argument("--theme", choices=("system", "light", "dark"), help="colour scheme")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshots is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from mentormatch_desktop.ui import theme
    from mentormatch_desktop.ui.context import AppContext
    from mentormatch_desktop.ui.main_window import MainWindow
    from mentormatch_desktop.ui.startup import start

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("MentorMatch")
    app.setApplicationName("MentorMatch Desktop")
    app.setApplicationVersion(__version__)

    settings = load_settings(args.database)
    preference = args.theme or settings.theme
    theme.apply_theme(app, preference)
    context = AppContext(settings)
    fill_demo = settings.database_url == default_database_url()

    if args.screenshots is not None:
        from mentormatch_desktop.ui.screenshots import take_screenshots

        # A scratch settings file: screenshots neither use nor change the remembered
        # geometry and last screen.
        with tempfile.TemporaryDirectory() as scratch:
            qsettings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(context, settings=qsettings)
            try:
                paths = take_screenshots(window, args.screenshots, fill_demo=fill_demo)
            finally:
                window.close()
                window.deleteLater()
                app.processEvents()
                context.close()
        for path in paths:
            print(path)
        return 0 if paths else 1

    window = MainWindow(context)
    window.setWindowIcon(theme.icon("app", theme.current().accent, 64))

    theme.follow_system(app, preference, window.retint)
    window.show()
    start(window, fill_demo=fill_demo)
    code = app.exec()
    context.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
