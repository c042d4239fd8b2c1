"""Matching like a coordinator: run, lock, swap with a preview, approve, see mentorships."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import MentorshipStatus, ProposalStatus
from mentormatch_desktop.storage.models import Mentorship, Message
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.matching import MatchingView


def _open(qtbot, window: MainWindow) -> MatchingView:
    window.set_ready()
    view = window.screen("matching")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("matching")
    return view


def _introductions(window: MainWindow) -> int:
    with window.context.session() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.kind == "introduction")
        )


def _active_mentorships(window: MainWindow) -> int:
    with window.context.session() as session:
        return session.scalar(
            sa.select(sa.func.count())
            .select_from(Mentorship)
            .where(Mentorship.status == MentorshipStatus.ACTIVE)
        )


def test_run_lock_swap_approve(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    index = view.program_combo.findText("Company Mentoring Program")
    assert index >= 0
    if view.program_combo.currentIndex() != index:
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.program_combo.setCurrentIndex(index)
    assert view.strategy_combo.currentData() == "optimizer"

    with qtbot.waitSignal(view.loaded, timeout=120_000):
        view.run_button.click()
        assert view.progress.isVisible()
    assert view.detail is not None and view.detail.run.open
    n = view.model.rowCount()
    assert n >= 2
    assert "proposed" in view.banner.message.text()
    first = view.model.proposal(0)
    assert first.explanation and first.breakdown

    # lock the first pair
    view.table.selectRow(0)
    with qtbot.waitSignal(view.decided, timeout=10_000):
        view.panel.lock_button.click()
    assert view.model.proposal(0).status == ProposalStatus.LOCKED
    assert view.panel.lock_button.text() == "Unlock"

    # swap the mentors of rows 1 and 2, looking at the score change first
    view.table.selectRow(1)
    a = view.model.proposal(1)
    target = view.panel.swap_with.findData(
        next(p.id for p in view.model.proposals[2:] if p.mentor_id != a.mentor_id)
    )
    view.panel.swap_with.setCurrentIndex(target)
    qtbot.waitUntil(lambda: view.panel.swap_preview is not None, timeout=20_000)
    preview = view.panel.swap_preview
    assert "Total" in view.panel.swap_label.text() or not preview.allowed
    if preview.allowed:
        with qtbot.waitSignal(view.loaded, timeout=20_000):
            view.panel.swap_button.click()
        swapped = next(p for p in view.model.proposals if p.id == a.id)
        assert swapped.mentor_id != a.mentor_id

    # approve: every non-rejected pair becomes a mentorship
    before = _active_mentorships(demo_window)
    introductions_before = _introductions(demo_window)
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.approve(confirm=False)
    assert view.detail.run.status == "approved"
    assert not view.approve_button.isEnabled()
    assert _active_mentorships(demo_window) == before + n
    assert _introductions(demo_window) == introductions_before + n  # same unit of work


def test_compare_strategies_side_by_side(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    dialog = view.open_compare()
    assert dialog is not None
    assert "click Compare" in dialog.empty_hint.text() and dialog.empty_hint.isVisible()
    for name, box in dialog.checks.items():
        box.setChecked(name in ("optimizer", "greedy"))
    with qtbot.waitSignal(dialog.compared, timeout=120_000) as compared:
        dialog.run_button.click()
    rows = compared.args[0]
    assert {r.strategy for r in rows} == {"optimizer", "greedy"}
    assert dialog.table.rowCount() == 2
    assert not dialog.empty_hint.isVisible()
    # rows are named as the checkboxes name them, statuses as words
    shown = {dialog.table.item(r, 0).text() for r in range(2)}
    assert shown == {dialog.checks["optimizer"].text(), dialog.checks["greedy"].text()}
    assert all(dialog.table.item(r, 1).text()[:1].isupper() for r in range(2))
    score = {r.strategy: r.total_score for r in rows}
    assert score["optimizer"] >= score["greedy"] - 1e-6  # optimal never loses to greedy
    dialog.accept()


def test_cancel_a_run(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    runs_before = len(view.runs)
    task = view.run_matching()
    assert view.progress.cancel.isVisible()
    view.progress.cancel.click()  # the coordinator changes their mind at once
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        pass
    assert task.was_cancelled
    assert "cancelled" in view.banner.message.text()
    assert not view.progress.isVisible()
    assert view.run_button.isEnabled()
    # a cancelled run leaves a failed run row with the reason, never proposals
    assert len(view.runs) == runs_before + 1
    assert view.runs[0].status == "failed"
    assert view.detail is None or view.detail.run.status != "failed"  # shows a useful run


def test_opens_on_the_run_worth_reviewing_and_drops_a_stale_banner(
    qtbot, demo_window: MainWindow
) -> None:
    from datetime import UTC, datetime, timedelta

    from mentormatch_desktop.domain.enums import MatchRunStatus
    from mentormatch_desktop.storage.models import MatchRun, Program

    with demo_window.context.session() as session:  # the latest run proposed nothing
        program = session.scalar(
            sa.select(Program).where(Program.name == "Company Mentoring Program")
        )
        session.add(MatchRun(
            program_id=program.id, strategy="optimizer", status=MatchRunStatus.COMPLETED,
            parameters={}, objective={"matched": 0}, solver_status="OPTIMAL", seconds=0.1,
            started_at=datetime.now(UTC) + timedelta(days=1),
        ))  # fmt: skip
        session.commit()
    view = _open(qtbot, demo_window)
    index = view.program_combo.findText("Company Mentoring Program")
    if view.program_combo.currentIndex() != index:
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.program_combo.setCurrentIndex(index)
    assert view.runs[0].matched == 0
    assert view.detail is not None and view.detail.proposals
    assert view.detail.run.id != view.runs[0].id
    assert " · no pairs" in view.run_combo.itemText(0)
    # runs carry the picker's strategy labels, never an internal name
    labels = {view.strategy_combo.itemText(i) for i in range(view.strategy_combo.count())}
    assert any(label in view.run_combo.itemText(0) for label in labels)

    view.banner.show_message("Company Mentoring Program: proposed 3 pairs", "info")
    other = next(i for i in range(view.program_combo.count()) if i != index)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.program_combo.setCurrentIndex(other)
    assert not view.banner.isVisible()


def test_a_rejected_pair_is_not_counted_as_matched() -> None:
    from datetime import UTC, datetime

    from mentormatch_desktop.services.match_records import ProposalView
    from mentormatch_desktop.services.match_runs import RunDetail, RunInfo
    from mentormatch_desktop.ui.views.matching import run_summary, worth_reviewing

    run = RunInfo(1, 1, "optimizer", "approved", "OPTIMAL", datetime(2026, 1, 1, tzinfo=UTC),
                  2, 1.2, 0.5, "", 0.3, False)  # fmt: skip

    def proposal(pid: int, mentee: int, name: str, status: str) -> ProposalView:
        return ProposalView(pid, 1, mentee, name, 90 + pid, f"M{pid}", 0.6, {}, "", status)

    detail = RunDetail(
        run=run,
        proposals=[proposal(1, 11, "Ann", "accepted"), proposal(2, 12, "Bob", "rejected")],
        weights={}, criterion_labels={}, mentees_enrolled=3, unmatched=[(13, "Cy")],
    )  # fmt: skip
    text = run_summary(detail, "Optimal")
    assert "Approved (optimal)" in text
    assert "1 of 3 unpaired mentees matched" in text
    assert "Not matched: Cy, Bob" in text
    assert "mean score 0.60" in text and "solved in 0.30 s" in text
    empty = RunInfo(2, 1, "optimizer", "completed", None, run.started_at, 0, 0, 0, "", 0.1, False)
    assert worth_reviewing([empty, run]) == run.id
    assert worth_reviewing([empty]) == empty.id


def test_a_stale_decision_is_refused_and_the_run_reloaded(qtbot, demo_window: MainWindow) -> None:
    """Another coordinator decided the same proposal first: the loser is told, and sees the
    newer state instead of overwriting it."""
    from mentormatch_desktop.services import matching as matching_service

    view = _open(qtbot, demo_window)
    with qtbot.waitSignal(view.loaded, timeout=120_000):
        view.run_button.click()
    assert view.detail is not None and view.detail.run.open and view.model.rowCount() >= 1
    seen = view.model.proposal(0)
    with demo_window.context.unit_of_work() as ctx:  # the other coordinator, in between
        matching_service.set_proposal_status(ctx, seen.id, "reject", expected_version=seen.version)
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.decide(seen, "accept")
    assert view.banner.kind == "warning"
    assert "reloaded" in view.banner.message.text()
    now = next(p for p in view.model.proposals if p.id == seen.id)
    assert now.status == ProposalStatus.REJECTED and now.version != seen.version


def test_counts_follow_each_decision_and_peers_count_both_sides(
    qtbot, demo_window: MainWindow
) -> None:
    """Rejecting a pair updates the run's counts at once (the summary and what Approve
    will create), not when the run is next loaded; a peer run counts both people."""
    from mentormatch_desktop.ui.views.matching import run_summary

    view = _open(qtbot, demo_window)
    index = view.program_combo.findText("Company Mentoring Program")
    if view.program_combo.currentIndex() != index:
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.program_combo.setCurrentIndex(index)
    with qtbot.waitSignal(view.loaded, timeout=120_000):
        view.run_button.click()
    assert "Awaiting review" in view.run_combo.currentText()
    assert "· completed" not in view.summary.text()
    n = view.model.rowCount()
    assert n >= 2
    assert f"{n} of " in view.summary.text()
    first = view.model.proposal(0)
    with qtbot.waitSignal(view.decided, timeout=10_000):
        view.decide(first, "reject")
    assert f"{n - 1} of " in view.summary.text()
    assert first.mentee_name in view.summary.text().split("Not matched:")[1]
    rejected = [p for p in view.detail.proposals if p.status == ProposalStatus.REJECTED]
    assert [p.id for p in rejected] == [first.id]  # what the approval counts from

    # An approved run says why its decision buttons are greyed out.
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.approve(confirm=False)
    assert not view.panel.accept_button.isEnabled()
    assert "approved" in view.panel.decision_hint.text()

    # A peer run: both people of a pair are peers matched, like the banner counts them.
    from mentormatch_desktop.services.match_records import ProposalView

    pairs = [ProposalView(1, 1, 11, "Ann", 12, "Bea", 0.6, {}, "", "proposed"),
             ProposalView(2, 1, 13, "Cy", 14, "Dee", 0.5, {}, "", "rejected")]  # fmt: skip
    peer = replace(view.detail, proposals=pairs, mentees_enrolled=4, unmatched=[])
    text = run_summary(peer, "Peer", peer=True)
    assert "2 of 4 unpaired peers matched" in text
    assert "Not matched: Cy, Dee" in text


def test_a_rebuilt_breakdown_shows_only_its_own_rows(qtbot) -> None:
    """Selecting another pair rebuilds the breakdown in place: the old rows are hidden at
    once, not left painted under the new ones until they are deleted."""
    from PySide6.QtWidgets import QLabel

    from mentormatch_desktop.ui.views.breakdown import BreakdownPanel

    panel = BreakdownPanel()
    qtbot.addWidget(panel)
    panel.show()
    weights, labels = {"a": 0.6, "b": 0.4}, {"a": "Skill fit", "b": "Goal fit"}
    panel.show_breakdown({"a": 0.1, "b": 0.2}, weights, labels)
    qtbot.waitUntil(lambda: all(w.isVisible() for w in panel.findChildren(QLabel)))
    old = panel.findChildren(QLabel)
    assert len(old) == 6  # swatch, name and figures per criterion
    panel.show_breakdown({"a": 0.9, "b": 0.0}, weights, labels)
    assert not any(w.isVisible() for w in old)  # before the event loop deletes them
    qtbot.waitUntil(lambda: sum(w.isVisible() for w in panel.findChildren(QLabel)) == 6)
