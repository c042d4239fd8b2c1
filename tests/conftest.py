"""Suite-wide settings. Fixtures come from ``mentormatch_desktop.testing`` (a pytest11 plugin)."""

import gc
import os
from collections.abc import Iterator

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
