"""Opening the database behind a progress dialog, then handing over to the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog

from mentormatch_desktop.services.startup import prepare_database
from mentormatch_desktop.storage.migrations import SchemaMismatch
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background


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

    task = run_in_background(
        prepare_database,
        context.database_url,
        context.engine,
        fill_demo=fill_demo,
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
