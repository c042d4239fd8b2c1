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


def test_plugins_view_says_what_is_installed_without_commands(qtbot, window: MainWindow) -> None:
    window.set_ready()
    view = window.navigate("plugins")
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=10_000)
    host = window.context.plugins
    text = view.summary.text()
    assert f"{len(host.strategies())} matching strategies" in text
    if not host.calendar_connectors():
        assert "no calendar connector installed" in text
    if not host.messaging_channels():
        assert "no messaging channel installed" in text
    notes = [view.table.item(r, 6).text() for r in range(view.table.rowCount())]
    assert not any("--" in note or "mentormatch " in note for note in notes), notes


def test_a_loaded_plugin_that_added_nothing_is_not_shown_as_fine(qtbot, window: MainWindow) -> None:
    """A plugin that loaded but registered nothing (say semantic fit without its extra)
    is marked Inactive with a warning, and counted in the summary; it used to read
    "Loaded" with a green tick next to a note saying it was not available."""
    from dataclasses import replace

    from mentormatch_desktop.ui.views.plugins import PluginRow, plugin_rows, registered_nothing

    window.set_ready()
    view = window.navigate("plugins")
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=10_000)
    rows = plugin_rows(window.context.plugins)
    criteria = next(r for r in rows if "register_match_criteria" in r.info.hooks and r.provides)
    idle = PluginRow(replace(criteria.info, note="the optional extra is not installed"), [])
    others = [r for r in rows if r is not criteria]
    view._show_rows([idle, *others])
    assert view.table.item(0, 0).text() == "Inactive"
    assert view.table.item(0, 6).text() == "the optional extra is not installed"
    expected = 1 + sum(1 for r in others if registered_nothing(r))  # semantic, without torch
    assert f"{expected} added nothing (see Notes)" in view.summary.text()
    for r, row in enumerate(others, start=1):
        assert view.table.item(r, 0).text() == ("Inactive" if registered_nothing(row) else "Loaded")
