"""A participant's own mentorship in detail: partner and program, status and dates, the
pair's goals and milestones, sessions past and upcoming with their shared notes, and the
feedback they gave.

Opened from Home (a mentorship card: its Details button, double-click or Enter) and from
My profile (the mentorships table: Details, double-click or Enter). It is the
coordinator's :class:`~.mentorship_detail.DetailPage` with the same section builders, fed
by :func:`mentormatch_desktop.services.my_mentorship.my_mentorship_detail`, which decides
what a participant may see (see its docstring); no coordinator card (why matched, risk,
activity) is drawn. Actions are the ones a participant has elsewhere: message the partner
(the Inbox), the Schedule (propose, answer and log sessions), and marking one of their
own milestones done in place.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from mentormatch_desktop.domain.enums import MentorshipStatus, ProgramKind
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services.mentorship_detail import MentorshipDetail, MilestoneEntry
from mentormatch_desktop.services.my_mentorship import my_mentorship_detail
from mentormatch_desktop.services.my_milestones import complete_my_milestone
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.mentorship_detail import (
    DetailPage,
    DetailSection,
    feedback_section,
    goals_section,
    history_section,
    people_section,
    sessions_section,
    status_and_dates,
    zone_of,
)
from mentormatch_desktop.ui.widgets import make_button
from mentormatch_desktop.ui.workers import Task, TaskError, run_in_background

RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)


class MyMentorshipDialog(DetailPage):
    """The signed-in participant's mentorship ``mentorship_id`` with ``partner``.

    ``changed`` after they marked a milestone done (Home's counts change);
    ``open_requested(screen, thread_id)`` asks the main window for the Inbox or the
    Schedule, as Home's own links do (the dialog closes).
    """

    changed = Signal()
    open_requested = Signal(str, int)

    def __init__(
        self,
        context: AppContext,
        mentorship_id: int,
        partner: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Mentorship with {partner}", "", parent)
        self.context, self.mentorship_id = context, mentorship_id
        self.setWindowTitle(f"Mentorship with {partner}")
        # The first word until the page is read; then the name the partner chose.
        self.message_button = make_button(f"Message {address_name(partner)}".rstrip(),
                                          "chat", primary=True, on_click=self.message)  # fmt: skip
        self.message_button.setToolTip(f"Open your conversation with {partner} in the inbox")
        self.schedule_button = make_button("Schedule", "calendar", on_click=self.schedule)
        self.schedule_button.setToolTip("Propose, answer and log your sessions")
        for button in (self.message_button, self.schedule_button):
            self.add_action(button)
        self._sections = [
            DetailSection("people", "People", 0, people_section),
            DetailSection("history", "Status", 0, history_section),
            DetailSection("feedback", "Feedback you gave", 0, feedback_section),
            DetailSection("goals", "Goals and milestones", 1, goals_section(self.mark_done)),
            DetailSection("sessions", "Sessions", 1, sessions_section),
        ]
        self.reload()

    # -- DetailPage ----------------------------------------------------------------------
    def load(self) -> MentorshipDetail:
        with self.context.unit_of_work() as ctx:
            return my_mentorship_detail(ctx, self.mentorship_id)

    def sections(self) -> list[DetailSection]:
        return self._sections

    def show_header(self, detail: MentorshipDetail) -> None:
        partner = detail.mentee if detail.viewer_id == detail.mentor.id else detail.mentor
        if partner.address:
            self.message_button.setText(f"Message {partner.address}")
        if detail.program_kind == ProgramKind.PEER:
            side = "peer"
        else:
            side = "mentee" if detail.viewer_id == detail.mentor.id else "mentor"
        self.subtitle.setText(f"Your {side} · {detail.program} · {status_and_dates(detail)}")
        upcoming = [
            s
            for s in detail.sessions
            if detail.as_of is not None and s.starts_at >= detail.as_of
            and s.status in ("Scheduled", "Proposed")
        ]  # fmt: skip
        if upcoming:
            when = upcoming[0].starts_at.astimezone(zone_of(detail.viewer_time_zone))
            pending = "" if upcoming[0].status == "Scheduled" else " (proposed)"
            self.health.setText(f"Next session {when:%a} {when.day} {when:%b}, {when:%H:%M}"
                                f"{pending}")  # fmt: skip
        elif detail.status in RUNNING:
            self.health.setText("No session planned")
        else:
            self.health.setText("")
        running = detail.status in RUNNING
        self.schedule_button.setEnabled(running)
        if not running:
            self.schedule_button.setToolTip("This mentorship has ended")

    # -- actions -------------------------------------------------------------------------
    def message(self) -> None:
        thread = self.detail.thread_id if self.detail is not None else None
        self.open_requested.emit("inbox", thread or 0)
        self.accept()

    def schedule(self) -> None:
        self.open_requested.emit("schedule", 0)
        self.accept()

    def mark_done(self, milestone: MilestoneEntry) -> Task:
        """Mark one of the viewer's own milestones done, then read the page again."""
        context, milestone_id = self.context, milestone.id

        def write() -> None:
            with context.unit_of_work() as ctx:
                complete_my_milestone(ctx, milestone_id)

        def written(_: None) -> None:
            self.banner.show_message(f"Done: {milestone.title}", "info")
            self.changed.emit()
            self.reload()

        def failed(error: TaskError) -> None:
            self.banner.show_message(error.message, "error")

        task = run_in_background(write, on_success=written, on_error=failed, owner=self)
        task.handles_errors = True
        return task
