"""Fixtures for the pytest-qt suite: a context on the test database, a main window, seed data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.config import Settings
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Mentorship, Message
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import sign_in
from mentormatch_desktop.ui.workers import running_tasks


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
def org(ui_context: AppContext, ui_seed) -> dict[str, int]:
    return ui_seed.seed_small_org(ui_context.engine)


@pytest.fixture
def window(qtbot, ui_context: AppContext, qsettings: QSettings) -> MainWindow:
    win = MainWindow(ui_context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    # Deliver what is already queued first: a connection error still on its way from an
    # earlier test's worker goes to the newest window's handler, and arriving after
    # mark_connected it turned this fresh window to "Not connected" (seen in full CI runs).
    wait_idle(30)
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


# -- a 10,000-message thread (the Inbox's paging and search-jump tests) ------------------
TOTAL = 10_000
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def big_thread(db_url: str, shared_plugin_host: PluginHost, ui_seed) -> Iterator[tuple[str, dict]]:
    """Ada mentors Alan and Mary; Ada and Alan's thread holds 10,000 messages, every tenth
    pair sharing one timestamp (so only the id orders them)."""
    owner = create_engine(db_url)
    ids = ui_seed.seed_small_org(owner)
    with transaction(owner) as s:
        for mentee in ("alan", "mary"):
            m = Mentorship(
                program_id=ids["program"],
                mentor_id=ids["ada"],
                mentee_id=ids[mentee],
                started_at=START,
            )
            s.add(m)
            s.flush()
            ids[f"mentorship_{mentee}"] = m.id
    with unit_of_work(owner, plugins=shared_plugin_host) as ctx:
        ids["thread"] = inbox.ensure_mentorship_thread(ctx, ids["mentorship_alan"]).id
    rows = []
    for i in range(TOTAL):
        minute = i - (1 if i % 10 == 1 else 0)  # message 1, 11, 21 … ties with the one before
        rows.append(
            {
                "thread_id": ids["thread"],
                "sender_id": ids["ada"] if i % 3 else ids["alan"],
                "kind": "text",
                "body": f"message {i}" + (" — see https://example.org/n" if i % 50 == 0 else ""),
                "created_at": START + timedelta(minutes=minute),
                "fanout_pending": False,
            }
        )
    with owner.begin() as c:
        c.execute(sa.insert(Message), rows)
        c.execute(
            sa.text("UPDATE threads SET last_message_at = :t WHERE id = :i"),
            {"t": rows[-1]["created_at"], "i": ids["thread"]},
        )
    yield db_url, ids
    owner.dispose()


@pytest.fixture
def alan(big_thread, main_windows, shared_plugin_host: PluginHost):
    url, _ids = big_thread
    signed = sign_in(url, as_email="alan@example.org")
    window = main_windows(
        signed, plugin_host=shared_plugin_host, settings="alan@example.org.ini", size=(1280, 800)
    )
    yield window
    main_windows.close(window)
