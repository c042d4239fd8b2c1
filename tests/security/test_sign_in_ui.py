"""The desktop app on a shared PostgreSQL database: sign in as a real login, and see only
the screens that login's role may use (pytest-qt, offscreen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import SignedIn, SignInDialog, login_url_for, sign_in

COORDINATOR_SCREENS = {"programs", "participants", "matching", "mentorships", "dashboard"}


@pytest.fixture(autouse=True)
def no_worker_left() -> Iterator[None]:
    yield
    wait_idle(30)


def _sign_in_with_dialog(qtbot, url: str) -> SignedIn:
    parsed = make_url(url)
    dialog = SignInDialog()
    qtbot.addWidget(dialog)
    dialog.server.setText(f"{parsed.host}:{parsed.port or 5432}")
    dialog.database.setText(parsed.database)
    dialog.user.setText(parsed.username)
    dialog.password.setText(parsed.password)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.signed_in is not None, timeout=30_000)
    return dialog.signed_in


def test_sign_in_dialog_names_a_missing_field(qtbot) -> None:
    dialog = SignInDialog("postgresql://someone@db.example.org/")
    qtbot.addWidget(dialog)
    dialog.submit()
    assert dialog.signed_in is None
    assert dialog.banner.message.text() == "Enter the database."
    assert dialog.server.text() == "db.example.org"


def test_participant_signs_in_and_sees_only_their_mentoring(
    qtbot, shared_world, main_windows
) -> None:
    login = shared_world.login("participant")
    signed = _sign_in_with_dialog(qtbot, login.url)
    assert (signed.identity.role, signed.identity.person_id) == ("participant", login.person_id)
    window = main_windows(signed)
    assert window.keys() == ["home", "inbox", "my_profile", "schedule"]
    assert "participant" in window.identity_label.text()
    screen = window.navigate("my_profile")
    qtbot.waitUntil(lambda: screen.profile is not None, timeout=30_000)
    table = screen.mentorships
    assert table.rowCount() >= 1
    partners = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert "—" not in partners  # partner names come through the directory view
    screen.bio.setPlainText("Signed in from the desktop app")
    screen.save()
    qtbot.waitUntil(lambda: screen.banner.message.text() == "Profile saved", timeout=30_000)
    with shared_world.owner.connect() as conn:
        bio = conn.execute(
            sa.text("SELECT bio FROM people WHERE id = :p"), {"p": login.person_id}
        ).scalar_one()
    assert bio == "Signed in from the desktop app"


def test_coordinator_and_analyst_get_their_screens(qtbot, shared_world, main_windows) -> None:
    coordinator = main_windows(sign_in(shared_world.login("coordinator").url))
    screens = set(coordinator.keys())
    assert screens >= COORDINATOR_SCREENS
    assert "my_profile" not in screens
    analyst = main_windows(sign_in(shared_world.login("analyst").url))
    assert analyst.keys() == ["dashboard"]
    assert "analyst" in analyst.identity_label.text()


def test_limited_coordinator_works_on_their_program_only(qtbot, shared_world, main_windows) -> None:
    """The coordinator screens run unchanged under the program coordinator's policies."""
    window = main_windows(sign_in(shared_world.login("coordinator").url))
    programs = window.screen("programs")
    with qtbot.waitSignal(programs.loaded, timeout=60_000):
        window.navigate("programs")
    assert [p.id for p in programs.programs] == [shared_world.program_b]


def test_as_email_connects_as_their_login_without_the_administrators_password(
    qapp, shared_world
) -> None:
    """``--as EMAIL`` on PostgreSQL: the person's own login, whose password comes from the
    keyring, never the administrator's password carried over into their URL."""
    participant = shared_world.login("participant")
    with shared_world.owner.connect() as conn:
        email = conn.execute(
            sa.text("SELECT email FROM people WHERE id = :p"), {"p": participant.person_id}
        ).scalar_one()
    admin_url = make_url(shared_world.url).set(password="admin-secret")
    url = login_url_for(admin_url, email)
    assert url.username == participant.name
    assert url.password is None
    assert (url.host, url.port, url.database) == (
        admin_url.host,
        admin_url.port,
        admin_url.database,
    )
