"""Python's cyclic garbage collector, run only in the GUI thread.

CPython collects cycles in whichever thread happens to cross the allocation threshold. In
this app that is often a pool thread (a query, an import, a solve), and a cycle it frees
may hold a widget or another ``QObject``: Qt objects destroyed outside their thread crash
the process (CI saw a segmentation fault while a pool thread was compiling a query). So the
app switches automatic collection off before the first worker starts and collects on a
GUI-thread timer instead, as calibre and pyqtgraph do; pyqtgraph's ``GarbageCollector`` does
the timing (it is imported with the charts, off the GUI thread, by the start-up preload).

The same module sets how soon the GUI thread gets the interpreter lock back from a worker
(:func:`favour_gui_thread`): both are interpreter policies the app sets once at start-up.
"""

from __future__ import annotations

import gc
from typing import Any

_collector: Any = None


def stop_automatic_collection() -> None:
    """Before any worker thread starts: no collection runs until the GUI timer does it."""
    gc.disable()


def collect_in_gui_thread(interval_s: float = 1.0) -> None:
    """Start collecting on a timer of the calling (GUI) thread; idempotent."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        # Everything allocated so far (the modules the start-up preload imported, their
        # classes and tables) lives as long as the app. With automatic collection off it
        # all sat in the youngest generation, and the timer's first collection walked
        # hundreds of thousands of objects on the GUI thread (a stall of 100 ms and more,
        # issue 12). Freezing moves them out of every generation at once, as the CPython
        # documentation suggests for long-lived start-up state.
        gc.freeze()

        _collector = GarbageCollector(interval=interval_s)


def stop_collecting_in_gui_thread() -> None:
    """Back to CPython's automatic collection (tests; a host application embedding a view)."""
    global _collector
    if _collector is not None:
        _collector.timer.stop()
        _collector = None
    gc.enable()


#: How long a thread may hold the interpreter lock while another waits for it (seconds).
#: CPython's default is 5 ms. Every time Qt calls back into Python (a paint, a delegate, a
#: slot) the GUI thread must take the lock back from a busy worker; with a worker in pure
#: Python each hand-over cost up to 5 ms, and a screen repaint with a few dozen callbacks
#: stalled for hundreds of milliseconds while a query or an import ran (issue 12).
GUI_SWITCH_INTERVAL_S = 0.001


def favour_gui_thread() -> None:
    """Let the GUI thread win the interpreter lock back from workers within ~1 ms."""
    import sys

    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
