"""Matching → "Why not this pair?": pick a mentee and the mentor you expected, read the cost."""

from __future__ import annotations

import pytest

from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.matching import MatchingView


def _open(qtbot, window: MainWindow) -> MatchingView:
    window.set_ready()
    view = window.screen("matching")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("matching")
    index = view.program_combo.findText("Company Mentoring Program")
    if view.program_combo.currentIndex() != index:
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.program_combo.setCurrentIndex(index)
    return view


def test_why_not_a_specific_mentor(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    box = view.panel.pair_why
    detail = view.detail
    assert detail is not None and len(detail.proposals) >= 2
    assert {pid for pid, _ in detail.mentees} >= {p.mentee_id for p in detail.proposals}
    assert {pid for pid, _ in detail.mentors} >= {p.mentor_id for p in detail.proposals}

    view.table.selectRow(0)  # the pair on screen preselects its mentee
    first = view.model.proposal(0)
    assert box.mentee.currentData() == first.mentee_id
    expected = next(p for p in detail.proposals if p.mentor_id != first.mentor_id)
    box.mentor.setCurrentIndex(box.mentor.findData(expected.mentor_id))
    with qtbot.waitSignal(box.answered, timeout=60_000) as reply:
        box.ask_button.click()
    answer = reply.args[0]
    assert (answer.mentee_id, answer.mentor_id) == (first.mentee_id, expected.mentor_id)

    with demo_window.context.unit_of_work() as ctx:  # the same answer as the service's
        direct = matching_service.why_not(ctx, detail.run.id, first.mentee_id, expected.mentor_id)
    assert (answer.possible, answer.delta_matched) == (direct.possible, direct.delta_matched)
    assert answer.delta_total == pytest.approx(direct.delta_total)
    shown = box.result.text()
    if answer.possible:
        assert f"Δ matched {answer.delta_matched:+d}" in shown
        assert f"Δ total score {answer.delta_total:+.3f}" in shown
    else:
        assert "cannot be matched" in shown
    for obstacle in answer.obstacles:
        assert obstacle.split()[0] in shown
    assert box.ask_button.isEnabled()


def test_typing_a_name_nobody_has_asks_for_a_real_choice(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    box = view.panel.pair_why
    box.mentor.setEditText("Nobody Byname")
    assert box.ask() is None
    assert "Pick a mentee and a mentor" in box.result.text()
