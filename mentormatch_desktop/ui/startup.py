"""Opening the database behind a progress dialog, then handing over to the main window.

Start-up work runs in workers, but never *while* the GUI thread is busy (issue 12). A worker
running Python takes the interpreter lock back after every hand-over, so each call from Qt
into Python (a virtual method of a Python widget, a delegate, a slot) waits a switch
interval: the window's first paint, about 30 ms of CPU, took 200–300 ms while the opening
worker ran alembic and imported the first screen (py-spy: the GUI thread sat in
``Shiboken::GilState`` / ``take_gil`` inside one ``processEvents`` turn). So the opening work
starts once the window has been painted, and the preload of the other screens once the
first screen is built, loaded and drawn.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.services.startup import prepare_database
from mentormatch_desktop.storage.migrations import SchemaMismatch
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.workers import Task, TaskError, busy_tasks, run_in_background

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


#: If no paint is seen (a window that never gets exposed), start the opening work anyway.
FIRST_PAINT_FALLBACK_MS = 500


class _AfterFirstPaint(QObject):
    """Calls ``callback`` on the event-loop turn after ``widget``'s first paint."""

    def __init__(self, widget: QWidget, callback: Any) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)  # after the whole window has painted
            self.deleteLater()
        return False


def after_first_paint(widget: QWidget, callback: Any) -> None:
    """Run ``callback`` once ``widget`` has been painted (at once if it is not shown)."""
    if not widget.isVisible():
        callback()
        return
    _AfterFirstPaint(widget, callback)
    QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, widget, callback)


def screen_settled(window: MainWindow) -> bool:
    """No worker runs and the visible screen has no build or draw step queued."""
    screen = window.stack.currentWidget()
    drawing = getattr(screen, "drawing", None)
    return busy_tasks() == 0 and not (callable(drawing) and drawing())


def settled_and_painted(window: MainWindow) -> Callable[[], bool]:
    """A readiness check that is true once :func:`screen_settled` held at two polls in a row.

    The first poll that finds the screen settled may run right after its data arrived, with
    the repaint of the filled table still queued: a worker started then competed with the
    paint's hundreds of calls into Python (a 156 ms stall on 20,000 people, issue 12). By
    the next poll the event loop has delivered the queued paint.
    """
    streak = [0]

    def ready() -> bool:
        streak[0] = streak[0] + 1 if screen_settled(window) else 0
        return streak[0] >= 2

    return ready


def preload(window: MainWindow) -> Task:
    """Import the other screens and load the plugin host in a worker, once the first screen
    is settled (built, loaded, drawn) and painted: run alongside it, the imports slowed its
    every step."""
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

    task = run_in_background(work, owner=window, on_finished=collect_here, deferred=True)
    task.handles_errors = True
    return task.start_when(settled_and_painted(window))


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
        deferred=True,  # the window paints first, alone
    )
    dialog.canceled.connect(task.cancel)
    dialog.setValue(0)
    # A plain function, not the bound method: PySide holds a QObject's bound method weakly in
    # a timer, and the fallback may fire after the task is finished and freed.
    after_first_paint(window, lambda: task.start())
    return task
