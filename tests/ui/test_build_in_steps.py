"""Screens build and draw in steps, one per event-loop turn (issue 12: no GUI stall over
100 ms): the queue really yields between steps, a loaded answer waits for the widgets it
fills, and a screen built in steps still shows its content once shown."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QCoreApplication, QTimer

from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.steps import StepQueue


def test_one_step_per_event_loop_turn(qtbot) -> None:
    queue = StepQueue()
    ran: list[str] = []
    # a timer queued now fires in the turn after the first step: events are served
    # between two steps, not after the last one
    QTimer.singleShot(0, lambda: ran.append("event"))
    for name in ("a", "b", "c"):
        queue.add(lambda name=name: ran.append(name))
    assert queue.pending() and ran == []
    with qtbot.waitSignal(queue.finished, timeout=5_000):
        pass
    assert ran.index("event") < ran.index("c")
    assert [r for r in ran if r != "event"] == ["a", "b", "c"]
    assert not queue.pending()


def test_after_runs_at_once_when_idle_and_in_order_when_busy(qtbot) -> None:
    queue = StepQueue()
    ran: list[str] = []
    queue.after(lambda: ran.append("now"))
    assert ran == ["now"]
    queue.add(lambda: ran.append("built"))
    queue.after(lambda: ran.append("shown"))
    assert ran == ["now"]
    queue.run_all()
    assert ran == ["now", "built", "shown"]


def test_participants_built_in_steps_show_their_rows(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = window.screen("participants")
    assert view.drawing()  # the table is not built in the constructor
    assert not hasattr(view, "table")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.set_ready()
    assert not view.drawing()
    assert view.pages.currentWidget() is view.table
    assert view.model.rowCount() == 5
    names = {view.model.index(r, 0).data() for r in range(view.model.rowCount())}
    assert "Ada Lovelace" in names
    assert view.frozen.isVisible()  # the frozen name column came with the table


def test_programs_editor_built_in_steps_fills_the_selected_program(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    window.set_ready()
    view = window.screen("programs")
    assert view.drawing() and not hasattr(view, "name")
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.navigate("programs")
    assert not view.drawing()
    assert view.list.count() == 1
    assert view.name.text() == view.programs[0].name  # the form was filled after its build
    assert view.sliders.weights()  # the criteria reached the sliders built on a later turn


def test_matching_builds_table_then_panel(qtbot, window: MainWindow, org: dict[str, int]) -> None:
    window.set_ready()
    view = window.screen("matching")
    assert view.drawing() and not hasattr(view, "panel")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("matching")
    assert not view.drawing()
    assert view.review_page.indexOf(view.panel) == 1  # the panel sits right of the table
    assert view.pages.indexOf(view.no_runs) >= 0


def test_dashboard_filter_draws_each_panel_on_its_own_turn(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    window.set_ready()
    view = window.screen("dashboard")
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        window.navigate("dashboard")
    before = {name: panel.frame for name, panel in view.panels.items()}
    assert len(before) == 12
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.period_combo.setCurrentIndex(1)  # last 30 days
    # every panel got the new data (a new frame object), drawn on separate turns
    assert all(view.panels[name].frame is not before[name] for name in before)
    assert not view.drawing()


def test_a_loaded_answer_waits_for_the_widgets_it_fills(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = window.screen("participants")
    assert view.drawing()
    seen: list[bool] = []
    finished = threading.Event()

    def work() -> int:
        finished.set()
        return 1

    view.run(work, on_success=lambda _r: seen.append(hasattr(view, "table")))
    # the answer is posted before any build step could run: no events are served here
    assert finished.wait(10)
    time.sleep(0.2)
    QCoreApplication.processEvents()  # posted answers are delivered before timers fire
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen == [True]


def test_profile_editor_builds_its_tabs_in_steps_then_fills_them(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = window.screen("participants")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.set_ready()
    editor = view.open_profile(org["grace"])
    assert editor.tabs.count() == 1  # Details first; the other tabs follow
    with qtbot.waitSignal(editor.loaded, timeout=10_000):
        pass
    titles = [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
    assert titles == ["Details", "Skills and goals", "Languages and availability",
                      "Programs and constraints"]  # fmt: skip
    assert editor.full_name.text() == "Grace Hopper"
    assert editor.skills.rowCount() >= 1  # filled on the tab built on a later turn
    assert editor.collect().skills  # what Save would write includes them
    editor.reject()
