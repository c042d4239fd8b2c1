"""Calendar settings: the person's connected calendars (last sync, sync now, disconnect) and
connecting a new one: pick a connector the plugin host offers, fill its settings, test the
connection (on a worker, with progress and Cancel), connect.

A connector that signs in (Google, Microsoft: OAuth in the browser) has no Test: "Sign in
and connect" runs its sign-in on a worker, opens the system browser through
:class:`~mentormatch_desktop.ui.browser.SystemBrowser`, shows "Waiting for you to sign in
in your browser…" with Cancel (and the link, should no browser come up), then stores the
connection with its token in the keyring.

Calendar calls never run on the GUI thread; secrets go to the OS keyring through
:mod:`mentormatch_desktop.services.calendar_settings`.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.services.calendar_settings import (
    ConnectorChoice,
    TestResult,
    add_connection,
    connector_choices,
    remove_connection,
    sign_in,
    sync_now,
    test_connection,
)
from mentormatch_desktop.services.my_schedule import ConnectionRow, connections_of, person_for
from mentormatch_desktop.ui.browser import SystemBrowser
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import format_datetime
from mentormatch_desktop.ui.widgets import (
    Banner,
    ProgressPanel,
    card,
    make_button,
    read_only_table,
    section_title,
)
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

FIXED_ROWS = 2  # kind and account; the connector's own settings follow
WAITING = "Waiting for you to sign in in your browser…"


def sync_status(c: ConnectionRow) -> str:
    if c.last_error:
        return f"Failed: {c.last_error}"
    if c.last_synced_at is None:
        return "Not synced yet"
    return f"Synced {format_datetime(c.last_synced_at)} UTC · {c.busy_blocks} busy periods"


def _sentence(text: str) -> str:
    """Connector messages are written to follow a colon; shown alone they start a sentence."""
    return text[:1].upper() + text[1:]


class CalendarSettingsDialog(QDialog):
    changed = Signal()

    def __init__(
        self,
        context: AppContext,
        *,
        person_id: int | None = None,
        open_url: Callable[[str], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.person_id = person_id
        self.connections: list[ConnectionRow] = []
        self.choices: list[ConnectorChoice] = []
        self.fields: dict[str, QLineEdit] = {}
        self.test_task: Task | None = None
        self.sign_in_task: Task | None = None
        self.browser = SystemBrowser(self)
        self.browser.opened.connect(self._browser_opened)
        self.open_url: Callable[[str], object] = open_url or self.browser
        self.last_test: TestResult | None = None
        self.setWindowTitle("Calendar connections")
        self.resize(760, 620)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(QLabel("Calendars", objectName="pageTitle"))
        hint = QLabel(
            "Busy time from your calendars keeps proposed sessions off your meetings, and "
            "booked sessions are written back. Passwords and tokens stay in the system keyring.",
            objectName="pageSubtitle",
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.banner = Banner()
        layout.addWidget(self.banner)

        layout.addWidget(section_title("Connected"))
        self.table = read_only_table(
            ["Calendar", "Account", "Last sync"],
            empty="No calendar connected yet: connect one below so proposed times avoid "
            "your meetings.",
        )
        self.table.setMinimumHeight(120)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.sync_button = make_button("Sync now", "refresh", on_click=self.sync_selected)
        self.disconnect_button = make_button(
            "Disconnect", "delete", danger=True, on_click=self.disconnect_selected
        )
        for b in (self.sync_button, self.disconnect_button):
            b.setEnabled(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)

        box = card()
        # Never squeezed below its natural height (the form's fields would be clipped
        # while the sign-in note and link are shown); the table gives way instead.
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        inner = QVBoxLayout(box)
        inner.addWidget(section_title("Connect a calendar"))
        self.provider = QComboBox()
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self.account = QLineEdit(placeholderText="you@example.org")
        self.form = QFormLayout()
        self.form.addRow("Kind", self.provider)
        self.form.addRow("Account", self.account)
        inner.addLayout(self.form)
        self.sign_in_note = QLabel(objectName="muted")
        self.sign_in_note.setWordWrap(True)
        self.sign_in_note.hide()
        inner.addWidget(self.sign_in_note)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self._cancel_test)
        inner.addWidget(self.progress)
        self.sign_in_link = QLabel(objectName="muted")
        self.sign_in_link.setWordWrap(True)
        self.sign_in_link.setOpenExternalLinks(True)
        self.sign_in_link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.sign_in_link.hide()
        inner.addWidget(self.sign_in_link)
        self.test_result = QLabel(objectName="muted")
        self.test_result.setWordWrap(True)
        inner.addWidget(self.test_result)
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.test_button = make_button("Test connection", "play", on_click=self.test)
        self.connect_button = make_button(
            "Connect", "add", primary=True, on_click=self.connect_calendar
        )
        actions.addWidget(self.test_button)
        actions.addWidget(self.connect_button)
        inner.addLayout(actions)
        layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    # -- data ----------------------------------------------------------------------------
    def _load(self) -> tuple[list[ConnectionRow], list[ConnectorChoice]]:
        with self.context.unit_of_work() as ctx:
            me = person_for(ctx, self.person_id)
            return connections_of(ctx, me), connector_choices(ctx.plugins)

    def reload(self) -> Task:
        return run_in_background(
            self._load, on_success=self._show, on_error=self._failed, owner=self
        )

    def _show(self, result: tuple[list[ConnectionRow], list[ConnectorChoice]]) -> None:
        self.connections, choices = result
        self.table.setRowCount(len(self.connections))
        labels = {c.name: c.label for c in choices}
        for row, c in enumerate(self.connections):
            cells = [labels.get(c.provider, c.provider), c.account, sync_status(c)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2 and c.last_error:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, column, item)
        if [c.name for c in choices] != [c.name for c in self.choices]:
            self.choices = choices
            self.provider.blockSignals(True)
            self.provider.clear()
            for c in choices:
                self.provider.addItem(c.label, c.name)
            self.provider.blockSignals(False)
            self._provider_changed()
        self._selection_changed()

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")
        self._selection_changed()

    def _provider_changed(self) -> None:
        while self.form.rowCount() > FIXED_ROWS:
            self.form.removeRow(FIXED_ROWS)
        self.fields = {}
        index = self.provider.currentIndex()
        if not 0 <= index < len(self.choices):
            return
        choice = self.choices[index]
        self._set_mode(choice)
        for f in choice.fields:
            edit = QLineEdit(placeholderText=f.hint)
            if f.kind == "secret":
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.fields[f.key] = edit
            self.form.addRow(f.label + (" *" if f.required else ""), edit)
        self.test_result.clear()

    def _set_mode(self, choice: ConnectorChoice) -> None:
        """Sign-in connectors: no Test (there is nothing to test before signing in)."""
        busy = self.sign_in_task is not None and not self.sign_in_task.done
        self.test_button.setVisible(not choice.sign_in)
        self.test_button.setEnabled(not busy)
        self.connect_button.setText("Sign in and connect" if choice.sign_in else "Connect")
        self.connect_button.setEnabled(not busy)
        self.sign_in_note.setVisible(choice.sign_in)
        self.sign_in_note.setText(
            f"Connecting opens your browser to sign in to {choice.label} and allow "
            "MentorMatch to read your free/busy time and write your sessions. The access "
            "token is kept in the system keyring."
            if choice.sign_in
            else ""
        )

    def current_choice(self) -> ConnectorChoice | None:
        index = self.provider.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def values(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.fields.items()}

    def selected(self) -> ConnectionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.connections[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        on = self.selected() is not None
        self.sync_button.setEnabled(on)
        self.disconnect_button.setEnabled(on)

    # -- test ----------------------------------------------------------------------------
    def test(self) -> Task:
        provider, account, values = self.provider.currentData(), self.account.text(), self.values()
        plugins, now = self.context.plugins, None
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        self.test_button.setEnabled(False)
        self.test_result.clear()
        self.progress.start("Testing the connection…")

        def done(result: TestResult) -> None:
            self.last_test = result
            self.test_result.setText(("✓ " if result.ok else "✗ ") + result.message)

        def finished() -> None:
            self.progress.stop()
            self.test_button.setEnabled(True)

        self.test_task = run_in_background(
            test_connection,
            plugins,
            provider,
            account,
            values,
            now=now,
            progress=self.progress.update_progress,
            cancel=True,
            on_success=done,
            on_error=lambda e: self.test_result.setText("✗ " + e.message),
            on_cancelled=lambda: self.test_result.setText("Test cancelled."),
            on_finished=finished,
            owner=self,
        )
        return self.test_task

    def _cancel_test(self) -> None:
        for task in (self.test_task, self.sign_in_task):
            if task is not None and not task.done:
                task.cancel()
        self.progress.cancel.setEnabled(False)

    def done(self, result: int) -> None:
        """Closing the dialog gives up a sign-in still waiting for the browser (its loopback
        server closes at once instead of waiting out the timeout)."""
        for task in (self.test_task, self.sign_in_task):
            if task is not None and not task.done:
                task.cancel()
        super().done(result)

    # -- sign in -------------------------------------------------------------------------
    def sign_in_and_connect(self) -> Task:
        """Sign in with the connector (a worker waits for the browser), then connect."""
        provider, account, values = self.provider.currentData(), self.account.text(), self.values()
        plugins, person, open_url = self.context.plugins, self.person_id, self.open_url
        self.connect_button.setEnabled(False)
        self.provider.setEnabled(False)
        self.test_result.clear()
        self.sign_in_link.clear()
        self.progress.start(WAITING)

        def work(cancel: CancelToken) -> str:
            credentials = sign_in(plugins, provider, values, open_url=open_url, cancel=cancel)
            cancel.raise_if_cancelled()  # nothing is stored after Cancel
            with self.context.unit_of_work() as ctx:
                add_connection(
                    ctx, provider, account, values, person_id=person, credentials=credentials
                )
            return account.strip() or credentials.account

        def ok(name: str) -> None:
            self.banner.show_message(
                f"Connected {name}. Its busy time is read on the next sync.", "info"
            )
            self.test_result.setText("✓ Signed in and connected.")
            self.changed.emit()
            self.reload()

        def finished() -> None:
            self.progress.stop()
            self.sign_in_link.hide()
            self.provider.setEnabled(True)
            choice = self.current_choice()
            if choice is not None:
                self._set_mode(choice)

        self.sign_in_task = run_in_background(
            work,
            cancel=True,
            on_success=ok,
            on_error=lambda e: self.test_result.setText("✗ " + _sentence(e.message)),
            on_cancelled=lambda: self.test_result.setText(
                "Sign-in cancelled; nothing was connected."
            ),
            on_finished=finished,
            owner=self,
        )
        return self.sign_in_task

    def _browser_opened(self, url: str, ok: bool) -> None:
        """Offer the link while waiting, in case no browser came up (or the wrong one)."""
        if self.sign_in_task is None or self.sign_in_task.done:
            return
        lead = "Your browser should show the sign-in page." if ok else "No browser opened."
        link = html.escape(url, quote=True)
        self.sign_in_link.setText(f'{lead} <a href="{link}">Open the sign-in page</a>')
        self.sign_in_link.setToolTip(url)
        self.sign_in_link.show()

    # -- connect, sync, disconnect -------------------------------------------------------
    def _write(self, fn, message: str) -> Task:  # type: ignore[no-untyped-def]
        person = self.person_id

        def work():  # type: ignore[no-untyped-def]
            with self.context.unit_of_work() as ctx:
                return fn(ctx, person)

        def ok(_: object) -> None:
            self.banner.show_message(message, "info")
            self.changed.emit()
            self.reload()

        return run_in_background(work, on_success=ok, on_error=self._failed, owner=self)

    def connect_calendar(self) -> Task:
        choice = self.current_choice()
        if choice is not None and choice.sign_in:
            return self.sign_in_and_connect()
        provider, account, values = self.provider.currentData(), self.account.text(), self.values()
        return self._write(
            lambda ctx, person: add_connection(ctx, provider, account, values, person_id=person),
            f"Connected {account}. Its busy time is read on the next sync.",
        )

    def sync_selected(self) -> Task | None:
        c = self.selected()
        if c is None:
            return None
        self.sync_button.setEnabled(False)
        return self._write(lambda ctx, _person: sync_now(ctx, c.id), f"Synced {c.account}.")

    def disconnect_selected(self) -> Task | None:
        c = self.selected()
        if c is None:
            return None
        self.disconnect_button.setEnabled(False)
        return self._write(
            lambda ctx, _person: remove_connection(ctx, c.id),
            f"Disconnected {c.account}; its busy time is gone.",
        )
