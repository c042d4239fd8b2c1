"""One of the acting participant's mentorships, as they may see it: the participant's detail.

The coordinator's :func:`~.mentorship_detail.mentorship_detail` reads everything about a
pairing; a mentor or mentee opening their own pairing gets the same
:class:`~.mentorship_detail.MentorshipDetail` (so the UI draws it with the same cards),
filled only with what is theirs to see. What is shown follows the row-level-security
policies (``storage/security/*.sql``) and, where a policy lets the participant read more
than is meant for them, what is private:

Shown
    - both people: names and e-mail (``mm_mentorship_people``, which exists so the pair can
      name each other), the partner's public profile (title, department, time zone: the
      ``directory``), and the viewer's own row;
    - the program, the status and its dates (started, ended);
    - sessions of the pair, past and upcoming (``meetings``: both members read the rows),
      with the shared notes both wrote (``shared_session_logs``), the viewer's own private
      note, and the viewer's own rating;
    - goals of the pair: goals attached to the mentorship (either person's: the partner
      policy ``mm_participant_partner_goals``) and the viewer's own goals that milestones
      of this mentorship serve; every milestone of the mentorship (``milestones``), with
      whose it is and whether the viewer may mark it done (their own, as
      :mod:`.my_milestones` rules);
    - feedback the viewer wrote (``feedback``: the author alone reads it), private or not.

Never shown
    - the partner's goals not attached to this mentorship (their private goals; a milestone
      serving one is listed without its goal's title), the partner's feedback (private or
      not), their private session notes;
    - what is the coordinator's: the match score and its breakdown (``match_proposals``
      has no participant policy), risk flags ("At risk: …" comes from the coordinator's
      health rules), the end reason typed in the End dialog, the audit history;
    - activity over time: a participant reads only their own engagement events, so a
      week-by-week chart of "the pair's" activity would silently be half of it.

On PostgreSQL the participant's own login runs every query here and the policies return
exactly these rows; on SQLite (``--as EMAIL``) nothing enforces that, so every query is
also scoped explicitly by the acting person in the :class:`ServiceContext`. Read-only:
takes ``ctx``, never flushes nor commits.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus, ProgramKind
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.me import _me, person_addresses, person_names
from mentormatch_desktop.services.mentorship_detail import (
    FeedbackEntry,
    GoalEntry,
    MentorshipDetail,
    MilestoneEntry,
    PersonSummary,
    SessionEntry,
    StatusChange,
)
from mentormatch_desktop.services.mentorships import MentorshipError
from mentormatch_desktop.services.my_schedule import shared_notes_of
from mentormatch_desktop.storage.models import (
    Department,
    Feedback,
    Goal,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    Program,
    SessionLog,
    Thread,
)

_ENDED_WORDS = {
    MentorshipStatus.COMPLETED: "Completed",
    MentorshipStatus.ENDED_EARLY: "Ended early",
}


def _postgres(ctx: ServiceContext) -> bool:
    return ctx.session.get_bind().dialect.name == "postgresql"


def my_mentorship_detail(ctx: ServiceContext, mentorship_id: int) -> MentorshipDetail:
    """The acting participant's view of one of their mentorships; raises
    :class:`MentorshipError` for a mentorship that is not theirs (or does not exist)."""
    me = _me(ctx)
    m = ctx.session.scalar(
        sa.select(Mentorship).where(
            Mentorship.id == mentorship_id,
            sa.or_(Mentorship.mentor_id == me, Mentorship.mentee_id == me),
        )
    )
    if m is None:
        raise MentorshipError("this is not one of your mentorships")
    program = ctx.session.get(Program, m.program_id)  # None if no longer enrolled in it
    kind = ProgramKind(program.kind) if program is not None else ProgramKind.ONE_TO_ONE
    peer = kind == ProgramKind.PEER
    mentor, mentee = _people(ctx, m, me, peer)
    now = ctx.now()
    status = MentorshipStatus(m.status)
    goals, loose = _goals(ctx, m, me, now.date())
    thread = ctx.session.scalar(sa.select(Thread.id).where(Thread.mentorship_id == m.id))
    return MentorshipDetail(
        id=m.id,
        program_id=m.program_id,
        program=program.name if program is not None else "—",
        program_kind=kind,
        status=status,
        started_at=m.started_at,
        ended_at=m.ended_at,
        end_reason="",  # the coordinator's words in the End dialog
        mentor=mentor,
        mentee=mentee,
        score=None,
        explanation="",
        reasons=[],
        health=_STATUS_LABEL.get(status, status.value),
        at_risk=False,
        history=_history(m, status),
        sessions=_sessions(ctx, m, me),
        goals=goals,
        loose_milestones=loose,
        feedback=_feedback(ctx, m, me),
        activity=[],
        viewer_id=me,
        viewer_time_zone=(mentor if mentor.id == me else mentee).time_zone,
        thread_id=thread,
        as_of=now,
    )


_STATUS_LABEL = {
    MentorshipStatus.ACTIVE: "Active",
    MentorshipStatus.PAUSED: "Paused",
    **_ENDED_WORDS,
}


def _people(
    ctx: ServiceContext, m: Mentorship, me: int, peer: bool
) -> tuple[PersonSummary, PersonSummary]:
    """(mentor, mentee): the viewer from their own row, the partner from the directory."""
    partner = m.mentee_id if m.mentor_id == me else m.mentor_id
    if _postgres(ctx):
        emails = {
            int(i): str(e)
            for i, _, e in ctx.session.execute(
                sa.text("SELECT id, full_name, email FROM mm_mentorship_people(:m)"), {"m": m.id}
            )
        }
        row = ctx.session.execute(
            sa.text("SELECT full_name, title, department, time_zone FROM directory WHERE id = :p"),
            {"p": partner},
        ).first()
        if row is not None:
            name, title, department, zone = row
        else:  # no longer active: the name only, if even that
            name = person_names(ctx, {partner}).get(partner, "—")
            title, department, zone = "", "", ""
        other = (name, emails.get(partner, ""), title, department, zone)
    else:
        person, department = ctx.session.execute(
            sa.select(Person, Department.name)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(Person.id == partner)
        ).one()
        other = (person.full_name, person.email, person.title, department, person.time_zone)
    own, own_department = ctx.session.execute(
        sa.select(Person, Department.name)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(Person.id == me)
    ).one()
    roles = {
        m.mentor_id: "Peer B" if peer else "Mentor",
        m.mentee_id: "Peer A" if peer else "Mentee",
    }
    mine = PersonSummary(me, own.full_name, own.email, own.title or "", own_department or "",
                         own.time_zone, roles[me] + " · you",
                         address_name(own.full_name, own.preferred_name))  # fmt: skip
    name, email, title, department, zone = other
    address = person_addresses(ctx, {partner}).get(partner) or address_name(str(name))
    theirs = PersonSummary(partner, str(name), str(email or ""), str(title or ""),
                           str(department or ""), str(zone or ""), roles[partner],
                           address)  # fmt: skip
    return (mine, theirs) if m.mentor_id == me else (theirs, mine)


def _history(m: Mentorship, status: MentorshipStatus) -> list[StatusChange]:
    """Started, and ended when it did: the audit log (reasons, who acted) is coordinators'."""
    out = [StatusChange(m.started_at, "Started", "")]
    if m.ended_at is not None:
        out.append(StatusChange(m.ended_at, _ENDED_WORDS.get(status, "Ended"), ""))
    return out


