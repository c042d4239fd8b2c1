"""The import wizard shows the import's percentage and phase, and can call it off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QWizard

from mentormatch_desktop.services import participants as participant_service
from mentormatch_desktop.storage.models import Person
from mentormatch_desktop.ui.main_window import MainWindow

ROWS = 300


def _file(tmp_path: Path) -> Path:
    lines = ["email,full_name,time_zone,teaches"] + [
        f"new{k}@example.org,New Person {k},Europe/Lisbon,Python:{k % 5 + 1}" for k in range(ROWS)
    ]
    path = tmp_path / "new-people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _people(window: MainWindow) -> int:
    with window.context.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()


def _wizard_at_review(qtbot, window: MainWindow, path: Path):
    view = window.screen("participants")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.set_ready()
    wizard = view.open_import_wizard()
    wizard.set_file(path)
    with qtbot.waitSignal(wizard.checked, timeout=10_000) as checked:
        wizard.button(QWizard.WizardButton.NextButton).click()
    assert checked.args[0].ok
    return wizard


@pytest.fixture
def paused_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, ...]]:
    """Hold the import at its first written row until the test says go."""
    reached, go = threading.Event(), threading.Event()
    original = participant_service.apply_record

    def apply_record(*args, **kwargs):
        reached.set()
        go.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(participant_service, "apply_record", apply_record)
    yield reached, go
    go.set()


def test_the_bar_shows_the_percentage_while_rows_are_written(
    qtbot, demo_window: MainWindow, tmp_path: Path, paused_write
) -> None:
    reached, go = paused_write
    wizard = _wizard_at_review(qtbot, demo_window, _file(tmp_path))
    page = wizard.run_page
    seen: list[tuple[int, str]] = []
    wizard.button(QWizard.WizardButton.NextButton).click()  # Import
    wizard.task.progress.connect(lambda *_: seen.append((page.bar.value(), page.phase.text())))
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    # validation is behind us, writing has begun: about a third of the way
    qtbot.waitUntil(lambda: page.bar.value() >= 35, timeout=10_000)
    assert page.bar.maximum() == 100 and page.bar.text() == f"{page.bar.value()}%"
    assert page.phase.isVisible() and page.cancel_button.isEnabled()
    with qtbot.waitSignal(wizard.imported, timeout=60_000) as imported:
        go.set()
    assert imported.args[0].created == ROWS
    values = [v for v, _ in seen]
    assert values == sorted(values) and values[-1] == 100
    assert any(0 < v < 100 for v in values)  # a real percentage, not a spinner
    assert not page.bar.isVisible() and not page.cancel_button.isVisible()


def test_cancel_while_writing_leaves_nothing_written(
    qtbot, demo_window: MainWindow, tmp_path: Path, paused_write
) -> None:
    reached, go = paused_write
    before = _people(demo_window)
    wizard = _wizard_at_review(qtbot, demo_window, _file(tmp_path))
    page = wizard.run_page
    wizard.button(QWizard.WizardButton.NextButton).click()  # Import
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    page.cancel_button.click()
    assert page.phase.text() == "Cancelling…"
    with qtbot.waitSignal(wizard.cancelled, timeout=30_000):
        go.set()
    assert "nothing was written" in page.message.text()
    assert wizard.button(QWizard.WizardButton.BackButton).isVisible()
    assert page.summary is None
    assert _people(demo_window) == before
