"""Background tasks: results, progress, cancellation and errors all arrive in the GUI thread."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread
from sqlalchemy import exc as sa_exc

from mentormatch_desktop.domain.progress import CancelToken, check
from mentormatch_desktop.ui import gc_policy
from mentormatch_desktop.ui.workers import Task, run_in_background


def test_result_and_progress_reach_the_gui_thread(qtbot) -> None:
    main = QThread.currentThread()
    seen: list[tuple[float, str, bool]] = []
    worker_threads: list[str] = []

    def work(n: int, *, progress) -> int:
        worker_threads.append(threading.current_thread().name)
        progress(0.5, "half")
        progress(1.0, "done")
        return n * 2

    def on_progress(f: float, m: str) -> None:
        seen.append((f, m, QThread.currentThread() is main))

    task = run_in_background(work, 21, progress=on_progress)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert task.result == 42
    assert worker_threads and worker_threads[0] != threading.main_thread().name
    assert seen[-1] == (1.0, "done", True)


def test_cancel_token_stops_the_work(qtbot) -> None:
    started = threading.Event()
    release = threading.Event()

    def work(*, cancel: CancelToken) -> str:
        started.set()
        release.wait(5)
        check(cancel)
        return "finished anyway"

    task = run_in_background(work, cancel=True)
    started.wait(5)
    task.cancel()
    with qtbot.waitSignal(task.cancelled, timeout=5000):
        release.set()
    assert task.was_cancelled and task.result is None


def test_errors_are_reported_with_a_readable_message(qtbot) -> None:
    def boom() -> None:
        raise ValueError("row 3: bad e-mail")

    errors = []
    task = run_in_background(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    error = errors[0]
    assert error.message == "row 3: bad e-mail"
    assert "ValueError" in error.details
    assert not error.is_connection_error


def test_a_refused_connection_is_logged_in_one_line_a_bug_with_its_traceback(
    qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    """A sign-in the server refuses printed a whole traceback as a warning on every start."""
    import logging

    def refused() -> None:
        raise sa_exc.OperationalError(
            "connect", {}, Exception('password authentication failed for user "bo"')
        )

    def bug() -> None:
        raise KeyError("missing")

    caplog.set_level(logging.WARNING, logger="mentormatch_desktop.ui.workers")
    for fn in (refused, bug):
        task = run_in_background(fn, on_error=lambda _e: None)
        qtbot.waitUntil(lambda task=task: task.done, timeout=5000)
    refused_line, bug_lines = (r.getMessage() for r in caplog.records)
    assert refused_line.endswith('password authentication failed for user "bo"')
    assert "Traceback" not in refused_line
    assert "Traceback" in bug_lines and "KeyError" in bug_lines


def test_a_wrapped_error_message_reaches_the_user_whole(qtbot) -> None:
    """A message wrapped over lines is one sentence on the banner, not its first line."""

    def boom() -> None:
        raise RuntimeError(
            "An attempt has been made to start a new process before the\n"
            "        current process has finished its bootstrapping phase.\n\n"
            "        This probably means that you are not using fork."
        )

    errors = []
    task = run_in_background(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert errors[0].message == (
        "An attempt has been made to start a new process before the current process has "
        "finished its bootstrapping phase."
    )


def test_unhandled_errors_go_to_the_default_handler(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    received = []
    monkeypatch.setattr(Task, "default_error_handler", received.append)

    def unreachable() -> None:
        raise sa_exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    task = run_in_background(unreachable)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert received and received[0].is_connection_error
    assert received[0].message == "connection refused"


def _settle(qtbot) -> None:
    """Wait until every worker has let go of its task, then release them (GUI thread)."""
    qtbot.waitUntil(lambda: all(t._worker_exited.is_set() for t in Task._retained), timeout=5000)
    Task._release_exited()


def test_tasks_die_in_the_gui_thread(qtbot) -> None:
    """A QObject destroyed outside its thread crashes PySide; the worker never drops the last
    reference to a task (with a Python QRunnable it did, at random)."""
    threads: list[str] = []
    tasks = []
    for n in range(40):
        task = run_in_background(lambda n=n: n)
        # The Python wrapper owns the QObject: it is deleted where the last reference dies.
        weakref.finalize(task, lambda: threads.append(threading.current_thread().name))
        tasks.append(task)
    qtbot.waitUntil(lambda: all(t.done for t in tasks), timeout=10000)
    task = None
    tasks.clear()
    _settle(qtbot)
    gc.collect()
    assert len(threads) == 40
    assert set(threads) == {threading.main_thread().name}


def test_a_failed_task_is_freed_without_the_garbage_collector(qtbot) -> None:
    """No traceback → frame → task cycle: otherwise the GC frees the task in whatever thread
    happens to trigger a collection."""

    def boom() -> None:
        raise ValueError("bad row")

    errors = []
    ref = weakref.ref(run_in_background(boom, on_error=errors.append))
    qtbot.waitUntil(lambda: errors != [], timeout=5000)
    gc.disable()
    try:
        errors.clear()
        _settle(qtbot)
        assert ref() is None
    finally:
        gc.enable()


def test_results_for_a_deleted_owner_are_dropped(qtbot) -> None:
    owner = QObject()
    release = threading.Event()
    seen: list[object] = []

    def work(*, progress) -> int:
        release.wait(5)
        progress(1.0, "done")
        return 1

    task = run_in_background(
        work, progress=lambda f, m: seen.append(m), on_success=seen.append, owner=owner
    )
    shiboken6.delete(owner)
    release.set()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert seen == []


def test_the_app_collects_garbage_only_in_the_gui_thread(qtbot) -> None:
    """Cycles made (and dropped) by pool threads are freed by the GUI thread's timer."""
    threads: set[str] = set()

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            threads.add(threading.current_thread().name)

    def churn() -> None:
        for _ in range(100_000):
            cycle: list = []
            cycle.append(cycle)

    gc.enable()  # as in any process before the app starts
    gc.callbacks.append(note)
    try:
        gc_policy.stop_automatic_collection()
        gc_policy.collect_in_gui_thread(interval_s=0.05)
        tasks = [run_in_background(churn) for _ in range(4)]
        qtbot.waitUntil(lambda: all(t.done for t in tasks), timeout=30_000)
        qtbot.waitUntil(lambda: gc.get_count()[0] < 1000, timeout=5_000)
    finally:
        gc_policy.stop_collecting_in_gui_thread()
        gc.callbacks.remove(note)
    assert threads == {threading.main_thread().name}


def test_a_deferred_task_counts_as_running_and_starts_when_ready(qtbot) -> None:
    from mentormatch_desktop.ui.workers import busy_tasks, running_tasks

    ran = threading.Event()
    ready = [False]
    task = run_in_background(ran.set, deferred=True)
    task.start_when(lambda: ready[0], poll_ms=10)
    assert running_tasks() == 1 and busy_tasks() == 0  # waited for, but not running yet
    qtbot.wait(100)
    assert not ran.is_set()
    ready[0] = True
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert ran.is_set() and running_tasks() == 0
    task.start()  # a second start (the fallback of a deferred start) does nothing
    qtbot.wait(50)
    assert running_tasks() == 0


def test_a_deferred_task_whose_owner_is_deleted_never_runs(qtbot) -> None:
    from mentormatch_desktop.ui.workers import running_tasks

    ran = threading.Event()
    owner = QObject()
    task = run_in_background(ran.set, owner=owner, deferred=True).start_when(
        lambda: True, poll_ms=10
    )
    shiboken6.delete(owner)
    qtbot.waitUntil(lambda: running_tasks() == 0, timeout=5000)
    assert task.done and not ran.is_set()
