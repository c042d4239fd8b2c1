"""The participants screen: empty state, loading, filtering and searching like a user."""

from __future__ import annotations

from mentormatch_desktop.domain.enums import SkillDirection
from mentormatch_desktop.services import profiles
from mentormatch_desktop.services.profiles import SkillEntry, SlotEntry
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.participants import ParticipantsView


def _open(qtbot, window: MainWindow) -> ParticipantsView:
    view = window.screen("participants")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.set_ready()
    return view


def test_empty_database_offers_import_and_demo(qtbot, window: MainWindow) -> None:
    view = _open(qtbot, window)
    assert view.pages.currentWidget() is view.empty
    assert view.empty.title.text() == "No participants yet"
    assert "Import" in view.empty.text.text()


def test_load_demo_fills_the_empty_database_in_one_unit_of_work(
    qtbot, window: MainWindow, monkeypatch
) -> None:
    from mentormatch_desktop.services import demo

    view = _open(qtbot, window)
    real = demo.fill_demo
    monkeypatch.setattr(
        demo, "fill_demo", lambda ctx, **kw: real(ctx, **{**kw, "participants": 40})
    )
    task = view.load_demo()
    qtbot.waitUntil(lambda: task.done, timeout=120_000)
    with window.context.unit_of_work() as ctx:
        from mentormatch_desktop.services import directory

        assert directory.people_count(ctx) == 40


def test_filters_and_search(qtbot, window: MainWindow, org: dict[str, int]) -> None:
    view = _open(qtbot, window)
    assert view.pages.currentWidget() is view.table
    assert view.model.rowCount() == 5
    assert view.count_label.text() == "5 participants"

    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.role_combo.setCurrentIndex(view.role_combo.findText("Mentors"))
    assert {view.model.index(r, 0).data() for r in range(view.model.rowCount())} == {
        "Ada Lovelace",
        "Grace Hopper",
    }
    assert view.count_label.text() == "2 of 5 participants"

    view.set_search("sql")  # matches a skill column, in memory
    assert view.model.rowCount() == 1
    assert view.model.person_id(0) == org["ada"]

    view.set_search("nobody-like-this")
    assert view.pages.currentWidget() is view.no_results
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.clear_filters()
    assert view.model.rowCount() == 5


def test_sorting_by_a_column(qtbot, window: MainWindow, org: dict[str, int]) -> None:
    view = _open(qtbot, window)
    view.table.sortByColumn(2, view.table.horizontalHeader().sortIndicatorOrder().DescendingOrder)
    departments = [view.model.index(r, 2).data() for r in range(view.model.rowCount())]
    assert departments == sorted(departments, reverse=True)


def test_edit_a_profile_with_a_validation_error_then_fix_it(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = _open(qtbot, window)
    row = view.model.row_of(org["grace"])
    editor = view.open_profile(view.model.person_id(row))
    qtbot.waitUntil(editor.save_button.isEnabled, timeout=10_000)
    assert editor.full_name.text() == "Grace Hopper"

    editor.email.setText("grace-at-example")
    editor.tabs.setCurrentIndex(1)
    editor._add_skill(SkillEntry("Basket weaving", SkillDirection.TEACH, 4))
    editor.save_button.click()
    assert editor.isVisible()  # nothing saved
    assert editor.email.property("invalid") is True
    assert "E-mail" in editor.banner.message.text()
    assert "Skill 2" in editor.banner.message.text()
    assert editor.tabs.currentIndex() == 0  # the first problem's tab

    editor.email.setText("grace.hopper@example.org")
    editor.skills.removeRow(1)
    editor._add_language("fr", "working")
    editor._add_slot(SlotEntry(2, 18 * 60, 1440))  # Wednesday evening until midnight
    with (
        qtbot.waitSignal(view.loaded, timeout=10_000),
        qtbot.waitSignal(editor.saved, timeout=10_000),
    ):
        editor.save_button.click()
    view.set_search("grace.hopper@")
    assert view.model.rowCount() == 1
    with window.context.unit_of_work() as ctx:
        saved = profiles.load_profile(ctx, org["grace"])
    assert saved.languages == [("fr", "working")]
    assert [(s.weekday, s.start_minute, s.end_minute) for s in saved.availability] == [
        (2, 1080, 1440)
    ]
    assert [e.role for e in saved.enrolments] == ["mentor"]


def test_export_writes_the_import_format(
    qtbot, window: MainWindow, org: dict[str, int], tmp_path
) -> None:
    view = _open(qtbot, window)
    target = tmp_path / "out.csv"
    task = view.export(target)
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("external_id,email,full_name")
    assert len(lines) == 6
    assert "Exported 5 participants" in view.count_label.text()


def test_skill_merges_dialog_opens(qtbot, window: MainWindow, org: dict[str, int]) -> None:
    view = _open(qtbot, window)
    dialog = view.open_skill_merges()
    assert dialog.isVisible()
    dialog.reject()


def _text_fits(button) -> bool:
    """The button's whole text (and its icon) fits inside it."""
    if not button.text():
        return True
    metrics = button.fontMetrics()
    need = metrics.horizontalAdvance(button.text()) + button.iconSize().width() + 8
    return need <= button.contentsRect().width()


def _buttons(view: ParticipantsView):
    return [view.import_button, view.export_button, view.merges_button, view.new_button]


def test_header_buttons_fit_a_900_px_window(qtbot, window: MainWindow) -> None:
    """At 900 px the header buttons were cut ("New particip…"): they now show their icons
    only, with their words in the tooltip; on a wide window the words come back."""
    view = _open(qtbot, window)
    assert window.navigate("participants") is view
    narrow = 900  # below the window's minimum, as a window manager may make it
    window.setMinimumSize(600, 500)
    window.resize(narrow, 700)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5_000)
    assert window.width() == narrow
    qtbot.wait(100)  # let the header lay out its compact buttons
    window.grab().save("/tmp/participants_900.png")
    right = window.mapToGlobal(window.rect().topRight()).x()
    for button in _buttons(view):
        assert _text_fits(button), button.text()
        assert button.mapToGlobal(button.rect().topRight()).x() <= right  # not off-screen
    new = view.new_button
    assert new.text() == "" and "New participant" in new.toolTip()
    assert not new.icon().isNull()
    assert "Skill merges" in view.merges_button.toolTip()
    assert "look like the same skill" in view.merges_button.toolTip()

    window.resize(1440, 900)
    qtbot.waitUntil(
        lambda: (
            view.new_button.text() == "New participant"
            and all(_text_fits(b) for b in _buttons(view))
        ),
        timeout=5_000,
    )
    window.grab().save("/tmp/participants_1440.png")
    for button in _buttons(view):
        assert button.text() and _text_fits(button), button.text()
    assert view.merges_button.toolTip() == "Review skills that look like the same skill spelt twice"
