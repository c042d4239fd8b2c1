"""Weight sliders and the live preview of how a program's ranking changes as they move."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
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
from mentormatch_desktop.ui.widgets import clear_layout, discard
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
            discard(widget)
        clear_layout(self.grid, keep=[self.empty])
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


@dataclass(frozen=True)
class PreviewPair:
    """The saved-weights ranking (baseline) and the one under the sliders' weights."""

    baseline: Any  # services.weights.RankingPreview
    current: Any


def fetch_preview(
    context: AppContext,
    program_id: int,
    weights: dict[str, float],
    baseline_weights: dict[str, float],
    baseline: Any = None,
    *,
    cancel: Any = None,
) -> PreviewPair:
    """Rank every mentee's best mentors under ``weights`` (and the saved weights, once)."""
    from mentormatch_desktop.services.weights import preview_ranking

    with context.unit_of_work() as ctx:
        if baseline is None:
            baseline = preview_ranking(ctx, program_id, baseline_weights or weights, cancel=cancel)
        current = preview_ranking(ctx, program_id, weights, cancel=cancel)
    return PreviewPair(baseline, current)


SHOWN_ROWS = 12


class RankingPreview(QGroupBox):
    """How each mentee's first-choice mentor changes from the saved weights to the sliders'."""

    updated = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Ranking preview", parent)
        self.context = context
        self.program_id: int | None = None
        self.saved_weights: dict[str, float] = {}
        self._baseline: Any = None
        self._pending: dict[str, float] | None = None
        self._task: Task | None = None
        self.result: PreviewPair | None = None
        layout = QVBoxLayout(self)
        self.caption = QLabel(objectName="hint")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Mentee", "Best mentor", "Before", "Score"])
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(280)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._compute)
        self.set_program(None)

    def set_program(self, program_id: int | None, saved: dict[str, float] | None = None) -> None:
        self.program_id = program_id
        self.saved_weights = dict(saved or {})
        self._baseline = None
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
        if sum(weights.values()) <= 0:
            self.caption.setText("Give at least one criterion a weight above zero.")
            return
        program_id = self.program_id

        def shown(pair: PreviewPair) -> None:
            if program_id == self.program_id:
                self._baseline = pair.baseline
                self._show(pair)

        self._task = run_in_background(
            fetch_preview,
            self.context,
            program_id,
            weights,
            self.saved_weights,
            self._baseline,
            cancel=True,
            on_success=shown,
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, error: TaskError) -> None:
        self.caption.setText(f"Preview unavailable: {error.message}")
        self.updated.emit()

    def _show(self, pair: PreviewPair) -> None:
        self.result = pair
        rows = [r for r in pair.current.rows if r.top]
        if not rows:
            self.caption.setText(
                "Nobody is enrolled as mentor and mentee yet, so there is nothing to rank."
            )
            self.table.setRowCount(0)
            self.updated.emit()
            return
        before = {r.mentee_id: r.top[0] for r in pair.baseline.rows if r.top}
        changed = [
            r
            for r in rows
            if r.mentee_id in before and before[r.mentee_id].mentor_id != r.top[0].mentor_id
        ]
        delta = pair.current.mean_best_score - pair.baseline.mean_best_score
        tops = pair.current.distinct_top_mentors
        spread = (
            "1 mentor is someone's first choice."
            if tops == 1
            else f"{tops} mentors are someone's first choice."
        )
        scope = f"Unmatched mentees only ({len(rows)}): people already in a pair are left out."
        if not changed and abs(delta) < 0.005:
            head = "Best mentor under the saved weights · mean best score "
            head += f"{pair.current.mean_best_score:.2f} · "
            self.caption.setText(f"{scope}<br>{head}{spread} Move a slider to see what changes.")
        else:
            self.caption.setText(
                f"{scope}<br>First choice changes for {len(changed)} of {len(rows)} · mean best "
                f"score {pair.current.mean_best_score:.2f} ({delta:+.2f}) · {spread}"
            )
        shown = (changed + [r for r in rows if r not in changed])[:SHOWN_ROWS]
        palette = theme.current()
        self.table.setRowCount(len(shown))
        for i, row in enumerate(shown):
            top = row.top[0]
            old = before.get(row.mentee_id)
            mentor = QTableWidgetItem(top.name)
            mentor.setToolTip(top.name)
            was = QTableWidgetItem("—")
            if old is not None and old.mentor_id != top.mentor_id:
                mentor.setForeground(QColor(palette.accent_text))
                was = QTableWidgetItem(old.name)
                was.setToolTip(f"Best mentor under the saved weights: {old.name}")
            self.table.setItem(i, 0, QTableWidgetItem(row.name))
            self.table.setItem(i, 1, mentor)
            self.table.setItem(i, 2, was)
            score = QTableWidgetItem(f"{top.score:.2f}")
            score.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 3, score)
        self.updated.emit()
