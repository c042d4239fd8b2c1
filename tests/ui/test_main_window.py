"""Main window: navigation, remembered screen and geometry, and surviving a lost database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QSettings

from mentormatch_desktop.config import Settings
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.main_window import MainWindow


def test_navigation_lists_the_installed_screens_and_remembers_the_last(
    qtbot, window: MainWindow, qsettings: QSettings, ui_context: AppContext
) -> None:
    keys = window.keys()
    assert keys[:2] == ["programs", "participants"] and "plugins" in keys
    window.set_ready()
    assert window.current_key() == "participants"  # the first start opens Participants
    window.navigation.setCurrentRow(keys.index("plugins"))
    assert window.stack.currentWidget() is window.screens["plugins"]
    window.resize(1000, 700)
    closed_size = window.size()
    window.close()
    assert qsettings.value("main/geometry") is not None
    assert qsettings.value("main/last_screen") == "plugins"

    again = MainWindow(ui_context, settings=qsettings)
    qtbot.addWidget(again)
    again.set_ready()
    assert again.current_key() == "plugins"
    assert again.height() == closed_size.height() != 860  # restored, not the default size


def test_status_bar_names_the_database(window: MainWindow, ui_context: AppContext) -> None:
    assert window.database_label.text() == ui_context.database_label()
    # Both ways, driven here: the state the fixture left may already have been changed by
    # an earlier test's late connection error (they reach the newest window's handler).
    ui_context.mark_unreachable("the server does not answer")
    assert window.connection_label.text() == "● Not connected"
    ui_context.mark_connected()
    assert window.connection_label.text() == "● Connected"


def test_unreachable_database_shows_a_banner_and_reconnects(
    qtbot, tmp_path: Path, qsettings: QSettings, shared_plugin_host
) -> None:
    missing_dir = tmp_path / "not-yet"
    url = f"sqlite:///{missing_dir / 'db.sqlite3'}"  # SQLite cannot create a file here
    context = AppContext(Settings(database_url=url), plugin_host=shared_plugin_host)
    win = MainWindow(context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    task = win.reconnect()
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert not context.connected
    assert win.banner.isVisible()
    assert "Cannot reach the database" in win.banner.message.text()
    assert "Traceback" not in win.banner.message.text()
    assert win.connection_label.text() == "● Not connected"

    missing_dir.mkdir()  # the "server" is back
    with qtbot.waitSignal(win.reconnected, timeout=20_000):
        win.banner.button.click()
    assert context.connected
    assert not win.banner.isVisible()
    assert win.current_key() == "participants"  # opened now that the database answers
    context.close()


def test_a_closed_window_stops_checking_the_database(
    qtbot, tmp_path: Path, qsettings: QSettings, shared_plugin_host
) -> None:
    """A closed window's retry timer kept firing until the object was deleted, and each
    failed check went to the app-wide error handler, by then another window's: the next
    window opened said "Not connected" on a database that answered (seen in CI)."""
    url = f"sqlite:///{tmp_path / 'not-yet' / 'db.sqlite3'}"  # cannot be created
    context = AppContext(Settings(database_url=url), plugin_host=shared_plugin_host)
    win = MainWindow(context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    task = win.reconnect()
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert win._retry_timer.isActive()  # unreachable: it retries while open
    win.close()
    assert not win._retry_timer.isActive()
    assert win.reconnect() is None
    context.close()


def test_keyboard_shortcuts_switch_screens(qtbot, window: MainWindow) -> None:
    window.set_ready()
    keys = window.keys()
    target = keys.index("plugins") + 1
    from PySide6.QtCore import Qt

    qtbot.keyClick(window, str(target), Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "plugins"


def test_a_shared_database_behind_the_app_is_explained_never_migrated(
    qtbot, empty_db_url: str, qsettings: QSettings, shared_plugin_host
) -> None:
    if empty_db_url.startswith("sqlite"):
        pytest.skip("the embedded database is the app's own and is migrated on start")
    from mentormatch_desktop.ui.startup import start

    context = AppContext(Settings(database_url=empty_db_url), plugin_host=shared_plugin_host)
    win = MainWindow(context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    task = start(win, fill_demo=False)
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    assert not context.connected and win.banner.isVisible()
    text = win.banner.message.text()
    assert (
        "schema does not match" in text
        and "this version needs" in text
        and "mentormatch db upgrade" in text
    )
    retry = win.reconnect()  # a reconnect checks again and still migrates nothing
    qtbot.waitUntil(lambda: retry.done, timeout=20_000)
    assert not context.connected
    assert sa.inspect(context.engine).get_table_names() == []
    context.close()


def test_the_database_is_opened_after_the_window_has_painted(
    qtbot, ui_context: AppContext, qsettings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The opening worker waits for the first paint, the preload for the first screen:
    running beside them, a Python worker made each paint several times slower (issue 12)."""
    from PySide6.QtCore import QEvent, QObject

    from mentormatch_desktop.ui import startup

    events: list[str] = []
    prepare = startup.prepare_database

    def recording_prepare(*args, **kwargs):
        events.append("opening work")
        return prepare(*args, **kwargs)

    monkeypatch.setattr(startup, "prepare_database", recording_prepare)

    class PaintSpy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and "paint" not in events:
                events.append("paint")
            return False

    win = MainWindow(ui_context, settings=qsettings)
    qtbot.addWidget(win)
    spy = PaintSpy(win)
    win.installEventFilter(spy)
    win.show()
    task = startup.start(win, fill_demo=False)
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    assert events[:2] == ["paint", "opening work"]
    qtbot.waitUntil(lambda: win.current_key() is not None, timeout=20_000)
    screen = win.screen(win.current_key())
    qtbot.waitUntil(lambda: startup.screen_settled(win), timeout=20_000)
    assert not screen.drawing()


def test_the_preload_waits_until_the_loaded_first_screen_has_painted(
    qtbot, ui_context: AppContext, org: dict[str, int], qsettings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The first poll that finds the screen settled can come right after its rows arrived,
    before the filled table is painted; a preload started then competed with that paint
    for the interpreter lock (a 156 ms stall on 20,000 people, issue 12)."""
    from PySide6.QtCore import QEvent, QObject

    from mentormatch_desktop.ui import startup

    events: list[str] = []
    imports = startup.import_modules

    def recording_imports(names):
        if len(names) > 1:  # the preload's list, not the opening work's first screen
            events.append("preload")
        return imports(names)

    monkeypatch.setattr(startup, "import_modules", recording_imports)

    win = MainWindow(ui_context, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    startup.start(win, fill_demo=False)
    qtbot.waitUntil(lambda: win.current_key() == "participants", timeout=20_000)
    screen = win.screen("participants")

    class PaintSpy(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and screen.model.rowCount():
                events.append("rows painted")
            return False

    spy = PaintSpy(screen.table.viewport())
    screen.table.viewport().installEventFilter(spy)
    qtbot.waitUntil(lambda: "preload" in events, timeout=20_000)
    assert "rows painted" in events
    assert events.index("rows painted") < events.index("preload")


def test_settled_means_settled_at_two_polls_in_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from mentormatch_desktop.ui import startup

    answers = iter([True, False, True, True, True])
    monkeypatch.setattr(startup, "screen_settled", lambda window: next(answers))
    ready = startup.settled_and_painted(None)  # type: ignore[arg-type]
    assert [ready() for _ in range(5)] == [False, False, False, True, True]
