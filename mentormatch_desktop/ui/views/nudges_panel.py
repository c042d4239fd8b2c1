"""The coordinator's "Waiting for a first session" tab on the Schedule screen: running pairs
with no session N days after they started, and a nudge to both (three suggested times).

Loading and nudging run on workers (finding suggested times reads calendars); the service
(:mod:`mentormatch_desktop.services.nudges`) decides who may be nudged again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services import nudges
from mentormatch_desktop.services.programs import list_programs
from mentormatch_desktop.ui.widgets import make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError

if TYPE_CHECKING:
    from mentormatch_desktop.ui.views.base import View

HEADERS = ["Mentor", "Mentee", "Started", "Waiting", "Last nudged"]
PROGRAM_SETTING = -1


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _date(value) -> str:  # type: ignore[no-untyped-def]
    return f"{value.day} {value:%b %Y}"


class NudgesPanel(QWidget):
    """Pairs waiting for a first session; ``view`` runs the work and owns the banner."""

    def __init__(self, view: View, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.pairs: list[nudges.WaitingPair] | None = None
        self._programs_loaded = False
        col = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.program = QComboBox()
        self.program.addItem("All programs", None)
        self.program.currentIndexChanged.connect(lambda _=0: self.reload())
        # -1 ("as the program says"): each program's own threshold (Programs screen)
        self.after_days = QSpinBox(minimum=PROGRAM_SETTING, maximum=365, value=PROGRAM_SETTING)
        self.after_days.setSuffix(" days")
        self.after_days.setSpecialValueText("program's setting")
        self.after_days.setToolTip(
            "Pairs count as waiting this many days after they started. Each program sets "
            "its own on the Programs screen; pick a number to look differently once."
        )
        self.after_days.editingFinished.connect(self.reload)
        filters.addWidget(QLabel("Program"))
        filters.addWidget(self.program, 1)
        filters.addWidget(QLabel("No session after"))
        filters.addWidget(self.after_days)
        col.addLayout(filters)
        self.summary = QLabel(objectName="muted")
        self.summary.setWordWrap(True)
        col.addWidget(self.summary)
        self.table = read_only_table(
            HEADERS, selection=QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        col.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.nudge_button = make_button(
            "Nudge selected", "send", primary=True, on_click=self.nudge_selected
        )
        self.nudge_button.setToolTip(
            "Message both people in their mentorship thread, with three times that suit both."
        )
        self.nudge_all_button = make_button("Nudge all waiting", "send", on_click=self.nudge_all)
        actions.addWidget(self.nudge_button)
        actions.addWidget(self.nudge_all_button)
        actions.addStretch(1)
        col.addLayout(actions)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------
    def reload(self) -> Task:
        program_id = self.program.currentData()
        after = self.after_days.value()
        after = None if after == PROGRAM_SETTING else after
        context = self.view.context
        want_programs = not self._programs_loaded

        def load():  # type: ignore[no-untyped-def]
            with context.unit_of_work() as ctx:
                programs = [(p.id, p.name) for p in list_programs(ctx)] if want_programs else None
                return programs, nudges.waiting_pairs(ctx, program_id, after_days=after)

        return self.view.run(load, on_success=self._loaded, on_error=self._failed)

    def _loaded(self, result) -> None:  # type: ignore[no-untyped-def]
        programs, pairs = result
        if programs is not None and not self._programs_loaded:
            self._programs_loaded = True
            self.program.blockSignals(True)
            for pid, name in programs:
                self.program.addItem(name, pid)
            self.program.blockSignals(False)
        self.show_pairs(pairs)

    def show_pairs(self, pairs: list[nudges.WaitingPair]) -> None:
        self.pairs = pairs
        self.table.setRowCount(len(pairs))
        for row, p in enumerate(pairs):
            nudged = "Never" if p.last_nudged_at is None else _date(p.last_nudged_at)
            if not p.may_nudge:
                nudged += " (recently)"
            values = [
                p.mentor_name,
                p.mentee_name,
                _date(p.started_at),
                _count(p.days_waiting, "day"),
                nudged,
            ]
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        ready = sum(p.may_nudge for p in pairs)
        cooldowns = sorted({p.cooldown_days for p in pairs})
        if not pairs:
            self.summary.setText("Every running pair has had or booked a session.")
        else:
            rule = (
                f"at most once in {_count(cooldowns[0], 'day')}"
                if len(cooldowns) == 1
                else "at most once in its program's cooldown, "
                + "–".join(str(c) for c in (cooldowns[0], cooldowns[-1]))
                + " days"
            )
            self.summary.setText(
                f"{_count(len(pairs), 'pair')} without a session yet; {ready} can be nudged "
                f"(a pair is nudged {rule})."
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        pairs = self.pairs or []
        rows = {i.row() for i in self.table.selectedIndexes()}
        self.nudge_button.setEnabled(any(pairs[r].may_nudge for r in rows if r < len(pairs)))
        self.nudge_all_button.setEnabled(any(p.may_nudge for p in pairs))

    def _failed(self, error: TaskError) -> None:
        self.view.banner.show_message(str(error.message), "error")  # type: ignore[attr-defined]

    # -- nudging -------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        pairs = self.pairs or []
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [pairs[r].mentorship_id for r in rows if r < len(pairs) and pairs[r].may_nudge]

    def nudge_selected(self) -> Task | None:
        ids = self.selected_ids()
        return self._nudge(ids) if ids else None

    def nudge_all(self) -> Task | None:
        ids = [p.mentorship_id for p in self.pairs or [] if p.may_nudge]
        return self._nudge(ids) if ids else None

    def _nudge(self, ids: list[int]) -> Task:
        context = self.view.context
        self.nudge_button.setEnabled(False)
        self.nudge_all_button.setEnabled(False)

        def work() -> nudges.NudgeResult:
            with context.unit_of_work() as ctx:
                return nudges.nudge_pairs(ctx, ids)

        def ok(result: nudges.NudgeResult) -> None:
            text = f"Nudged {_count(len(result.sent), 'pair')}."
            if result.skipped:
                text += f" {len(result.skipped)} skipped (nudged recently or no longer waiting)."
            self.view.banner.show_message(text, "info")  # type: ignore[attr-defined]
            context.notify("inbox", source=self.view)
            self.reload()

        return self.view.run(work, on_success=ok, on_error=self._failed)
