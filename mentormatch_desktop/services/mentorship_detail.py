"""Everything about one mentorship, read in one go for its detail view.

The detail view answers "how is this pairing doing, and why was it made?" without the
coordinator opening four screens: who the two people are, the program, the score and the
reasons the matcher gave, what happened to its status, the sessions with their notes and
ratings, goals and milestones with progress, written feedback, and activity week by week.

Read-only: it follows the :class:`~mentormatch_desktop.services.context.ServiceContext`
convention (takes ``ctx``, never commits). Health comes from
:func:`~mentormatch_desktop.services.mentorships.list_mentorships`, so the detail and the
table can never disagree about "at risk".

Other areas add to the detail without changing this module: the dataclass carries an
``extra`` mapping that later services (messages, badges …) may fill, and the UI's section
registry decides what to draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from mentormatch_desktop.domain.activity import SIGNS_OF_LIFE
from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus, ProgramKind
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.mentorships import (
    RUNNING,
    MentorshipError,
    MentorshipFilter,
    list_mentorships,
)
from mentormatch_desktop.storage.models import (
    AuditLog,
    Department,
    EngagementEvent,
    Feedback,
    Goal,
    MatchProposal,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    Program,
)

#: Weeks of activity shown in the chart (most recent last).
ACTIVITY_WEEKS = 26

_STATUS_WORDS = {
    MentorshipStatus.ACTIVE: "Active",
    MentorshipStatus.PAUSED: "Paused",
    MentorshipStatus.COMPLETED: "Completed",
    MentorshipStatus.ENDED_EARLY: "Ended early",
}
_AUDIT_WORDS = {
    "mentorship.completed": "Completed",
    "mentorship.ended_early": "Ended early",
    "mentorship.rematched": "Re-matched",
    "mentorship.paused": "Paused",
    "mentorship.resumed": "Resumed",
}


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str
    email: str
    title: str
    department: str
    time_zone: str
    role: str  # "Mentor", "Mentee", "Peer A", "Peer B"
    #: how to address them ("Message Jun Jie", "Hello Jun Jie"): :func:`address_name`
    address: str = ""


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    label: str  # "Started", "Ended early" …
    detail: str  # the reason, or who/what caused it


@dataclass(frozen=True)
class SessionEntry:
    starts_at: datetime
    minutes: int
    status: str  # "Held", "Scheduled" …
    agenda: str
    notes: str
    ratings: tuple[int, ...]  # feedback given about this session
    id: int = 0
    #: what the pair wrote for each other after it: (author, shared notes); the
    #: participant's own view only (coordinators hold no grant on session notes)
    shared_notes: tuple[tuple[str, str], ...] = ()
    private_note: str = ""  # the viewer's own private note (participant's view only)


@dataclass(frozen=True)
class MilestoneEntry:
    title: str
    due_on: date | None
    completed_at: datetime | None
    overdue: bool
    id: int = 0
    owner: str = ""  # whose step it is ("You" in a participant's view)
    mine: bool = False  # the viewing participant owns it, so may mark it done


@dataclass(frozen=True)
class GoalEntry:
    title: str
    owner: str
    status: str
    target_date: date | None
    milestones: tuple[MilestoneEntry, ...]

    @property
    def progress(self) -> float:
        """Share of the goal's milestones done (a goal marked achieved counts as 1)."""
        if self.status.lower() == "achieved":
            return 1.0
        if not self.milestones:
            return 0.0
        return sum(m.completed_at is not None for m in self.milestones) / len(self.milestones)


@dataclass(frozen=True)
class FeedbackEntry:
    at: datetime
    author: str
    rating: int
    comment: str
    private: bool = False  # kept from coordinators (the author's choice)


@dataclass(frozen=True)
class Reason:
    criterion: str
    value: float
    text: str


@dataclass
class MentorshipDetail:
    id: int
    program_id: int
    program: str
    program_kind: ProgramKind
    status: MentorshipStatus
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    mentor: PersonSummary
    mentee: PersonSummary
    score: float | None
    explanation: str
    reasons: list[Reason]
    health: str  # "On track", "At risk: …", "Paused", "Completed" …
    at_risk: bool
    history: list[StatusChange]
    sessions: list[SessionEntry]
    goals: list[GoalEntry]
    loose_milestones: list[MilestoneEntry]  # milestones not tied to a goal
    feedback: list[FeedbackEntry]
    activity: list[tuple[date, int]]  # (Monday of the week, events that week)
    #: room for other areas (messages, badges …) to add what they know; keyed by section
    extra: dict[str, Any] = field(default_factory=dict)
    #: the participant this was read for (:mod:`.my_mentorship`), None for a coordinator
    viewer_id: int | None = None
    viewer_time_zone: str = "UTC"
    thread_id: int | None = None  # the pair's conversation, when the viewer is in it
    as_of: datetime | None = None  # when it was read: sessions after it are upcoming

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def partner(self) -> PersonSummary:
        """The other person, seen by the viewing participant (the mentor for a coordinator)."""
        return self.mentee if self.viewer_id == self.mentor.id else self.mentor

    @property
    def sessions_held(self) -> int:
        return sum(1 for s in self.sessions if s.status == "Held")

    @property
    def mean_rating(self) -> float | None:
        ratings = [f.rating for f in self.feedback]
        return sum(ratings) / len(ratings) if ratings else None


