"""A coordinator writes an announcement to a program's (or one cohort's) active members.

Sending is one unit of work (:func:`mentormatch_desktop.services.inbox.post_announcement`):
the announcement thread, the message, and one outbox delivery per recipient and channel.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import Banner
from mentormatch_desktop.ui.workers import Task, TaskError


class AnnouncementDialog(QDialog):
    """Program, cohort (or everyone), subject and text; "Send" posts it in a worker."""

    def __init__(
        self,
        view: View,
        programs: list[tuple[int, str]],
        program_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent or view)
        self.view = view
        self.sent: inbox.SentMessage | None = None
        self.audience: dict[str | None, int] = {}
        self._task: Task | None = None
        self.setWindowTitle("New announcement")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        intro = QLabel(
            "Everyone addressed finds it in their Inbox, and gets it by e-mail or chat "
            "as their notification settings say. Announcements are read-only for them.",
            objectName="hint",
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.banner = Banner()
        layout.addWidget(self.banner)
        form = QFormLayout()
        form.setSpacing(10)
        self.program = QComboBox()
        for pid, name in programs:
            self.program.addItem(name, pid)
        if program_id is not None and (i := self.program.findData(program_id)) >= 0:
            self.program.setCurrentIndex(i)
        self.program.currentIndexChanged.connect(self._load_audience)
        form.addRow("Program", self.program)
        self.cohort = QComboBox()
        self.cohort.currentIndexChanged.connect(self._update)
        form.addRow("To", self.cohort)
        self.subject = QLineEdit(placeholderText="e.g. Kick-off on Thursday")
        self.subject.textChanged.connect(self._update)
        form.addRow("Subject", self.subject)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText("Write the announcement…")
        self.body.setMinimumHeight(160)
        self.body.textChanged.connect(self._update)
        form.addRow("Message", self.body)
        layout.addLayout(form)
        self.reach = QLabel("", objectName="hint")
        layout.addWidget(self.reach)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self.send)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._load_audience()

    def _load_audience(self) -> None:
        program_id = self.program.currentData()
        self.cohort.clear()
        self.audience = {}
        self._update()
        if program_id is None:
            return

        def count(ctx: ServiceContext) -> dict[str | None, int]:
            return inbox.announcement_audience(ctx, program_id)

        def counted(audience: dict[str | None, int]) -> None:
            if self.program.currentData() != program_id:
                return
            self.audience = audience
            self.cohort.blockSignals(True)
            self.cohort.clear()
            total = sum(audience.values())
            self.cohort.addItem(f"Everyone in the program ({total})", None)
            for cohort in sorted(c for c in audience if c is not None):
                self.cohort.addItem(f"Cohort {cohort} ({audience[cohort]})", cohort)
            self.cohort.blockSignals(False)
            self._update()

        self.view.run(self.view.in_unit_of_work(count), on_success=counted)

    def recipients(self) -> int:
        cohort = self.cohort.currentData()
        if cohort is None:
            return sum(self.audience.values())
        return self.audience.get(cohort, 0)

    def _update(self) -> None:
        n = self.recipients()
        if self.cohort.count() == 0:
            self.reach.setText("")
        elif n == 0:
            self.reach.setText("Nobody is active in this program yet.")
        else:
            self.reach.setText(f"Reaches {plural(n, 'active participant')}.")
        busy = self._task is not None and not self._task.done
        self.send_button.setEnabled(
            not busy
            and n > 0
            and bool(self.subject.text().strip())
            and bool(self.body.toPlainText().strip())
        )

    def send(self) -> Task | None:
        program_id = self.program.currentData()
        cohort = self.cohort.currentData()
        subject, body = self.subject.text(), self.body.toPlainText()
        if program_id is None or not self.send_button.isEnabled():
            return None

        def post(ctx: ServiceContext) -> inbox.SentMessage:
            return inbox.post_announcement(ctx, program_id, subject, body, cohort=cohort)

        def done(sent: inbox.SentMessage) -> None:
            self.sent = sent
            self.view.context.inbox_changed.emit({"thread_ids": [sent.thread_id]})
            self.accept()

        def failed(error: TaskError) -> None:
            exc = error.exception
            self.banner.show_message(
                exc.message if isinstance(exc, MessagingError) else error.message, "error"
            )
            self._update()

        self._task = self.view.run(
            self.view.in_unit_of_work(post), on_success=done, on_error=failed
        )
        self._update()
        return self._task
