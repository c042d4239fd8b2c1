"""Suite-wide settings. Fixtures come from ``mentormatch_desktop.testing`` (a pytest11 plugin)."""

import gc
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
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


# -- the app's main window as someone signed in (UI and security tests) -----------------
class MainWindows:
    """Opens main windows the way the app does once someone is signed in, and closes them.

    ``open(signed)`` takes what :func:`~mentormatch_desktop.ui.sign_in.sign_in` returns (a
    real login, its engine and identity); ``open(url, identity=...)`` a local database and
    who is acting. Every window is shown, connected and ready; ``close(window)`` ends one
    early (a test that signs in as someone else next), the fixture closes the rest.
    """

    def __init__(self, qtbot: Any, folder: Any) -> None:
        self.qtbot, self.folder = qtbot, folder
        self.opened: list[Any] = []

    def open(
        self,
        signed: Any,
        *,
        identity: Any = None,
        plugin_host: Any = None,
        settings: str = "s.ini",
        size: tuple[int, int] | None = None,
    ) -> Any:
        from PySide6.QtCore import QSettings

        from mentormatch_desktop.config import Settings
        from mentormatch_desktop.plugin.host import PluginHost
        from mentormatch_desktop.ui.context import AppContext
        from mentormatch_desktop.ui.main_window import MainWindow

        plugin_host = plugin_host or PluginHost()
        if isinstance(signed, str):  # a local database: the identity says who acts
            context = AppContext(
                Settings(database_url=signed),
                plugin_host=plugin_host,
                identity=identity,
            )
        else:
            context = AppContext(
                Settings(database_url=signed.url),
                engine=signed.engine,
                identity=signed.identity,
                plugin_host=plugin_host,
            )
        ini = QSettings(str(self.folder / settings), QSettings.Format.IniFormat)
        window = MainWindow(context, settings=ini)
        self.qtbot.addWidget(window)
        if size is not None:
            window.resize(*size)
        window.show()
        context.mark_connected()
        window.set_ready()
        self.opened.append(window)
        return window

    __call__ = open

    def close(self, window: Any) -> None:
        """Close the window (stopping its live inbox), let its workers finish, then close
        its database connections."""
        from mentormatch_desktop.ui.screenshots import wait_idle

        if window in self.opened:
            self.opened.remove(window)
        window.close()
        wait_idle(30)
        window.context.close()


@pytest.fixture
def main_windows(qtbot: Any, tmp_path: Any) -> Iterator[MainWindows]:
    """:class:`MainWindows` for the test; windows still open at its end are closed."""
    windows = MainWindows(qtbot, tmp_path)
    yield windows
    for window in list(windows.opened):
        windows.close(window)


@pytest.fixture(scope="session")
def ui_seed() -> Any:
    """``tests/ui/seed.py``: the small organisation (and a pair's life) that UI, service and
    security tests build on. The test folders are not packages, so it is loaded by path,
    once, here (each test file used to load its own copy)."""
    path = Path(__file__).resolve().parent / "ui" / "seed.py"
    spec = importlib.util.spec_from_file_location("mm_test_seed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
