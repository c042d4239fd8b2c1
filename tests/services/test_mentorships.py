"""Mentorships: health and at-risk rule, ending with a reason, re-matching in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import activity, mentorships
from mentormatch_desktop.services.context import ServiceContext, unit_of_work
from mentormatch_desktop.services.mentorships import MentorshipError, MentorshipFilter
from mentormatch_desktop.storage.models import (
    AuditLog,
    Enrolment,
    Mentorship,
    Milestone,
)
from mentormatch_desktop.storage.types import utcnow


@pytest.fixture
def pairs(session: Session, engine, org: dict[str, int]) -> dict[str, int]:
    """Two running pairs whose activity is written through the activity service."""
    now = utcnow()
    quiet = Mentorship(
        program_id=org["program"], mentor_id=org["ada"], mentee_id=org["alan"],
        started_at=now - timedelta(days=90),
    )  # fmt: skip
    busy = Mentorship(
        program_id=org["program"], mentor_id=org["grace"], mentee_id=org["mary"],
        started_at=now - timedelta(days=60),
    )  # fmt: skip
    session.add_all([quiet, busy])
    session.flush()
    plan = Milestone(mentorship_id=busy.id, owner_id=org["mary"], title="Plan")
    session.add_all(
        [plan, Milestone(mentorship_id=busy.id, owner_id=org["mary"], title="Pitch",
                         due_on=(now + timedelta(days=10)).date())]
    )  # fmt: skip
    session.commit()
    host = PluginHost(autoload=False)

    def at(days_ago: int):  # a unit of work whose clock reads ``days_ago`` days back
        return unit_of_work(engine, plugins=host, clock=lambda: now - timedelta(days=days_ago))

    for pair, days_ago in ((quiet, 45), (busy, 2)):
        with at(days_ago) as ctx:
            start = ctx.now() - timedelta(hours=1)
            activity.record_session_held(ctx, pair.id, starts_at=start, ends_at=ctx.now())
    with at(5) as ctx:
        activity.complete_milestone(ctx, plan.id)
    return {"quiet": quiet.id, "busy": busy.id}


def test_health_and_at_risk(session: Session, pairs: dict[str, int], ctx: ServiceContext) -> None:
    rows = mentorships.list_mentorships(ctx)
    assert [r.id for r in rows] == [pairs["quiet"], pairs["busy"]]  # at risk first
    quiet, busy = rows
    assert quiet.at_risk and quiet.days_silent == 45
    assert quiet.risk_reasons == ["no session or message for 45 days"]
    assert not busy.at_risk
    assert (busy.sessions_held, busy.milestones_done, busy.milestones_total) == (1, 1, 2)
    only = mentorships.list_mentorships(ctx, MentorshipFilter(at_risk_only=True))
    assert [r.id for r in only] == [pairs["quiet"]]
    found = mentorships.list_mentorships(ctx, MentorshipFilter(text="MARY"))
    assert [r.id for r in found] == [pairs["busy"]]


def test_end_needs_a_reason_and_is_audited(
    session: Session, pairs: dict[str, int], ctx: ServiceContext
) -> None:
    with pytest.raises(MentorshipError, match="say why"):
        mentorships.end_mentorship(ctx, pairs["quiet"], "  ")
    mentorships.end_mentorship(ctx, pairs["quiet"], "Mentee changed teams")
    ended = session.get(Mentorship, pairs["quiet"])
    assert ended.status == MentorshipStatus.ENDED_EARLY
    assert ended.end_reason == "Mentee changed teams" and ended.ended_at is not None
    assert session.scalar(sa.select(AuditLog.action).where(AuditLog.entity_id == str(ended.id)))
    with pytest.raises(MentorshipError, match="already ended_early"):
        mentorships.end_mentorship(ctx, pairs["quiet"], "again")


def test_rematch_ends_and_starts_in_one_go(
    session: Session, pairs: dict[str, int], org: dict[str, int], plugin_host, ctx: ServiceContext
) -> None:
    candidates = mentorships.rematch_candidates(ctx, pairs["quiet"])
    assert [c.mentor_id for c in candidates] == [org["grace"]]  # the only other mentor
    assert candidates[0].free_seats == 1  # capacity 2, one running pairing
    new_id = mentorships.rematch(
        ctx, pairs["quiet"], org["grace"], "No shared availability", score=0.5
    )
    old, new = session.get(Mentorship, pairs["quiet"]), session.get(Mentorship, new_id)
    assert old.status == MentorshipStatus.ENDED_EARLY
    assert old.end_reason == "Re-matched: No shared availability"
    assert (new.mentee_id, new.mentor_id, new.status) == (
        org["alan"], org["grace"], MentorshipStatus.ACTIVE,
    )  # fmt: skip
    session.execute(
        sa.update(Enrolment).where(Enrolment.person_id == org["ada"]).values(capacity=0)
    )
    session.commit()
    with pytest.raises(MentorshipError, match="no free seat"):
        mentorships.rematch(ctx, pairs["busy"], org["ada"], "Ada has no room")
    session.rollback()
    assert session.get(Mentorship, pairs["busy"]).status == MentorshipStatus.ACTIVE
