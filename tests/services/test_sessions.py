"""Sessions through services: find a time, propose, counter, accept, reschedule, cancel, log;
each step's engagement event in the same unit of work; ICS invitations with stable UID."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole, EngagementKind, MeetingStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars, mentorships, schedule, sessions
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import (
    AvailabilityException,
    AvailabilitySlot,
    BusyBlock,
    EngagementEvent,
    Feedback,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    Program,
    SchedulingPreference,
    SessionNotice,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


@pytest.fixture
def pair(engine: Engine, host) -> dict[str, int]:
    """A mentee in Kolkata and a mentor in São Paulo, evenings and mornings overlapping."""
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        s = ctx.session
        prog = Program(name="Sessions test")
        mentee = Person(email="asha@example.org", full_name="Asha", time_zone="Asia/Kolkata")
        mentor = Person(email="rui@example.org", full_name="Rui", time_zone="America/Sao_Paulo")
        s.add_all([prog, mentee, mentor])
        s.flush()
        # Asha: weekdays 18:30–21:30 IST = 13:00–16:00 UTC; Rui: 09:00–12:00 BRT = 12:00–15:00 UTC
        s.add_all(
            [
                AvailabilitySlot(
                    person_id=mentee.id,
                    weekday=d,
                    start_minute=18 * 60 + 30,
                    end_minute=21 * 60 + 30,
                )
                for d in range(5)
            ]
            + [
                AvailabilitySlot(
                    person_id=mentor.id, weekday=d, start_minute=9 * 60, end_minute=12 * 60
                )
                for d in range(5)
            ]
        )
        s.add(
            SchedulingPreference(
                person_id=mentee.id,
                work_start_minute=18 * 60,
                work_end_minute=22 * 60,
                work_weekdays="0,1,2,3,4",
                min_notice_minutes=60,
                buffer_minutes=0,
            )
        )
        ms = Mentorship(
            program_id=prog.id, mentor_id=mentor.id, mentee_id=mentee.id, started_at=NOW
        )
        s.add(ms)
        s.flush()
        return {"mentee": mentee.id, "mentor": mentor.id, "mentorship": ms.id, "program": prog.id}


def as_(person_id: int) -> Actor:
    return Actor(person_id=person_id, login=None, role=AppRole.PARTICIPANT)


def events(engine: Engine, kind: EngagementKind) -> int:
    with unit_of_work(engine, plugins=PluginHost(autoload=False)) as ctx:
        return ctx.session.scalar(select(func.count()).where(EngagementEvent.kind == kind))


def test_find_slots_respects_both_zones_busy_time_and_exceptions(engine, host, pair):
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        # Asha is away on Tuesday; Rui's calendar is busy Monday 13:00–14:00 UTC.
        ctx.session.add(
            AvailabilityException(
                person_id=pair["mentee"], first_day=date(2026, 3, 3), last_day=date(2026, 3, 3)
            )
        )
        ctx.session.add(
            BusyBlock(
                person_id=pair["mentor"],
                starts_at=NOW + timedelta(hours=13),
                ends_at=NOW + timedelta(hours=14),
            )
        )
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        found = schedule.find_slots(
            ctx, [pair["mentee"], pair["mentor"]], minutes=45, weeks=1, limit=20
        )
    starts = [s.start for s in found]
    assert starts and all(13 <= s.hour < 15 for s in starts)
    assert all(s.date() != date(2026, 3, 3) for s in starts)
    monday = [s for s in starts if s.date() == date(2026, 3, 2)]
    # Rui's busy hour plus the default 10-minute buffer leaves 14:15–15:00 on Monday.
    assert monday == [NOW + timedelta(hours=14, minutes=15)]
    view = found[0].to_json()["people"]
    assert {v["time_zone"] for v in view} == {"Asia/Kolkata", "America/Sao_Paulo"}


def test_session_workflow_writes_events_ics_and_audit(engine, host, pair):
    start = NOW + timedelta(days=2, hours=13)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(
            ctx,
            pair["mentorship"],
            start,
            45,
            agenda="Goals",
            video_link="https://meet.example.org/x",
        )
    assert info.status == "proposed" and info.uid.endswith("@mentormatch.local")
    assert events(engine, EngagementKind.SESSION_PROPOSED) == 1

    with (
        unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx,
        pytest.raises(sessions.SessionError, match="other side"),
    ):
        sessions.accept_session(ctx, info.id)

    later = start + timedelta(days=1)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        countered = sessions.counter_propose(ctx, info.id, later, 45)
    assert countered.proposed_by_id == pair["mentor"] and countered.sequence == 1

    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        accepted = sessions.accept_session(ctx, info.id)
        ics = icalendar.Calendar.from_ical(
            sessions.invitation(
                sessions.session_event(ctx, ctx.session.get(Meeting, info.id)), "REQUEST"
            )
        )
    assert accepted.status == "scheduled" and accepted.sequence == 2
    vevent = next(iter(ics.walk("VEVENT")))
    assert str(vevent["uid"]) == info.uid and int(vevent["sequence"]) == 2
    assert str(ics["method"]) == "REQUEST"
    assert vevent.decoded("dtstart") == later
    assert events(engine, EngagementKind.SESSION_SCHEDULED) == 2  # one per side

    moved = later + timedelta(days=7)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        rescheduled = sessions.reschedule_session(ctx, info.id, moved)
    assert (
        rescheduled.status == "proposed"
        and rescheduled.uid == info.uid
        and rescheduled.sequence == 3
    )
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)

    # Both calendars' export holds it; a cancel then carries METHOD:CANCEL with the same UID.
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        exported = icalendar.Calendar.from_ical(calendars.export_sessions_ics(ctx, pair["mentor"]))
    assert [str(e["uid"]) for e in exported.walk("VEVENT")] == [info.uid]

    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.cancel_session(ctx, info.id, reason="ill")
        notices = ctx.session.scalars(select(SessionNotice).order_by(SessionNotice.id)).all()
    assert [n.kind for n in notices] == [
        "proposed",
        "countered",
        "accepted",
        "rescheduled",
        "accepted",
        "cancelled",
    ]
    assert events(engine, EngagementKind.SESSION_CANCELLED) == 1


def test_session_log_marks_held_rates_and_makes_milestones(engine, host, pair):
    start = NOW + timedelta(days=1, hours=13)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(ctx, pair["mentorship"], start, 60)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
        with pytest.raises(sessions.SessionError, match="not started"):
            sessions.log_session(ctx, info.id, held=True)
    after = start + timedelta(hours=2)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: after) as ctx:
        log = sessions.log_session(
            ctx,
            info.id,
            held=True,
            private_notes="nervous",
            shared_notes="good start",
            rating=5,
            next_steps=["Draft a learning plan", " "],
            steps_as_milestones=True,
        )
    assert log.meeting_status == "held" and len(log.milestone_ids) == 1 and log.feedback_id
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: after) as ctx:
        other = sessions.log_session(ctx, info.id, held=False)
        with pytest.raises(sessions.SessionError, match="already logged"):
            sessions.log_session(ctx, info.id, held=False)
    assert other.meeting_status == "held"  # one side's "missed" does not overrule the other
    with unit_of_work(engine, plugins=host, clock=lambda: after) as ctx:
        s = ctx.session
        assert s.scalar(select(Milestone.title)) == "Draft a learning plan"
        assert s.scalar(select(Feedback.rating)) == 5
        held = s.scalars(
            select(EngagementEvent).where(EngagementEvent.kind == EngagementKind.SESSION_HELD)
        ).all()
        assert [e.occurred_at for e in held] == [start + timedelta(hours=1)]
        # the latest sign of life is the session held (domain/activity.py), not the logging
        rows = mentorships.list_mentorships(ctx, mentorships.MentorshipFilter(
            ids=[pair["mentorship"]]), as_of=after)  # fmt: skip
        assert [r.last_activity_at for r in rows] == [start + timedelta(hours=1)]
    with (
        unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: after) as ctx,
        pytest.raises(sessions.SessionError, match="rating"),
    ):
        sessions.log_session(ctx, info.id, held=True, rating=9, as_person=None)


def test_propose_refuses_bad_input_with_clear_messages(engine, host, pair):
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        with pytest.raises(sessions.SessionError, match="past"):
            sessions.propose_session(ctx, pair["mentorship"], NOW - timedelta(hours=1), 30)
        with pytest.raises(sessions.SessionError, match="time zone"):
            sessions.propose_session(ctx, pair["mentorship"], datetime(2026, 3, 5, 13), 30)
        with pytest.raises(sessions.SessionError, match="15 minutes"):
            sessions.propose_session(ctx, pair["mentorship"], NOW + timedelta(days=1), 5)
        with pytest.raises(sessions.SessionError, match="recurrence"):
            sessions.propose_session(
                ctx, pair["mentorship"], NOW + timedelta(days=1), 30, rrule="FREQ=SOMETIMES"
            )
        first = sessions.propose_session(ctx, pair["mentorship"], NOW + timedelta(days=1), 60)
        with pytest.raises(sessions.SessionError, match="clashes"):
            sessions.propose_session(
                ctx, pair["mentorship"], NOW + timedelta(days=1, minutes=30), 30
            )
    assert first.id
    with (
        unit_of_work(engine, plugins=host, actor=as_(99999), clock=lambda: NOW) as ctx,
        pytest.raises(sessions.SessionError, match="not part of"),
    ):
        sessions.propose_session(ctx, pair["mentorship"], NOW + timedelta(days=3), 30)


def test_dst_weekly_series_blocks_the_same_berlin_wall_time(engine, host, pair):
    """A standing 17:00 Berlin series stays at 17:00 Berlin across the US-only shift."""
    first = datetime(2026, 3, 2, 16, tzinfo=UTC)  # 17:00 CET
    with unit_of_work(engine, plugins=host, clock=lambda: NOW - timedelta(days=1)) as ctx:
        ctx.session.add(
            Meeting(
                mentorship_id=pair["mentorship"],
                organiser_id=pair["mentor"],
                starts_at=first,
                ends_at=first + timedelta(hours=1),
                time_zone="Europe/Berlin",
                status=MeetingStatus.SCHEDULED,
                rrule="FREQ=WEEKLY;COUNT=6",
            )
        )
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        busy = schedule.busy_time(ctx.session, [pair["mentee"]], NOW, NOW + timedelta(weeks=6))
    starts = [datetime.fromtimestamp(int(m) * 60, UTC) for m in busy[pair["mentee"]][0]]
    assert [s.hour for s in starts] == [16, 16, 16, 16, 15, 15]  # EU shifts on 29 March
