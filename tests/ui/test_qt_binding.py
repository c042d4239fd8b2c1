"""The Qt binding itself: guards against binding bugs that crash long sessions at random."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_alive() -> None:
    """PySide6 6.12.0 on Python 3.11 decrements None's reference count on every call of a
    C++ method returning void. Thousands of calls later None is "deallocated" and the
    process aborts (in the GC, at exit, anywhere): the crashes seen under ``pytest -n 2``."""
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2_000):
        obj.setObjectName("probe")
    assert sys.getrefcount(None) - before > -100  # noise from the interpreter, not -2,000
