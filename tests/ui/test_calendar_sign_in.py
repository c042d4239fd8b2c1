"""Connecting Google and Microsoft calendars from the Calendars dialog by signing in.

The dialog's real path runs: the sign-in on a worker, ``QDesktopServices.openUrl`` from the
GUI thread, the loopback redirect, the keyring. The "browser" is a URL handler registered
with ``QDesktopServices`` (what Qt calls instead of the system browser) that follows the
consent page of the local fake provider with httpx; that page redirects to the
connector's loopback ``redirect_uri`` with ``code`` and ``state`` as the real ones do.
Set ``MM_SHOTS=DIR`` to keep PNGs of the dialog's states.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.config import Settings
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.identity import Identity
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.calendar_settings import WAITING, CalendarSettingsDialog
from mentormatch_plugins.calendar.testserver import Cloud


class FakeBrowser(QObject):
    """Stands in for the system browser: Qt hands it every http URL the app opens."""

    def __init__(self, *, answer: bool = True) -> None:
        super().__init__()
        self.answer = answer
        self.release = threading.Event()  # the "user" clicks Allow when this is set
        self.urls: list[str] = []
        self.threads: list[threading.Thread] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        text = bytes(url.toEncoded().data()).decode()
        self.urls.append(text)
        if self.answer:
            thread = threading.Thread(target=self._follow, args=(text,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _follow(self, url: str) -> None:
        self.release.wait(20)
        consent = httpx.get(url, follow_redirects=False, timeout=10)
        httpx.get(consent.headers["Location"], timeout=10)

    def join(self) -> None:
        self.release.set()
        for t in self.threads:
            t.join(10)


@pytest.fixture
def browser() -> Iterator[FakeBrowser]:
    fake = FakeBrowser()
    QDesktopServices.setUrlHandler("http", fake, "open")
    try:
        yield fake
    finally:
        fake.join()
        QDesktopServices.unsetUrlHandler("http")


@pytest.fixture
def dialog(
    qtbot, demo_db_url: str, cloud: Cloud, memory_keyring
) -> Iterator[CalendarSettingsDialog]:
    """The Calendars dialog of a demo participant, on a host whose config points the
    Google and Microsoft connectors at the local provider."""
    endpoints = {
        "calendar-google": cloud.settings(base_url=f"{cloud.base}/calendar/v3"),
        "calendar-microsoft": cloud.settings(base_url=f"{cloud.base}/v1.0"),
    }
    host = PluginHost(autoload=False, plugin_settings=endpoints.get).load()
    probe = sa.create_engine(demo_db_url)
    with probe.connect() as c:
        person, name = c.execute(
            sa.text(
                "SELECT p.id, p.full_name FROM people p JOIN mentorships m ON m.mentee_id = p.id"
                " WHERE m.status = 'active' ORDER BY p.id LIMIT 1"
            )
        ).one()
    probe.dispose()
    context = AppContext(
        Settings(database_url=demo_db_url),
        plugin_host=host,
        identity=Identity("local", "participant", person, name),
    )
    context.mark_connected()
    d = CalendarSettingsDialog(context)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: bool(d.choices), timeout=30_000)
    d.person = person  # type: ignore[attr-defined]
    yield d
    d.close()
    wait_idle(30)
    context.close()


def _shot(widget, name: str) -> None:
    folder = os.environ.get("MM_SHOTS")
    if folder:
        QApplication.processEvents()  # let the layout settle as a person would see it
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def _choose(dialog: CalendarSettingsDialog, provider: str, account: str) -> None:
    dialog.provider.setCurrentIndex([c.name for c in dialog.choices].index(provider))
    dialog.account.setText(account)
    dialog.fields["client_id"].setText("test-client")


def _connections(dialog: CalendarSettingsDialog) -> int:
    with dialog.context.engine.connect() as c:
        return c.execute(
            sa.text("SELECT count(*) FROM calendar_connections WHERE person_id = :p"),
            {"p": dialog.person},  # type: ignore[attr-defined]
        ).scalar()


def test_calendars_dialog_google_oauth_sign_in_connects_and_syncs(
    qtbot, dialog, browser, cloud, memory_keyring
) -> None:
    _choose(dialog, "google", "ann@example.org")
    assert dialog.connect_button.text() == "Sign in and connect"
    assert not dialog.test_button.isVisible() and dialog.sign_in_note.isVisible()
    assert "client_secret" in dialog.fields and "secret" not in dialog.fields
    _shot(dialog, "calendars-google-form")
    task = dialog.connect_calendar()
    # waiting for the user: the GUI thread is free, the state and the link are shown
    qtbot.waitUntil(lambda: bool(browser.urls) and dialog.sign_in_link.isVisible(), timeout=10_000)
    assert dialog.progress.isVisible() and dialog.progress.label.text() == WAITING
    assert dialog.progress.cancel.isVisible() and not task.done
    assert "Open the sign-in page" in dialog.sign_in_link.text()
    assert not dialog.connect_button.isEnabled()
    _shot(dialog, "calendars-google-waiting")
    browser.release.set()  # the user allows access
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert not task.was_cancelled and dialog.test_result.text() == "✓ Signed in and connected."
    qtbot.waitUntil(lambda: len(dialog.connections) == 1, timeout=30_000)
    assert [dialog.table.item(0, c).text() for c in range(3)] == [
        "Google Calendar",
        "ann@example.org",
        "Not synced yet",
    ]
    assert not dialog.progress.isVisible() and dialog.connect_button.isEnabled()
    [(service, ref)] = memory_keyring.store
    token = json.loads(memory_keyring.store[(service, ref)])
    assert token["access_token"] in cloud.state.access
    _shot(dialog, "calendars-google-connected")
    # a sync with the stored token reads the calendar's busy time
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    cloud.state.add_google_event(
        {
            "id": "e1",
            "status": "confirmed",
            "summary": "Board",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
    )
    dialog.table.selectRow(0)
    dialog.sync_selected()
    qtbot.waitUntil(lambda: dialog.connections[0].last_synced_at is not None, timeout=30_000)
    assert "1 busy periods" in dialog.table.item(0, 2).text()


def test_calendars_dialog_microsoft_oauth_denied_says_why_and_stores_nothing(
    qtbot, dialog, browser, cloud, memory_keyring
) -> None:
    cloud.state.consent = "deny"
    browser.release.set()
    _choose(dialog, "microsoft", "ann@example.org")
    task = dialog.connect_calendar()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    text = dialog.test_result.text()
    assert text.startswith("✗ The calendar was not connected")
    assert "did not allow" in text and "access_denied" in text
    assert _connections(dialog) == 0 and memory_keyring.store == {}
    assert not dialog.progress.isVisible() and dialog.connect_button.isEnabled()
    _shot(dialog, "calendars-microsoft-denied")


def test_calendars_dialog_oauth_cancel_while_waiting_connects_nothing(
    qtbot, dialog, cloud, memory_keyring
) -> None:
    silent = FakeBrowser(answer=False)  # the user never comes back from the browser
    QDesktopServices.setUrlHandler("http", silent, "open")
    try:
        _choose(dialog, "google", "ann@example.org")
        task = dialog.connect_calendar()
        qtbot.waitUntil(lambda: bool(silent.urls), timeout=10_000)
        qtbot.mouseClick(dialog.progress.cancel, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: task.done, timeout=10_000)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert task.was_cancelled
    assert dialog.test_result.text() == "Sign-in cancelled; nothing was connected."
    assert not dialog.progress.isVisible() and not dialog.sign_in_link.isVisible()
    assert _connections(dialog) == 0 and memory_keyring.store == {}
    assert ("POST", "/token") not in cloud.state.requests


def test_calendars_dialog_oauth_client_id_from_the_organisation_or_asked_for(
    qtbot, dialog, browser, cloud
) -> None:
    """The OAuth client id may come from the deployment's config; without either, the
    dialog names the missing setting and no browser opens."""
    browser.release.set()
    dialog.provider.setCurrentIndex([c.name for c in dialog.choices].index("google"))
    dialog.account.setText("ann@example.org")
    task = dialog.connect_calendar()  # the config names the client: no need to type it
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert dialog.test_result.text() == "✓ Signed in and connected."
    unconfigured = PluginHost(autoload=False, plugin_settings=lambda name: None).load()
    dialog.context._plugins = unconfigured  # this deployment configured no client
    dialog.provider.setCurrentIndex([c.name for c in dialog.choices].index("microsoft"))
    opened = len(browser.urls)
    task = dialog.connect_calendar()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    text = dialog.test_result.text()
    assert text.startswith("✗ Microsoft 365 needs the client id") and "OAuth client id" in text
    assert len(browser.urls) == opened


def test_calendars_dialog_closing_gives_up_a_waiting_sign_in(qtbot, dialog, cloud) -> None:
    silent = FakeBrowser(answer=False)
    QDesktopServices.setUrlHandler("http", silent, "open")
    try:
        _choose(dialog, "google", "ann@example.org")
        task = dialog.connect_calendar()
        qtbot.waitUntil(lambda: bool(silent.urls), timeout=10_000)
        dialog.reject()  # Close, or the window's ×
        qtbot.waitUntil(lambda: task.done, timeout=10_000)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert task.was_cancelled and _connections(dialog) == 0
