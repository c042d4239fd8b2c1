"""A participant's milestones in one of their mentorships, and ticking off their own.

Home counted "2 open milestones" per mentorship but nothing let the person see them or
mark one done. These two services back that: they follow the
:class:`~mentormatch_desktop.services.context.ServiceContext` convention (take ``ctx``,
flush, never commit) and check that the acting person is one of the pair; on a shared
database row-level security enforces the same (``milestones`` policies).

Only the milestone's owner marks it done: the engagement event it writes is theirs (a
participant may only write their own events), and a mentor ticking off a mentee's step
would report activity the mentee never had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from mentormatch_desktop.services.activity import ActivityError, complete_milestone
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.me import _me, person_names
from mentormatch_desktop.storage.models import Goal, Mentorship, Milestone


@dataclass(frozen=True)
class MyMilestone:
    id: int
    title: str
    goal: str  # the goal it serves ("" when none, or a goal this person may not read)
    owner: str  # whose step it is
    mine: bool  # the acting person owns it (and so may mark it done)
    due_on: date | None
    completed_at: datetime | None

    @property
    def done(self) -> bool:
        return self.completed_at is not None


def _my_mentorship(ctx: ServiceContext, mentorship_id: int) -> Mentorship:
    me = _me(ctx)
    m = ctx.session.get(Mentorship, mentorship_id)
    if m is None or me not in (m.mentor_id, m.mentee_id):
        raise ActivityError("this is not one of your mentorships")
    return m


def my_milestones(ctx: ServiceContext, mentorship_id: int) -> list[MyMilestone]:
    """The mentorship's milestones, open ones first (by due date), then those done."""
    me = _me(ctx)
    m = _my_mentorship(ctx, mentorship_id)
    rows = ctx.session.execute(
        sa.select(Milestone, Goal.title)
        .outerjoin(Goal, Goal.id == Milestone.goal_id)
        .where(Milestone.mentorship_id == m.id)
        .order_by(
            Milestone.completed_at.is_not(None),
            Milestone.due_on.asc().nulls_last(),
            Milestone.id,
        )
    ).all()
    names = person_names(ctx, {ms.owner_id for ms, _ in rows})
    return [
        MyMilestone(
            id=ms.id,
            title=ms.title,
            goal=goal or "",
            owner="You" if ms.owner_id == me else names.get(ms.owner_id, "—"),
            mine=ms.owner_id == me,
            due_on=ms.due_on,
            completed_at=ms.completed_at,
        )
        for ms, goal in rows
    ]


def complete_my_milestone(ctx: ServiceContext, milestone_id: int) -> datetime:
    """Mark one of the acting person's own milestones done, now; returns when."""
    me = _me(ctx)
    ms = ctx.session.get(Milestone, milestone_id)
    if ms is None:
        raise ActivityError(f"no milestone with id {milestone_id}")
    _my_mentorship(ctx, ms.mentorship_id)
    if ms.owner_id != me:
        raise ActivityError("only the person whose milestone it is can mark it done")
    return complete_milestone(ctx, milestone_id)
