"""Extension modules whose import holds the interpreter lock for long: imported before any
window exists.

Most of the app's imports run in a worker (:func:`~mentormatch_desktop.ui.startup.preload`)
and cost the GUI thread nothing, because a Python import gives the lock back every switch
interval. A C++ extension's initialisation does not: OR-Tools' CP-SAT module (pybind11 over
abseil and protobuf static initialisers) held the lock for 50–180 ms on our 2-core machines,
and while the preload imported it the window could not repaint or answer a click —
``benchmarks/gui_stalls.py`` showed start-up stalls of 100–180 ms with only 40–60 ms of
GUI-thread CPU in them (issue 12). Started in a thread before the window is built, the
import overlaps the GUI thread's own start-up work and is joined before the first dialog
or window appears, so there is nothing on screen to freeze.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Measured with a 1 ms ticker on the main thread while a worker imported each candidate:
#: only CP-SAT blocked it past ~30 ms (SciPy, polars, pandas, pyqtgraph, SQLAlchemy and
#: psycopg hand the lock back often enough).
LOCK_HOLDING_MODULES = ("ortools.sat.python.cp_model",)


def start_importing(names: tuple[str, ...] = LOCK_HOLDING_MODULES) -> Callable[[], None]:
    """Import ``names`` in a background thread now; returns the call that waits for it."""
    thread = threading.Thread(target=_import, args=(names,), name="native-imports", daemon=True)
    thread.start()
    return thread.join


def _import(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a missing solver is reported by the plugin host, in context
            log.exception("importing %s ahead of the window failed", name)
