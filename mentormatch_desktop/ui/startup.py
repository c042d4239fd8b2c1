"""Opening the database behind a progress dialog, then handing over to the main window."""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.services.startup import prepare_database
from mentormatch_desktop.storage.migrations import SchemaMismatch
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

log = logging.getLogger(__name__)


def import_modules(names: Sequence[str]) -> None:
    """Import ``names`` (from a worker): module-level work then never runs on the GUI thread.

    Importing a screen's module pulls in pyqtgraph, polars, the solvers …; done on the GUI
    thread when a screen is first opened it froze the window for up to seconds. Python
    modules may be imported from any thread; nothing here creates a widget.
    """
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the screen reports it properly when opened
            log.exception("preloading %s failed", name)


def ui_modules() -> list[str]:
    """Every module of the screens and dialogs, and the chart package."""
    from mentormatch_desktop.ui import views

    names = [f"{views.__name__}.{m.name}" for m in pkgutil.iter_modules(views.__path__)]
    return [*names, "mentormatch_desktop.ui.charts", "mentormatch_desktop.analytics"]


def preload(window: MainWindow) -> Task:
    """Import the other screens and load the plugin host in a worker, after start-up."""
    context = window.context
    names = ui_modules()

    def work() -> None:
        import_modules(names)
        context.plugins  # noqa: B018 - loads the solvers and criteria once, off the GUI thread
        from mentormatch_desktop.services.profiles import time_zones

        time_zones()  # the profile editor's list: a directory scan, cached

    def collect_here() -> None:
        from mentormatch_desktop.ui import gc_policy

        if not gc.isenabled():  # the app switched it off; tests and notebooks may not
            gc_policy.collect_in_gui_thread()

    task = run_in_background(work, owner=window, on_finished=collect_here)
    task.handles_errors = True
    return task


def start(window: MainWindow, *, fill_demo: bool) -> Task:
    """Migrate (and fill the demo on first start) in a worker; then show the last screen.

    The dialog appears only if the work takes more than a moment (an existing database
    opens without flashing it). Cancelling the demo keeps the window open on an empty
    database: the empty states then offer to import a file or load the demo.
    """
    context = window.context
    dialog = QProgressDialog("Opening the database…", "Cancel", 0, 1000, window)
    dialog.setWindowTitle("MentorMatch Desktop")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    dialog.setMinimumWidth(420)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)

    def progress(fraction: float, message: str) -> None:
        dialog.setValue(int(fraction * 1000))
        dialog.setLabelText(message)

    def ok(_: object) -> None:
        context.mark_connected()
        window.set_ready()
        preload(window)

    def failed(error: TaskError) -> None:
        # An unreachable server and a schema this version cannot use both leave the app
        # waiting in the banner (with "Retry now") rather than half-working.
        schema = isinstance(error.exception, SchemaMismatch)
        if error.is_connection_error or schema:
            context.mark_unreachable(error.message, schema=schema)
        else:
            window.report_error(error)
            window.set_ready()

    def cancelled() -> None:
        context.mark_connected()
        window.set_ready()

    first = window.start_key()
    first_module = window.specs[window.keys().index(first)].module if first else None

    def prepare(*, progress: Progress | None = None, cancel: CancelToken | None = None) -> Any:
        report = prepare_database(context.database_url, context.engine, fill_demo=fill_demo,
                                  progress=progress, cancel=cancel)  # fmt: skip
        if first_module is not None:  # the first screen opens without importing anything
            import_modules([first_module])
        return report

    task = run_in_background(
        prepare,
        progress=progress,
        cancel=True,
        on_success=ok,
        on_error=failed,
        on_cancelled=cancelled,
        on_finished=dialog.close,
        owner=window,
    )
    dialog.canceled.connect(task.cancel)
    dialog.setValue(0)
    return task
