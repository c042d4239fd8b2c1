"""Review learned weights next to the current ones, apply them as a new version, and choose
the text criterion (keyword goal fit or semantic fit).

Opened from the Programs screen for one program. Learning runs in a worker (progress and
cancel); nothing changes until the coordinator presses "Apply as new version", which saves
a versioned weight set with the evidence behind it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.matching.embeddings import semantic_status
from mentormatch_desktop.matching.learning import NotEnoughOutcomes
from mentormatch_desktop.services import learning as learning_service
from mentormatch_desktop.services import weights as weights_service
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.widgets import Banner, ProgressPanel, make_button, read_only_table
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

HEADERS = ("Criterion", "Current", "Suggested", "Change", "Effect on a good outcome (90 %)")


class WeightsReviewDialog(QDialog):
    """Learned vs current weights for one program (see module docstring)."""

    applied = Signal(int)  # the new weight-set version
    text_criterion_changed = Signal(str)

    def __init__(self, context: AppContext, program_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.program_id = program_id
        self.task: Task | None = None
        self.suggestion: learning_service.WeightSuggestion | None = None
        self.setWindowTitle("Learned weights")
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(QLabel("Weights learned from outcomes", objectName="pageTitle"))
        layout.addWidget(
            QLabel(
                "How much each criterion predicted a good mentorship (sessions held, ratings, "
                "milestones, not ending early) in your finished and ongoing mentorships. "
                "Nothing changes until you apply the suggestion as a new weight-set version.",
                objectName="hint",
                wordWrap=True,
            )
        )
        self.text_row = QHBoxLayout()
        self.text_label = QLabel(objectName="muted", wordWrap=True)
        self.switch_button = make_button("Use semantic fit", on_click=self.toggle_text_criterion)
        self.text_row.addWidget(self.text_label, 1)
        self.text_row.addWidget(self.switch_button)
        layout.addLayout(self.text_row)

        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(lambda: self.task and self.task.cancel())
        layout.addWidget(self.progress)
        self.banner = Banner("info")
        layout.addWidget(self.banner)

        self.facts = QGridLayout()
        self.facts.setHorizontalSpacing(24)
        self.fact_labels: dict[str, QLabel] = {}
        for i, (key, title) in enumerate(
            (("outcomes", "Outcomes"), ("confidence", "Confidence"), ("auc", "Held-out AUC"),
             ("effect", "Expected effect on the next run"))
        ):  # fmt: skip
            self.facts.addWidget(QLabel(title, objectName="muted"), 0, i)
            value = QLabel("—")
            value.setStyleSheet("font-weight: 600;")
            value.setWordWrap(True)
            self.fact_labels[key] = value
            self.facts.addWidget(value, 1, i)
        layout.addLayout(self.facts)

        self.table = read_only_table(HEADERS, selection=QTableWidget.SelectionMode.NoSelection)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.learn_button = make_button("Learn from outcomes", "refresh", on_click=self.learn)
        self.apply_button = make_button(
            "Apply as new version", "check", primary=True, on_click=self.apply
        )
        self.apply_button.setEnabled(False)
        buttons.addWidget(self.learn_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(make_button("Close", on_click=self.accept))
        layout.addLayout(buttons)
        self._refresh_text_criterion()

    # ------------------------------------------------------------------ text criterion
    def _refresh_text_criterion(self) -> None:
        status = semantic_status()
        context, program_id = self.context, self.program_id

        def read() -> dict[str, float]:
            with context.unit_of_work() as ctx:
                return weights_service.current_weights(ctx, program_id).weights

        def show(weights: dict[str, float]) -> None:
            semantic_on = weights.get("semantic_fit", 0.0) > 0
            if not status.available:
                reason = status.reason[:1].upper() + status.reason[1:]  # a sentence of its own
                self.text_label.setText(
                    f"Text criterion: keyword goal fit. Semantic fit is not available: {reason}."
                )
                self.switch_button.setEnabled(False)
                self.switch_button.setToolTip("Semantic fit is not installed on this computer")
            elif semantic_on:
                self.text_label.setText(
                    "Text criterion: semantic fit (sentence embeddings, understands paraphrases)."
                )
                self.switch_button.setText("Use keyword goal fit")
            else:
                self.text_label.setText(
                    "Text criterion: keyword goal fit (TF-IDF). Semantic fit is available."
                )
                self.switch_button.setText("Use semantic fit")
            self.switch_button.setProperty("target", "goal_fit" if semantic_on else "semantic_fit")

        run_in_background(read, on_success=show, on_error=self._failed, owner=self)

    def toggle_text_criterion(self) -> None:
        target = str(self.switch_button.property("target") or "semantic_fit")
        context, program_id = self.context, self.program_id

        def switch() -> Any:
            with context.unit_of_work() as ctx:
                return weights_service.switch_text_criterion(ctx, program_id, target)

        def done(result: Any) -> None:
            self.banner.show_message(
                f"{result.active} is now the text criterion (weight-set version {result.version}).",
                "info",
            )
            self.context.notify("programs")
            self.text_criterion_changed.emit(result.active)
            self._refresh_text_criterion()

        run_in_background(switch, on_success=done, on_error=self._failed, owner=self)

    # ------------------------------------------------------------------------ learning
    def learn(self) -> None:
        self.banner.hide()
        self.learn_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.progress.start("Reading outcomes…")
        from mentormatch_desktop.services.process_jobs import suggest_weights_job
        from mentormatch_desktop.ui.processes import run_in_process

        # Criterion matrices (and the sentence model, when the program uses semantic fit)
        # are computed in their own process so that the window keeps answering.
        self.task = run_in_process(
            suggest_weights_job,
            self.context.database_url,
            self.program_id,
            progress=self.progress.update_progress,
            cancel=True,
            on_success=self.show_suggestion,
            on_error=self._failed,
            on_finished=self._finished,
            owner=self,
        )

    def _finished(self) -> None:
        self.progress.stop()
        self.learn_button.setEnabled(True)

    def _failed(self, error: TaskError) -> None:
        if isinstance(error.exception, NotEnoughOutcomes):
            self.banner.show_message(str(error.exception), "warning")
        else:
            self.banner.show_message(f"Could not learn weights: {error.message}", "error")

    def show_suggestion(self, suggestion: learning_service.WeightSuggestion) -> None:
        self.suggestion = suggestion
        lw = suggestion.learned
        self.fact_labels["outcomes"].setText(
            f"{lw.n_outcomes} ({lw.n_good} good, {lw.n_ongoing} ongoing)"
        )
        self.fact_labels["confidence"].setText(lw.confidence)
        self.fact_labels["auc"].setText(
            f"{lw.cv_auc:.2f} learned · {lw.auc_current:.2f} current · {lw.auc_uniform:.2f} uniform"
        )
        effect = suggestion.effect
        self.fact_labels["effect"].setText(
            "—"
            if effect is None
            else f"good outcomes {effect.current_rate:.0%} → {effect.suggested_rate:.0%}; "
            f"{effect.changed_picks} of {effect.mentees} first choices change"
        )
        rows = sorted(lw.criteria, key=lambda c: -c.suggested)
        criteria = self.context.plugins.criteria()

        def label(name: str) -> str:
            return criteria[name].label if name in criteria else name

        self.table.setRowCount(len(rows) + len(lw.dropped))
        up, down = QColor(theme.current().accent), QColor(theme.current().warning)
        for r, c in enumerate(rows):
            change = c.suggested - c.current
            lo, hi = c.interval
            cells = (
                label(c.name),
                f"{c.current:.3f}",
                f"{c.suggested:.3f}",
                f"{change:+.3f}",
                f"{c.coefficient:+.2f}  ({lo:+.2f} … {hi:+.2f})"
                + ("" if lo > 0 or hi < 0 else "  · not clearly different from 0"),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 3 and abs(change) >= 0.005:
                    item.setForeground(up if change > 0 else down)
                self.table.setItem(r, col, item)
        for k, (name, why) in enumerate(lw.dropped.items(), start=len(rows)):
            self.table.setItem(k, 0, QTableWidgetItem(label(name)))
            self.table.setItem(k, 4, QTableWidgetItem(f"not used: {why}"))
        self.banner.show_message(lw.advice(), "info" if lw.better_than_current else "warning")
        self.apply_button.setEnabled(True)

    def apply(self) -> None:
        if self.suggestion is None:
            return
        suggestion, context = self.suggestion, self.context
        self.apply_button.setEnabled(False)

        def save() -> learning_service.AppliedWeights:
            with context.unit_of_work() as ctx:
                return learning_service.apply_learned_weights(ctx, suggestion)

        def done(applied: learning_service.AppliedWeights) -> None:
            self.banner.show_message(
                f"Saved as weight-set version {applied.version}. The next match run uses it.",
                "info",
            )
            self.context.notify("programs")
            self.applied.emit(applied.version)

        run_in_background(save, on_success=done, on_error=self._failed, owner=self)
