"""Preferred names on screen (pytest-qt, offscreen, both backends): Home greets a person by
the name they chose, not the first word of their full name, and both profile editors (the
participant's My profile and the coordinator's profile editor) save it.

Screens are grabbed at 1440×900 to ``MENTORMATCH_GRAB_DIR`` when it is set, to look at.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from PySide6.QtWidgets import QWidget

from mentormatch_desktop.config import Settings
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.identity import Identity
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Mentorship, Person
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.home import HomeView
from mentormatch_desktop.ui.views.my_mentorship import MyMentorshipDialog
from mentormatch_desktop.ui.views.my_profile import MyProfileView


def _grab(widget: QWidget, name: str) -> None:
    folder = os.environ.get("MENTORMATCH_GRAB_DIR")
    if folder:
        widget.grab().save(str(Path(folder) / name))


def _preferred(url: str, person_id: int) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(Person.preferred_name).where(Person.id == person_id))
    finally:
        engine.dispose()


def test_home_greets_by_the_preferred_name_and_my_profile_saves_it(
    qtbot, db_url: str, main_windows, ui_seed
) -> None:
    owner = create_engine(db_url)
    ids = ui_seed.seed_small_org(owner)
    with transaction(owner) as s:
        alan = s.get(Person, ids["alan"])
        alan.full_name = "Jun Jie Goh"
        alan.preferred_name = "Jun Jie"
    owner.dispose()
    window: MainWindow = main_windows(
        db_url,
        identity=Identity("local", "participant", ids["alan"], "Jun Jie Goh"),
        plugin_host=PluginHost(),
        settings="alan.ini",
        size=(1440, 900),
    )
    home = window.navigate("home")
    assert isinstance(home, HomeView)
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    assert home.header.title.text() == "Welcome back, Jun Jie"  # was "Welcome back, Jun"
    _grab(window, "home-preferred-name.png")

    view = window.navigate("my_profile")
    assert isinstance(view, MyProfileView)
    qtbot.waitUntil(lambda: view.profile is not None, timeout=30_000)
    assert view.preferred_name.text() == "Jun Jie"
    assert "call you" in view.preferred_name.placeholderText()
    assert not view.save_button.isEnabled()
    view.preferred_name.setText("JJ")
    assert view.save_button.isEnabled()
    _grab(window, "my-profile-preferred-name.png")
    view.save()
    qtbot.waitUntil(lambda: view.profile.preferred_name == "JJ", timeout=30_000)
    assert _preferred(db_url, ids["alan"]) == "JJ"

    # Cleared, the person is greeted by the first word of the full name again.
    view.preferred_name.clear()
    view.save()
    qtbot.waitUntil(lambda: view.profile.preferred_name == "", timeout=30_000)
    assert _preferred(db_url, ids["alan"]) is None
    home = window.navigate("home")
    qtbot.waitUntil(lambda: home.header.title.text() == "Welcome back, Jun", timeout=30_000)


def test_coordinator_profile_editor_saves_the_preferred_name(
    qtbot, window: MainWindow, org: dict[str, int], ui_context
) -> None:
    window.resize(1440, 900)
    view = window.screen("participants")
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.set_ready()
    editor = view.open_profile(org["grace"])
    with qtbot.waitSignal(editor.loaded, timeout=10_000):
        pass
    assert editor.preferred_name.text() == ""
    assert "call you" in editor.preferred_name.placeholderText()
    editor.resize(1440, 900)
    _grab(editor, "profile-editor-empty.png")
    editor.preferred_name.setText("Amazing Grace")
    with qtbot.waitSignal(editor.saved, timeout=30_000):
        editor.save()
    with ui_context.engine.connect() as conn:
        stored = conn.scalar(sa.select(Person.preferred_name).where(Person.id == org["grace"]))
    assert stored == "Amazing Grace"

    editor = view.open_profile(org["grace"])
    with qtbot.waitSignal(editor.loaded, timeout=10_000):
        pass
    assert editor.preferred_name.text() == "Amazing Grace"  # read back into the editor
    editor.preferred_name.setText("x" * 90)  # the field stops at the column's 80
    assert len(editor.preferred_name.text()) == 80
    editor.reject()


def test_own_mentorship_page_offers_to_message_the_partner_by_preferred_name(
    qtbot, db_url: str, shared_plugin_host, ui_seed
) -> None:
    context = AppContext(Settings(database_url=db_url), plugin_host=shared_plugin_host)
    ids = ui_seed.seed_small_org(context.engine)
    with transaction(context.engine) as s:
        s.get(Person, ids["ada"]).preferred_name = "Countess Ada"
        m = Mentorship(
            program_id=ids["program"],
            mentor_id=ids["ada"],
            mentee_id=ids["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        s.add(m)
        s.flush()
        mentorship_id = m.id
    context.identity = Identity("local", "participant", ids["alan"], "Alan Turing")
    try:
        dialog = MyMentorshipDialog(context, mentorship_id, "Ada Lovelace")
        qtbot.addWidget(dialog)
        assert dialog.message_button.text() == "Message Ada"  # until the page is read
        dialog.show()
        qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
        assert dialog.message_button.text() == "Message Countess Ada"
        dialog.close()
    finally:
        wait_idle(30)
        context.close()