def mentorship_detail(ctx: ServiceContext, mentorship_id: int) -> MentorshipDetail:
    """Read one mentorship and everything around it; raises :class:`MentorshipError` when
    there is no such mentorship."""
    session = ctx.session
    m = session.get(Mentorship, mentorship_id)
    if m is None:
        raise MentorshipError(f"no mentorship with id {mentorship_id}")
    program = session.get(Program, m.program_id)
    assert program is not None  # foreign key
    peer = program.kind == ProgramKind.PEER
    mentor = _person(ctx, m.mentor_id, "Peer B" if peer else "Mentor")
    mentee = _person(ctx, m.mentee_id, "Peer A" if peer else "Mentee")
    now = ctx.now()

    rows = list_mentorships(ctx, MentorshipFilter(ids=(m.id,)), as_of=now)
    status = MentorshipStatus(m.status)
    risk = rows[0].risk_reasons if rows else []
    health = _health(status, risk, m.end_reason)

    explanation, reasons = _why_matched(ctx, m)
    sessions = _sessions(ctx, m.id)
    goals, loose = _goals(ctx, m.id, now.date())
    return MentorshipDetail(
        id=m.id,
        program_id=program.id,
        program=program.name,
        program_kind=ProgramKind(program.kind),
        status=status,
        started_at=m.started_at,
        ended_at=m.ended_at,
        end_reason=m.end_reason,
        mentor=mentor,
        mentee=mentee,
        score=m.match_score,
        explanation=explanation,
        reasons=reasons,
        health=health,
        at_risk=bool(risk),
        history=_history(ctx, m),
        sessions=sessions,
        goals=goals,
        loose_milestones=loose,
        feedback=_feedback(ctx, m.id),
        activity=_activity(ctx, m.id, now),
    )


def _health(status: MentorshipStatus, risk: list[str], end_reason: str) -> str:
    if risk:
        return "At risk: " + "; ".join(risk)
    if status == MentorshipStatus.ACTIVE:
        return "On track"
    if status == MentorshipStatus.PAUSED:
        return "Paused"
    return end_reason or _STATUS_WORDS[status]


def _person(ctx: ServiceContext, person_id: int, role: str) -> PersonSummary:
    row = ctx.session.execute(
        sa.select(Person, Department.name)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(Person.id == person_id)
    ).one()
    person, department = row
    return PersonSummary(
        id=person.id,
        name=person.full_name,
        email=person.email,
        title=person.title or "",
        department=department or "",
        time_zone=person.time_zone,
        role=role,
        address=address_name(person.full_name, person.preferred_name),
    )


def _why_matched(ctx: ServiceContext, m: Mentorship) -> tuple[str, list[Reason]]:
    """The proposal's explanation and its per-criterion values, strongest first."""
    proposal = session_get(ctx, MatchProposal, m.proposal_id)
    if proposal is None:
        if m.match_score is None:
            return "Paired by hand (no matching run proposed this pair).", []
        return "Paired by a re-match; the score is the one shown when it was chosen.", []
    labels = {name: c.label or name for name, c in ctx.plugins.criteria().items()}
    reasons = []
    for name, value in (proposal.breakdown or {}).items():
        if isinstance(value, dict):
            number = float(value.get("value", value.get("score", 0.0)) or 0.0)
            text = str(value.get("reason", value.get("text", "")) or "")
        else:
            try:
                number, text = float(value), ""
            except (TypeError, ValueError):
                continue
        reasons.append(Reason(labels.get(name, name.replace("_", " ").capitalize()), number, text))
    reasons.sort(key=lambda r: -r.value)
    return proposal.explanation or "", reasons


def session_get(ctx: ServiceContext, model: type, key: int | None) -> Any:
    return None if key is None else ctx.session.get(model, key)


