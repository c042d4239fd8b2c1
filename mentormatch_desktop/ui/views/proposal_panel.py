"""The right-hand panel of the Matching screen: one proposal's reasons and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.domain.enums import ProposalStatus
from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.services.match_records import ProposalView
from mentormatch_desktop.services.match_runs import RunDetail
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.formatting import pair_sides
from mentormatch_desktop.ui.models.proposals import STATUS_LABELS
from mentormatch_desktop.ui.views.breakdown import BreakdownPanel
from mentormatch_desktop.ui.views.why_not_pair import WhyNotPairBox
from mentormatch_desktop.ui.widgets import CollapsibleSection, make_button
from mentormatch_desktop.ui.workers import TaskError, run_in_background

if TYPE_CHECKING:
    from mentormatch_desktop.ui.views.matching import MatchingView


def decision_hint(detail: RunDetail | None, editable: bool) -> str:
    """Under the decision buttons: what a decision does, or why the buttons are greyed
    out (an approved or failed run is a record; only a new run can change it)."""
    status = str(detail.run.status) if detail is not None else ""
    if editable or detail is None or status == "completed":
        return "Locked and accepted pairs are kept when you run matching again."
    if status == "approved":
        return (
            "This run is approved: its pairs are mentorships now (see Mentorships). "
            "Run matching again for new proposals."
        )
    return f"This run is {status}: its pairs can no longer be changed."


class ProposalPanel(QScrollArea):
    def __init__(self, view: MatchingView) -> None:
        super().__init__()
        self.view = view
        self.detail: RunDetail | None = None
        self.proposal: ProposalView | None = None
        self.swap_preview: Any = None
        self.setWidgetResizable(True)
        self.setMinimumWidth(360)
        body = QFrame(objectName="card")
        column = QVBoxLayout(body)
        column.setContentsMargins(18, 16, 18, 16)
        column.setSpacing(10)
        self.title = QLabel("Select a pair", objectName="emptyTitle")
        self.title.setWordWrap(True)
        self.score = QLabel(objectName="muted")
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.breakdown = BreakdownPanel()
        column.addWidget(self.title)
        column.addWidget(self.score)
        column.addWidget(self.explanation)
        # Folding sections: on a small window the user folds what they do not need, so
        # *Explain* and *Why not this pair?* need no scrolling. The choice is remembered.
        self.breakdown_title = CollapsibleSection("Score breakdown")
        self.breakdown_title.addWidget(self.breakdown)
        column.addWidget(self.breakdown_title)

        self.pair_box = QWidget()
        pair = QVBoxLayout(self.pair_box)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.setSpacing(10)
        column.addWidget(self.pair_box)
        self.decision_section = CollapsibleSection("Decision")
        pair.addWidget(self.decision_section)
        decisions = QHBoxLayout()
        self.accept_button = make_button("Accept", "check", on_click=lambda: self._decide("accept"))
        self.reject_button = make_button(
            "Reject", "reject", on_click=lambda: self._decide("reject")
        )
        self.lock_button = make_button("Lock", "lock", on_click=self._toggle_lock)
        for button in (self.accept_button, self.reject_button, self.lock_button):
            decisions.addWidget(button)
        decisions.addStretch(1)
        self.decision_section.addLayout(decisions)
        self.decision_hint = QLabel(objectName="hint")
        self.decision_hint.setWordWrap(True)
        self.decision_section.addWidget(self.decision_hint)

        self.swap_section = CollapsibleSection("Swap mentors", expanded=False)
        pair.addWidget(self.swap_section)
        self.swap_with = QComboBox()
        self.swap_with.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.swap_with.setMinimumContentsLength(12)
        self.swap_with.currentIndexChanged.connect(self._preview_swap)
        self.swap_section.addWidget(self.swap_with)
        self.swap_label = QLabel(objectName="muted")
        self.swap_label.setWordWrap(True)
        self.swap_section.addWidget(self.swap_label)
        self.swap_button = make_button("Apply swap", "swap", on_click=self._apply_swap)
        swap_row = QHBoxLayout()
        swap_row.addWidget(self.swap_button)
        swap_row.addStretch(1)
        self.swap_section.addLayout(swap_row)

        self.why_section = CollapsibleSection("Why not matched?")
        column.addWidget(self.why_section)
        self.unmatched = QComboBox()
        self.unmatched.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.unmatched.setMinimumContentsLength(12)
        self.why_section.addWidget(self.unmatched)
        self.why_button = make_button("Explain", "info", on_click=self._why_not)
        why_row = QHBoxLayout()
        why_row.addWidget(self.why_button)
        why_row.addStretch(1)
        self.why_section.addLayout(why_row)
        self.why_label = QLabel(objectName="muted")
        self.why_label.setWordWrap(True)
        self.why_section.addWidget(self.why_label)

        self.pair_why_section = CollapsibleSection("Why not this pair?")
        column.addWidget(self.pair_why_section)
        self.pair_why = WhyNotPairBox(view.context)
        self.pair_why_section.addWidget(self.pair_why)
        column.addStretch(1)
        self.sections = {
            "breakdown": self.breakdown_title, "decision": self.decision_section,
            "swap": self.swap_section, "why_not": self.why_section,
            "why_not_pair": self.pair_why_section,
        }  # fmt: skip
        self._restored = False
        for key, section in self.sections.items():
            section.toggled.connect(lambda on, key=key: self._remember(key, on))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(body)
        self.editable = False
        self.show_proposal(None)

    def _settings(self) -> QSettings:
        found = getattr(self.window(), "qsettings", None)
        return found if isinstance(found, QSettings) else QSettings()

    def _remember(self, key: str, expanded: bool) -> None:
        if self._restored:  # not while restoring
            self._settings().setValue(f"matching/section_{key}", "open" if expanded else "folded")

    def showEvent(self, event: object) -> None:  # type: ignore[override]
        super().showEvent(event)  # type: ignore[arg-type]
        if not self._restored:
            settings = self._settings()
            for key, section in self.sections.items():
                stored = settings.value(f"matching/section_{key}")
                if stored in ("open", "folded"):
                    section.set_expanded(stored == "open")
            self._restored = True

    def set_peer(self, peer: bool) -> None:
        """Peer programs have no mentors: say partners, Peer A and Peer B."""
        self.swap_section.button.setText("Swap partners" if peer else "Swap mentors")
        self.swap_section.title = self.swap_section.button.text()
        first, second = pair_sides(peer)
        self.pair_why.mentee.lineEdit().setPlaceholderText(first)
        self.pair_why.mentor.lineEdit().setPlaceholderText(
            f"{second} you expected" if peer else "Mentor you expected"
        )

    def set_run(self, detail: RunDetail) -> None:
        self.detail = detail
        self.unmatched.clear()
        for pid, name in detail.unmatched:
            self.unmatched.addItem(name, pid)
        self.why_label.setText("" if detail.unmatched else "Everyone enrolled is matched.")
        self.why_button.setEnabled(bool(detail.unmatched))
        # Nobody to ask about: the sentence says so, without an empty picker above it.
        self.unmatched.setVisible(bool(detail.unmatched))
        self.why_button.setVisible(bool(detail.unmatched))
        self.pair_why.set_run(detail)

    def set_editable(self, editable: bool) -> None:
        self.editable = editable
        self.decision_hint.setText(decision_hint(self.detail, editable))
        self._refresh_buttons()

    def show_proposal(self, proposal: ProposalView | None) -> None:
        self.proposal = proposal
        if proposal is None or self.detail is None:
            self.title.setText("Select a pair")
            self.score.setText("")
            self.explanation.setText("Pick a proposal in the table to see why it was proposed.")
            self.breakdown.show_breakdown({}, {}, {})
            self.swap_with.clear()
            self.breakdown_title.hide()
            self.pair_box.hide()
            self._refresh_buttons()
            return
        self.title.setText(f"{proposal.mentee_name}  ↔  {proposal.mentor_name}")
        self.pair_why.select(mentee_id=proposal.mentee_id)
        self.breakdown_title.show()
        self.pair_box.show()
        status = STATUS_LABELS.get(ProposalStatus(proposal.status), proposal.status)
        self.score.setText(f"Score {proposal.score:.2f} · {status}")
        self.explanation.setText(proposal.explanation or "No explanation was recorded.")
        self.breakdown.show_breakdown(
            proposal.breakdown, self.detail.weights, self.detail.criterion_labels
        )
        self.swap_with.blockSignals(True)
        self.swap_with.clear()
        self.swap_with.addItem("Choose another pair…", None)
        for other in self.detail.proposals:
            if (
                other.id != proposal.id
                and other.mentor_id != proposal.mentor_id
                and other.mentee_id != proposal.mentee_id
            ):
                self.swap_with.addItem(f"{other.mentee_name} ↔ {other.mentor_name}", other.id)
        self.swap_with.blockSignals(False)
        self.swap_preview = None
        self.swap_label.setText(
            f"Give {proposal.mentee_name} another pair's mentor and see the score change first."
        )
        self._refresh_buttons()

    def _refresh_buttons(self) -> None:
        p = self.proposal
        can = self.editable and p is not None
        status = ProposalStatus(p.status) if p else None
        self.accept_button.setEnabled(can and status != ProposalStatus.ACCEPTED)
        self.reject_button.setEnabled(can and status != ProposalStatus.REJECTED)
        self.lock_button.setEnabled(can)
        self.lock_button.setText("Unlock" if status == ProposalStatus.LOCKED else "Lock")
        self.swap_with.setEnabled(can)
        self.swap_button.setEnabled(
            can and self.swap_preview is not None and self.swap_preview.allowed
        )

    def _decide(self, action: str) -> None:
        if self.proposal is not None:
            self.view.decide(self.proposal, action)

    def _toggle_lock(self) -> None:
        if self.proposal is not None:
            locked = ProposalStatus(self.proposal.status) == ProposalStatus.LOCKED
            self.view.decide(self.proposal, "unlock" if locked else "lock")

    def _preview_swap(self, _index: int = 0) -> None:
        other = self.swap_with.currentData()
        self.swap_preview = None
        self._refresh_buttons()
        if other is None or self.proposal is None:
            return
        a, context = self.proposal.id, self.view.context
        self.swap_label.setText("Computing the new scores…")

        def preview() -> Any:
            with context.unit_of_work() as ctx:
                return matching_service.preview_swap(ctx, a, other)

        run_in_background(
            preview, on_success=self._show_swap, on_error=self._swap_failed, owner=self
        )

    def _show_swap(self, preview: Any) -> None:
        if self.proposal is None or preview.proposal_a != self.proposal.id:
            return
        self.swap_preview = preview
        other = next(p for p in self.detail.proposals if p.id == preview.proposal_b)
        (old_a, old_b), (new_a, new_b) = preview.old_scores, preview.new_scores
        palette = theme.current()
        if not preview.allowed:
            self.swap_label.setText(f"Not possible: {preview.reason}")
        else:
            colour = palette.success if preview.delta >= 0 else palette.error
            self.swap_label.setText(
                f"{self.proposal.mentee_name} with {other.mentor_name}: {old_a:.2f} → "
                f"{new_a:.2f}<br>{other.mentee_name} with {self.proposal.mentor_name}: "
                f"{old_b:.2f} → {new_b:.2f}<br><b style='color:{colour}'>Total "
                f"{preview.delta:+.3f}</b>"
            )
        self._refresh_buttons()

    def _swap_failed(self, error: TaskError) -> None:
        self.swap_label.setText(f"Cannot preview: {error.message}")

    def _apply_swap(self) -> None:
        if self.swap_preview is not None and self.swap_preview.allowed:
            self.view.apply_swap(self.swap_preview.proposal_a, self.swap_preview.proposal_b)

    def _why_not(self) -> None:
        mentee = self.unmatched.currentData()
        if mentee is None or self.detail is None:
            return
        run_id, context = self.detail.run.id, self.view.context
        self.why_label.setText("Asking the solver…")

        def ask() -> Any:
            with context.unit_of_work() as ctx:
                return matching_service.why_not(ctx, run_id, mentee)

        run_in_background(
            ask,
            on_success=lambda answer: self.why_label.setText(answer.text),
            on_error=lambda error: self.why_label.setText(f"No answer: {error.message}"),
            owner=self,
        )
