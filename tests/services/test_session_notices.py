"""Session changes reach the partner through the outbox (in the change's unit of work), and
the worker's reminders go out 24 h and 1 h before a session exactly once — across restarts,
two workers at once, and standing series across a DST change."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from mentormatch_desktop import jobs
from mentormatch_desktop.domain.enums import AppRole, MeetingStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import notifications, session_notices, sessions
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import (
    Meeting,
    Mentorship,
    Message,
    MessageDelivery,
    Person,
    Program,
    SessionNotice,
    Thread,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


def as_(pid: int) -> Actor:
    return Actor(person_id=pid, login=None, role=AppRole.PARTICIPANT)


@pytest.fixture
def pair(engine: Engine, host) -> dict[str, int]:
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        s = ctx.session
        prog = Program(name="Notices")
        mentee = Person(email="mei@example.org", full_name="Mei", time_zone="Asia/Shanghai")
        mentor = Person(email="ana@example.org", full_name="Ana", time_zone="America/Denver")
        s.add_all([prog, mentee, mentor])
        s.flush()
        ms = Mentorship(
            program_id=prog.id, mentor_id=mentor.id, mentee_id=mentee.id, started_at=NOW
        )
        s.add(ms)
        s.flush()
        return {"mentee": mentee.id, "mentor": mentor.id, "ms": ms.id, "program": prog.id}


def run_jobs(engine, host, at: datetime) -> dict[str, dict[str, int]]:
    """One worker pass of the notice and reminder jobs at ``at`` (a fresh runner: a restart)."""
    runner = jobs.JobRunner(
        [j for j in jobs.default_jobs() if j.name in ("session-notices", "session-reminders")]
    )
    return runner.run_due(engine, host, lambda: at)


def thread_messages(engine, ms_id: int) -> list[tuple[str, int | None, str]]:
    with engine.connect() as conn:
        return [
            (kind, sender, body)
            for kind, sender, body in conn.execute(
                select(Message.kind, Message.sender_id, Message.body)
                .join(Thread, Thread.id == Message.thread_id)
                .where(Thread.mentorship_id == ms_id)
                .order_by(Message.id)
            )
        ]


def deliveries(engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    MessageDelivery.recipient_id, MessageDelivery.channel, MessageDelivery.topic
                ).order_by(MessageDelivery.id)
            )
        ]


def test_every_session_change_reaches_the_partner_through_their_preferences(engine, host, pair):
    start = NOW + timedelta(days=3, hours=1)  # Thu 01:00 UTC: Thu 09:00 Shanghai, Wed 18:00 Denver
    # Ana (mentor) wants nothing about messages by e-mail; Mei keeps the defaults.
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        notifications.set_preference(ctx, pair["mentor"], "email", "new_message", False)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(
            ctx, pair["ms"], start, 45, agenda="CV review", video_link="https://v.example/x"
        )
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.counter_propose(ctx, info.id, start + timedelta(hours=1), 45, note="later?")
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        sessions.reschedule_session(ctx, info.id, start + timedelta(days=1))
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.cancel_session(ctx, info.id, reason="exam week")
    # On PostgreSQL these participants' logins may not queue each other's deliveries: the
    # worker posts what they recorded. On SQLite everything is already posted.
    run_jobs(engine, host, NOW)

    messages = thread_messages(engine, pair["ms"])
    assert [m[0] for m in messages] == ["session"] * 5
    mentor, mentee = pair["mentor"], pair["mentee"]
    assert [m[1] for m in messages] == [mentor, mentee, mentor, mentor, mentee]
    first, counter, _, moved, cancelled = (m[2] for m in messages)
    assert first.startswith("Ana proposed a mentoring session.")
    assert "Thu 05 Mar 2026, 09:00–09:45 Asia/Shanghai" in first
    assert "Wed 04 Mar 2026, 18:00–18:45 America/Denver" in first
    assert "Agenda: CV review" in first and "Join: https://v.example/x" in first
    assert "Note: later?" in counter and "10:00–10:45 Asia/Shanghai" in counter
    assert moved.startswith("Ana moved the mentoring session.") and "Fri 06 Mar" in moved
    assert "Reason: exam week" in cancelled and "Join:" not in cancelled
    # Mei (mentee) is e-mailed about Ana's three steps; Ana asked for no e-mail.
    assert deliveries(engine) == [(pair["mentee"], "email", "new_message")] * 3
    with engine.connect() as conn:
        notices = conn.execute(
            select(SessionNotice.kind, SessionNotice.sequence, SessionNotice.ics).order_by(
                SessionNotice.id
            )
        ).all()
    assert [(k, q) for k, q, _ in notices] == [
        ("proposed", 0),
        ("countered", 1),
        ("accepted", 2),
        ("rescheduled", 3),
        ("cancelled", 4),
    ]
    assert "METHOD:REQUEST" in notices[0].ics and "METHOD:CANCEL" in notices[-1].ics


def test_a_change_that_rolls_back_tells_nobody(engine, host, pair):
    start = NOW + timedelta(days=3)
    with (
        pytest.raises(RuntimeError),
        unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx,
    ):
        sessions.propose_session(ctx, pair["ms"], start, 45)
        raise RuntimeError("the app crashed before commit")
    run_jobs(engine, host, NOW)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SessionNotice)) == 0
        assert conn.scalar(select(func.count()).select_from(Message)) == 0
        assert conn.scalar(select(func.count()).select_from(Meeting)) == 0


def book(engine, host, pair, start: datetime, *, rrule: str | None = None, tz="UTC") -> int:
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(ctx, pair["ms"], start, 60, rrule=rrule, time_zone=tz)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
    run_jobs(engine, host, NOW)
    return info.id


def reminders(engine) -> list[tuple[str, datetime, bool]]:
    with engine.connect() as conn:
        return [
            (k, at.astimezone(UTC), msg is not None)
            for k, at, msg in conn.execute(
                select(SessionNotice.kind, SessionNotice.occurrence_at, SessionNotice.message_id)
                .where(SessionNotice.kind.like("reminder_%"))
                .order_by(SessionNotice.id)
            )
        ]


def test_reminders_24h_and_1h_go_out_once_across_restarts(engine, host, pair):
    start = NOW + timedelta(days=3, hours=2)
    book(engine, host, pair, start)
    before = len(deliveries(engine))
    assert run_jobs(engine, host, start - timedelta(hours=25))["session-reminders"] == {
        "reminders": 0
    }
    for _ in range(3):  # the 24 h mark, then two restarted workers a minute later
        run_jobs(engine, host, start - timedelta(hours=24) + timedelta(minutes=_))
    assert reminders(engine) == [("reminder_24h", start, True)]
    for _ in range(2):
        run_jobs(engine, host, start - timedelta(minutes=59))
    run_jobs(engine, host, start + timedelta(minutes=5))  # started: nothing more
    assert reminders(engine) == [("reminder_24h", start, True), ("reminder_1h", start, True)]
    texts = [m[2] for m in thread_messages(engine, pair["ms"]) if m[1] is None]
    assert texts[0].startswith("Reminder: your mentoring session starts in 24 hours.")
    assert texts[1].startswith("Reminder: your mentoring session starts in 1 hour.")
    # Both sides are reminded (no sender), by e-mail, under the session_reminder topic.
    new = deliveries(engine)[before:]
    assert sorted(new) == sorted(
        [(p, "email", "session_reminder") for p in (pair["mentor"], pair["mentee"])] * 2
    )


def test_reminders_respect_preferences_and_late_booking(engine, host, pair):
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        notifications.set_preference(ctx, pair["mentee"], "email", "session_reminder", False)
    start = NOW + timedelta(hours=5)  # booked 5 h ahead: the 24 h moment had passed
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(ctx, pair["ms"], start, 60)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentee"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
    run_jobs(engine, host, NOW + timedelta(minutes=1))
    assert reminders(engine) == [("reminder_24h", start, False)]  # recorded as skipped
    before = len(deliveries(engine))
    run_jobs(engine, host, start - timedelta(minutes=30))
    assert reminders(engine)[-1] == ("reminder_1h", start, True)
    assert deliveries(engine)[before:] == [(pair["mentor"], "email", "session_reminder")]


def test_a_worker_that_was_down_sends_only_the_nearest_reminder(engine, host, pair):
    start = NOW + timedelta(days=3)
    book(engine, host, pair, start)
    run_jobs(engine, host, start - timedelta(minutes=40))
    assert reminders(engine) == [("reminder_1h", start, True), ("reminder_24h", start, False)]


def test_standing_series_reminded_per_occurrence_across_dst(engine, host, pair):
    """Weekly 09:00 New York: before the US change on 8 Mar 2026 that is 14:00 UTC, after
    it 13:00 UTC; each occurrence gets its own reminders at the right instant."""
    first = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # Tue 09:00 EST
    mid = book(engine, host, pair, first, rrule="FREQ=WEEKLY;COUNT=4", tz="America/New_York")
    run_jobs(engine, host, first - timedelta(minutes=30))
    second = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # Tue 09:00 EDT
    run_jobs(engine, host, second - timedelta(hours=24, minutes=-1))
    run_jobs(engine, host, second - timedelta(hours=1, minutes=-1))
    got = reminders(engine)
    assert ("reminder_1h", first, True) in got
    assert ("reminder_24h", second, True) in got and ("reminder_1h", second, True) in got
    assert all(at in (first, second) for _, at, _ in got)
    with engine.connect() as conn:
        assert conn.scalar(select(Meeting.status).where(Meeting.id == mid)) == (
            MeetingStatus.SCHEDULED
        )


def test_two_workers_at_once_send_one_reminder(engine, host, pair):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: two workers are serialised by its lock")
    start = NOW + timedelta(days=3)
    book(engine, host, pair, start)
    at = start - timedelta(hours=23)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with unit_of_work(engine, plugins=host, actor=jobs.JOB_ACTOR, clock=lambda: at) as ctx:
                session_notices.queue_reminders(ctx)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert reminders(engine) == [("reminder_24h", start, True)]
    texts = [m[2] for m in thread_messages(engine, pair["ms"]) if m[1] is None]
    assert len(texts) == 1


def test_the_invitation_travels_with_the_delivery_and_the_email(engine, host, pair):
    from mentormatch_desktop.services import outbox
    from mentormatch_plugins.messaging.mail import SmtpSettings, build_email

    start = NOW + timedelta(days=2)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        info = sessions.propose_session(ctx, pair["ms"], start, 30)
    with unit_of_work(engine, plugins=host, actor=as_(pair["mentor"]), clock=lambda: NOW) as ctx:
        sessions.cancel_session(ctx, info.id)
    run_jobs(engine, host, NOW)
    with unit_of_work(engine, plugins=host, actor=jobs.JOB_ACTOR, clock=lambda: NOW) as ctx:
        claimed = outbox.load(ctx, outbox.claim(ctx))
    invite, cancel = (c.delivery for c in claimed)
    (a,) = invite.items[0].attachments
    assert a.content_type == "text/calendar; method=REQUEST" and info.uid in a.data.decode()
    assert cancel.items[0].attachments[0].content_type == "text/calendar; method=CANCEL"
    settings = SmtpSettings(
        "localhost", 25, False, False, None, None, "MentorMatch <mm@example.org>", None, 5
    )
    mail = build_email(invite, settings)
    (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"
    assert b"BEGIN:VEVENT" in part.get_payload(decode=True)