def _history(ctx: ServiceContext, m: Mentorship) -> list[StatusChange]:
    """Started, then every audited change, then the end (if no audit row said so)."""
    out = [StatusChange(m.started_at, "Started", "")]
    audited = ctx.session.execute(
        sa.select(AuditLog.at, AuditLog.action, AuditLog.details)
        .where(AuditLog.entity_type == "mentorship", AuditLog.entity_id == str(m.id))
        .order_by(AuditLog.at)
    ).all()
    ended_seen = False
    for at, action, details in audited:
        label = _AUDIT_WORDS.get(action, action.split(".")[-1].replace("_", " ").capitalize())
        reason = str((details or {}).get("reason", "") or "")
        ended_seen |= action in ("mentorship.completed", "mentorship.ended_early")
        ended_seen |= action == "mentorship.rematched"
        out.append(StatusChange(at, label, reason))
    if m.ended_at is not None and not ended_seen:
        out.append(StatusChange(m.ended_at, _STATUS_WORDS[MentorshipStatus(m.status)],
                                m.end_reason))  # fmt: skip
    elif m.status == MentorshipStatus.PAUSED and not any(c.label == "Paused" for c in out):
        # No audit row says when: after the pair's last sign of life, as the log has it.
        last = ctx.session.scalar(
            sa.select(sa.func.max(EngagementEvent.occurred_at)).where(
                EngagementEvent.mentorship_id == m.id, EngagementEvent.kind.in_(SIGNS_OF_LIFE)
            )
        )
        out.append(StatusChange(last or m.started_at, "Paused", ""))
    return out


def _sessions(ctx: ServiceContext, mentorship_id: int) -> list[SessionEntry]:
    ratings: dict[int, list[int]] = {}
    for meeting_id, rating in ctx.session.execute(
        sa.select(Feedback.meeting_id, Feedback.rating).where(
            Feedback.mentorship_id == mentorship_id, Feedback.meeting_id.is_not(None)
        )
    ):
        ratings.setdefault(int(meeting_id), []).append(int(rating))
    meetings = ctx.session.scalars(
        sa.select(Meeting).where(Meeting.mentorship_id == mentorship_id).order_by(Meeting.starts_at)
    ).all()
    return [
        SessionEntry(
            starts_at=x.starts_at,
            minutes=int((x.ends_at - x.starts_at).total_seconds() // 60),
            status=MeetingStatus(x.status).value.replace("_", " ").capitalize(),
            agenda=x.agenda,
            notes=x.notes,
            ratings=tuple(ratings.get(x.id, ())),
        )
        for x in meetings
    ]


def _goals(
    ctx: ServiceContext, mentorship_id: int, today: date
) -> tuple[list[GoalEntry], list[MilestoneEntry]]:
    milestones = ctx.session.scalars(
        sa.select(Milestone)
        .where(Milestone.mentorship_id == mentorship_id)
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    by_goal: dict[int | None, list[MilestoneEntry]] = {}
    for x in milestones:
        overdue = x.completed_at is None and x.due_on is not None and x.due_on < today
        entry = MilestoneEntry(x.title, x.due_on, x.completed_at, overdue)
        by_goal.setdefault(x.goal_id, []).append(entry)
    goal_ids = [g for g in by_goal if g is not None]
    goals = ctx.session.execute(
        sa.select(Goal, Person.full_name)
        .join(Person, Person.id == Goal.person_id)
        .where(sa.or_(Goal.mentorship_id == mentorship_id, Goal.id.in_(goal_ids or [-1])))
        .order_by(Goal.id)
    ).all()
    out = [
        GoalEntry(
            title=g.title,
            owner=owner,
            status=str(g.status.value if hasattr(g.status, "value") else g.status).capitalize(),
            target_date=g.target_date,
            milestones=tuple(by_goal.get(g.id, ())),
        )
        for g, owner in goals
    ]
    return out, by_goal.get(None, [])


def _feedback(ctx: ServiceContext, mentorship_id: int) -> list[FeedbackEntry]:
    rows = ctx.session.execute(
        sa.select(Feedback.created_at, Person.full_name, Feedback.rating, Feedback.comment)
        .join(Person, Person.id == Feedback.author_id)
        .where(Feedback.mentorship_id == mentorship_id)
        .order_by(Feedback.created_at.desc())
    ).all()
    return [FeedbackEntry(at, who, int(rating), text or "") for at, who, rating, text in rows]


def _activity(ctx: ServiceContext, mentorship_id: int, now: datetime) -> list[tuple[date, int]]:
    """Engagement events per week over the last :data:`ACTIVITY_WEEKS` weeks."""
    this_monday = now.date() - timedelta(days=now.weekday())
    first = this_monday - timedelta(weeks=ACTIVITY_WEEKS - 1)
    weeks = {first + timedelta(weeks=k): 0 for k in range(ACTIVITY_WEEKS)}
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    for (occurred,) in ctx.session.execute(
        sa.select(EngagementEvent.occurred_at).where(
            EngagementEvent.mentorship_id == mentorship_id, EngagementEvent.occurred_at >= since
        )
    ):
        day = occurred.date()
        monday = day - timedelta(days=day.weekday())
        if monday in weeks:
            weeks[monday] += 1
    return sorted(weeks.items())
