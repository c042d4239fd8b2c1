"""Building and drawing a screen in small steps, one per event-loop turn.

Constructing a whole screen (a table with a frozen column, an editor of a dozen sections,
twelve charts) or redrawing all its charts in one go kept the GUI thread busy for 100 ms
and more: no click, key or repaint could be served meanwhile (issue 12). A
:class:`StepQueue` runs queued callables ONE per turn of the event loop, so between two
steps Qt delivers input and paints what the previous step changed (each chart's repaint is
its own turn instead of twelve coalesced into one long paint).

Order is first-in first-out: a screen queues the construction of its heavy parts, and a
result arriving from a worker queues its display behind them, so it never meets a widget
that does not exist yet.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal


class StepQueue(QObject):
    """Callables run one per event-loop turn, in the order they were added."""

    finished = Signal()  # the queue ran empty (after the last step)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: deque[Callable[[], object]] = deque()
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._run_one)

    def add(self, step: Callable[[], object]) -> None:
        """Run ``step`` on a later turn, after every step already queued."""
        self._steps.append(step)
        if not self._timer.isActive():
            self._timer.start()

    def after(self, step: Callable[[], object]) -> None:
        """Run ``step`` now if nothing is queued, else after the queued steps."""
        if self._steps:
            self.add(step)
        else:
            step()

    def pending(self) -> bool:
        """True while steps wait (screenshots and the stall benchmark wait for it)."""
        return bool(self._steps)

    def run_all(self) -> None:
        """Run every queued step now (a caller that needs the result at once, e.g. tests)."""
        self._timer.stop()
        while self._steps:
            self._steps.popleft()()
        self.finished.emit()

    def _run_one(self) -> None:
        if self._steps:
            self._steps.popleft()()
        if self._steps:
            self._timer.start()
        else:
            self.finished.emit()
