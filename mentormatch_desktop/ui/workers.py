"""Running core work off the GUI thread, with progress, cancellation and error reporting.

``run_in_background(fn, *args, progress=True, cancel=True)`` runs ``fn`` (usually a service)
on the global ``QThreadPool``. The function stays plain Python: it receives a
``progress(fraction, message)`` callable and a :class:`CancelToken` as keyword arguments
when asked for, and knows nothing of Qt. Results come back through a :class:`Task`, whose
signals are always emitted in the GUI thread (a relay object is connected with queued
connections before the work starts), so callers may connect any callable without races.

Lifetimes, because PySide crashes (segfaults, "crash in GC") when a ``QObject`` is destroyed
in a thread other than its own: a :class:`Task` and its relay live in the GUI thread and
must die there. The pool thread therefore never holds the last reference to them — the
work is handed over as a plain callable (no Python ``QRunnable`` subclass whose wrapper the
pool deletes in the worker thread), which drops its reference and then sets an
``threading.Event``; the GUI thread keeps the task in ``Task._retained`` until that event is
set. Exceptions lose their traceback once formatted, so no frame → task reference cycle is
left for the garbage collector to break in some arbitrary thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from sqlalchemy import exc as sa_exc

from mentormatch_desktop.domain.progress import Cancelled, CancelToken

log = logging.getLogger(__name__)

_PROGRESS_INTERVAL = 0.05  # seconds between progress signals; more would flood the event loop


@dataclass(frozen=True)
class TaskError:
    """What went wrong in a background task, ready to show to the user."""

    exception: BaseException
    message: str
    details: str

    @property
    def is_connection_error(self) -> bool:
        """True when the database could not be reached (as opposed to a bug or bad input)."""
        return is_connection_error(self.exception)


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        text = str(exc).lower()
        # SQLite reports schema problems as OperationalError too; those are not outages.
        return not any(word in text for word in ("no such table", "no such column", "syntax"))
    return isinstance(exc, ConnectionError | TimeoutError)


def describe_error(exc: BaseException) -> str:
    """One readable line for an exception: the database's first line, not a traceback.

    Other messages keep their whole first paragraph, joined: a sentence wrapped over
    several lines in the source ("An attempt has been made to start a new process before
    the / current process has finished …") reached the banner cut after "before the"."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        text = str(exc.orig).strip()  # then DETAIL/HINT lines and the SQL: not for a banner
        return text.splitlines()[0] if text else type(exc).__name__
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    paragraph = text.split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


class _Relay(QObject):
    """Emitted from the worker thread; delivered to the task in the GUI thread (queued)."""

    progress = Signal(float, str)
    done = Signal(object)
    error = Signal(object)
    cancelled = Signal()


class Task(QObject):
    """A handle on one background computation. Signals fire in the GUI thread.

    Exactly one of ``succeeded``, ``failed`` or ``cancelled`` is emitted, then ``finished``.
    """

    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object)  # TaskError
    cancelled = Signal()
    finished = Signal()

    # Set by the main window: called for failures nobody else handles.
    default_error_handler: ClassVar[Callable[[TaskError], None] | None] = None
    _alive: ClassVar[set[Task]] = set()  # not finished yet (GUI side), deferred ones included
    # Created but held back until the GUI thread is free (see ``start_when``).
    _deferred: ClassVar[set[Task]] = set()
    # Kept until the worker thread has dropped every reference (see the module docstring).
    _retained: ClassVar[set[Task]] = set()

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        pass_progress: bool,
        token: CancelToken | None,
        owner: QObject | None = None,
    ) -> None:
        super().__init__()
        # Results for a widget that was closed meanwhile are dropped, not delivered to a
        # deleted C++ object (the work itself still runs to its end or its next check).
        self.owner = owner
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.pass_progress = pass_progress
        self.token = token
        self.result: Any = None
        self.error: TaskError | None = None
        self.done = False
        self._started = False
        self.was_cancelled = False
        self._worker_exited = threading.Event()
        self._relay = _Relay()
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.progress.connect(self._on_progress, queued)
        self._relay.done.connect(self._on_done, queued)
        self._relay.error.connect(self._on_error, queued)
        self._relay.cancelled.connect(self._on_cancelled, queued)
        # False: failures also go to ``default_error_handler`` (set True when you handle them).
        self.handles_errors = False

    def start(self, pool: QThreadPool | None = None) -> Task:
        if self._started or self.done:
            return self  # a deferred task may be started from two places (paint, fallback)
        self._started = True
        Task._deferred.discard(self)
        Task._release_exited()
        Task._alive.add(self)
        Task._retained.add(self)
        (pool or QThreadPool.globalInstance()).start(_worker_entry(self))
        return self

    def defer(self) -> Task:
        """Hold the work back until :meth:`start` is called; it counts as running meanwhile
        (screenshots, tests and benchmarks that wait for ``running_tasks() == 0`` wait for it).

        Why: a worker running pure Python makes every GIL hand-over cost the GUI thread a
        switch interval, so a paint or a screen build that calls into Python a few hundred
        times takes several times its CPU time (issue 12). Work that need not run *now* waits
        until the GUI thread has nothing to do.
        """
        Task._alive.add(self)
        Task._deferred.add(self)
        return self

    def start_when(
        self, ready: Callable[[], bool], *, poll_ms: int = 50, give_up_s: float = 10.0
    ) -> Task:
        """Defer, then start once ``ready()`` is true (checked on a GUI-thread timer) or after
        ``give_up_s`` whatever ``ready`` says; dropped if its owner is deleted first."""
        self.defer()
        deadline = time.monotonic() + give_up_s
        timer = QTimer(self, interval=poll_ms)

        def check() -> None:
            if not self._owner_alive():
                timer.stop()
                self._drop()
            elif ready() or time.monotonic() >= deadline:
                timer.stop()
                self.start()

        timer.timeout.connect(check)
        timer.start()
        return self

    def _drop(self) -> None:
        """A deferred task whose owner went away: never started, never reported."""
        if self in Task._deferred:
            Task._deferred.discard(self)
            Task._alive.discard(self)
            self.done = True

    @staticmethod
    def _release_exited() -> None:
        """Drop (in the GUI thread) tasks whose worker no longer refers to them."""
        for task in [t for t in Task._retained if t.done and t._worker_exited.is_set()]:
            Task._retained.discard(task)

    def cancel(self) -> None:
        """Ask the work to stop at its next check; ``cancelled`` follows when it does."""
        if self.token is not None:
            self.token.cancel()

    # -- worker side -------------------------------------------------------------------
    def _run(self) -> None:
        kwargs = dict(self.kwargs)
        if self.pass_progress:
            last = [0.0]

            def progress(fraction: float, message: str) -> None:
                now = time.monotonic()
                if now - last[0] >= _PROGRESS_INTERVAL or fraction >= 1.0:
                    last[0] = now
                    self._relay.progress.emit(float(fraction), str(message))

            kwargs["progress"] = progress
        if self.token is not None:
            kwargs["cancel"] = self.token
        try:
            result = self.fn(*self.args, **kwargs)
        except Cancelled:
            self._relay.cancelled.emit()
        except BaseException as exc:  # reported to the user, never swallowed silently
            details = "".join(traceback.format_exception(exc))
            # The traceback's frames refer to this task (and to widgets' closures); dropping
            # it avoids a reference cycle that the GC would collect in any thread.
            exc.__traceback__ = None
            self._relay.error.emit(TaskError(exc, describe_error(exc), details))
        else:
            self._relay.done.emit(result)

    # -- GUI side ----------------------------------------------------------------------
    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self.done and self._owner_alive():
            self.progress.emit(fraction, message)

    def _owner_alive(self) -> bool:
        return self.owner is None or shiboken6.isValid(self.owner)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        self.result = result
        self._finish(lambda: self.succeeded.emit(result))

    @Slot(object)
    def _on_error(self, error: TaskError) -> None:
        self.error = error
        if error.is_connection_error:
            # An unreachable server or a refused sign-in is the user's situation, not a bug:
            # one line (the banner or dialog says the rest); the traceback only at DEBUG.
            log.warning("background task %s failed: %s", _name(self.fn), error.message)
            log.debug("background task %s failed: %s", _name(self.fn), error.details)
        else:
            log.warning("background task %s failed: %s", _name(self.fn), error.details)
        handler = Task.default_error_handler

        def emit() -> None:
            self.failed.emit(error)
            if handler is not None and (not self.handles_errors or error.is_connection_error):
                receiver = getattr(handler, "__self__", None)
                if not isinstance(receiver, QObject) or shiboken6.isValid(receiver):
                    handler(error)

        self._finish(emit)

    @Slot()
    def _on_cancelled(self) -> None:
        self.was_cancelled = True
        self._finish(self.cancelled.emit)

    def _finish(self, emit: Callable[[], None]) -> None:
        self.done = True
        try:
            if self._owner_alive():
                emit()
                self.finished.emit()
        finally:
            Task._alive.discard(self)
            Task._release_exited()


