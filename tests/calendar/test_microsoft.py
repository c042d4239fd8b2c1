"""The microsoft connector against a local server speaking Graph and OAuth + PKCE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarEvent,
    CalendarUnavailable,
)
from mentormatch_plugins.calendar import oauth, secrets
from mentormatch_plugins.calendar.microsoft import MicrosoftCalendar, oauth_config, recurrence

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def browser(url: str) -> None:
    resp = httpx.get(url, follow_redirects=False)
    httpx.get(resp.headers["Location"])


@pytest.fixture
def account(cloud, memory_keyring) -> CalendarAccount:
    settings = cloud.settings(base_url=f"{cloud.base}/v1.0")
    secrets.set_token(
        "ms:bob", oauth.authorize(oauth_config(settings), open_browser=browser, timeout=10)
    )
    return CalendarAccount("microsoft", "bob@example.org", settings, "ms:bob")


def connector(**kw) -> MicrosoftCalendar:
    return MicrosoftCalendar(sleep=lambda s: None, max_attempts=3, **kw)


def event(hours: int = 0, rrule: str | None = "FREQ=WEEKLY;BYDAY=MO;COUNT=6") -> CalendarEvent:
    return CalendarEvent(
        uid="s2@mentormatch.local",
        start=T0 + timedelta(hours=hours),
        end=T0 + timedelta(hours=hours, minutes=30),
        summary="Mentoring",
        time_zone="America/New_York",
        location="https://meet.example.org/abc",
        attendees=("ann@example.org",),
        rrule=rrule,
    )


def test_microsoft_get_schedule_skips_free_items(account, cloud):
    cloud.state.m_schedule = [
        {
            "status": "busy",
            "start": {"dateTime": "2026-03-02T10:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T11:00:00.0000000", "timeZone": "UTC"},
        },
        {
            "status": "free",
            "start": {"dateTime": "2026-03-02T12:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T13:00:00.0000000", "timeZone": "UTC"},
        },
    ]
    busy = connector().busy_periods(account, T0, T0 + timedelta(days=1))
    assert [(b.start, b.end.hour) for b in busy] == [(datetime(2026, 3, 2, 10, tzinfo=UTC), 11)]


def test_microsoft_event_create_is_idempotent_update_and_cancel(account, cloud):
    c = connector()
    first = c.publish_event(account, event())
    again = c.publish_event(account, event())  # a retried create: same transactionId
    assert first == again and len(cloud.state.m_events) == 1
    stored = cloud.state.m_events[first]
    assert stored["start"] == {"dateTime": "2026-03-02T04:00:00", "timeZone": "America/New_York"}
    assert stored["recurrence"]["pattern"] == {
        "type": "weekly",
        "interval": 1,
        "daysOfWeek": ["monday"],
        "firstDayOfWeek": "monday",
    }
    assert stored["recurrence"]["range"]["numberOfOccurrences"] == 6
    c.update_event(account, first, event(hours=1))
    assert cloud.state.m_events[first]["start"]["dateTime"] == "2026-03-02T05:00:00"
    c.cancel_event(account, first, event())
    assert cloud.state.m_events[first]["isCancelled"]
    c.cancel_event(account, first, event())  # already cancelled: 404 is fine


def test_microsoft_recurrence_refuses_what_graph_cannot_say():
    with pytest.raises(ValueError, match="cannot express"):
        recurrence("FREQ=MONTHLY;BYDAY=2TU", T0, "UTC")
    until = recurrence("FREQ=DAILY;INTERVAL=2;UNTIL=20260310T090000Z", T0, "UTC")
    assert until["range"] == {
        "startDate": "2026-03-02",
        "recurrenceTimeZone": "UTC",
        "type": "endDate",
        "endDate": "2026-03-10",
    }


def test_microsoft_expired_token_refresh_429_and_5xx(account, cloud):
    waits: list[float] = []
    c = MicrosoftCalendar(sleep=waits.append, max_attempts=4)
    cloud.state.expire_all()
    cloud.fail("/v1.0/me/calendar/getSchedule", 429, **{"Retry-After": "3"})
    cloud.fail("/v1.0/me/calendar/getSchedule", 502)
    assert c.busy_periods(account, T0, T0 + timedelta(hours=1)) == []
    assert waits[0] == 3.0
    cloud.fail("/v1.0/me/calendar/getSchedule", 503, times=4)
    with pytest.raises(CalendarUnavailable):
        c.busy_periods(account, T0, T0 + timedelta(hours=1))
    cloud.state.expire_all()
    cloud.state.refresh.clear()
    with pytest.raises(CalendarAuthError, match="reconnect"):
        c.busy_periods(account, T0, T0 + timedelta(hours=1))


def delta_token(link: str) -> str:
    return parse_qs(urlparse(link).query)["$deltatoken"][0]


def _seed(cloud, n: int) -> None:
    for i in range(n):
        s = T0 + timedelta(hours=i)
        cloud.state.add_graph_event(
            {
                "id": f"m{i}",
                "subject": "x",
                "showAs": "busy",
                "start": {"dateTime": s.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {
                    "dateTime": (s + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                    "timeZone": "UTC",
                },
            }
        )


def test_microsoft_delta_sync_pages_removes_and_resyncs(account, cloud):
    _seed(cloud, 520)
    c = connector()
    first = c.sync(account, {}, T0, T0 + timedelta(days=60))
    assert first.full and len(first.busy) == 520 and delta_token(first.state["delta_link"])
    cloud.state.m_events["m1"]["isCancelled"] = True
    cloud.state.m_changed["m1"] = next(cloud.state.clock)
    cloud.state.m_events["m2"]["showAs"] = "free"
    cloud.state.m_changed["m2"] = next(cloud.state.clock)
    second = c.sync(account, first.state, T0, T0 + timedelta(days=60))
    assert not second.full and sorted(second.removed) == ["m1", "m2"] and second.busy == []
    cloud.state.dead_tokens.add(delta_token(second.state["delta_link"]))
    third = c.sync(account, second.state, T0, T0 + timedelta(days=60))
    assert third.full and len(third.busy) == 518
