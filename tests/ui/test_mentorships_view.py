"""Mentorships screen: health and at-risk filter, end and re-match with a reason."""

from __future__ import annotations

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.mentorships import MentorshipsView


def _open(qtbot, window: MainWindow) -> MentorshipsView:
    window.set_ready()
    view = window.screen("mentorships")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("mentorships")
    return view


def test_at_risk_filter_end_and_rematch(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    active = view.model.rowCount()
    assert active > 0 and all(r.status == MentorshipStatus.ACTIVE for r in view.model.rows)

    with qtbot.waitSignal(view.loaded, timeout=30_000):  # a 1:1 program: mentors have seats
        view.program_combo.setCurrentIndex(view.program_combo.findText("Company Mentoring Program"))
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.at_risk.setChecked(True)
    risky = view.model.rows
    assert risky and all(r.at_risk for r in risky)
    assert view.model.index(0, 8).data().startswith("At risk")
    assert "at risk" in view.count_label.text()

    # end the first at-risk pairing; a missing reason is refused first
    view.table.selectRow(0)
    target = view.selected()
    dialog = view.end_selected()
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.reason.property("invalid") is True
    dialog.reason.setPlainText("Mentor left the company")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        dialog.ok_button.click()
    assert target.id not in {r.id for r in view.model.rows}

    # re-match an active pairing of the program to the best suggested mentor
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.at_risk.setChecked(False)
    view.table.selectRow(0)
    old = view.selected()
    dialog = view.rematch_selected()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=30_000)
    chosen = dialog.candidates[0]
    dialog.reason.setPlainText("No shared availability")
    with qtbot.waitSignal(view.changed, timeout=30_000):
        dialog.ok_button.click()
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.show_all()
    rows = {r.id: r for r in view.model.rows}
    assert rows[old.id].status == MentorshipStatus.ENDED_EARLY
    assert rows[old.id].end_reason == "Re-matched: No shared availability"
    assert any(
        r.mentee_id == old.mentee_id
        and r.mentor_id == chosen.mentor_id
        and r.status == MentorshipStatus.ACTIVE
        for r in rows.values()
    )


def _row(**changes):
    from datetime import UTC, datetime

    from mentormatch_desktop.services.mentorships import MentorshipRow

    values = dict(
        id=1, program_id=1, program="P", mentor_id=2, mentor="Mo", mentee_id=3, mentee="Em",
        status=MentorshipStatus.ACTIVE, started_at=datetime(2026, 3, 2, tzinfo=UTC),
        ended_at=None, last_activity_at=datetime(2026, 9, 7, tzinfo=UTC), days_silent=86,
        sessions_held=0, milestones_done=0, milestones_total=0, milestones_overdue=0,
        match_score=0.5, end_reason="",
    )  # fmt: skip
    values.update(changes)
    return MentorshipRow(**values)


def test_a_paused_pair_is_not_on_track(qtbot) -> None:
    from PySide6.QtCore import Qt

    from mentormatch_desktop.ui import theme
    from mentormatch_desktop.ui.models.mentorships import MentorshipsTableModel, health_text

    paused = _row(status=MentorshipStatus.PAUSED)
    assert health_text(paused) == "Paused"
    assert health_text(_row()) == "On track"
    model = MentorshipsTableModel()
    model.set_rows([paused])
    colour = model.index(0, 8).data(Qt.ItemDataRole.ForegroundRole)
    assert colour.name().lower() != theme.current().success.lower()


def test_last_activity_is_always_a_date_with_the_age_on_hover(qtbot) -> None:
    from PySide6.QtCore import Qt

    from mentormatch_desktop.ui.models.mentorships import MentorshipsTableModel

    model = MentorshipsTableModel()
    model.set_rows([_row(), _row(id=2, days_silent=None, status=MentorshipStatus.COMPLETED)])
    assert model.index(0, 5).data() == "7 Sep 2026"
    assert model.index(1, 5).data() == "7 Sep 2026"
    assert model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole) == "7 Sep 2026 · 86 days ago"
    assert model.index(0, 4).data() == "2 Mar 2026"


def test_status_and_program_are_readable_and_one_is_singular(
    qtbot, demo_window: MainWindow
) -> None:
    """ "Ended early" and the demo's program names fit their columns (they read "End…rly"
    and "Peer Lea… Circles"), and one pairing is "1 mentorship"."""
    view = _open(qtbot, demo_window)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.status_combo.setCurrentIndex(0)  # all statuses
    metrics = view.table.fontMetrics()
    padding = 2 * view.table.style().pixelMetric(
        view.table.style().PixelMetric.PM_FocusFrameHMargin
    )
    for column in (2, 3):  # Program, Status
        widest = max(metrics.horizontalAdvance(str(view.model.index(r, column).data()))
                     for r in range(view.model.rowCount()))  # fmt: skip
        assert widest + padding + 8 <= view.table.columnWidth(column), column
    view.show_ids([view.model.row(0).id])
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=30_000)
    assert (
        view.count_label.text().startswith("1 mentorship")
        and "mentorships" not in view.count_label.text()
    )


def test_rematch_in_a_peer_program_speaks_of_peers(qtbot, demo_window: MainWindow) -> None:
    """A peer program has no mentors: Re-match… offers another peer for the person, by
    name, where it said "New mentor" and "Score with this mentee"."""
    from PySide6.QtWidgets import QLabel

    view = _open(qtbot, demo_window)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.program_combo.setCurrentIndex(view.program_combo.findText("Peer Learning Circles"))
    view.table.selectRow(0)
    row = view.selected()
    assert row is not None and row.peer
    dialog = view.rematch_selected()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0 or "free seat." in dialog.hint.text(),
                    timeout=20_000)  # fmt: skip
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert f"New peer for {row.mentee}" in texts
    assert headers == ["Peer", "Score", "Free seats"]
    metrics = dialog.table.horizontalHeader().fontMetrics()
    for c, text in enumerate(headers):  # no header cut off
        assert metrics.horizontalAdvance(text) + 16 <= dialog.table.columnWidth(c), text
    assert not any(
        "mentor" in text.lower() for text in [*texts, *headers] if row.mentor not in text
    )
    dialog.reject()
