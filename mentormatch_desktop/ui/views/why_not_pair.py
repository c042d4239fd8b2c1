""" "Why not this pair?" on the Matching screen: a mentee, the mentor the coordinator expected,
and the solver's answer — what forcing the pair would cost and what stands in the way.

The answer comes from :func:`mentormatch_desktop.services.matching.why_not`, run in a worker;
this box only collects the two people and lays the answer out.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.services.match_analysis import WhyNotAnswer
from mentormatch_desktop.services.match_runs import RunDetail
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import make_button
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background


def _searchable_combo(placeholder: str) -> QComboBox:
    """A combo the user can type into (any part of a name) — programs have thousands."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.lineEdit().setPlaceholderText(placeholder)
    completer = combo.completer()
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return combo


def describe(answer: WhyNotAnswer, mentee: str, mentor: str) -> str:
    """The answer as rich text: verdict, the two deltas, then what is in the way."""
    palette = theme.current()
    if answer.possible:
        costs = answer.delta_matched < 0 or answer.delta_total < 0
        colour = palette.warning if costs else palette.success
        verdict = (
            f"<b>{escape(mentee)} with {escape(mentor)} is possible.</b> Forcing it changes "
            f"the run by:<br><b style='color:{colour}'>Δ matched {answer.delta_matched:+d} · "
            f"Δ total score {answer.delta_total:+.3f}</b>"
        )
    else:
        verdict = (
            f"<b style='color:{palette.error}'>{escape(mentee)} cannot be matched with "
            f"{escape(mentor)}.</b>"
        )
    parts = [verdict]
    if answer.obstacles:
        items = "".join(f"<li>{escape(o)}</li>" for o in answer.obstacles)
        parts.append(f"What stands in the way:<ul style='margin:0'>{items}</ul>")
    # The service's sentence often restates an obstacle ("They cannot be matched: …");
    # say each thing once.
    if answer.text and not any(o in answer.text for o in answer.obstacles):
        parts.append(escape(answer.text))
    return "<br>".join(parts)


class WhyNotPairBox(QWidget):
    """Pick a mentee and a mentor, ask the solver. ``answered(answer)`` after each reply."""

    answered = Signal(object)  # WhyNotAnswer
    failed = Signal(object)  # TaskError

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.detail: RunDetail | None = None
        self.answer: WhyNotAnswer | None = None
        self.task: Task | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        self.mentee = _searchable_combo("Mentee")
        self.mentor = _searchable_combo("Mentor you expected")
        column.addWidget(self.mentee)
        column.addWidget(self.mentor)
        self.ask_button = make_button("Why not this pair?", "info", on_click=self.ask)
        row = QHBoxLayout()
        row.addWidget(self.ask_button)
        row.addStretch(1)
        column.addLayout(row)
        self.result = QLabel(objectName="muted")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.result)

    def set_run(self, detail: RunDetail) -> None:
        keep = (self.mentee.currentData(), self.mentor.currentData())
        self.detail = detail
        for combo, people, wanted in (
            (self.mentee, detail.mentees, keep[0]),
            (self.mentor, detail.mentors, keep[1]),
        ):
            combo.blockSignals(True)
            combo.clear()
            for pid, name in people:
                combo.addItem(name, pid)
            combo.setCurrentIndex(max(0, combo.findData(wanted)) if people else -1)
            combo.blockSignals(False)
        self.ask_button.setEnabled(bool(detail.mentees and detail.mentors))
        self.result.setText("")

    def select(self, mentee_id: int | None = None, mentor_id: int | None = None) -> None:
        """Preselect people (the mentee of the pair the coordinator is looking at)."""
        for combo, pid in ((self.mentee, mentee_id), (self.mentor, mentor_id)):
            index = combo.findData(pid) if pid is not None else -1
            if index >= 0:
                combo.setCurrentIndex(index)

    def _picked(self, combo: QComboBox) -> tuple[int, str] | None:
        # A typed name that matches an entry counts; free text that matches nobody does not.
        index = combo.findText(combo.currentText(), Qt.MatchFlag.MatchFixedString)
        if index < 0:
            return None
        return int(combo.itemData(index)), combo.itemText(index)

    def ask(self) -> Task | None:
        mentee, mentor = self._picked(self.mentee), self._picked(self.mentor)
        if self.detail is None or mentee is None or mentor is None:
            self.result.setText("Pick a mentee and a mentor from the lists first.")
            return None
        if mentee[0] == mentor[0]:
            self.result.setText("Pick two different people.")
            return None
        run_id, context = self.detail.run.id, self.context
        self.result.setText(f"Asking the solver about {mentee[1]} with {mentor[1]}…")
        self.ask_button.setEnabled(False)

        def ask() -> Any:
            with context.unit_of_work() as ctx:
                return matching_service.why_not(ctx, run_id, mentee[0], mentor[0])

        def answered(answer: WhyNotAnswer) -> None:
            self.answer = answer
            self.result.setText(describe(answer, mentee[1], mentor[1]))
            self.answered.emit(answer)

        def failed(error: TaskError) -> None:
            self.result.setText(f"No answer: {escape(error.message)}")
            self.failed.emit(error)

        self.task = run_in_background(
            ask,
            on_success=answered,
            on_error=failed,
            on_finished=lambda: self.ask_button.setEnabled(True),
            owner=self,
        )
        return self.task
