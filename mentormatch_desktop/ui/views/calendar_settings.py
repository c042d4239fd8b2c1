"""Calendar settings: the person's connected calendars (last sync, sync now, disconnect) and
connecting a new one: pick a connector the plugin host offers, fill its settings, test the
connection (on a worker, with progress and Cancel), connect.

Calendar calls never run on the GUI thread; secrets go to the OS keyring through
:mod:`mentormatch_desktop.services.calendar_settings`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services.calendar_settings import (
    ConnectorChoice,
    TestResult,
    add_connection,
    connector_choices,
    remove_connection,
    sync_now,
    test_connection,
)
from mentormatch_desktop.services.my_schedule import ConnectionRow, connections_of, person_for
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


def sync_status(c: ConnectionRow) -> str:
    if c.last_error:
        return f"Failed: {c.last_error}"
    if c.last_synced_at is None:
        return "Not synced yet"
    return f"Synced {format_datetime(c.last_synced_at)} UTC · {c.busy_blocks} busy periods"


class CalendarSettingsDialog(QDialog):
    changed = Signal()

    def __init__(
        self, context: AppContext, *, person_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.person_id = person_id
        self.connections: list[ConnectionRow] = []
        self.choices: list[ConnectorChoice] = []
        self.fields: dict[str, QLineEdit] = {}
        self.test_task: Task | None = None
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
        self.table = read_only_table(["Calendar", "Account", "Last sync"])
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
        inner = QVBoxLayout(box)
        inner.addWidget(section_title("Connect a calendar"))
        self.provider = QComboBox()
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self.account = QLineEdit(placeholderText="you@example.org")
        self.form = QFormLayout()
        self.form.addRow("Kind", self.provider)
        self.form.addRow("Account", self.account)
        inner.addLayout(self.form)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self._cancel_test)
        inner.addWidget(self.progress)
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
        for f in self.choices[index].fields:
            edit = QLineEdit(placeholderText=f.hint)
            if f.kind == "secret":
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.fields[f.key] = edit
            self.form.addRow(f.label + (" *" if f.required else ""), edit)
        self.test_result.clear()

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
        if self.test_task is not None:
            self.test_task.cancel()
        self.progress.cancel.setEnabled(False)

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
