"""Fixtures for the pytest-qt suite: a context on the test database, a main window, seed data."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.config import Settings
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.workers import running_tasks


def _load_seed():
    spec = importlib.util.spec_from_file_location("mm_ui_seed", Path(__file__).with_name("seed.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session", autouse=True)
def themed(qapp: QApplication) -> None:
    """The app's look, applied once as the app does at start-up."""
    theme.apply_theme(qapp, "light")


@pytest.fixture(autouse=True)
def no_worker_left() -> Iterator[None]:
    """Fail the test that leaves a background task running (as napari does for threads):
    a leaked worker would finish during a later test and touch its widgets or database."""
    yield
    if not wait_idle(30):
        pytest.fail(f"{running_tasks()} background task(s) still running 30 s after the test")


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(scope="session")
def shared_plugin_host() -> PluginHost:
    """Loading plugins imports the solvers; once per session keeps the UI suite quick."""
    return PluginHost().load()


def _drain(context: AppContext) -> None:
    """Let the context's workers finish before its engine goes; fail if one never does."""
    idle = wait_idle(30)
    context.close()
    if not idle:
        pytest.fail(f"{running_tasks()} background task(s) outlived the test's context")


@pytest.fixture
def ui_context(db_url: str, shared_plugin_host: PluginHost) -> Iterator[AppContext]:
    context = AppContext(Settings(database_url=db_url), plugin_host=shared_plugin_host)
    yield context
    _drain(context)


@pytest.fixture
def org(ui_context: AppContext) -> dict[str, int]:
    return _load_seed().seed_small_org(ui_context.engine)


@pytest.fixture
def window(qtbot, ui_context: AppContext, qsettings: QSettings) -> MainWindow:
    win = MainWindow(ui_context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    ui_context.mark_connected()
    return win


@pytest.fixture
def demo_context(demo_db_url: str, shared_plugin_host: PluginHost) -> Iterator[AppContext]:
    """A context on a copy of the demo organisation (one per test, both backends)."""
    context = AppContext(Settings(database_url=demo_db_url), plugin_host=shared_plugin_host)
    yield context
    _drain(context)


@pytest.fixture
def demo_window(qtbot, demo_context: AppContext, qsettings: QSettings) -> MainWindow:
    win = MainWindow(demo_context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    demo_context.mark_connected()
    return win


@pytest.fixture
def open_schedule(main_windows, shared_plugin_host: PluginHost):
    """Open the app as a participant (``--as`` on the test's database) on the Schedule
    screen, loaded: ``open_schedule(url, person, name)`` gives (context, window, view)."""
    from mentormatch_desktop.services.identity import Identity
    from mentormatch_desktop.ui.views.schedule import ScheduleView

    def open_(
        url: str,
        person: int,
        name: str,
        *,
        settings: str = "s.ini",
        size: tuple[int, int] | None = None,
    ):
        window = main_windows(
            url,
            identity=Identity("local", "participant", person, name),
            plugin_host=shared_plugin_host,
            settings=settings,
            size=size,
        )
        view = window.navigate("schedule")
        assert isinstance(view, ScheduleView)
        main_windows.qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
        return window.context, window, view

    return open_
