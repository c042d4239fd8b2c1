"""The Dashboard on a small window: nothing cut off at the right edge, tiles readable."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea

from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.dashboard import DashboardView


def test_charts_and_tiles_fit_a_small_window(qtbot, demo_window: MainWindow) -> None:
    """At 1100×700 three columns of charts needed about 970 pixels of an 830-pixel page
    (the third column and the last tile were cut off, "Completion" read "Completio");
    the page now takes two columns and two rows of tiles, and three again when wide."""
    demo_window.set_ready()
    dashboard = demo_window.screen("dashboard")
    assert isinstance(dashboard, DashboardView)
    demo_window.setFixedSize(1100, 700)
    with qtbot.waitSignal(dashboard.loaded, timeout=60_000):
        demo_window.navigate("dashboard")
    qtbot.waitUntil(lambda: not dashboard.drawing(), timeout=60_000)
    scroll = dashboard.findChild(QScrollArea)
    content = scroll.widget()
    assert dashboard.columns == 2
    assert content.minimumSizeHint().width() <= scroll.viewport().width()
    for name, panel in dashboard.panels.items():  # every chart inside the page
        right = panel.mapTo(content, panel.rect().topRight()).x()
        assert right <= scroll.viewport().width(), name
    for tile in dashboard.tiles.values():
        label = tile.label
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), label.text()

    # Made wide while another screen is shown (as the screenshot mode does): the page
    # was still laid out for the narrow window when the Dashboard came back, so it kept
    # two columns at 1440 pixels.
    demo_window.navigate("programs")
    demo_window.setFixedSize(1440, 900)
    demo_window.navigate("dashboard")
    qtbot.waitUntil(lambda: dashboard.columns == 3, timeout=5_000)
    # one row of tiles again, once the layout has run
    qtbot.waitUntil(lambda: len({t.geometry().top() for t in dashboard.tiles.values()}) == 1)
