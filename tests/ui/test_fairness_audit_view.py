"""Matching → Audit…: the fairness audit of the selected run, flagged groups highlighted."""

from __future__ import annotations

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from mentormatch_desktop.domain.enums import EnrolmentRole, EnrolmentStatus
from mentormatch_desktop.storage.models import Enrolment, MatchProposal, Person
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.fairness_dialog import FLAG_COLUMN, FairnessAuditDialog
from mentormatch_desktop.ui.views.matching import MatchingView


def _open(qtbot, window: MainWindow) -> MatchingView:
    window.set_ready()
    view = window.screen("matching")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.navigate("matching")
    return view


def _put_unmatched_in_one_region(window: MainWindow, run_id: int, program_id: int) -> None:
    """A region made only of the mentees the run left unpaired: a gap the audit must flag."""
    proposed = sa.select(MatchProposal.mentee_id).where(MatchProposal.run_id == run_id)
    unpaired = sa.select(Enrolment.person_id).where(
        Enrolment.program_id == program_id,
        Enrolment.role == EnrolmentRole.MENTEE,
        Enrolment.status == EnrolmentStatus.ACTIVE,
        Enrolment.person_id.not_in(proposed),
    )
    with window.context.session() as session:
        # eighty late enrolments the run never saw: a cohort big enough for a significant gap
        enrolled = sa.select(Enrolment.person_id).where(Enrolment.program_id == program_id)
        late = session.scalars(
            sa.select(Person.id).where(Person.id.not_in(enrolled)).order_by(Person.id).limit(80)
        ).all()
        session.add_all(
            Enrolment(program_id=program_id, person_id=pid, role=EnrolmentRole.MENTEE)
            for pid in late
        )
        session.flush()
        left_out = sorted(session.scalars(unpaired))
        session.execute(sa.update(Person).where(Person.id.in_(left_out[1:])).values(region="North"))
        # the paired mentees and one more: at least five people, most of them matched
        others = sa.or_(Person.id.in_(proposed), Person.id == left_out[0])
        session.execute(sa.update(Person).where(others).values(region="South"))
        session.commit()


def test_audit_of_the_selected_run(qtbot, demo_window: MainWindow) -> None:
    view = _open(qtbot, demo_window)
    index = view.program_combo.findText("Company Mentoring Program")
    if view.program_combo.currentIndex() != index:
        with qtbot.waitSignal(view.loaded, timeout=30_000):
            view.program_combo.setCurrentIndex(index)
    assert view.detail is not None and view.audit_button.isEnabled()
    run_id = view.detail.run.id
    _put_unmatched_in_one_region(demo_window, run_id, view.detail.run.program_id)
    dialog = view.open_audit()
    assert isinstance(dialog, FairnessAuditDialog) and dialog.run_id == run_id
    qtbot.addWidget(dialog)
    assert dialog.busy.isVisible()  # loading in a worker, the window stays responsive
    with qtbot.waitSignal(dialog.loaded, timeout=60_000) as loaded:
        pass
    audit = loaded.args[0]
    assert audit.run_id == run_id
    assert not dialog.busy.isVisible()
    table = dialog.table
    assert table.rowCount() == len(audit.groups)
    assert {table.item(r, 0).text() for r in range(table.rowCount())} >= {
        "Department", "Region", "Role",
    }  # fmt: skip
    for r, g in enumerate(audit.groups):
        assert table.item(r, 1).text() == g.group
        assert table.item(r, 4).text() == f"{g.match_rate:.0%}"

    # the region made of unpaired mentees is flagged, highlighted and says why
    north = next(
        r for r, g in enumerate(audit.groups) if (g.dimension, g.group) == ("region", "North")
    )
    assert north in dialog.flagged_rows()
    assert "below four fifths" in table.item(north, FLAG_COLUMN).text()
    assert "below four fifths" in table.item(north, 1).toolTip()
    warn = QColor(theme.current().warning_soft)
    assert table.item(north, 1).background().color() == warn
    flagged = {(audit.groups[r].dimension, audit.groups[r].group) for r in dialog.flagged_rows()}
    assert flagged == {(g.dimension, g.group) for g in audit.gaps}
    south = next(r for r, g in enumerate(audit.groups) if g.group == "South")
    assert south not in dialog.flagged_rows()
    assert table.item(south, 1).background().style() == Qt.BrushStyle.NoBrush
    assert dialog.banner.isVisible() and "North" in dialog.banner.message.text()
