"""What a coordinator decides on the Matching screen: accept/reject/lock, swap, approve.

A mixin of :class:`~mentormatch_desktop.ui.views.matching.MatchingView` (kept apart so each
module reads in one sitting). Every decision is one service call in a worker; the screen
updates the row in place or reloads the run afterwards.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox, QWidget

from mentormatch_desktop.domain.enums import ProposalStatus
from mentormatch_desktop.domain.errors import StaleDecisionError
from mentormatch_desktop.services import introductions
from mentormatch_desktop.services import matching as matching_service
from mentormatch_desktop.services.match_records import ProposalView
from mentormatch_desktop.ui.formatting import plural
from mentormatch_desktop.ui.workers import Task, TaskError

if TYPE_CHECKING:
    from mentormatch_desktop.ui.views.matching import MatchingView

    _Base = MatchingView
else:
    _Base = object


class MatchingDecisions(_Base):
    def decide(self, proposal: ProposalView, action: str) -> Task:
        context = self.context

        def store() -> ProposalView:
            with context.unit_of_work() as ctx:
                return matching_service.set_proposal_status(
                    ctx, proposal.id, action, expected_version=proposal.version
                )

        def done(view: ProposalView) -> None:
            self.model.replace(view)
            self._keep_decision(view)
            if self.panel.proposal and self.panel.proposal.id == view.id:
                self.panel.show_proposal(view)
            self.decided.emit()

        return self.run(store, on_success=done, on_error=self._decision_failed)

    def _keep_decision(self, view: ProposalView) -> None:
        """Store a decided proposal in the run on screen, so what is counted from the run
        (the summary's matched and not matched, the approval's number of pairs, the swap
        list) says what the table says, not what the run said when it was loaded."""
        if self.detail is None:
            return
        proposals = [view if p.id == view.id else p for p in self.detail.proposals]
        self.detail = replace(self.detail, proposals=proposals)
        self.panel.detail = self.detail
        self.show_summary()

    def apply_swap(self, a: int, b: int) -> Task:
        context = self.context

        def store() -> Any:
            with context.unit_of_work() as ctx:
                return matching_service.apply_swap(ctx, a, b)

        def done(preview: Any) -> None:
            self.banner.show_message(f"Swapped mentors: score change {preview.delta:+.3f}.", "info")
            self.decided.emit()
            if self.detail is not None:
                self.load_run(self.detail.run.id)

        return self.run(store, on_success=done, on_error=self._decision_failed)

    def _decision_failed(self, error: TaskError) -> None:
        if isinstance(error.exception, StaleDecisionError) and self.detail is not None:
            # Someone else decided first: never leave the loser looking at the old state,
            # which would only fail again. Reload the run and say why it changed.
            self.banner.show_message(
                f"{error.message} The run has been reloaded: check it and decide again.",
                "warning",
            )
            self.load_run(self.detail.run.id)
            return
        self.banner.show_message(error.message, "error")

    def approve(self, *, confirm: bool = True) -> Task | None:
        if self.detail is None:
            return None
        run = self.detail.run
        rejected = sum(1 for p in self.detail.proposals if p.status == ProposalStatus.REJECTED)
        if confirm:
            answer = QMessageBox.question(
                self,
                "Approve run",
                f"Create mentorships for the "
                f"{plural(len(self.detail.proposals) - rejected, 'pair')} of run "
                f"#{run.id} that are not rejected?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        context = self.context

        def store() -> Any:
            # One unit of work: the mentorships and their introduction messages (with the
            # e-mails they queue) are committed together or not at all.
            with context.unit_of_work() as ctx:
                summary = matching_service.approve_run(ctx, run.id)
                introductions.introduce_run(ctx, run.id)
                return summary

        def done(summary: Any) -> None:
            self.banner.show_message(
                f"Approved run #{run.id}: {plural(summary.mentorships_created, 'mentorship')} "
                "created"
                + (f", {summary.already_active} already active" if summary.already_active else "")
                + ". See them in Mentorships.",
                "info",
            )
            self.decided.emit()
            self.context.notify("mentorships", source=self)
            self.load_runs(select=run.id)

        return self.run(store, on_success=done, on_error=self._decision_failed)

    def open_compare(self) -> QWidget | None:
        from mentormatch_desktop.ui.views.compare_dialog import CompareDialog
        from mentormatch_desktop.ui.views.matching import strategies_for

        program = self.program()
        if program is None:
            return None
        dialog = CompareDialog(
            self.context, program.id, strategies_for(self.context, program.kind), parent=self
        )
        dialog.open()
        return dialog
