"""The coordinator's "Waiting for a first session" tab: it lists pairs without a session,
nudges the selected one off the GUI thread, and then shows it as recently nudged."""

from __future__ import annotations

import sqlalchemy as sa

from mentormatch_desktop.ui.views.nudges_panel import NudgesPanel
from mentormatch_desktop.ui.views.schedule import ScheduleView


def test_coordinator_sees_waiting_pairs_and_nudges_one(qtbot, demo_window) -> None:
    demo_window.set_ready()
    demo_window.resize(1280, 800)
    view = demo_window.navigate("schedule")
    assert isinstance(view, ScheduleView)
    # the tabs behind the first are built on later event-loop turns (issue 12): the tab
    # appears without anyone asking for it
    qtbot.waitUntil(lambda: not view.drawing(), timeout=10_000)
    assert isinstance(view.nudges, NudgesPanel)
    titles = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert titles == ["Sessions", "Weekly availability", "Time off", "Waiting for a first session"]
    panel = view.nudges
    panel.after_days.setValue(0)
    view.tabs.setCurrentWidget(panel)  # opening the tab loads it on a worker
    qtbot.waitUntil(lambda: panel.pairs is not None and panel.program.count() > 1, timeout=30_000)
    panel.reload()
    qtbot.waitUntil(lambda: bool(panel.pairs), timeout=30_000)
    assert panel.table.rowCount() == len(panel.pairs)
    assert "without a session yet" in panel.summary.text()
    with view.context.engine.connect() as c:
        with_session = set(
            c.scalars(
                sa.text(
                    "SELECT mentorship_id FROM meetings WHERE status NOT IN"
                    " ('cancelled', 'declined')"
                )
            )
        )
    listed = [p.mentorship_id for p in panel.pairs]
    assert listed and not with_session & set(listed)

    assert not panel.nudge_button.isEnabled()  # nothing selected yet
    row = next(i for i, p in enumerate(panel.pairs) if p.may_nudge)
    target = panel.pairs[row].mentorship_id
    panel.table.selectRow(row)
    assert panel.nudge_button.isEnabled()
    panel.nudge_selected()
    qtbot.waitUntil(lambda: "Nudged 1 pair." in view.banner.message.text(), timeout=60_000)
    qtbot.waitUntil(
        lambda: any(p.mentorship_id == target and not p.may_nudge for p in panel.pairs or []),
        timeout=30_000,
    )
    with view.context.engine.connect() as c:
        kinds = c.scalars(
            sa.text(
                "SELECT m.kind FROM messages m JOIN threads t ON t.id = m.thread_id"
                " WHERE t.mentorship_id = :m AND m.kind = 'nudge'"
            ),
            {"m": target},
        ).all()
    assert kinds == ["nudge"]
    row = next(i for i, p in enumerate(panel.pairs) if p.mentorship_id == target)
    assert "(recently)" in panel.table.item(row, 4).text()
    panel.table.clearSelection()
    panel.table.selectRow(row)
    assert not panel.nudge_button.isEnabled()  # the same pair is not nudged twice
    view.grab().save("/tmp/nudges_tab.png")


def test_nudges_tab_follows_each_programs_policy(qtbot, demo_window) -> None:
    """By default the tab uses each program's own "nudge pairs after" and cooldown."""
    import os

    from mentormatch_desktop.services.programs import NudgePolicy, get_program, update_program
    from mentormatch_desktop.ui.views.nudges_panel import PROGRAM_SETTING

    context = demo_window.context
    with context.engine.connect() as c:
        program = c.scalar(
            sa.text("SELECT program_id FROM mentorships WHERE status = 'active' LIMIT 1")
        )
    with context.unit_of_work() as ctx:
        data = get_program(ctx, program).to_input()
        data.nudges = NudgePolicy(after_days=0, cooldown_days=30)
        update_program(ctx, program, data)
    demo_window.set_ready()
    demo_window.resize(1280, 800)
    view = demo_window.navigate("schedule")
    qtbot.waitUntil(lambda: not view.drawing(), timeout=10_000)  # the tab is built a turn later
    panel = view.nudges
    assert isinstance(panel, NudgesPanel)
    assert panel.after_days.value() == PROGRAM_SETTING
    assert panel.after_days.text() == "program's setting"
    view.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.pairs is not None and panel.program.count() > 1, timeout=30_000)
    panel.program.setCurrentIndex(panel.program.findData(program))  # reloads on a worker
    qtbot.waitUntil(
        lambda: bool(panel.pairs) and {p.program_id for p in panel.pairs} == {program},
        timeout=30_000,
    )
    assert {p.cooldown_days for p in panel.pairs} == {30}
    assert "at most once in 30 days" in panel.summary.text()
    if os.environ.get("MM_SHOTS"):
        qtbot.wait(200)
        demo_window.grab().save(os.path.join(os.environ["MM_SHOTS"], "nudges-tab.png"))
