"""Programs screen: create a program (after fixing a validation error), move a weight slider."""

from __future__ import annotations

from mentormatch_desktop.domain.enums import ProgramKind
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.programs import ProgramsView


def _open(qtbot, window: MainWindow) -> ProgramsView:
    window.set_ready()
    view = window.screen("programs")
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        window.navigate("programs")
    return view


def test_empty_state_then_create_a_program(qtbot, window: MainWindow) -> None:
    view = _open(qtbot, window)
    assert view.pages.currentWidget() is view.empty

    view.new_button.click()
    assert view.pages.currentWidget() is view.main_page
    view.save_button.click()  # no name yet
    assert view.name.property("invalid") is True
    assert "Name" in view.banner.message.text()

    view.name.setText("Peer circles 2026")
    view.kind.setCurrentIndex(view.kind.findData(ProgramKind.PEER))
    assert view.group_size.isVisible()
    view.group_size.setValue(3)
    view.cross_share_on.setChecked(True)
    view.cross_share.setValue(40)
    with qtbot.waitSignal(view.loaded, timeout=20_000):  # saved, then the list reloads
        view.save_button.click()
    assert [p.name for p in view.programs] == ["Peer circles 2026"]
    saved = view.programs[0]
    assert saved.kind == ProgramKind.PEER and saved.group_size == 3
    assert saved.constraints.min_cross_department_share == 0.4
    assert saved.weights_version == 1
    assert view.list.count() == 1


def test_weight_slider_updates_the_ranking_preview(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = _open(qtbot, window)
    with qtbot.waitSignal(view.preview.updated, timeout=60_000):
        pass  # the first preview of the selected program
    assert view.preview.table.rowCount() == 3  # three mentees, each with a best mentor
    caption = view.preview.caption.text()
    assert "Unmatched mentees only" in caption
    assert "First choice changes" not in caption  # no slider has moved yet
    assert "Move a slider" in caption
    slider = next(iter(view.sliders.sliders.values()))
    with qtbot.waitSignal(view.preview.updated, timeout=60_000):
        slider.setValue(slider.maximum())
    assert "mean best score" in view.preview.caption.text()
    assert view.form_input().weights[next(iter(view.sliders.sliders))] == 2.0

    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.save_button.click()
    assert view.programs[0].weights_version == 1  # the seed had none: the save is version 1
    assert view.programs[0].weights[next(iter(view.sliders.sliders))] == 2.0


def test_learned_weights_dialog_opens_for_the_selected_program(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    view = _open(qtbot, window)
    dialog = view.open_weights_review()
    assert dialog is not None and dialog.isVisible()
    assert dialog.program_id == org["program"]
    # Without the semantic extra the line says so in sentences, not "fit. the 'semantic'"
    from mentormatch_desktop.matching.embeddings import semantic_status

    if not semantic_status().available:
        qtbot.waitUntil(lambda: "not available" in dialog.text_label.text(), timeout=10_000)
        text = dialog.text_label.text()
        assert "Semantic fit is not available: The " in text and ". the " not in text
        assert not dialog.switch_button.isEnabled() and dialog.switch_button.toolTip()
    dialog.reject()


def test_after_new_program_the_old_card_loads_again_and_learning_waits_for_a_save(
    qtbot, window: MainWindow, org: dict[str, int]
) -> None:
    from PySide6.QtCore import Qt

    view = _open(qtbot, window)
    name = view.programs[0].name
    assert view.learn_button.isEnabled()
    view.new_button.click()
    assert view.name.text() == "" and view.current_id is None
    assert not view.learn_button.isEnabled()
    assert "Save the program first" in view.learn_button.toolTip()

    item = view.list.item(0)
    rect = view.list.visualItemRect(item)
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.current_id == org["program"]  # editing it again, not creating another
    assert view.name.text() == name
    assert view.learn_button.isEnabled()


def test_nudge_policy_fields_save_with_the_program(qtbot, window: MainWindow) -> None:
    """ "Nudge pairs after" / "Nudge again after" are the program's nudge policy; a value out
    of range is marked on its field, a valid one is saved and read back."""
    import os

    from mentormatch_desktop.services.programs import NudgePolicy

    view = _open(qtbot, window)
    view.new_button.click()
    assert (view.nudge_after.value(), view.nudge_cooldown.value()) == (14, 14)  # defaults
    view.name.setText("Six-week sprint")
    view.nudge_after.setValue(5)
    view.nudge_cooldown.setValue(3)
    assert view.form_input().nudges == NudgePolicy(5, 3)
    if os.environ.get("MM_SHOTS"):
        window.resize(1280, 800)
        qtbot.wait(200)
        window.grab().save(os.path.join(os.environ["MM_SHOTS"], "programs-nudges.png"))
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.save_button.click()
    [saved] = view.programs
    assert saved.nudges == NudgePolicy(5, 3)
    view._fill(saved.to_input())
    assert (view.nudge_after.value(), view.nudge_cooldown.value()) == (5, 3)
