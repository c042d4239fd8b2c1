"""Tables read at a glance (issue 12): the name column stays when the table scrolls
sideways, chosen columns are remembered, cut cells show their text on hover, a search
says why a row matched, proposals can be searched and sorted, peer programs say Peer A /
Peer B, and the Matching side panel folds so it fits a small window."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from mentormatch_desktop.domain.enums import ProgramKind
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.models.mentorships import HEALTH_COLUMN
from mentormatch_desktop.ui.models.participants import MATCH_COLUMN
from mentormatch_desktop.ui.tables import is_elided
from mentormatch_desktop.ui.views.matching import MatchingView
from mentormatch_desktop.ui.views.participants import ParticipantsView


def _participants(qtbot, window: MainWindow) -> ParticipantsView:
    view = window.screen("participants")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.set_ready()
    window.navigate("participants")
    qtbot.waitUntil(lambda: view.table.isVisible(), timeout=10_000)
    return view


def _matching(qtbot, window: MainWindow) -> MatchingView:
    window.set_ready()
    view = window.screen("matching")
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        window.navigate("matching")
    return view


def test_names_stay_in_view_when_the_table_scrolls_sideways(qtbot, demo_window: MainWindow) -> None:
    demo_window.resize(1280, 800)
    view = _participants(qtbot, demo_window)
    frozen = view.frozen
    assert frozen.isVisible() and frozen.model() is view.table.model()
    bar = view.table.horizontalScrollBar()
    assert bar.maximum() > 0  # the columns are wider than the window: it scrolls
    before = frozen.geometry()
    bar.setValue(bar.maximum())
    qtbot.wait(20)
    # The table's own name column scrolled away; the frozen one did not move.
    assert view.table.columnViewportPosition(0) < 0
    after = frozen.geometry()
    assert (after.x(), after.y(), after.width()) == (before.x(), before.y(), before.width())
    assert frozen.isVisible()
    assert frozen.columnWidth(0) == view.table.columnWidth(0)
    first = frozen.model().index(0, 0)
    assert frozen.visualRect(first).left() >= 0
    assert first.data() == view.model.data(view.model.index(0, 0))
    # Selecting in the frozen column selects the row of the table (one selection model).
    assert frozen.selectionModel() is view.table.selectionModel()


def test_chosen_columns_are_remembered(
    qtbot, demo_window: MainWindow, demo_context, qsettings: QSettings
) -> None:
    view = _participants(qtbot, demo_window)
    email = 1
    assert not view.table.isColumnHidden(email)
    menu = view.columns.menu()
    names = [a.text() for a in menu.actions() if a.isCheckable()]
    assert names[:3] == ["Name", "E-mail", "Department"] and "Matched on" not in names
    next(a for a in menu.actions() if a.text() == "E-mail").setChecked(False)
    assert view.table.isColumnHidden(email)
    qsettings.sync()

    # A new window on the same settings opens the table as the user left it.
    again = MainWindow(demo_context, settings=qsettings)
    qtbot.addWidget(again)
    again.show()
    view2 = _participants(qtbot, again)
    assert view2.table.isColumnHidden(email)
    assert not view2.table.isColumnHidden(0)  # the name can never be hidden
    again.close()


def test_cut_cells_show_their_whole_text_on_hover(qtbot, demo_window: MainWindow) -> None:
    view = _participants(qtbot, demo_window)
    teaches = 7
    view.table.setColumnWidth(teaches, 60)
    index = view.model.index(0, teaches)
    assert len(index.data()) > 10
    assert is_elided(view.table, QStyleOptionViewItem(), index)
    view.table.setColumnWidth(teaches, 2000)
    assert not is_elided(view.table, QStyleOptionViewItem(), index)


def test_search_says_where_each_person_matched(qtbot, demo_window: MainWindow) -> None:
    view = _participants(qtbot, demo_window)
    assert view.table.isColumnHidden(MATCH_COLUMN)  # only while searching
    view.set_search("python")
    assert view.model.rowCount() > 0
    assert not view.table.isColumnHidden(MATCH_COLUMN)
    assert view.table.horizontalHeader().visualIndex(MATCH_COLUMN) == 1  # next to the name
    for row in range(view.model.rowCount()):
        why = view.model.data(view.model.index(row, MATCH_COLUMN))
        assert "python" in why.lower(), why
        assert why.split(":")[0] in {"Name", "E-mail", "Department", "Title", "Teaches",
                                     "Wants to learn"}  # fmt: skip
    view.set_search("")
    assert view.table.isColumnHidden(MATCH_COLUMN)


def test_health_sits_next_to_the_names_and_is_not_cut(qtbot, demo_window: MainWindow) -> None:
    demo_window.resize(1280, 800)
    demo_window.set_ready()
    view = demo_window.screen("mentorships")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        demo_window.navigate("mentorships")
    head = view.table.horizontalHeader()
    assert head.visualIndex(HEALTH_COLUMN) == 2
    assert (
        view.table.columnViewportPosition(HEALTH_COLUMN) + view.table.columnWidth(HEALTH_COLUMN)
        <= view.table.viewport().width()
    )
    assert view.frozen.isVisible()


def test_proposals_search_and_sort(qtbot, demo_window: MainWindow) -> None:
    view = _matching(qtbot, demo_window)
    total = view.model.rowCount()
    assert total > 3
    scores = [view.model.proposal(r).score for r in range(total)]
    view.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    shown = [float(view.proxy.index(r, 2).data()) for r in range(view.proxy.rowCount())]
    assert shown == sorted(round(s, 2) for s in scores)
    # Selecting the first row of the sorted table shows that proposal, not the run's first.
    view.table.selectRow(0)
    lowest = min(range(total), key=lambda r: view.model.proposal(r).score)
    assert view.panel.proposal.score == view.model.proposal(lowest).score

    name = view.model.proposal(0).mentee_name
    view.set_search(name.split()[0])
    assert 1 <= view.proxy.rowCount() < total
    assert all(
        name.split()[0].lower()
        in (view.proxy.index(r, 0).data() + view.proxy.index(r, 1).data()).lower()
        for r in range(view.proxy.rowCount())
    )
    assert f"of {total:,} pairs" in view.shown_label.text()
    view.set_search("")
    assert view.proxy.rowCount() == total


def test_peer_programs_say_peer_a_and_peer_b(qtbot, demo_window: MainWindow) -> None:
    view = _matching(qtbot, demo_window)
    peer = next(p for p in view.programs if p.kind == ProgramKind.PEER)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.program_combo.setCurrentIndex(view.program_combo.findData(peer.id))
    headers = [view.proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(2)]
    assert headers == ["Peer A", "Peer B"]
    assert view.panel.swap_section.button.text() == "Swap partners"
    other = next(p for p in view.programs if p.kind != ProgramKind.PEER)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.program_combo.setCurrentIndex(view.program_combo.findData(other.id))
    headers = [view.proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(2)]
    assert headers == ["Mentee", "Mentor"]
    assert view.panel.swap_section.button.text() == "Swap mentors"

    mentorships = demo_window.screen("mentorships")
    with qtbot.waitSignal(mentorships.loaded, timeout=30_000):
        demo_window.navigate("mentorships")
    model = mentorships.model
    peer_rows = [r for r in model.all_rows if r.peer]
    assert peer_rows and len(peer_rows) < len(model.all_rows)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Mentee / Peer A"
    model.set_rows(peer_rows)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Peer B"


def test_side_panel_folds_to_fit_a_small_window(
    qtbot, demo_window: MainWindow, qsettings: QSettings
) -> None:
    demo_window.resize(1280, 900)
    view = _matching(qtbot, demo_window)
    panel = view.panel
    assert panel.proposal is not None
    viewport = panel.viewport()

    def below_the_fold(widget) -> bool:
        return widget.mapTo(viewport, QPoint(0, widget.height())).y() > viewport.height()

    # Folding the breakdown brings "Explain" and "Why not this pair?" into view.
    panel.breakdown_title.set_expanded(False)
    qtbot.wait(50)
    assert not panel.breakdown.isVisible()
    assert not below_the_fold(panel.why_button)
    assert not below_the_fold(panel.pair_why_section.button)
    assert qsettings.value("matching/section_breakdown") == "folded"
    panel.breakdown_title.set_expanded(True)
    assert qsettings.value("matching/section_breakdown") == "open"

    # The whole panel folds away too, giving the table the width.
    view.set_details_shown(False)
    assert not panel.isVisible() and view.details_button.text() == "Show details"
    view.set_details_shown(True)
    assert panel.isVisible()
