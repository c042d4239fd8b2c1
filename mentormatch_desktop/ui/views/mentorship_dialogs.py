"""Dialogs to end a mentorship or re-match its mentee, each with a reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import mentorships as service
from mentormatch_desktop.services.mentorships import Candidate, MentorshipRow
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner, make_button, section_title, set_invalid
from mentormatch_desktop.ui.workers import TaskError, run_in_background


class _ReasonDialog(QDialog):
    done_signal = Signal(int)

    def __init__(self, context: AppContext, row: MentorshipRow, title: str, parent: QWidget | None):
        super().__init__(parent)
        self.context = context
        self.row = row
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 18, 20, 16)
        self.layout_.setSpacing(10)
        heading = QLabel(f"{row.mentee} ↔ {row.mentor}", objectName="pageTitle")
        self.layout_.addWidget(heading)
        self.layout_.addWidget(QLabel(row.program, objectName="muted"))
        self.banner = Banner("error")
        self.layout_.addWidget(self.banner)
        self.layout_.addWidget(section_title("Reason"))
        self.reason = QPlainTextEdit(placeholderText="Kept in the pairing's history")
        self.reason.setFixedHeight(80)
        self.layout_.addWidget(self.reason)

    def _buttons(self, label: str, icon: str) -> None:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(make_button("Cancel", on_click=self.reject))
        self.ok_button = make_button(label, icon, primary=True, on_click=self.submit)
        row.addWidget(self.ok_button)
        self.layout_.addLayout(row)

    def _failed(self, error: TaskError) -> None:
        self.ok_button.setEnabled(True)
        self.banner.show_message(error.message, "error")

    def _check_reason(self) -> bool:
        ok = bool(self.reason.toPlainText().strip())
        set_invalid(self.reason, not ok, "Say why")
        if not ok:
            self.banner.show_message("Please give a reason; it is kept in the history.", "error")
        return ok


class EndMentorshipDialog(_ReasonDialog):
    """Completed, or ended early, with a reason."""

    def __init__(self, context: AppContext, row: MentorshipRow, parent: QWidget | None = None):
        super().__init__(context, row, "End mentorship", parent)
        self.ended_early = QRadioButton("Ended early")
        self.completed = QRadioButton("Completed: they reached what they set out to do")
        self.ended_early.setChecked(True)
        self.layout_.addWidget(self.ended_early)
        self.layout_.addWidget(self.completed)
        self._buttons("End mentorship", "stop")
        self.resize(520, 360)

    def submit(self) -> None:
        if not self._check_reason():
            return
        reason, completed, context, mid = (
            self.reason.toPlainText(), self.completed.isChecked(), self.context, self.row.id,
        )  # fmt: skip

        def end() -> int:
            with context.unit_of_work() as ctx:
                return service.end_mentorship(ctx, mid, reason, completed=completed)

        self.ok_button.setEnabled(False)
        run_in_background(end, on_success=self._ended, on_error=self._failed, owner=self)

    def _ended(self, mentorship_id: int) -> None:
        self.done_signal.emit(mentorship_id)
        self.accept()


class RematchDialog(_ReasonDialog):
    """Pick another mentor (a peer, in a peer program), best first and only those with a
    free seat, and give a reason."""

    def __init__(self, context: AppContext, row: MentorshipRow, parent: QWidget | None = None):
        super().__init__(context, row, "Re-match", parent)
        self.candidates: list[Candidate] = []
        # A peer program has no mentors: the person re-matched gets another peer.
        self.side = "peer" if row.peer else "mentor"
        self.layout_.addWidget(section_title(f"New {self.side} for {row.mentee}"))
        self.hint = QLabel(f"Finding {self.side}s with a free seat…", objectName="hint")
        self.layout_.addWidget(self.hint)
        self.table = QTableWidget(0, 3)
        # The title above names the person; a header holding the name was cut off.
        self.table.setHorizontalHeaderLabels([self.side.capitalize(), "Score", "Free seats"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.layout_.addWidget(self.table, 1)
        self._buttons("Re-match", "swap")
        self.ok_button.setEnabled(False)
        self.resize(620, 560)
        context_, mid = context, row.id

        def load() -> list[Candidate]:
            with context_.unit_of_work() as ctx:
                return service.rematch_candidates(ctx, mid)

        run_in_background(load, on_success=self._show, on_error=self._load_failed, owner=self)

    def _show(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.hint.setText(
            "Best first, under the program's weights and rules."
            if candidates
            else f"No other {self.side} in this program has a free seat."
        )
        self.table.setRowCount(len(candidates))
        for r, c in enumerate(candidates):
            for col, text in enumerate((c.name, f"{c.score:.2f}", str(c.free_seats))):
                self.table.setItem(r, col, QTableWidgetItem(text))
        if candidates:
            self.table.selectRow(0)
            self.ok_button.setEnabled(True)

    def _load_failed(self, error: TaskError) -> None:
        self.hint.setText(f"Cannot suggest {self.side}s: {error.message}")

    def submit(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not self._check_reason():
            return
        chosen = self.candidates[rows[0].row()]
        reason, context, mid = self.reason.toPlainText(), self.context, self.row.id

        def rematch() -> Any:
            with context.unit_of_work() as ctx:
                return service.rematch(ctx, mid, chosen.mentor_id, reason, score=chosen.score)

        self.ok_button.setEnabled(False)
        run_in_background(rematch, on_success=self._done, on_error=self._failed, owner=self)

    def _done(self, new_id: int) -> None:
        self.done_signal.emit(new_id)
        self.accept()