def _worker_entry(task: Task) -> Callable[[], None]:
    """The pool's work item: runs ``task`` and lets go of it before saying so.

    Only a list and an Event stay referenced by the pool's internal runnable, which is
    deleted in the worker thread; deleting those there is harmless.
    """
    box = [task]
    exited = task._worker_exited

    def run() -> None:
        try:
            box.pop()._run()
        finally:
            exited.set()

    return run


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    progress: bool | Callable[[float, str], Any] = False,
    cancel: bool | CancelToken = False,
    on_success: Callable[[Any], Any] | None = None,
    on_error: Callable[[TaskError], Any] | None = None,
    on_cancelled: Callable[[], Any] | None = None,
    on_finished: Callable[[], Any] | None = None,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
    deferred: bool = False,
    **kwargs: Any,
) -> Task:
    """Run ``fn(*args, **kwargs)`` on a pool thread and return its :class:`Task`.

    ``progress``: True passes a ``progress`` callable to ``fn``; a callable also receives
    every update (in the GUI thread). ``cancel``: True creates a token (``task.cancel()``),
    or pass your own token; either way ``fn`` gets it as ``cancel=``. Callbacks are connected
    before the work starts, so none can be missed. With ``owner`` (usually the widget that
    asked), nothing is delivered once that widget has been deleted. With ``deferred`` the
    task is returned held back (:meth:`Task.defer`): call ``start()`` or ``start_when()``.
    """
    token = cancel if isinstance(cancel, CancelToken) else (CancelToken() if cancel else None)
    task = Task(fn, args, kwargs, pass_progress=bool(progress), token=token, owner=owner)
    if callable(progress):
        task.progress.connect(progress)
    if on_success is not None:
        task.succeeded.connect(on_success)
    if on_error is not None:
        task.failed.connect(on_error)
        task.handles_errors = True
    if on_cancelled is not None:
        task.cancelled.connect(on_cancelled)
    if on_finished is not None:
        task.finished.connect(on_finished)
    return task.defer() if deferred else task.start(pool)


def running_tasks() -> int:
    """How many tasks have not finished yet, deferred ones included (screenshots and tests
    wait for zero)."""
    return len(Task._alive)


def busy_tasks() -> int:
    """How many tasks are running now (started and not finished; deferred ones left out)."""
    return len(Task._alive - Task._deferred)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))
