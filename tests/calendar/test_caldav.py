"""The caldav connector against a real Radicale server on loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import caldav
import pytest

from mentormatch_desktop.plugin.contracts import CalendarAccount, CalendarAuthError, CalendarEvent
from mentormatch_plugins.calendar import secrets
from mentormatch_plugins.calendar.caldav_connector import CalDavCalendar

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def account(radicale, memory_keyring) -> CalendarAccount:
    """A fresh calendar collection for each test, so tests do not see each other's events."""
    client = caldav.DAVClient(
        url=radicale.url, username=radicale.username, password=radicale.password
    )
    cal = client.principal().make_calendar(name=f"t-{uuid.uuid4().hex[:8]}")
    secrets.set_secret("caldav:mentor", radicale.password)
    return CalendarAccount(
        "caldav",
        radicale.username,
        {"url": radicale.url, "calendar_url": str(cal.url), "username": radicale.username},
        "caldav:mentor",
    )


def event(uid: str, hours: int = 0, rrule: str | None = None) -> CalendarEvent:
    return CalendarEvent(
        uid=uid,
        start=T0 + timedelta(hours=hours),
        end=T0 + timedelta(hours=hours, minutes=45),
        summary="Mentoring",
        time_zone="Australia/Sydney",
        rrule=rrule,
        sequence=hours,
    )


def test_caldav_publish_update_cancel_and_busy_time(account):
    c = CalDavCalendar()
    url = c.publish_event(account, event("a@mm", rrule="FREQ=WEEKLY;COUNT=3"))
    busy = c.busy_periods(account, T0 - timedelta(days=1), T0 + timedelta(weeks=4))
    assert [b.start for b in busy] == [T0 + timedelta(weeks=w) for w in range(3)]
    c.update_event(account, url, event("a@mm", hours=2))
    busy = c.busy_periods(account, T0 - timedelta(days=1), T0 + timedelta(weeks=4))
    assert [b.start for b in busy] == [T0 + timedelta(hours=2)]
    c.cancel_event(account, url, event("a@mm"))
    assert c.busy_periods(account, T0 - timedelta(days=1), T0 + timedelta(weeks=4)) == []
    c.cancel_event(account, url, event("a@mm"))  # already gone: fine


def test_caldav_sync_token_gives_only_changes(account):
    c = CalDavCalendar()
    window = (T0 - timedelta(days=1), T0 + timedelta(weeks=8))
    urls = [c.publish_event(account, event(f"e{i}@mm", hours=i)) for i in range(5)]
    first = c.sync(account, {}, *window)
    assert first.full and len(first.busy) == 5 and first.state["sync_token"]
    c.cancel_event(account, urls[0], event("e0@mm"))
    c.update_event(account, urls[1], event("e1@mm", hours=30))
    second = c.sync(account, first.state, *window)
    assert not second.full
    assert second.removed == [urls[0]]
    assert [(b.uid, b.start) for b in second.busy] == [(urls[1], T0 + timedelta(hours=30))]


def test_caldav_forgotten_sync_token_falls_back_to_full_listing(account):
    c = CalDavCalendar()
    window = (T0 - timedelta(days=1), T0 + timedelta(weeks=8))
    c.publish_event(account, event("x@mm"))
    result = c.sync(account, {"sync_token": "http://radicale.org/ns/sync/not-a-token"}, *window)
    assert result.full and len(result.busy) == 1


def test_caldav_wrong_password_asks_to_reconnect(account, memory_keyring):
    secrets.set_secret("caldav:mentor", "wrong")
    settings = {k: v for k, v in account.settings.items() if k != "calendar_url"}
    bad = CalendarAccount("caldav", account.account, settings, account.secret_ref)
    with pytest.raises(CalendarAuthError, match="reconnect"):
        CalDavCalendar().busy_periods(bad, T0, T0 + timedelta(days=1))
