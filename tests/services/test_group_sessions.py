"""Group sessions: one meeting, one ICS UID, N attendees who each answer; reminders reach
every attendee who has not declined exactly once; the organiser alone moves or cancels;
each attendee logs their own account. Runs on SQLite and PostgreSQL (owner connection)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from mentormatch_desktop import jobs
from mentormatch_desktop.domain.enums import AppRole, MeetingStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars, group_sessions, sessions
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.sessions import SessionError
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Meeting,
    MeetingAttendee,
    Mentorship,
    MessageDelivery,
    Person,
    Program,
    SessionLog,
    SessionNotice,
    Thread,
    ThreadParticipant,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
START = NOW + timedelta(days=3, hours=13)  # Thu 13:00 UTC


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


def as_(pid: int) -> Actor:
    return Actor(person_id=pid, login=None, role=AppRole.PARTICIPANT)


def uow(engine: Engine, host: PluginHost, pid: int | None = None, at: datetime = NOW):
    actor = as_(pid) if pid is not None else None
    return unit_of_work(engine, plugins=host, actor=actor, clock=lambda: at)


@pytest.fixture
def group(engine: Engine, host) -> dict[str, int]:
    """A mentor (Berlin) with three mentees in group "g1", and an outsider with a pair."""
    with uow(engine, host) as ctx:
        s = ctx.session
        prog = Program(name="Groups")
        people = {
            name: Person(email=f"{name}@example.org", full_name=name.title(), time_zone=tz)
            for name, tz in (
                ("mara", "Europe/Berlin"),
                ("ade", "Africa/Lagos"),
                ("bo", "America/New_York"),
                ("chen", "Asia/Shanghai"),
                ("olu", "Europe/London"),
                ("pat", "Europe/Paris"),
            )
        }
        s.add(prog)
        s.add_all(people.values())
        s.flush()
        for mentee in ("ade", "bo", "chen"):
            s.add(
                Mentorship(
                    program_id=prog.id,
                    mentor_id=people["mara"].id,
                    mentee_id=people[mentee].id,
                    group_key="g1",
                    started_at=NOW,
                )
            )
        s.add(
            Mentorship(
                program_id=prog.id,
                mentor_id=people["pat"].id,
                mentee_id=people["olu"].id,
                started_at=NOW,
            )
        )
        s.flush()
        return {"program": prog.id, **{k: p.id for k, p in people.items()}}


def _propose(engine, host, g, **kw) -> group_sessions.GroupSessionInfo:
    with uow(engine, host, g["mara"]) as ctx:
        return group_sessions.propose_group_session(
            ctx,
            [g["ade"], g["bo"], g["chen"]],
            kw.pop("start", START),
            60,
            agenda="Circle kick-off",
            group=(g["program"], "g1"),
            **kw,
        )


def test_group_session_is_one_meeting_with_every_attendee_in_one_ics(engine, host, group):
    g = group
    info = _propose(engine, host, g)
    assert info.session.status == "scheduled" and info.organiser_id == g["mara"]
    assert {a.person_id: a.response for a in info.attendees} == {
        g["mara"]: "accepted",
        g["ade"]: "needs-action",
        g["bo"]: "needs-action",
        g["chen"]: "needs-action",
    }
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Meeting)) == 1
        ics = conn.scalar(select(SessionNotice.ics).where(SessionNotice.kind == "proposed"))
    unfolded = ics.replace("\r\n ", "")
    assert unfolded.count("ATTENDEE;") == 3 and "ORGANIZER;CN=Mara" in unfolded
    assert unfolded.count("PARTSTAT=NEEDS-ACTION") == 3
    assert f"UID:{info.session.uid}" in unfolded and "METHOD:REQUEST" in unfolded

    # Each attendee answers for themselves; the same answer twice announces nothing new.
    with uow(engine, host, g["ade"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    with uow(engine, host, g["ade"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    with uow(engine, host, g["bo"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "declined", note="travelling")
    with uow(engine, host, g["chen"]) as ctx:
        after = group_sessions.respond_group_session(ctx, info.id, "tentative")
        event = sessions.session_event(ctx, ctx.session.get(Meeting, info.id))
    assert after.response_of(g["ade"]) == "accepted" and after.response_of(g["bo"]) == "declined"
    assert {(a.email, a.partstat) for a in event.attendees} == {
        ("ade@example.org", "ACCEPTED"),
        ("bo@example.org", "DECLINED"),
        ("chen@example.org", "TENTATIVE"),
    }
    with engine.connect() as conn:
        kinds = conn.execute(
            select(SessionNotice.kind, SessionNotice.recipient_id).order_by(SessionNotice.id)
        ).all()
        events = conn.execute(
            select(EngagementEvent.person_id, EngagementEvent.kind, EngagementEvent.mentorship_id)
            .where(EngagementEvent.kind.like("session_%"))
            .order_by(EngagementEvent.id)
        ).all()
        own = dict(
            conn.execute(
                select(Mentorship.mentee_id, Mentorship.id).where(Mentorship.group_key == "g1")
            ).all()
        )
    assert [tuple(k) for k in kinds] == [
        ("proposed", None),
        ("accepted", g["ade"]),
        ("declined", g["bo"]),
        ("tentative", g["chen"]),
    ]
    # Every event is the acting person's, on their own mentorship in the group.
    assert [(p, k.value if hasattr(k, "value") else k, m) for p, k, m in events] == [
        (g["mara"], "session_proposed", own[g["ade"]]),
        (g["ade"], "session_scheduled", own[g["ade"]]),
        (g["bo"], "session_declined", own[g["bo"]]),
    ]

    # Who may do what.
    with uow(engine, host, g["mara"]) as ctx, pytest.raises(SessionError, match="organiser"):
        group_sessions.respond_group_session(ctx, info.id, "declined")
    with uow(engine, host, g["olu"]) as ctx, pytest.raises(SessionError, match="not invited"):
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    with uow(engine, host, g["ade"]) as ctx, pytest.raises(SessionError, match="answer one of"):
        group_sessions.respond_group_session(ctx, info.id, "maybe")
    with uow(engine, host, g["ade"]) as ctx, pytest.raises(SessionError, match="group session"):
        sessions.accept_session(ctx, info.id)
    with (
        uow(engine, host, g["ade"]) as ctx,
        pytest.raises(SessionError, match="only the organiser"),
    ):
        group_sessions.reschedule_group_session(ctx, info.id, START + timedelta(days=1))


def test_group_session_invitees_and_size_are_checked(engine, host, group):
    g = group
    with uow(engine, host, g["mara"]) as ctx, pytest.raises(SessionError, match="3 to 8 people"):
        group_sessions.propose_group_session(ctx, [g["ade"]], START, 60)
    with uow(engine, host, g["mara"]) as ctx, pytest.raises(SessionError, match="neither"):
        group_sessions.propose_group_session(ctx, [g["ade"], g["olu"]], START, 60)
    with (
        uow(engine, host, g["ade"]) as ctx,
        pytest.raises(SessionError, match="only a coordinator"),
    ):
        group_sessions.propose_group_session(
            ctx, [g["bo"], g["chen"]], START, 60, as_person=g["mara"]
        )
    # A clash with a pair session one attendee already holds refuses the whole group.
    with uow(engine, host, g["pat"]) as ctx:
        ms = ctx.session.scalar(select(Mentorship.id).where(Mentorship.mentor_id == g["pat"]))
    with uow(engine, host) as ctx:
        sessions.propose_session(ctx, ms, START, 45, as_person=g["pat"])
    with uow(engine, host) as ctx:
        chen_ms = ctx.session.scalar(select(Mentorship.id).where(Mentorship.mentee_id == g["chen"]))
        pair = sessions.propose_session(
            ctx, chen_ms, START + timedelta(minutes=30), 30, as_person=g["chen"]
        )
    with pytest.raises(SessionError, match=f"clashes with session {pair.id}"):
        _propose(engine, host, g)


def test_group_reminders_reach_every_attendee_once_and_not_who_declined(engine, host, group):
    g = group
    info = _propose(engine, host, g)
    with uow(engine, host, g["bo"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "declined")
    runner_jobs = [
        j for j in jobs.default_jobs() if j.name in ("session-notices", "session-reminders")
    ]
    due = START - timedelta(minutes=50)
    for _ in range(2):  # a second pass, and a restarted worker: nothing more
        jobs.JobRunner(runner_jobs).run_due(engine, host, lambda: due)
    with engine.connect() as conn:
        rows = conn.execute(
            select(SessionNotice.recipient_id, SessionNotice.message_id).where(
                SessionNotice.kind == "reminder_1h"
            )
        ).all()
        reminded = (
            conn.execute(
                select(MessageDelivery.recipient_id)
                .where(MessageDelivery.topic == "session_reminder")
                .distinct()
            )
            .scalars()
            .all()
        )
        thread_id = conn.scalar(select(Meeting.thread_id).where(Meeting.id == info.id))
        members = set(
            conn.scalars(
                select(ThreadParticipant.person_id).where(ThreadParticipant.thread_id == thread_id)
            )
        )
        subject = conn.scalar(select(Thread.subject).where(Thread.id == thread_id))
    want = {g["mara"], g["ade"], g["chen"]}
    assert sorted(r.recipient_id for r in rows) == sorted(want)
    assert len({r.message_id for r in rows}) == 1  # one message, delivered to each of them
    assert set(reminded) == want
    assert members == {g["mara"], g["ade"], g["bo"], g["chen"]}
    assert subject == "Group session g1"


def test_group_reschedule_resets_answers_cancel_sends_cancel_and_logs_per_attendee(
    engine, host, group
):
    g = group
    info = _propose(engine, host, g)
    with uow(engine, host, g["ade"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    later = START + timedelta(days=1)
    with uow(engine, host, g["mara"]) as ctx:
        moved = sessions.reschedule_session(ctx, info.id, later)  # the pair step dispatches
        answers = group_sessions.group_info(ctx, info.id)
    assert moved.sequence == 1 and moved.starts_at == later and moved.uid == info.session.uid
    assert answers.response_of(g["ade"]) == "needs-action"
    assert answers.response_of(g["mara"]) == "accepted"

    # After the session each attendee logs their own account; one "held" makes it held.
    with uow(engine, host, g["ade"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    after = later + timedelta(hours=2)
    with uow(engine, host, g["ade"], at=after) as ctx:
        logged = sessions.log_session(
            ctx,
            info.id,
            held=True,
            private_notes="ade private",
            shared_notes="ade shared",
            rating=5,
        )
    with uow(engine, host, g["chen"], at=after) as ctx:
        sessions.log_session(ctx, info.id, held=True, shared_notes="chen shared")
    with (
        uow(engine, host, g["chen"], at=after) as ctx,
        pytest.raises(SessionError, match="already"),
    ):
        sessions.log_session(ctx, info.id, held=True)
    with (
        uow(engine, host, g["olu"], at=after) as ctx,
        pytest.raises(SessionError, match="not invited"),
    ):
        sessions.log_session(ctx, info.id, held=True)
    assert logged.meeting_status == "held"
    with engine.connect() as conn:
        authors = sorted(conn.scalars(select(SessionLog.author_id)))
        held_events = conn.scalars(
            select(EngagementEvent.person_id).where(EngagementEvent.kind == "session_held")
        ).all()
    assert authors == sorted([g["ade"], g["chen"]]) and sorted(held_events) == authors

    # A fresh one, cancelled by the organiser: every calendar gets a CANCEL, same UID.
    second = _propose(engine, host, g, start=START + timedelta(days=7))
    with uow(engine, host, g["mara"]) as ctx:
        cancelled = group_sessions.cancel_group_session(ctx, second.id, reason="holiday")
    assert cancelled.session.status == "cancelled" and cancelled.session.sequence == 1
    with engine.connect() as conn:
        ics = conn.scalar(
            select(SessionNotice.ics).where(
                SessionNotice.meeting_id == second.id, SessionNotice.kind == "cancelled"
            )
        )
    assert "METHOD:CANCEL" in ics and second.session.uid in ics.replace("\r\n ", "")


def test_group_session_in_every_attendee_export_and_busy_for_slots(engine, host, group):
    g = group
    info = _propose(engine, host, g)
    with uow(engine, host, g["bo"]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "declined")
    with uow(engine, host) as ctx:
        for who in ("ade", "chen", "mara"):
            ics = calendars.export_sessions_ics(ctx, g[who]).decode()
            assert info.session.uid in ics.replace("\r\n ", ""), who
        assert info.session.uid not in calendars.export_sessions_ics(ctx, g["bo"]).decode()
        from mentormatch_desktop.services.schedule import busy_time

        busy = busy_time(ctx.session, [g["ade"], g["bo"]], NOW, NOW + timedelta(days=7))
    assert g["ade"] in busy and g["bo"] not in busy  # Bo declined: not busy then


def test_group_session_for_a_peer_circle_beyond_direct_partners(engine, host):
    """A circle of four with consecutive pairs: the first invites all three others."""
    with uow(engine, host) as ctx:
        s = ctx.session
        prog = Program(name="Circle")
        people = [
            Person(email=f"p{i}@example.org", full_name=f"P{i}", time_zone="UTC") for i in range(4)
        ]
        s.add(prog)
        s.add_all(people)
        s.flush()
        for a, b in itertools.pairwise(people):
            s.add(
                Mentorship(
                    program_id=prog.id,
                    mentor_id=a.id,
                    mentee_id=b.id,
                    group_key="c",
                    started_at=NOW,
                )
            )
        s.flush()
        ids, program = [p.id for p in people], prog.id
    with uow(engine, host, ids[0]) as ctx, pytest.raises(SessionError, match="neither"):
        group_sessions.propose_group_session(ctx, ids[1:], START, 45)  # no group named
    with uow(engine, host, ids[0]) as ctx:
        info = group_sessions.propose_group_session(ctx, ids[1:], START, 45, group=(program, "c"))
    with uow(engine, host, ids[3]) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "accepted")
    with engine.connect() as conn:
        anchor = conn.scalar(select(Meeting.mentorship_id).where(Meeting.id == info.id))
        last = conn.scalar(
            select(EngagementEvent.mentorship_id).where(
                EngagementEvent.person_id == ids[3], EngagementEvent.kind == "session_scheduled"
            )
        )
        attendees = conn.scalar(
            select(func.count())
            .select_from(MeetingAttendee)
            .where(MeetingAttendee.meeting_id == info.id)
        )
        statuses = conn.scalar(select(Meeting.status).where(Meeting.id == info.id))
    assert attendees == 4 and statuses == MeetingStatus.SCHEDULED.value
    p2_p3 = {m for m in (anchor, last)}
    assert len(p2_p3) == 2  # P3 counts it on their own mentorship (P2–P3), not P0–P1
