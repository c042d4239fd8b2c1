"""Running model-heavy work in a separate process, so it cannot starve the GUI thread.

Threads share one interpreter lock: a worker thread that loads a sentence-embedding model or
runs long pure-Python loops still takes the lock from the GUI thread for long stretches, and
the window freezes for 0.4–1 s at a time even though "the work runs in the background".
:func:`run_in_process` runs ``fn`` in a fresh (spawned) Python process instead. A pool thread
supervises it — waiting on a queue, which releases the lock — relays its progress, passes a
cancel request on through a shared event, and hands back the pickled result, all through the
usual :class:`~mentormatch_desktop.ui.workers.Task` so callers connect the same signals.

``fn`` must be importable by name (a module-level function) and take plain, picklable
arguments (a database URL, not an engine); it receives ``progress=`` and ``cancel=`` like a
thread worker does. Exceptions come back with their type when they can be pickled (so a
dialog can still tell "not enough outcomes" from a bug), otherwise as :class:`ProcessFailed`
with the child's traceback.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue as queue_module
import traceback
from collections.abc import Callable
from typing import Any

from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

_POLL_SECONDS = 0.1


class ProcessFailed(RuntimeError):
    """The child raised something that could not be sent back as itself."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class _EventToken(CancelToken):
    """A cancel token backed by a process-shared event (the child's side)."""

    def __init__(self, event: Any) -> None:
        self._event = event


def _rebuild_exception(cls: type[BaseException], args: tuple[Any, ...], state: dict) -> Any:
    """Recreate an exception without calling its ``__init__`` (whose signature may not
    accept ``args``, which breaks plain pickling of many custom exceptions)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class _Rebuilt:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_exception, (type(self.exc), self.exc.args, dict(self.exc.__dict__)))


def _pickled_exception(exc: BaseException, details: str) -> bytes:
    """The exception as itself when it survives pickling, else as :class:`ProcessFailed`."""
    for candidate in (exc, _Rebuilt(exc)):
        try:
            payload = pickle.dumps(candidate)
            pickle.loads(payload)
            return payload
        except Exception:
            continue
    return pickle.dumps(ProcessFailed(f"{type(exc).__name__}: {exc}", details))


def _child_main(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    channel: Any,
    stop: Any,
    with_progress: bool,
    with_cancel: bool,
) -> None:
    """Entry point of the child process: run ``fn`` and report through ``channel``."""
    kwargs = dict(kwargs)
    if with_progress:
        kwargs["progress"] = lambda fraction, message: channel.put(
            ("progress", float(fraction), str(message))
        )
    if with_cancel:
        kwargs["cancel"] = _EventToken(stop)
    try:
        result = fn(*args, **kwargs)
    except Cancelled:
        channel.put(("cancelled",))
    except BaseException as exc:
        details = "".join(traceback.format_exception(exc))
        exc.__traceback__ = None
        payload = _pickled_exception(exc, details)
        channel.put(("error", payload, details))
    else:
        channel.put(("done", result))


def _supervise(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    progress: Callable[[float, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> Any:
    """Runs on a pool thread: start the child, relay its messages, return its result."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue()
    stop = context.Event()
    child = context.Process(
        target=_child_main,
        args=(fn, args, kwargs, channel, stop, progress is not None, cancel is not None),
        daemon=True,
        name=f"mentormatch:{getattr(fn, '__name__', 'job')}",
    )
    child.start()
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                stop.set()
            try:
                message = channel.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    try:  # the last message may arrive just after the child exits
                        message = channel.get(timeout=_POLL_SECONDS)
                    except queue_module.Empty:
                        raise ProcessFailed(
                            f"the background process stopped unexpectedly "
                            f"(exit code {child.exitcode})"
                        ) from None
                else:
                    continue
            kind = message[0]
            if kind == "progress":
                if progress is not None:
                    progress(message[1], message[2])
            elif kind == "done":
                return message[1]
            elif kind == "cancelled":
                raise Cancelled("cancelled by the user")
            elif kind == "error":
                raise pickle.loads(message[1])
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join(timeout=5)
        channel.close()


def run_in_process(
    fn: Callable[..., Any],
    *args: Any,
    progress: bool | Callable[[float, str], Any] = False,
    cancel: bool | CancelToken = False,
    on_success: Callable[[Any], Any] | None = None,
    on_error: Callable[[TaskError], Any] | None = None,
    on_cancelled: Callable[[], Any] | None = None,
    on_finished: Callable[[], Any] | None = None,
    owner: Any = None,
    **kwargs: Any,
) -> Task:
    """Like :func:`~mentormatch_desktop.ui.workers.run_in_background`, in another process."""

    def supervise(**extra: Any) -> Any:
        return _supervise(fn, args, kwargs, **extra)

    supervise.__qualname__ = f"run_in_process({getattr(fn, '__qualname__', fn)})"
    return run_in_background(
        supervise,
        progress=progress,
        cancel=cancel,
        on_success=on_success,
        on_error=on_error,
        on_cancelled=on_cancelled,
        on_finished=on_finished,
        owner=owner,
    )
