"""Progress reporting and cooperative cancellation for long-running core work.

Services that may run for more than ~100 ms take an optional ``progress`` callback and a
``cancel`` token. The UI's workers translate these into Qt signals; the CLI and notebooks
pass nothing or a simple printer. Keeping them plain Python keeps the core free of Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Progress = Callable[[float, str], None]
"""``progress(fraction, message)``: fraction in [0, 1]; called from the worker thread."""


class Cancelled(Exception):
    """Raised inside a long operation when its :class:`CancelToken` was cancelled."""


class CancelToken:
    """A thread-safe flag a long operation checks between steps.

    Cancellation is cooperative: the operation calls :meth:`raise_if_cancelled` at points
    where stopping leaves nothing half-written (typically before committing).
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def event(self) -> threading.Event:
        """The flag as a plain :class:`threading.Event`, for code that only knows those
        (a plugin's sign-in waits on it)."""
        return self._event

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Call ``progress`` if one was given; clamps the fraction so callers need not."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)), message)


def check(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set; a no-op when no token was given."""
    if cancel is not None:
        cancel.raise_if_cancelled()
