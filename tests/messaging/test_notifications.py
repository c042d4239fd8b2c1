"""Notification preferences, program defaults, unsubscribe, digest and quiet-hours timing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import inbox, notifications
from mentormatch_desktop.services.notifications import MessagingError, first_due
from mentormatch_desktop.storage.models import MessageDelivery


def _channels(engine) -> list[tuple[int, str]]:
    with engine.connect() as c:
        return sorted(c.execute(sa.select(MessageDelivery.recipient_id, MessageDelivery.channel)))


def test_person_choice_beats_program_default_beats_built_in(engine, org, as_person):
    with as_person(org["ada"]) as ctx:
        notifications.set_delivery_settings(ctx, org["ada"], "slack", address="U123")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        notifications.set_program_default(ctx, org["program"], "email", "new_message", False)
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "one")
    assert _channels(engine) == [(org["ada"], "slack")]  # e-mail off by the program default
    with as_person(org["ada"]) as ctx:
        notifications.set_preference(ctx, org["ada"], "email", "new_message", True)
        notifications.set_preference(ctx, org["ada"], "slack", "new_message", False)
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "two")
    assert _channels(engine) == [(org["ada"], "email"), (org["ada"], "slack")]


def test_only_the_person_or_a_coordinator_changes_preferences(org, as_person):
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="themselves"):
        notifications.set_preference(ctx, org["ada"], "email", "new_message", False)
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="topic"):
        notifications.set_preference(ctx, org["alan"], "email", "gossip", False)
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="pigeon"):
        notifications.set_preference(ctx, org["alan"], "pigeon", "new_message", False)


def test_unsubscribe_token_turns_the_topic_off(engine, org, as_person):
    with as_person(None, AppRole.COORDINATOR) as ctx:
        token = notifications.unsubscribe_token(ctx, org["ada"], "email", "new_message")
        assert notifications.unsubscribe_token(ctx, org["ada"], "email", "new_message") == token
    with as_person(None) as ctx:
        done = notifications.unsubscribe(ctx, token)
        assert (done.email, done.topics) == ("ada@example.org", ("new_message",))
        with pytest.raises(MessagingError, match="not valid"):
            notifications.unsubscribe(ctx, "nope")
    with as_person(org["alan"]) as ctx:
        assert inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "hi").deliveries == 0
    with as_person(None, AppRole.COORDINATOR) as ctx:  # announcements still reach her
        inbox.post_announcement(ctx, org["program"], "News", "Hello")
    assert (org["ada"], "email") in _channels(engine)


def test_quiet_hours_and_digests_are_computed_in_the_persons_zone():
    now = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # 22:30 in London (GMT), 18:30 New York
    quiet = {"quiet_hours": ["22:00", "07:00"]}
    assert first_due(now, "Europe/London", quiet) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert first_due(now, "America/New_York", quiet) == now
    assert first_due(now, "Europe/London", {}) == now
    hourly = first_due(now, "Asia/Kolkata", {"digest": "hourly"})  # 04:00 local → 05:00 local
    assert hourly == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    daily = first_due(now, "Europe/London", {"digest": "daily", "digest_hour": 8})
    # 29 March is the switch to summer time: 08:00 BST is 07:00 UTC.
    assert daily == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    daytime_quiet = {"quiet_hours": ["12:00", "13:00"]}
    noon = datetime(2026, 7, 1, 11, 15, tzinfo=UTC)  # 12:15 BST
    assert first_due(noon, "Europe/London", daytime_quiet) == datetime(
        2026, 7, 1, 12, 0, tzinfo=UTC
    )


def test_delivery_settings_are_validated(org, as_person):
    with as_person(org["ada"]) as ctx:
        with pytest.raises(MessagingError, match="digest"):
            notifications.set_delivery_settings(ctx, org["ada"], "email", digest="weekly")
        with pytest.raises(MessagingError, match="22h"):
            notifications.set_delivery_settings(ctx, org["ada"], "email", quiet_hours=("22h", "7"))
        with pytest.raises(MessagingError, match="address"):
            notifications.set_delivery_settings(ctx, org["ada"], "teams", digest="daily")
        notifications.set_delivery_settings(
            ctx, org["ada"], "email", digest="daily", quiet_hours=("22:00", "07:00")
        )
