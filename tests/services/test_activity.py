"""Activity written through services: the Mentorships screen, the dashboard and the at-risk
list read the same log and agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop import analytics
from mentormatch_desktop.analytics.dashboard import compute_dashboard
from mentormatch_desktop.analytics.filters import Filters
from mentormatch_desktop.domain.enums import EngagementKind, MeetingStatus, MentorshipStatus
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import activity, mentorships
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Feedback,
    Meeting,
    Mentorship,
    Milestone,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOST = PluginHost(autoload=False)


def work_at(engine, at: datetime = NOW):
    return unit_of_work(engine, plugins=HOST, clock=lambda: at)


@pytest.fixture
def pairs(engine, org: dict[str, int]) -> dict[str, int]:
    """Three running pairs: one never active, one busy, one active but behind its plan."""
    with transaction(engine) as s:
        made = {}
        plan = (("quiet", "ada", "alan", 60), ("busy", "grace", "mary", 50),
                ("behind", "ada", "zora", 40))  # fmt: skip
        for key, mentor, mentee, days in plan:
            m = Mentorship(
                program_id=org["program"], mentor_id=org[mentor], mentee_id=org[mentee],
                started_at=NOW - timedelta(days=days),
            )  # fmt: skip
            s.add(m)
            s.flush()
            made[key] = m.id
        s.add(Milestone(mentorship_id=made["busy"], owner_id=org["mary"], title="Plan",
                        due_on=(NOW + timedelta(days=9)).date()))  # fmt: skip
        s.add(Milestone(mentorship_id=made["behind"], owner_id=org["zora"], title="Pitch",
                        due_on=(NOW - timedelta(days=3)).date()))  # fmt: skip
    return made


def test_activity_through_services_is_what_every_view_shows(engine, org, pairs):
    # The busy pair meets twice, writes feedback and completes its milestone; the pair
    # behind its plan met once (recently) but its milestone is overdue.
    for days_ago in (20, 2):
        with work_at(engine, NOW - timedelta(days=days_ago)) as ctx:
            start = ctx.now() - timedelta(hours=1)
            activity.record_session_held(ctx, pairs["busy"], starts_at=start, ends_at=ctx.now())
    with work_at(engine, NOW - timedelta(days=1)) as ctx:
        planned = Meeting(
            mentorship_id=pairs["behind"], organiser_id=org["ada"],
            starts_at=NOW - timedelta(days=5, hours=1), ends_at=NOW - timedelta(days=5),
            status=MeetingStatus.SCHEDULED,
        )  # fmt: skip
        ctx.session.add(planned)
        ctx.session.flush()
        activity.record_session_held(ctx, pairs["behind"], meeting_id=planned.id)
        milestone = ctx.session.scalar(
            sa.select(Milestone.id).where(Milestone.mentorship_id == pairs["busy"])
        )
        activity.complete_milestone(ctx, milestone)
        activity.give_feedback(ctx, pairs["busy"], org["mary"], 5, comment="Very useful")

    with work_at(engine) as ctx:
        rows = {r.id: r for r in mentorships.list_mentorships(ctx, as_of=NOW)}
    data = compute_dashboard(engine, Filters(as_of=NOW))
    facts = {r["mentorship_id"]: r for r in data.mentorships.iter_rows(named=True)}
    listed = analytics.at_risk(engine, Filters(as_of=NOW))

    # Same counts and last activity on the Mentorships screen and in the dashboard's facts.
    for mid, row in rows.items():
        assert row.sessions_held == facts[mid]["sessions_held"]
        assert row.last_activity_at == facts[mid]["last_activity_at"]
        assert row.milestones_done == facts[mid]["milestones_done"]
        assert row.milestones_overdue == facts[mid]["milestones_overdue"]
    busy, behind, quiet = rows[pairs["busy"]], rows[pairs["behind"]], rows[pairs["quiet"]]
    assert busy.sessions_held == 2 and busy.last_activity_at == NOW - timedelta(days=2)
    assert behind.sessions_held == 1 and behind.last_activity_at == NOW - timedelta(days=5)
    assert quiet.sessions_held == 0 and quiet.last_activity_at is None
    with transaction(engine) as s:  # the domain rows are there too, one per activity
        held = s.scalar(sa.select(sa.func.count()).where(Meeting.status == MeetingStatus.HELD))
        events = dict(
            s.execute(sa.select(EngagementEvent.kind, sa.func.count())
                      .group_by(EngagementEvent.kind)).all()
        )  # fmt: skip
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1
    assert held == sum(r.sessions_held for r in rows.values()) == 3
    assert events[EngagementKind.SESSION_HELD] == 6  # one per participant and session
    assert events[EngagementKind.MILESTONE_COMPLETED] == 1
    assert events[EngagementKind.FEEDBACK_GIVEN] == 1

    # One at-risk rule: the same pairs, for the same reasons, everywhere.
    screen = {mid: r.risk_reasons for mid, r in rows.items() if r.at_risk}
    assert screen == {
        pairs["quiet"]: ["no session or message for 60 days"],
        pairs["behind"]: ["1 overdue milestone"],
    }
    for frame in (data.at_risk, listed):
        assert {
            r["mentorship_id"]: r["reason"].split("; ") for r in frame.iter_rows(named=True)
        } == (screen)
    assert data.kpis["at_risk"][0] == 2 and data.kpis["running"][0] == 3
    assert data.kpis["sessions"][0] == 3  # sessions, not the six per-person events
    assert {r.days_silent for r in rows.values()} == {60, 2, 5}


def test_domain_row_and_event_are_one_unit_of_work(engine, org, pairs):
    with pytest.raises(RuntimeError, match="crash"), work_at(engine) as ctx:
        activity.record_session_held(
            ctx, pairs["busy"], starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1)
        )
        raise RuntimeError("crash after the service, before the commit")
    with transaction(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(EngagementEvent)) == 0


def test_bad_activity_is_refused_with_a_reason(engine, org, pairs):
    with pytest.raises(FieldError, match="rating"), work_at(engine) as ctx:
        activity.give_feedback(ctx, pairs["busy"], org["mary"], 7)
    with (
        pytest.raises(activity.ActivityError, match="only the mentor or the mentee"),
        work_at(engine) as ctx,
    ):
        activity.give_feedback(ctx, pairs["busy"], org["zora"], 4)
    with pytest.raises(activity.ActivityError, match="in the future"), work_at(engine) as ctx:
        activity.record_session_held(
            ctx, pairs["busy"], starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, hours=1),
        )  # fmt: skip
    with pytest.raises(FieldError, match="ends after it starts"), work_at(engine) as ctx:
        activity.record_session_held(ctx, pairs["busy"], starts_at=NOW, ends_at=NOW)
    with work_at(engine) as ctx:
        ctx.session.get(Mentorship, pairs["quiet"]).status = MentorshipStatus.COMPLETED
    with pytest.raises(activity.ActivityError, match="is completed"), work_at(engine) as ctx:
        activity.record_session_held(
            ctx, pairs["quiet"], starts_at=NOW - timedelta(hours=2), ends_at=NOW
        )
    with work_at(engine) as ctx:
        milestone = ctx.session.scalar(
            sa.select(Milestone.id).where(Milestone.mentorship_id == pairs["busy"])
        )
        activity.complete_milestone(ctx, milestone)
    with pytest.raises(activity.ActivityError, match="already completed"), work_at(engine) as ctx:
        activity.complete_milestone(ctx, milestone)
