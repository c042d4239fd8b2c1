"""A coordinator writes one message to the mentor and the mentee of a mentorship.

Opened by "Message both" on the mentorship's detail page. Sending is one unit of work in a
worker (:func:`mentormatch_desktop.services.pair_messages.message_both`): a new conversation
of the three of them, the message and its outbox deliveries. A failure stays in the dialog
with the text kept, so nothing written is lost.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services import pair_messages
from mentormatch_desktop.services.inbox import SentMessage
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background


class MessageBothDialog(QDialog):
    """Subject (prefilled "<program>: checking in") and text; "Send" posts it in a worker.

    ``sent`` carries the result once the message is written; the dialog then closes.
    """

    sent = Signal(object)  # SentMessage

    def __init__(
        self,
        context: AppContext,
        mentorship_id: int,
        *,
        mentee: str,
        mentor: str,
        program: str,
        mentee_address: str = "",
        mentor_address: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """``mentee_address``/``mentor_address``: how each is greeted (their preferred
        name); empty, the first word of the full name (:func:`address_name`)."""
        super().__init__(parent)
        self.context = context
        self.mentorship_id = mentorship_id
        self.result_message: SentMessage | None = None
        self._task: Task | None = None
        self.setWindowTitle(f"Message {mentee} and {mentor}")
        self.setMinimumWidth(580)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        intro = QLabel(
            # a non-breaking hyphen: "e-" / "mail" must not be split over two lines
            "Starts a new conversation of the three of you. Both find it in their Inbox and "
            "get it by e\u2011mail or chat as their settings say, and either can reply to "
            "all three. Their own conversation stays private to them; their replies reach "
            "you by e\u2011mail.",
            objectName="hint",
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.banner = Banner("error")
        layout.addWidget(self.banner)
        form = QFormLayout()
        form.setSpacing(10)
        self.to = QLabel(f"{mentee} (mentee) and {mentor} (mentor)")
        form.addRow("To", self.to)
        self.subject = QLineEdit(pair_messages.default_subject(program))
        self.subject.setMaxLength(pair_messages.MAX_SUBJECT)
        self.subject.textChanged.connect(self._update)
        form.addRow("Subject", self.subject)
        self.body = QPlainTextEdit()
        first = mentee_address or address_name(mentee)
        other = mentor_address or address_name(mentor)
        self.body.setPlaceholderText(
            f"e.g. Hello {first} and {other}, how are your sessions going? "
            "Is there anything I can help with?"
        )
        self.body.setMinimumHeight(170)
        self.body.textChanged.connect(self._update)
        form.addRow("Message", self.body)
        layout.addLayout(form)
        self.status = QLabel("", objectName="hint")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self.send)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.body.setFocus()
        self._update()

    def missing(self) -> str:
        """What stops sending, in words ("" when it can go)."""
        if not self.subject.text().strip():
            return "Write a subject."
        if not self.body.toPlainText().strip():
            return "Write a message to send."
        return ""

    def busy(self) -> bool:
        return self._task is not None and not self._task.done

    def _update(self) -> None:
        missing = self.missing()
        if self.busy():
            self.status.setText("Sending…")
        else:
            self.status.setText(missing)
        self.send_button.setEnabled(not missing and not self.busy())
        self.subject.setReadOnly(self.busy())
        self.body.setReadOnly(self.busy())

    def send(self) -> Task | None:
        """Send in a worker; the dialog closes when it is written, or shows why not."""
        if self.missing() or self.busy():
            return None
        context, mid = self.context, self.mentorship_id
        subject, body = self.subject.text(), self.body.toPlainText()

        def write() -> SentMessage:
            with context.unit_of_work() as ctx:
                return pair_messages.message_both(ctx, mid, subject, body)

        self.banner.hide()
        self._task = run_in_background(
            write, on_success=self._done, on_error=self._failed, owner=self
        )
        self._update()
        return self._task

    def _done(self, sent: SentMessage) -> None:
        self.result_message = sent
        self._update()
        self.sent.emit(sent)
        self.accept()

    def _failed(self, error: TaskError) -> None:
        exc = error.exception
        reason = exc.message if isinstance(exc, MessagingError) else error.message
        self.banner.show_message(f"Not sent: {reason}", "error")
        self._update()

    def reject(self) -> None:
        """Cancel closes the dialog, except while the message is being written (it would
        be sent anyway: the worker cannot be stopped mid-transaction)."""
        if self.busy():
            return
        super().reject()
