"""The mentorship detail page: opened by double-click and Enter, shows every section, acts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.services.mentorship_detail import mentorship_detail
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.mentorship_detail import (
    SECTIONS,
    DetailSection,
    MentorshipDetailDialog,
    register_section,
)
from mentormatch_desktop.ui.views.mentorship_dialogs import RematchDialog
from mentormatch_desktop.ui.views.mentorships import MentorshipsView


def _open(qtbot, window: MainWindow) -> MentorshipsView:
    window.set_ready()
    view = window.screen("mentorships")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("mentorships")
    return view


def _busiest_row(view: MentorshipsView) -> int:
    return max(range(view.model.rowCount()), key=lambda i: view.model.row(i).sessions_held)


def _texts(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def test_double_click_opens_the_detail_not_rematch(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    row = _busiest_row(view)
    view.table.selectRow(row)
    index = view.model.index(row, 0)
    view.table.scrollTo(index)
    centre = view.table.visualRect(index).center()
    # a real double-click: press/release, then the double-click event on the same cell
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    dialogs = view.findChildren(MentorshipDetailDialog)
    assert len(dialogs) == 1, "double-click opens exactly one detail page"
    assert not view.findChildren(RematchDialog), "double-click must not start a re-match"
    dialog = dialogs[0]
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
    expected = view.model.row(row)
    assert dialog.detail.id == expected.id
    for key in ("people", "why", "history", "sessions", "goals", "feedback", "activity"):
        assert key in dialog.cards, f"section {key} missing"
    text = _texts(dialog)
    assert expected.mentee in text and expected.mentor in text
    assert expected.sessions_held > 0
    assert f"{plural(expected.sessions_held, 'session')} held" in text
    # the local coordinator (SQLite) or the owner (PostgreSQL) is nobody the pair could
    # reply to: disabled, and the tooltip says how to become someone on this database
    assert not dialog.message_button.isEnabled()
    tip = dialog.message_button.toolTip()
    sqlite = demo_window.context.engine.dialect.name == "sqlite"
    assert ("--as YOUR-EMAIL" if sqlite else "mentormatch org grant") in tip, tip
    assert dialog.end_button.isEnabled() and dialog.rematch_button.isEnabled()
    dialog.close()


def test_enter_opens_the_detail(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    view.table.setFocus()
    view.table.selectRow(0)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    dialogs = view.findChildren(MentorshipDetailDialog)
    assert len(dialogs) == 1
    qtbot.waitUntil(lambda: dialogs[0].detail is not None, timeout=30_000)
    dialogs[0].close()


def test_detail_service_reads_sessions_goals_and_feedback(demo_context) -> None:
    """The demo's busiest pairing: counts in the detail agree with the table's row."""
    from mentormatch_desktop.services.mentorships import list_mentorships

    with demo_context.unit_of_work() as ctx:
        rows = list_mentorships(ctx)
        row = max(rows, key=lambda r: (r.sessions_held, r.milestones_total))
        detail = mentorship_detail(ctx, row.id)
    assert detail.sessions_held == row.sessions_held
    milestones = sum(len(g.milestones) for g in detail.goals) + len(detail.loose_milestones)
    assert milestones == row.milestones_total
    assert detail.history[0].label == "Started"
    assert len(detail.activity) == 26 and sum(n for _, n in detail.activity) >= 0
    assert detail.mentee.name == row.mentee and detail.mentor.name == row.mentor
    assert detail.mentee.role in ("Mentee", "Peer A")


def test_ended_mentorship_cannot_be_ended_again(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.status_combo.setCurrentIndex(view.status_combo.findData(MentorshipStatus.COMPLETED))
    assert view.model.rowCount() > 0
    view.table.selectRow(0)
    dialog = view.open_detail()
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
    assert not dialog.end_button.isEnabled() and not dialog.rematch_button.isEnabled()
    assert "active or paused" in dialog.end_button.toolTip()
    assert dialog.cards["history"] is not None
    assert "Completed" in _texts(dialog.cards["history"])
    dialog.close()


def test_other_areas_can_add_a_section(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    added = DetailSection("messages", "Messages", 1, lambda d: QLabel(f"{d.mentee.name} wrote"))
    register_section(added, before="sessions")
    try:
        view.table.selectRow(0)
        dialog = view.open_detail()
        qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
        assert "messages" in dialog.cards
        assert f"{dialog.detail.mentee.name} wrote" in _texts(dialog.cards["messages"])
        dialog.close()
    finally:
        SECTIONS[:] = [s for s in SECTIONS if s.key != "messages"]


def test_status_line_says_since_only_for_an_active_pair() -> None:
    """ "Paused since <start>" read as if the pair had paused the day it began."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from mentormatch_desktop.domain.enums import MentorshipStatus
    from mentormatch_desktop.services.mentorship_detail import MentorshipDetail
    from mentormatch_desktop.ui.views.mentorship_detail import status_and_dates

    fields = {f: None for f in MentorshipDetail.__dataclass_fields__}
    fields.update(status=MentorshipStatus.ACTIVE, started_at=datetime(2026, 3, 2, tzinfo=UTC))
    detail = MentorshipDetail(**fields)
    assert status_and_dates(detail) == "Active since 2 Mar 2026"
    paused = replace(detail, status=MentorshipStatus.PAUSED)
    assert status_and_dates(paused) == "Paused · started 2 Mar 2026"
