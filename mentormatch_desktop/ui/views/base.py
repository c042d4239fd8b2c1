"""A base class for screens: access to the context, a helper to run work in the background,
and a queue of build and draw steps run one per event-loop turn (``ui/steps.py``).

A screen that builds its heavy parts in steps (``self.steps.add(...)`` in ``__init__``)
shows its header at once and the rest over the next turns, so opening it never holds the
GUI thread for the whole construction. Results of :meth:`View.run` are delivered after the
queued steps, so a loaded answer never meets a widget that is not built yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.steps import StepQueue
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background


class View(QWidget):
    """A main-window screen; subclasses load data in :meth:`reload` (a worker), not ``__init__``."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._loaded_once = False
        self._stale = True
        self.steps = StepQueue(self)
        context.data_changed.connect(self._on_data_changed)

    #: topics (see ``AppContext.data_changed``) that make this screen reload when next shown
    watches: tuple[str, ...] = ()

    def activate(self) -> None:
        """Called when the screen becomes visible; reloads if something it shows changed."""
        if self._stale:
            self._stale = False
            self._loaded_once = True
            self.reload()

    def drawing(self) -> bool:
        """True while build or draw steps are queued (screenshots and benchmarks wait)."""
        return self.steps.pending()

    def finish_building(self) -> None:
        """Run the queued steps now: for callers that need every widget at once."""
        if self.steps.pending():
            self.steps.run_all()

    def refresh(self) -> None:
        """Called after the database reconnects."""
        self._stale = False
        self.reload()

    def reload(self) -> None:
        """Load what the screen shows (in a worker). Subclasses override."""

    def _on_data_changed(self, topic: str) -> None:
        if self.context.notify_source is self:
            return
        if topic in self.watches or topic == "*":
            self._stale = True
            if self.isVisible():
                self.activate()

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_success: Callable[[Any], Any] | None = None,
        on_error: Callable[[TaskError], Any] | None = None,
        **kwargs: Any,
    ) -> Task:
        """Run ``fn(*args)`` in a worker; connection failures reach the main window banner."""

        def succeeded(result: Any) -> None:
            self.context.mark_connected()
            if on_success is not None:  # after the widgets still being built
                self.steps.after(lambda: on_success(result))

        return run_in_background(
            fn, *args, on_success=succeeded, on_error=on_error, owner=self, **kwargs
        )

    def in_unit_of_work(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``fn(ctx, *args)`` so a worker runs it in a unit of work of its own
        (committed when ``fn`` returns, rolled back if it raises)."""
        context = self.context

        def call(*args: Any, **kwargs: Any) -> Any:
            with context.unit_of_work() as ctx:
                return fn(ctx, *args, **kwargs)

        call.__qualname__ = getattr(fn, "__qualname__", "call")
        return call
