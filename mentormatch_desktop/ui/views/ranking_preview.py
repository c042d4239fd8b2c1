"""Weight sliders and the live preview of how a program's ranking changes as they move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

SLIDER_STEPS = 100  # a slider position p means weight p / 100 * MAX_WEIGHT
MAX_WEIGHT = 2.0
PREVIEW_DELAY_MS = 250  # wait for the slider to rest before recomputing


@dataclass(frozen=True)
class CriterionInfo:
    name: str
    label: str
    description: str
    default_weight: float


class WeightSliders(QWidget):
    """One slider per criterion (0 – 2), with the criterion's share of the total weight."""

    weights_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 4, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(8)
        self.sliders: dict[str, QSlider] = {}
        self.shares: dict[str, QLabel] = {}
        self.empty = QLabel("No matching criteria are installed.", objectName="muted")
        self.grid.addWidget(self.empty, 0, 0)

    def set_criteria(self, criteria: list[CriterionInfo]) -> None:
        current = self.weights()
        for widget in [*self.sliders.values(), *self.shares.values()]:
            widget.deleteLater()
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None and item.widget() is not self.empty:
                item.widget().deleteLater()
        self.sliders, self.shares = {}, {}
        self.empty.setVisible(not criteria)
        if not criteria:
            self.grid.addWidget(self.empty, 0, 0)
        for row, criterion in enumerate(criteria):
            label = QLabel(criterion.label)
            label.setToolTip(criterion.description)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, SLIDER_STEPS)
            slider.setToolTip(criterion.description)
            slider.setObjectName(f"weight_{criterion.name}")
            slider.setMinimumWidth(140)
            share = QLabel(objectName="muted")
            share.setMinimumWidth(44)
            share.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(slider, row, 1)
            self.grid.addWidget(share, row, 2)
            self.sliders[criterion.name] = slider
            self.shares[criterion.name] = share
            slider.setValue(_position(current.get(criterion.name, criterion.default_weight)))
            slider.valueChanged.connect(self._on_moved)
        self.grid.setColumnStretch(1, 1)
        self._update_shares()

    def set_weights(self, weights: dict[str, float]) -> None:
        for name, slider in self.sliders.items():
            slider.blockSignals(True)
            slider.setValue(_position(weights.get(name, 0.0)))
            slider.blockSignals(False)
        self._update_shares()

    def weights(self) -> dict[str, float]:
        return {name: s.value() * MAX_WEIGHT / SLIDER_STEPS for name, s in self.sliders.items()}

    def _on_moved(self, _value: int) -> None:
        self._update_shares()
        self.weights_changed.emit(self.weights())

    def _update_shares(self) -> None:
        weights = self.weights()
        total = sum(weights.values())
        for name, label in self.shares.items():
            label.setText(f"{weights[name] / total:.0%}" if total > 0 else "–")


def _position(weight: float) -> int:
    return max(0, min(SLIDER_STEPS, round(weight / MAX_WEIGHT * SLIDER_STEPS)))


def fetch_preview(engine: Any, program_id: int, weights: dict[str, float]) -> Any:
    """Ask the matching service how the ranking looks with ``weights`` (runs in a worker)."""
    from mentormatch_desktop.services.matching import preview_ranking
    from mentormatch_desktop.storage.db import session_factory

    with session_factory(engine)() as session:
        return preview_ranking(session, program_id, weights)


class RankingPreview(QGroupBox):
    """Top pairs under the current weights and how far each moved from the saved weights."""

    updated = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Ranking preview", parent)
        self.context = context
        self.program_id: int | None = None
        self._pending: dict[str, float] | None = None
        self._task: Task | None = None
        self.result: Any = None
        layout = QVBoxLayout(self)
        self.caption = QLabel(objectName="hint")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["#", "Mentee", "Mentor", "Score"])
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(260)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._compute)
        self.set_program(None)

    def set_program(self, program_id: int | None, saved: dict[str, float] | None = None) -> None:
        self.program_id = program_id
        self.saved_weights = dict(saved or {})
        self.table.setRowCount(0)
        self.result = None
        if program_id is None:
            self.caption.setText("Save the program and enrol people to preview its ranking.")

    def request(self, weights: dict[str, float], *, immediately: bool = False) -> None:
        """Recompute soon (debounced while a slider moves)."""
        if self.program_id is None:
            return
        self._pending = dict(weights)
        self.caption.setText("Updating…")
        if immediately:
            self._compute()
        else:
            self._timer.start()

    def _compute(self) -> None:
        if self._task is not None and not self._task.done:
            self._timer.start()  # one computation at a time; retry when it finishes
            return
        if self._pending is None or self.program_id is None:
            return
        weights, self._pending = self._pending, None
        self._task = run_in_background(
            fetch_preview,
            self.context.engine,
            self.program_id,
            weights,
            on_success=self._show,
            on_error=self._failed,
        )

    def _failed(self, error: TaskError) -> None:
        self.caption.setText(f"Preview unavailable: {error.message}")

    def _show(self, result: Any) -> None:
        self.result = result
        rows = list(getattr(result, "rows", None) or [])
        if not rows:
            self.caption.setText(
                getattr(result, "message", "")
                or "Nobody is enrolled as mentor and mentee yet, so there is nothing to rank."
            )
            self.table.setRowCount(0)
            self.updated.emit()
            return
        moved = sum(1 for r in rows if getattr(r, "previous_rank", None) not in (None, r.rank))
        self.caption.setText(
            f"Best {len(rows)} pairs with these weights; {moved} moved compared with the saved "
            "weights (▲ up, ▼ down, ● new)."
        )
        palette = theme.current()
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            previous = getattr(row, "previous_rank", None)
            if previous is None:
                marker, colour = "●", palette.accent
            elif previous > row.rank:
                marker, colour = f"▲{previous - row.rank}", palette.success
            elif previous < row.rank:
                marker, colour = f"▼{row.rank - previous}", palette.error
            else:
                marker, colour = "", palette.muted
            rank = QTableWidgetItem(f"{row.rank} {marker}".strip())
            from PySide6.QtGui import QColor

            rank.setForeground(QColor(colour))
            self.table.setItem(i, 0, rank)
            self.table.setItem(i, 1, QTableWidgetItem(row.mentee_name))
            self.table.setItem(i, 2, QTableWidgetItem(row.mentor_name))
            self.table.setItem(i, 3, QTableWidgetItem(f"{row.score:.2f}"))
        self.updated.emit()