def _sessions(ctx: ServiceContext, m: Mentorship, me: int) -> list[SessionEntry]:
    """The pair's own sessions (group sessions stay on the Schedule), oldest first."""
    meetings = ctx.session.scalars(
        sa.select(Meeting)
        .where(Meeting.mentorship_id == m.id, Meeting.is_group.is_(False))
        .order_by(Meeting.starts_at)
    ).all()
    ids = [g.id for g in meetings]
    theirs = shared_notes_of(ctx, me, ids)  # the partner's shared notes, never private ones
    mine: dict[int, tuple[str, str, int | None]] = {}
    ratings: dict[int, list[int]] = {}
    if ids:
        for mid, shared, private, rating in ctx.session.execute(
            sa.select(
                SessionLog.meeting_id,
                SessionLog.shared_notes,
                SessionLog.private_notes,
                SessionLog.rating,
            ).where(SessionLog.author_id == me, SessionLog.meeting_id.in_(ids))
        ):
            mine[int(mid)] = (shared or "", private or "", rating)
        for mid, rating in ctx.session.execute(
            sa.select(Feedback.meeting_id, Feedback.rating).where(
                Feedback.mentorship_id == m.id,
                Feedback.author_id == me,
                Feedback.meeting_id.in_(ids),
            )
        ):
            ratings.setdefault(int(mid), []).append(int(rating))
    out = []
    for g in meetings:
        shared, private, _ = mine.get(g.id, ("", "", None))
        notes = (*theirs.get(g.id, ()), *((("You", shared.strip()),) if shared.strip() else ()))
        out.append(
            SessionEntry(
                starts_at=g.starts_at,
                minutes=int((g.ends_at - g.starts_at).total_seconds() // 60),
                status=MeetingStatus(g.status).value.replace("_", " ").capitalize(),
                agenda=g.agenda,
                notes=g.notes,
                ratings=tuple(ratings.get(g.id, ())),
                id=g.id,
                shared_notes=notes,
                private_note=private.strip(),
            )
        )
    return out


def _goals(
    ctx: ServiceContext, m: Mentorship, me: int, today: date
) -> tuple[list[GoalEntry], list[MilestoneEntry]]:
    """Shared goals with their milestones; milestones of goals the viewer may not see
    (the partner's private ones) are listed loose, without the goal's title."""
    milestones = ctx.session.scalars(
        sa.select(Milestone)
        .where(Milestone.mentorship_id == m.id)
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    served = {x.goal_id for x in milestones if x.goal_id is not None}
    goals = ctx.session.scalars(
        sa.select(Goal)
        .where(
            sa.or_(
                Goal.mentorship_id == m.id,
                sa.and_(Goal.person_id == me, Goal.id.in_(served or {-1})),
            )
        )
        .order_by(Goal.id)
    ).all()
    names = person_names(ctx, {x.owner_id for x in milestones} | {g.person_id for g in goals})
    names[me] = "You"
    by_goal: dict[int | None, list[MilestoneEntry]] = {}
    visible = {g.id for g in goals}
    for x in milestones:
        overdue = x.completed_at is None and x.due_on is not None and x.due_on < today
        entry = MilestoneEntry(x.title, x.due_on, x.completed_at, overdue, id=x.id,
                               owner=names.get(x.owner_id, "—"), mine=x.owner_id == me)  # fmt: skip
        by_goal.setdefault(x.goal_id if x.goal_id in visible else None, []).append(entry)
    out = [
        GoalEntry(
            title=g.title,
            owner=names.get(g.person_id, "—"),
            status=str(getattr(g.status, "value", g.status)).capitalize(),
            target_date=g.target_date,
            milestones=tuple(by_goal.get(g.id, ())),
        )
        for g in goals
    ]
    return out, by_goal.get(None, [])


def _feedback(ctx: ServiceContext, m: Mentorship, me: int) -> list[FeedbackEntry]:
    """What the viewer wrote about this mentorship, newest first: never the partner's."""
    rows = ctx.session.execute(
        sa.select(Feedback.created_at, Feedback.rating, Feedback.comment, Feedback.is_private)
        .where(Feedback.mentorship_id == m.id, Feedback.author_id == me)
        .order_by(Feedback.created_at.desc())
    ).all()
    return [
        FeedbackEntry(at, "You", int(rating), text or "", private=bool(private))
        for at, rating, text, private in rows
    ]
