"""Dashboard click-through: a clicked bar opens the Mentorships screen on exactly its pairs."""

from __future__ import annotations

from mentormatch_desktop.ui.charts.drill import MentorshipListDialog
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.dashboard import DashboardView
from mentormatch_desktop.ui.views.mentorships import MentorshipsView


def test_a_clicked_bar_shows_its_mentorships_with_a_clearable_chip(
    qtbot, demo_window: MainWindow
) -> None:
    demo_window.set_ready()
    dashboard = demo_window.screen("dashboard")
    assert isinstance(dashboard, DashboardView)
    with qtbot.waitSignal(dashboard.loaded, timeout=60_000):
        demo_window.navigate("dashboard")
    funnel = dashboard.panels["funnel"]
    mentorships = demo_window.screen("mentorships")
    assert isinstance(mentorships, MentorshipsView)
    with (
        qtbot.waitSignal(funnel.drill_down) as clicked,
        qtbot.waitSignal(mentorships.loaded, timeout=30_000),
    ):
        funnel.clicked_at(10.0, 2.0)  # third bar: pairs that held a first session
    ids = clicked.args[1]
    assert ids and len(set(ids)) == len(ids)

    assert demo_window.current_key() == "mentorships"
    assert demo_window.stack.currentWidget() is mentorships
    shown = {row.id for row in mentorships.model.rows}
    assert shown == set(ids)  # exactly those, ended ones included (not only "active")
    assert len({row.status for row in mentorships.model.rows}) > 1
    assert mentorships.chip.isVisible()
    assert mentorships.chip.label.text() == f"Showing {len(ids):,} mentorships from the dashboard"
    assert not dashboard.findChildren(MentorshipListDialog)  # no pop-up list instead

    # narrowing further keeps the drill-down; clearing the chip drops only it
    with qtbot.waitSignal(mentorships.loaded, timeout=30_000):
        mentorships.at_risk.setChecked(True)
    assert {row.id for row in mentorships.model.rows} <= set(ids)
    with qtbot.waitSignal(mentorships.loaded, timeout=30_000):
        mentorships.at_risk.setChecked(False)
    with qtbot.waitSignal(mentorships.loaded, timeout=30_000):
        mentorships.chip.clear_button.click()
    assert not mentorships.chip.isVisible()
    assert mentorships.filter.ids is None
    assert {row.id for row in mentorships.model.rows} > set(ids)
