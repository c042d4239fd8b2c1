"""``mentormatch-desktop --screenshots DIR``: a PNG of every main screen, taken offscreen."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.workers import running_tasks

SIZE = (1440, 900)


def wait_idle(timeout: float = 180.0) -> bool:
    """Process events until no background task is running (or ``timeout`` seconds pass)."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout
    quiet_passes = 0
    while time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if running_tasks() == 0:
            quiet_passes += 1
            if quiet_passes >= 5:  # queued results delivered and nothing new started
                return True
        else:
            quiet_passes = 0
            time.sleep(0.01)
    return False


def wait_drawn(widget: object, timeout: float = 120.0) -> None:
    """Also wait for a screen that draws in steps after its data arrived (the dashboard)."""
    drawing = getattr(widget, "drawing", None)
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while callable(drawing) and drawing() and app is not None and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def take_screenshots(
    window: MainWindow, directory: Path, *, fill_demo: bool, size: tuple[int, int] = SIZE
) -> list[Path]:
    """Open the database, then show each screen, wait for its data, and save a PNG
    (``size``: the window's width and height, to check a screen on a small window)."""
    from mentormatch_desktop.ui.startup import start

    directory.mkdir(parents=True, exist_ok=True)
    window.show()
    window.setFixedSize(*size)  # the same size whatever the (virtual) screen
    start(window, fill_demo=fill_demo)
    wait_idle()
    paths = []
    for index, key in enumerate(window.keys(), start=1):
        window.navigate(key)
        wait_idle()
        screen = window.screen(key)
        wait_drawn(screen)
        extra = getattr(screen, "prepare_screenshot", None)
        if callable(extra):
            extra()
            wait_idle()
        path = directory / f"{index:02d}-{key}.png"
        window.grab().save(str(path))
        paths.append(path)
        extras = getattr(screen, "screenshot_extras", None)
        if callable(extras):  # dialogs a screen opens (editor, wizard…)
            for name, open_widget in extras():
                widget = open_widget()
                wait_idle()
                wait_drawn(widget)  # a dialog that builds and fills in steps
                extra_path = directory / f"{index:02d}-{key}-{name}.png"
                widget.grab().save(str(extra_path))
                widget.close()
                paths.append(extra_path)
    return paths
