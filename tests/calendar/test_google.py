"""The google connector against a local server speaking Calendar v3 and OAuth + PKCE."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarEvent,
    CalendarUnavailable,
)
from mentormatch_plugins.calendar import oauth, secrets
from mentormatch_plugins.calendar.google import GoogleCalendar, oauth_config

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def browser(url: str) -> None:
    """Stand in for the user's browser: follow the provider's redirect to the loopback."""
    resp = httpx.get(url, follow_redirects=False)
    assert resp.status_code == 302
    assert httpx.get(resp.headers["Location"]).status_code == 200


@pytest.fixture
def account(cloud, memory_keyring) -> CalendarAccount:
    settings = cloud.settings(base_url=f"{cloud.base}/calendar/v3")
    token = oauth.authorize(oauth_config(settings), open_browser=browser, timeout=10)
    secrets.set_token("google:ann", token)
    return CalendarAccount("google", "ann@example.org", settings, "google:ann")


def connector() -> GoogleCalendar:
    return GoogleCalendar(sleep=lambda s: None, max_attempts=3)


def event(uid: str = "s1@mentormatch.local", hours: int = 0) -> CalendarEvent:
    return CalendarEvent(
        uid=uid,
        start=T0 + timedelta(hours=hours),
        end=T0 + timedelta(hours=hours, minutes=45),
        summary="Mentoring",
        time_zone="Europe/Berlin",
        attendees=("bob@example.org",),
        rrule="FREQ=WEEKLY;COUNT=4",
    )


def test_google_auth_code_with_pkce_stores_a_token(account, memory_keyring, cloud):
    stored = json.loads(memory_keyring.get_password(secrets.SERVICE, "google:ann"))
    assert stored["access_token"] in cloud.state.access and stored["refresh_token"]


def test_google_pkce_verifier_is_checked(cloud, memory_keyring):
    """A code exchanged with the wrong verifier is refused by the server."""
    config = oauth_config(cloud.settings())
    with oauth.client(config, redirect_uri="http://127.0.0.1:1/") as c:
        url, _ = c.create_authorization_url(config.authorize_url, code_verifier="a" * 64)
    code = httpx.get(url).headers["Location"].split("code=")[1].split("&")[0]
    resp = httpx.post(
        config.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": "b" * 64,
            "redirect_uri": "http://127.0.0.1:1/",
            "client_id": config.client_id,
        },
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_google_freebusy_and_event_lifecycle(account, cloud):
    cloud.state.g_busy = [{"start": "2026-03-02T10:00:00Z", "end": "2026-03-02T11:00:00Z"}]
    busy = connector().busy_periods(account, T0, T0 + timedelta(days=1))
    assert [(b.start.hour, b.end.hour) for b in busy] == [(10, 11)]
    c = connector()
    event_id = c.publish_event(account, event())
    stored = cloud.state.g_events[event_id]
    assert stored["start"] == {"dateTime": "2026-03-02T10:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert stored["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    assert stored["iCalUID"] == "s1@mentormatch.local"
    c.update_event(account, event_id, event(hours=2))
    assert cloud.state.g_events[event_id]["start"]["dateTime"].startswith("2026-03-02T12:00")
    c.cancel_event(account, event_id, event())
    assert cloud.state.g_events[event_id]["status"] == "cancelled"
    c.cancel_event(account, event_id, event())  # twice is fine (410 from Google)


def test_google_expired_token_is_refreshed_and_kept(account, cloud, memory_keyring):
    before = json.loads(memory_keyring.get_password(secrets.SERVICE, "google:ann"))
    cloud.state.expire_all()  # the server no longer accepts it, though we think it valid
    connector().busy_periods(account, T0, T0 + timedelta(hours=1))
    after = json.loads(memory_keyring.get_password(secrets.SERVICE, "google:ann"))
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]  # kept though not resent


def test_google_revoked_refresh_token_asks_to_reconnect(account, cloud):
    cloud.state.expire_all()
    cloud.state.refresh.clear()
    with pytest.raises(CalendarAuthError, match="reconnect"):
        connector().busy_periods(account, T0, T0 + timedelta(hours=1))


def test_google_429_retry_after_and_5xx_are_retried(account, cloud):
    waits: list[float] = []
    c = GoogleCalendar(sleep=waits.append, max_attempts=4)
    cloud.fail("/calendar/v3/freeBusy", 429, **{"Retry-After": "7"})
    cloud.fail("/calendar/v3/freeBusy", 503)
    assert c.busy_periods(account, T0, T0 + timedelta(hours=1)) == []
    assert waits[0] == 7.0 and len(waits) == 2
    cloud.fail("/calendar/v3/freeBusy", 500, times=4)
    with pytest.raises(CalendarUnavailable, match="500"):
        c.busy_periods(account, T0, T0 + timedelta(hours=1))


def _seed(cloud, n: int) -> None:
    for i in range(n):
        start = T0 + timedelta(hours=i)
        cloud.state.add_google_event(
            {
                "id": f"e{i}",
                "status": "confirmed",
                "summary": f"busy {i}",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
            }
        )


def test_google_incremental_sync_pages_then_sends_only_changes(account, cloud):
    _seed(cloud, 600)  # three pages of 250
    c = connector()
    first = c.sync(account, {}, T0, T0 + timedelta(days=60))
    assert first.full and len(first.busy) == 600 and first.state["sync_token"]
    gets = [p for m, p in cloud.state.requests if m == "GET" and p.endswith("/events")]
    assert len(gets) == 3
    cloud.state.g_events["e5"]["status"] = "cancelled"
    cloud.state.g_changed["e5"] = next(cloud.state.clock)
    cloud.state.g_events["e6"]["transparency"] = "transparent"
    cloud.state.g_changed["e6"] = next(cloud.state.clock)
    _seed_one = {
        "id": "new",
        "status": "confirmed",
        "start": {"date": "2026-03-10"},
        "end": {"date": "2026-03-11"},
    }
    cloud.state.add_google_event(_seed_one)
    second = c.sync(account, first.state, T0, T0 + timedelta(days=60))
    assert not second.full
    assert sorted(second.removed) == ["e5", "e6"]
    assert [b.uid for b in second.busy] == ["new"]
    assert second.busy[0].end - second.busy[0].start == timedelta(days=1)


def test_google_invalidated_sync_token_falls_back_to_full_sync(account, cloud):
    _seed(cloud, 3)
    c = connector()
    first = c.sync(account, {}, T0, T0 + timedelta(days=60))
    cloud.state.dead_tokens.add(first.state["sync_token"])
    again = c.sync(account, first.state, T0, T0 + timedelta(days=60))
    assert again.full and len(again.busy) == 3
    assert again.state["sync_token"] != first.state["sync_token"] or again.full
