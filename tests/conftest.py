"""Suite-wide settings. Fixtures come from ``mentormatch_desktop.testing`` (a pytest11 plugin)."""

import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest

# Qt widgets are tested offscreen: running `pytest` by hand on a desktop or on a headless
# machine must behave like `make test` (without this, Qt would try a display and abort).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """Widget tests run as the app does (``ui/gc_policy.py``): no automatic collection while
    background tasks may run, one collection in the GUI thread once they have all finished.
    A collection triggered in a pool thread could destroy a widget there and crash."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        from mentormatch_desktop.ui.screenshots import wait_idle

        wait_idle(30)
        gc.collect()
        gc.enable()


# -- calendar fixtures shared by tests/calendar and the UI tests of calendars ------------
@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    """An in-memory OS keyring for the test, the previous one restored afterwards."""
    import keyring

    from mentormatch_plugins.calendar.testserver import MemoryKeyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def cloud() -> Iterator[Any]:
    """The local server speaking Google Calendar's and Microsoft Graph's REST subset."""
    from mentormatch_plugins.calendar.testserver import start_cloud

    with start_cloud() as c:
        yield c
