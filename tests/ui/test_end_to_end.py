"""From an empty database to approved mentorships without the command line (issue 5)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard

from mentormatch_desktop.ui.main_window import MainWindow

PEOPLE = (
    "email,full_name,time_zone,languages,role,capacity,teaches,learns,availability\n"
    "ada@example.org,Ada Lovelace,Europe/London,en,mentor,2,Python:5; SQL:4,,Tue 09:00-12:00\n"
    "grace@example.org,Grace Hopper,America/New_York,en,mentor,2,Leadership:5; SQL:3,,"
    "Tue 13:00-16:00\n"
    "alan@example.org,Alan Turing,Europe/London,en,mentee,1,,Python:2,Tue 10:00-11:00\n"
    "mary@example.org,Mary Jackson,America/New_York,en,mentee,1,,Leadership:1,Tue 14:00-15:00\n"
    "lin@example.org,Lin Wei,Asia/Shanghai,en; zh,mentee,1,,SQL:2,Tue 09:00-10:00\n"
)


def test_empty_database_to_mentorships(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.set_ready()

    # 1. a program
    programs = window.screen("programs")
    with qtbot.waitSignal(programs.loaded, timeout=20_000):
        window.navigate("programs")
    programs.new_button.click()
    programs.name.setText("Spring pilot")
    with qtbot.waitSignal(programs.loaded, timeout=20_000):
        programs.save_button.click()
    program_id = programs.programs[0].id

    # 2. people, enrolled in it by the import
    participants = window.screen("participants")
    with qtbot.waitSignal(participants.loaded, timeout=20_000):
        window.navigate("participants")
    assert participants.pages.currentWidget() is participants.empty
    path = tmp_path / "pilot.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    wizard = participants.open_import_wizard()
    qtbot.waitUntil(lambda: wizard.choose.program.count() > 1, timeout=10_000)
    wizard.set_file(path, program_id)
    with qtbot.waitSignal(wizard.checked, timeout=10_000):
        wizard.button(QWizard.WizardButton.NextButton).click()
    with qtbot.waitSignal(wizard.imported, timeout=20_000):
        wizard.button(QWizard.WizardButton.NextButton).click()
    wizard.accept()

    # 3. match and approve
    matching = window.screen("matching")
    with qtbot.waitSignal(matching.loaded, timeout=30_000):
        window.navigate("matching")
    assert matching.pages.currentWidget() is matching.no_runs
    with qtbot.waitSignal(matching.loaded, timeout=60_000):
        matching.run_button.click()
    assert matching.model.rowCount() == 3  # every mentee found a mentor
    with qtbot.waitSignal(matching.loaded, timeout=20_000):
        matching.approve(confirm=False)

    # 4. the mentorships are there, healthy
    mentorships = window.screen("mentorships")
    with qtbot.waitSignal(mentorships.loaded, timeout=20_000):
        window.navigate("mentorships")
    rows = mentorships.model.rows
    assert {r.mentee for r in rows} == {"Alan Turing", "Mary Jackson", "Lin Wei"}
    assert not any(r.at_risk for r in rows)
