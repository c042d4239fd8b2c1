"""Coordinator nudges: which pairs are waiting for a first session, the message both people
get (through the outbox, in the same unit of work), and no second nudge within the cooldown."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, MeetingStatus, MentorshipStatus
from mentormatch_desktop.services import inbox, nudges
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import Meeting, Mentorship, Message, MessageDelivery

from .conftest import NOW


@pytest.fixture
def second_pair(engine, org) -> int:
    """Grace mentors Mary since 3 days after Ada & Alan."""
    with transaction(engine) as s:
        m = Mentorship(
            program_id=org["program"],
            mentor_id=org["grace"],
            mentee_id=org["mary"],
            started_at=NOW + timedelta(days=3),
        )
        s.add(m)
        s.flush()
        return m.id


def _waiting(as_person, **kw):
    with as_person(None, AppRole.COORDINATOR) as ctx:
        return nudges.waiting_pairs(ctx, **kw)


def test_waiting_pairs_after_n_days_without_a_session(engine, org, second_pair, as_person, clock):
    clock.now = NOW + timedelta(days=10)
    assert _waiting(as_person, after_days=14) == []
    clock.now = NOW + timedelta(days=15)
    [first] = _waiting(as_person, after_days=14)
    assert (first.mentorship_id, first.days_waiting) == (org["mentorship"], 15)
    assert (first.mentor_name, first.mentee_name) == ("Ada Lovelace", "Alan Turing")
    assert first.may_nudge and first.last_nudged_at is None
    clock.now = NOW + timedelta(days=20)
    waiting = _waiting(as_person, program_id=org["program"], after_days=14)
    assert [w.mentorship_id for w in waiting] == [org["mentorship"], second_pair]
    assert _waiting(as_person, program_id=org["program"] + 999) == []


def test_a_booked_or_held_session_ends_the_wait_but_a_cancelled_one_does_not(
    engine, org, second_pair, as_person, clock
):
    clock.now = NOW + timedelta(days=30)
    with transaction(engine) as s:
        for mid, status in ((org["mentorship"], MeetingStatus.CANCELLED), (second_pair, "held")):
            s.add(
                Meeting(
                    mentorship_id=mid,
                    organiser_id=org["ada"],
                    starts_at=NOW + timedelta(days=5),
                    ends_at=NOW + timedelta(days=5, hours=1),
                    status=MeetingStatus(status),
                )
            )
        s.get(Mentorship, second_pair)  # still active
    assert [w.mentorship_id for w in _waiting(as_person)] == [org["mentorship"]]
    with transaction(engine) as s:
        s.get(Mentorship, org["mentorship"]).status = MentorshipStatus.PAUSED
    assert _waiting(as_person) == []


def test_nudge_reaches_both_through_the_outbox_and_not_twice(engine, org, as_person, clock):
    clock.now = NOW + timedelta(days=15)
    with as_person(None, AppRole.COORDINATOR) as ctx:
        result = nudges.nudge_pairs(ctx, [org["mentorship"]])
        assert result.sent == (org["mentorship"],) and result.skipped == ()
        again = nudges.nudge_pairs(ctx, [org["mentorship"]])  # same unit of work
        assert again.sent == () and again.skipped == (org["mentorship"],)
    with as_person(org["alan"]) as ctx:
        [thread] = inbox.list_threads(ctx)
        [message] = inbox.read_page(ctx, thread.id).messages
    assert message.kind == "nudge"
    assert message.body.startswith("Hello Alan and Ada,")
    assert "not booked a first session" in message.body
    with engine.connect() as c:
        recipients = set(c.scalars(sa.select(MessageDelivery.recipient_id)))
    assert recipients == {org["ada"], org["alan"]}

    [pair] = _waiting(as_person)
    assert not pair.may_nudge and pair.last_nudged_at == clock.now
    clock.now = NOW + timedelta(days=15 + 10)
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).sent == ()
    clock.now = NOW + timedelta(days=15 + 15)
    assert _waiting(as_person)[0].may_nudge
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).sent == (org["mentorship"],)
    with engine.connect() as c:
        kinds = c.scalars(sa.select(Message.kind).order_by(Message.id)).all()
    assert kinds == ["nudge", "nudge"]


def test_nudge_suggests_three_common_times(engine, org, as_person, clock):
    from mentormatch_desktop.services.my_schedule import save_weekly_availability

    clock.now = NOW + timedelta(days=15)
    for pid in (org["ada"], org["alan"]):
        with as_person(pid) as ctx:
            save_weekly_availability(ctx, [(d, 9 * 60, 17 * 60) for d in range(5)])
    with as_person(None, AppRole.COORDINATOR) as ctx:
        nudges.nudge_pairs(ctx, [org["mentorship"]])
    with engine.connect() as c:
        body = c.scalar(sa.select(Message.body))
    suggested = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(suggested) == 3, body
    assert "Ada Lovelace:" in suggested[0] and "Alan Turing:" in suggested[0]


def test_participants_cannot_nudge(org, as_person, clock):
    clock.now = NOW + timedelta(days=15)
    with pytest.raises(MessagingError), as_person(org["alan"]) as ctx:
        nudges.nudge_pairs(ctx, [org["mentorship"]])
