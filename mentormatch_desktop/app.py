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
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mentormatch_desktop import __version__
from mentormatch_desktop.config import (
    Settings,
    data_dir,
    default_database_url,
    is_first_run,
    load_settings,
    remember_database,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def _make_settings_private(file_name: str) -> None:
    """The window settings (recent files, last screen) in a 0700 folder, the file 0600."""
    from mentormatch_desktop.config import private_dir

    path = Path(file_name)
    if not path.is_absolute():
        return  # a registry path on Windows: nothing to do
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


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
    parser.add_argument(
        "--screenshot-size",
        metavar="WxH",
        default="1440x900",
        help="window size for --screenshots (default 1440x900)",
    )
    parser.add_argument("--theme", choices=("system", "light", "dark"), help="colour scheme")
    # benchmarks/bundle.py: print a line once the main window is shown and painted, then quit
    # (how the cold start of the packaged app is timed from outside).
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sign-in",
        action="store_true",
        help="ask for server, database, user and password (shared PostgreSQL database)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the embedded demo database without asking (what `make run` does); "
        "ignored when the administrator locked the database",
    )
    parser.add_argument(
        "--as",
        dest="as_email",
        metavar="EMAIL",
        help="open as this person: on PostgreSQL connect as their login (password from the "
        "keyring); on SQLite only show their view",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshots is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic narrates at INFO every time the schema is compared or migrated ("setup plugin
    # …", "Context impl PostgresqlImpl"): eleven lines on each start against a shared
    # database, none of them news to the person at the terminal. Its warnings still show.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from mentormatch_desktop.ui import native_imports

    native_imports_done = native_imports.start_importing()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from mentormatch_desktop.ui import gc_policy, theme
    from mentormatch_desktop.ui.context import AppContext
    from mentormatch_desktop.ui.main_window import MainWindow
    from mentormatch_desktop.ui.startup import start

    gc_policy.stop_automatic_collection()
    gc_policy.favour_gui_thread()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("MentorMatch")
    app.setApplicationName("MentorMatch Desktop")
    app.setApplicationVersion(__version__)

    _make_settings_private(QSettings().fileName())
    settings = load_settings(args.database)
    if args.demo and not settings.database_locked:
        settings = replace(settings, database_url=default_database_url(), database_source="flag")
    preference = args.theme or settings.theme
    theme.apply_theme(app, preference)
    native_imports_done()  # before the first dialog or window is on screen
    try:
        if _should_ask_first(args, settings):
            settings, signed = _first_run(settings)
        else:
            signed = _sign_in(args, settings)
    except Exception as exc:
        message = f"Cannot sign in: {_sign_in_problem(exc, settings.database_url)}"
        if args.screenshots is not None or args.exit_when_shown:
            # Nobody can dismiss a dialog offscreen: it waited for ever (a login without
            # its password in the environment or keyring). Say why and stop instead.
            print(message, file=sys.stderr)
            return 2
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "MentorMatch Desktop", message)
        return 2
    if signed is False:
        return 1  # sign-in cancelled
    if signed is None:
        context = AppContext(settings)
    else:
        settings = replace(settings, database_url=signed.url)
        context = AppContext(settings, engine=signed.engine, identity=signed.identity)
    fill_demo = settings.database_url == default_database_url()

    if args.screenshots is not None:
        from mentormatch_desktop.ui.screenshots import take_screenshots

        # A scratch settings file: screenshots neither use nor change the remembered
        # geometry and last screen.
        with tempfile.TemporaryDirectory() as scratch:
            qsettings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(context, settings=qsettings)
            try:
                width, _, height = args.screenshot_size.lower().partition("x")
                paths = take_screenshots(window, args.screenshots, fill_demo=fill_demo,
                                         size=(int(width), int(height)))  # fmt: skip
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
    if args.exit_when_shown:
        _exit_when_shown(app)
    code = app.exec()
    # Work still running (the start-up preload, a query) ends before the objects it reports
    # to are torn down; otherwise it dies with "Signal source has been deleted".
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(15_000)
    context.close()
    return code


def _sign_in_problem(exc: BaseException, url: str) -> str:
    """One sentence for a failed sign-in; a driver error gets the CLI's explanation
    ("cannot connect to URL: no password supplied") rather than SQLAlchemy's paragraph."""
    from sqlalchemy.exc import SQLAlchemyError

    from mentormatch_desktop.storage.opening import explain

    return str(explain(exc, url)) if isinstance(exc, SQLAlchemyError) else str(exc)


def _exit_when_shown(app: QApplication) -> None:
    from PySide6.QtCore import QTimer

    def shown() -> None:
        app.processEvents()  # the first expose and paint of the main window
        print("window shown", flush=True)
        app.quit()

    QTimer.singleShot(0, shown)


def _should_ask_first(args: argparse.Namespace, settings: Settings) -> bool:
    """The first-run chooser: an interactive start with nothing configured anywhere (no
    flag, no environment, no user or system file) and no demo database from before."""
    return (
        settings.database_source == "default"
        and not (args.sign_in or args.demo or args.as_email)
        and args.screenshots is None
        and not args.exit_when_shown
        and is_first_run()
        and not (data_dir() / "mentormatch.sqlite3").exists()
    )


def _first_run(settings: Settings):  # type: ignore[no-untyped-def]
    """Ask where to start, remember the answer in the user's config file; returns the
    settings to use and what ``_sign_in`` would (None, False or a ``SignedIn``)."""
    from mentormatch_desktop.ui.first_run import FILE, NEW, SERVER, FirstRunDialog

    chooser = FirstRunDialog()
    if not chooser.exec() or chooser.choice is None:
        return settings, False
    if chooser.choice == SERVER:
        assert chooser.signed_in is not None
        remember_database(chooser.signed_in.url)
        return replace(settings, database_url=chooser.signed_in.url), chooser.signed_in
    # A new local database is an empty file here; start() migrates it (Alembic) behind
    # its progress dialog, and it is not the demo's file, so nothing fills it.
    url = f"sqlite:///{chooser.path}" if chooser.choice in (FILE, NEW) else default_database_url()
    remember_database(url)
    return replace(settings, database_url=url, database_source="user"), None


def _sign_in(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    """Who opens the app: None for the embedded database's own user, False if the user
    cancelled the sign-in dialog, else a ``SignedIn`` (engine + identity).

    A shared database preset by the administrator's system file opens the sign-in dialog,
    prefilled, rather than connecting without asking who the user is."""
    from mentormatch_desktop.ui.sign_in import SignInDialog, login_url_for, sign_in, wait_for

    preset = (
        settings.database_source == "system"
        and not settings.is_embedded
        and not args.as_email
        and args.screenshots is None
    )
    if args.sign_in or preset:
        dialog = SignInDialog(settings.database_url)
        if not dialog.exec() or dialog.signed_in is None:
            return False
        return dialog.signed_in
    if settings.is_embedded:
        return (
            None
            if args.as_email is None
            else wait_for(lambda: sign_in(settings.database_url, as_email=args.as_email))
        )
    url = settings.database_url
    if args.as_email:
        url = wait_for(login_url_for, url, args.as_email)
    return wait_for(sign_in, url)


if __name__ == "__main__":
    sys.exit(main())
