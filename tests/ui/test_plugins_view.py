"""The plugins screen lists every plugin with its status."""

from __future__ import annotations

from mentormatch_desktop.ui.main_window import MainWindow


def test_plugins_view_lists_builtins(qtbot, window: MainWindow) -> None:
    window.set_ready()
    view = window.navigate("plugins")
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=10_000)
    host = window.context.plugins
    names = {view.table.item(r, 1).text() for r in range(view.table.rowCount())}
    assert names == {p.name for p in host.plugins()}
    builtins = [p for p in host.plugins() if p.builtin]
    assert builtins, "built-ins come through entry points"
    row = [view.table.item(r, 1).text() for r in range(view.table.rowCount())].index(
        builtins[0].name
    )
    assert view.table.item(row, 0).text() == "Loaded"
    assert view.table.item(row, 2).text() == "Built-in"
    assert "all loaded" in view.summary.text() or "failed" in view.summary.text()
