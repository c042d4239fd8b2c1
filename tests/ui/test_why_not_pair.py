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


def test_a_full_mentor_is_named_with_the_reason(qtbot, demo_window: MainWindow) -> None:
    import sqlalchemy as sa

    from mentormatch_desktop.domain.enums import EnrolmentRole, MentorshipStatus
    from mentormatch_desktop.storage.models import Enrolment, Mentorship

    view = _open(qtbot, demo_window)
    box = view.panel.pair_why
    detail = view.detail
    assert detail is not None and detail.run.open  # an open run leaves full mentors out
    with demo_window.context.session() as session:
        running = dict(
            session.execute(
                sa.select(Mentorship.mentor_id, sa.func.count())
                .where(Mentorship.program_id == detail.run.program_id,
                       Mentorship.status.in_([MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED]))
                .group_by(Mentorship.mentor_id)
            ).all()
        )  # fmt: skip
        capacity = dict(
            session.execute(
                sa.select(Enrolment.person_id, Enrolment.capacity).where(
                    Enrolment.program_id == detail.run.program_id,
                    Enrolment.role == EnrolmentRole.MENTOR,
                )
            ).all()
        )
    full = [pid for pid, cap in capacity.items() if running.get(pid, 0) >= cap]
    names = dict(detail.mentors)
    full = [pid for pid in full if pid in names]
    if not full:
        pytest.skip("no full mentor in this demo program")
    box.mentee.setCurrentIndex(0)
    box.mentor.setCurrentIndex(box.mentor.findData(full[0]))
    with qtbot.waitSignal(box.failed, timeout=60_000):
        box.ask_button.click()
    text = box.result.text()
    assert names[full[0]] in text and "no free seat" in text
    assert f"person {full[0]}" not in text


def test_the_answer_says_each_thing_once() -> None:
    from mentormatch_desktop.services.match_analysis import WhyNotAnswer
    from mentormatch_desktop.ui.views.why_not_pair import describe

    reason = "they work in the same department"
    answer = WhyNotAnswer(1, 2, 3, False, f"They cannot be matched: {reason}.",
                          obstacles=[reason], solved_with="rules")  # fmt: skip
    shown = describe(answer, "Ann", "Bo")
    assert shown.count(reason) == 1
    assert "Ann cannot be matched with Bo" in shown
