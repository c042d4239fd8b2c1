"""Inbox services: threads, sending with its outbox rows and engagement event, read state,
paging, search, edit/delete, mute, announcements, groups (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, DeliveryStatus, EngagementKind
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Message,
    MessageDelivery,
    Thread,
)


def test_outbox_rows_and_engagement_event_are_written_with_the_message(engine, org, as_person):
    with as_person(org["alan"]) as ctx:
        thread = inbox.thread_with(ctx, org["ada"])
        sent = inbox.send_message(ctx, thread.id, "Hello Ada, when shall we meet?")
    assert sent.deliveries == 1  # Ada by e-mail (the only channel she can be reached on)
    with engine.connect() as c:
        thread_row = c.execute(sa.select(Thread).where(Thread.id == sent.thread_id)).one()
        assert thread_row.kind == "mentorship" and thread_row.mentorship_id == org["mentorship"]
        d = c.execute(sa.select(MessageDelivery)).one()
        assert (d.recipient_id, d.channel, d.status) == (
            org["ada"],
            "email",
            DeliveryStatus.PENDING,
        )
        assert d.idempotency_key == inbox.delivery_key(sent.message_id, org["ada"], "email")
        event = c.execute(
            sa.select(EngagementEvent).where(EngagementEvent.kind == EngagementKind.MESSAGE_SENT)
        ).one()
        assert (event.person_id, event.mentorship_id) == (org["alan"], org["mentorship"])
        assert event.occurred_at is not None  # the log is where last activity is read


def test_outbox_nothing_is_queued_when_the_unit_of_work_fails(engine, org, as_person):
    with pytest.raises(RuntimeError), as_person(org["alan"]) as ctx:
        thread = inbox.thread_with(ctx, org["ada"])
        inbox.send_message(ctx, thread.id, "lost")
        raise RuntimeError("the caller failed after sending")
    with engine.connect() as c:
        for table in (Message, MessageDelivery, EngagementEvent, Thread):
            assert c.scalar(sa.select(sa.func.count()).select_from(table)) == 0


def test_one_thread_per_mentorship(org, as_person):
    with as_person(org["alan"]) as ctx:
        first = inbox.ensure_mentorship_thread(ctx, org["mentorship"]).id
        again = inbox.thread_with(ctx, org["ada"]).id
    with as_person(org["ada"]) as ctx:
        from_ada = inbox.thread_with(ctx, org["alan"]).id
    assert first == again == from_ada


def test_unread_counts_follow_last_read_at(org, as_person, clock):
    with as_person(org["alan"]) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
        for n in range(3):
            clock.now += timedelta(seconds=1)
            inbox.send_message(ctx, tid, f"message {n}")
    with as_person(org["ada"]) as ctx:
        assert [(t.id, t.unread) for t in inbox.list_threads(ctx)] == [(tid, 3)]
        assert inbox.list_threads(ctx)[0].members == ["Alan Turing"]
    with as_person(org["alan"]) as ctx:
        assert inbox.list_threads(ctx)[0].unread == 0  # one's own messages are never unread
    clock.now += timedelta(seconds=1)
    with as_person(org["ada"]) as ctx:
        assert inbox.mark_read(ctx, tid) == 3
        assert inbox.unread_total(ctx) == 0
    clock.now += timedelta(seconds=1)
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, tid, "one more")
    with as_person(org["ada"]) as ctx:
        assert inbox.unread_total(ctx) == 1


def test_muted_thread_counts_unread_but_sends_no_notifications(engine, org, as_person):
    with as_person(org["ada"]) as ctx:
        tid = inbox.thread_with(ctx, org["alan"]).id
        inbox.set_muted(ctx, tid, True)
    with as_person(org["alan"]) as ctx:
        sent = inbox.send_message(ctx, tid, "are you there?")
    assert sent.deliveries == 0
    with as_person(org["ada"]) as ctx:
        summary = inbox.list_threads(ctx)[0]
        assert summary.muted and summary.unread == 1


def test_keyset_pages_walk_a_thread_backwards(org, as_person, clock):
    with as_person(org["alan"]) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
        inbox.set_muted(ctx, tid, True)
    with as_person(org["ada"]) as ctx:
        inbox.set_muted(ctx, tid, True)
        for n in range(125):
            clock.now += timedelta(milliseconds=1)
            inbox.send_message(ctx, tid, f"m{n}")
    seen: list[str] = []
    with as_person(org["alan"]) as ctx:
        page = inbox.read_page(ctx, tid, limit=50)
        pages = 1
        seen = [m.body for m in page.messages] + seen
        while page.older is not None:
            page = inbox.read_page(ctx, tid, before=page.older, limit=50)
            seen = [m.body for m in page.messages] + seen
            pages += 1
    assert pages == 3
    assert seen == [f"m{n}" for n in range(125)]


def test_search_finds_only_ones_own_conversations(org, as_person):
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "The SQL 100% plan")
    with as_person(org["grace"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["mary"]).id, "my SQL secret")
    with as_person(org["ada"]) as ctx:
        assert [m.body for m in inbox.search_messages(ctx, "sql")] == ["The SQL 100% plan"]
        assert [m.body for m in inbox.search_messages(ctx, "100%")] == ["The SQL 100% plan"]
        assert inbox.search_messages(ctx, "0%p") == []  # % is literal, not a wildcard
        with pytest.raises(MessagingError, match="two characters"):
            inbox.search_messages(ctx, "s")


def test_edit_and_delete_own_message_within_the_window(engine, org, as_person, clock):
    with as_person(org["alan"]) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
        first = inbox.send_message(ctx, tid, "helo").message_id
        second = inbox.send_message(ctx, tid, "oops").message_id
    clock.now += timedelta(minutes=5)
    with as_person(org["ada"]) as ctx, pytest.raises(MessagingError, match="your own"):
        inbox.edit_message(ctx, first, "hijacked")
    with as_person(org["alan"]) as ctx:
        assert inbox.edit_message(ctx, first, "hello").edited_at == clock.now
        inbox.delete_message(ctx, second)
    with engine.connect() as c:
        statuses = dict(
            c.execute(sa.select(MessageDelivery.message_id, MessageDelivery.status)).all()
        )
    assert statuses[second] == DeliveryStatus.CANCELLED
    assert statuses[first] == DeliveryStatus.PENDING
    with as_person(org["ada"]) as ctx:
        page = inbox.read_page(ctx, tid)
        assert [(m.body, m.deleted) for m in page.messages] == [("hello", False), ("", True)]
        assert inbox.list_threads(ctx)[0].unread == 1  # a deleted message is not unread
    clock.now += timedelta(minutes=11)
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="15 minutes"):
        inbox.edit_message(ctx, first, "too late")


def test_only_members_read_or_write_a_thread(org, as_person):
    with as_person(org["alan"]) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
    with as_person(org["mary"]) as ctx:
        with pytest.raises(MessagingError, match="not a member"):
            inbox.read_page(ctx, tid)
        with pytest.raises(MessagingError, match="not a member"):
            inbox.send_message(ctx, tid, "hi")
    with as_person(None) as ctx, pytest.raises(MessagingError, match="--as"):
        inbox.list_threads(ctx)


def test_announcement_reaches_the_program_read_only(engine, org, as_person):
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="coordinators"):
        inbox.post_announcement(ctx, org["program"], "Kick-off", "Welcome")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        sent = inbox.post_announcement(ctx, org["program"], "Kick-off", "Welcome all")
    assert sent.deliveries == 5
    with engine.connect() as c:
        topics = set(c.scalars(sa.select(MessageDelivery.topic)))
    assert topics == {"announcement"}
    with as_person(org["mary"]) as ctx:
        [summary] = inbox.list_threads(ctx)
        assert (summary.kind, summary.subject, summary.unread) == ("announcement", "Kick-off", 1)
        with pytest.raises(MessagingError, match="read-only"):
            inbox.send_message(ctx, summary.id, "thanks!")


def test_announcement_audience_counts_per_cohort(engine, org, as_person):
    """What the "New announcement" dialog shows: active members per cohort, and a cohort's
    announcement reaches that cohort only."""
    with engine.begin() as c:
        c.execute(
            sa.text("UPDATE enrolments SET cohort = 'A' WHERE program_id = :p AND person_id = :a"),
            {"p": org["program"], "a": org["alan"]},
        )
    with as_person(None, AppRole.COORDINATOR) as ctx:
        audience = inbox.announcement_audience(ctx, org["program"])
        assert audience == {None: 4, "A": 1}
        sent = inbox.post_announcement(ctx, org["program"], "Cohort A", "Hello A", cohort="A")
    assert sent.deliveries == 1
    with as_person(org["alan"]) as ctx:
        assert [t.subject for t in inbox.list_threads(ctx)] == ["Cohort A"]
    with as_person(org["mary"]) as ctx:
        assert inbox.list_threads(ctx) == []
