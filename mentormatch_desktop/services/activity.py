"""Recording what a mentoring pair does: the domain row and its engagement event, together.

The engagement log is the one source of truth for activity (see
:mod:`mentormatch_desktop.domain.activity`): the Mentorships screen, the dashboard, the
at-risk list and notifications all read it. So every activity goes through a function
here, which writes the domain row (a meeting marked held, a completed milestone, a
feedback row) *and* its ``engagement_events`` row in the caller's unit of work — neither
can exist without the other. Other services that create activity (the inbox sending a
message) call :func:`record_event` in their own unit of work for the same reason.

A session writes one event per participant (engagement is counted per person, for the
department and time-zone views); everything else writes one event for the person who
acted. There is no second copy of "last activity" to keep in step (migration 0007 dropped
``mentorships.last_activity_at``): readers compute it from the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentormatch_desktop.domain.enums import EngagementKind, MeetingStatus, MentorshipStatus
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Feedback,
    Meeting,
    Mentorship,
    Milestone,
)

RUNNING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)


class ActivityError(ValueError):
    """An activity cannot be recorded as asked; the message says why."""


def _mentorship(ctx: ServiceContext, mentorship_id: int, *, running: bool = True) -> Mentorship:
    m = ctx.session.get(Mentorship, mentorship_id)
    if m is None:
        raise ActivityError(f"no mentorship with id {mentorship_id}")
    if running and MentorshipStatus(m.status) not in RUNNING:
        raise ActivityError(
            f"mentorship {mentorship_id} is {MentorshipStatus(m.status).value}; "
            "activity is recorded only on running mentorships"
        )
    return m


def record_event(
    ctx: ServiceContext,
    mentorship: Mentorship,
    person_id: int,
    kind: EngagementKind,
    at: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Add the engagement event of an activity on ``mentorship`` (with the domain row)."""
    ctx.session.add(
        EngagementEvent(
            person_id=person_id,
            program_id=mentorship.program_id,
            mentorship_id=mentorship.id,
            kind=kind,
            occurred_at=at,
            payload=payload,
        )
    )


def _not_future(ctx: ServiceContext, at: datetime, what: str) -> None:
    if at > ctx.now():
        raise ActivityError(f"{what} is in the future ({at:%Y-%m-%d %H:%M} UTC)")


def record_session_held(
    ctx: ServiceContext,
    mentorship_id: int,
    *,
    meeting_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    notes: str = "",
) -> int:
    """Record that a session took place; returns the meeting id.

    Either marks a planned meeting (``meeting_id``) as held or, for a session that was
    never planned in the app, creates a held meeting from ``starts_at``/``ends_at``.
    """
    m = _mentorship(ctx, mentorship_id)
    if meeting_id is not None:
        meeting = ctx.session.get(Meeting, meeting_id)
        if meeting is None or meeting.mentorship_id != m.id:
            raise ActivityError(f"meeting {meeting_id} is not a session of this mentorship")
        if MeetingStatus(meeting.status) == MeetingStatus.HELD:
            raise ActivityError(f"meeting {meeting_id} is already recorded as held")
        if MeetingStatus(meeting.status) == MeetingStatus.CANCELLED:
            raise ActivityError(f"meeting {meeting_id} was cancelled; it cannot have been held")
        _not_future(ctx, meeting.starts_at, "the session's start")
        meeting.status = MeetingStatus.HELD
        if notes:
            meeting.notes = notes
    else:
        if starts_at is None or ends_at is None:
            raise FieldError("starts_at", "give the session's start and end (or a meeting id)")
        if ends_at <= starts_at:
            raise FieldError("ends_at", "a session ends after it starts")
        _not_future(ctx, starts_at, "the session's start")
        organiser = ctx.actor.person_id
        meeting = Meeting(
            mentorship_id=m.id,
            organiser_id=organiser if organiser in (m.mentor_id, m.mentee_id) else m.mentor_id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=MeetingStatus.HELD,
            notes=notes,
        )
        ctx.session.add(meeting)
    ctx.session.flush()
    at = min(meeting.ends_at, ctx.now())
    for person in (m.mentor_id, m.mentee_id):
        record_event(ctx, m, person, EngagementKind.SESSION_HELD, at, {"meeting_id": meeting.id})
    ctx.audit("meeting.held", "meeting", meeting.id, {"mentorship_id": m.id})
    ctx.session.flush()
    return meeting.id


def complete_milestone(
    ctx: ServiceContext, milestone_id: int, *, at: datetime | None = None
) -> datetime:
    """Mark a milestone done (now, or at ``at``); returns when it was completed."""
    ms = ctx.session.get(Milestone, milestone_id)
    if ms is None:
        raise ActivityError(f"no milestone with id {milestone_id}")
    if ms.completed_at is not None:
        raise ActivityError(f"milestone {ms.title!r} was already completed")
    m = _mentorship(ctx, ms.mentorship_id)
    when = at or ctx.now()
    _not_future(ctx, when, "the completion time")
    ms.completed_at = when
    record_event(ctx, m, ms.owner_id, EngagementKind.MILESTONE_COMPLETED, when,
                 {"milestone_id": ms.id})  # fmt: skip
    ctx.audit("milestone.completed", "milestone", ms.id, {"mentorship_id": m.id})
    ctx.session.flush()
    return when


def give_feedback(
    ctx: ServiceContext,
    mentorship_id: int,
    author_id: int,
    rating: int,
    *,
    comment: str = "",
    meeting_id: int | None = None,
) -> int:
    """Store one side's rating (1–5) and comment; returns the feedback id.

    Feedback is also accepted on a mentorship that has just ended (the closing survey).
    """
    m = _mentorship(ctx, mentorship_id, running=False)
    if author_id not in (m.mentor_id, m.mentee_id):
        raise ActivityError("only the mentor or the mentee of a mentorship can give feedback")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise FieldError("rating", f"a rating is a whole number from 1 to 5, not {rating!r}")
    if meeting_id is not None:
        meeting = ctx.session.get(Meeting, meeting_id)
        if meeting is None or meeting.mentorship_id != m.id:
            raise ActivityError(f"meeting {meeting_id} is not a session of this mentorship")
    now = ctx.now()
    fb = Feedback(mentorship_id=m.id, meeting_id=meeting_id, author_id=author_id,
                  rating=rating, comment=comment.strip(), created_at=now)  # fmt: skip
    ctx.session.add(fb)
    ctx.session.flush()
    record_event(ctx, m, author_id, EngagementKind.FEEDBACK_GIVEN, now,
                 {"rating": rating, "feedback_id": fb.id})  # fmt: skip
    ctx.audit("feedback.given", "feedback", fb.id, {"mentorship_id": m.id, "rating": rating})
    ctx.session.flush()
    return fb.id
