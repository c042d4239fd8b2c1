"""A participant's milestones in one mentorship: what is open, what is done, and ticking
off their own (opened from the count on a Home card, which used to lead nowhere).

Reads and writes through :mod:`mentormatch_desktop.services.my_milestones` in workers.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.services.my_milestones import (
    MyMilestone,
    complete_my_milestone,
    my_milestones,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.formatting import MISSING, format_date, plural
from mentormatch_desktop.ui.widgets import Banner, make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background


class MilestonesDialog(QDialog):
    """Milestones with ``partner``; ``changed`` after one was marked done."""

    changed = Signal()

    def __init__(
        self,
        context: AppContext,
        mentorship_id: int,
        partner: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context, self.mentorship_id = context, mentorship_id
        self.milestones: list[MyMilestone] | None = None
        self.setWindowTitle(f"Milestones with {partner}")
        self.resize(680, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Milestones with {partner}", objectName="sectionTitle"))
        self.summary = QLabel("Loading…", objectName="muted")
        layout.addWidget(self.summary)
        self.banner = Banner()
        layout.addWidget(self.banner)
        self.table = read_only_table(
            ["Milestone", "Goal", "Whose", "Due", "Done"],
            empty="No milestones yet. When you log a session, its next steps can become "
            "milestones.",
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.done_button = make_button(
            "Mark done", "check", primary=True, on_click=lambda: self.mark_selected_done()
        )
        self.done_button.setEnabled(False)
        row.addWidget(self.done_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.load()

    # -- reading -------------------------------------------------------------------------
    def _read(self) -> list[MyMilestone]:
        with self.context.unit_of_work() as ctx:
            return my_milestones(ctx, self.mentorship_id)

    def load(self) -> Task:
        return run_in_background(
            self._read, on_success=self.show_milestones, on_error=self._failed, owner=self
        )

    def show_milestones(self, milestones: list[MyMilestone]) -> None:
        self.milestones = milestones
        open_ = sum(1 for m in milestones if not m.done)
        self.summary.setText(
            f"{plural(open_, 'open milestone')} · {len(milestones) - open_} done"
            if milestones
            else ""
        )
        self.table.setRowCount(len(milestones))
        for row, m in enumerate(milestones):
            cells = [
                m.title,
                m.goal or MISSING,
                m.owner,
                format_date(m.due_on),
                format_date(m.completed_at) if m.done else "Open",
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._update_buttons()

    def _failed(self, error: TaskError) -> None:
        self.banner.show_message(error.message, "error")
        self._update_buttons()

    # -- acting --------------------------------------------------------------------------
    def selected(self) -> MyMilestone | None:
        picked = self.table.selectionModel().selectedRows()
        if not picked or self.milestones is None or picked[0].row() >= len(self.milestones):
            return None
        return self.milestones[picked[0].row()]

    def _update_buttons(self) -> None:
        m = self.selected()
        self.done_button.setEnabled(bool(m and m.mine and not m.done))
        if m is not None and not m.mine and not m.done:
            self.done_button.setToolTip(f"Only {m.owner} can mark this milestone done.")
        else:
            self.done_button.setToolTip("")

    def mark_selected_done(self) -> Task | None:
        m = self.selected()
        if m is None or not m.mine or m.done:
            return None
        self.done_button.setEnabled(False)

        def write() -> list[MyMilestone]:
            with self.context.unit_of_work() as ctx:
                complete_my_milestone(ctx, m.id)
            return self._read()

        def written(milestones: list[MyMilestone]) -> None:
            self.show_milestones(milestones)
            self.banner.show_message(f"Done: {m.title}", "info")
            self.changed.emit()

        return run_in_background(write, on_success=written, on_error=self._failed, owner=self)
