"""Google Calendar (REST v3) over httpx: free/busy, events, incremental sync.

Settings on the connection: ``calendar_id`` (default ``primary``), ``client_id`` and
optionally ``client_secret`` of the installed-app OAuth client, and for tests or
self-hosted gateways ``base_url``, ``authorize_url``, ``token_url``. The OAuth token lives
in the keyring under the connection's ``secret_ref``.

Incremental sync follows Google's documented recipe: a first ``events.list`` with
``singleEvents=true`` pages through everything and ends with a ``nextSyncToken``; later
calls pass ``syncToken`` and get only changes (cancelled events included). When Google
answers ``410 Gone`` the token is void: we drop it and do a full sync, reported with
``full=True`` so the app replaces the connection's busy time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from mentormatch_desktop.plugin.api import (
    BusyPeriod,
    CalendarAccount,
    CalendarEvent,
    SyncResult,
    hookimpl,
)
from mentormatch_plugins.calendar.oauth import OAuthConfig
from mentormatch_plugins.calendar.oauth_calendar import OAuthCalendar
from mentormatch_plugins.calendar.rest import ApiError, RestSession

BASE_URL = "https://www.googleapis.com/calendar/v3"
AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)


def oauth_config(settings: dict[str, Any]) -> OAuthConfig:
    if not settings.get("client_id"):
        raise ValueError(
            "Google Calendar needs an OAuth client id (settings.client_id): fill in "
            "“OAuth client id”, or set client_id under [plugins.calendar-google] in the config"
        )
    return OAuthConfig(
        client_id=settings["client_id"],
        client_secret=settings.get("client_secret"),
        authorize_url=settings.get("authorize_url", AUTHORIZE_URL),
        token_url=settings.get("token_url", TOKEN_URL),
        scopes=SCOPES,
        extra_authorize_params={"access_type": "offline", "prompt": "consent"},
    )


def _when(value: dict[str, Any], default_zone: str) -> datetime:
    if "dateTime" in value:
        return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
    day = date.fromisoformat(value["date"])  # all-day: midnight in the calendar's zone
    return datetime.combine(day, time(), tzinfo=ZoneInfo(value.get("timeZone", default_zone)))


def _body(event: CalendarEvent) -> dict[str, Any]:
    tz = ZoneInfo(event.time_zone)
    body: dict[str, Any] = {
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "start": {"dateTime": event.start.astimezone(tz).isoformat(), "timeZone": event.time_zone},
        "end": {"dateTime": event.end.astimezone(tz).isoformat(), "timeZone": event.time_zone},
        "iCalUID": event.uid,
        "sequence": event.sequence,
        "attendees": [{"email": a} for a in event.attendees],
    }
    if event.rrule:
        body["recurrence"] = [f"RRULE:{event.rrule.removeprefix('RRULE:')}"]
    return body


class GoogleCalendar(OAuthCalendar):
    name = "google"
    label = "Google Calendar"
    base_url = BASE_URL
    oauth_config = staticmethod(oauth_config)

    @staticmethod
    def _calendar(account: CalendarAccount) -> str:
        return quote(account.settings.get("calendar_id", "primary"), safe="")

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]:
        cal = account.settings.get("calendar_id", "primary")
        with self._session(account) as api:
            data = api.request(
                "POST",
                "freeBusy",
                json={
                    "timeMin": start.astimezone(UTC).isoformat(),
                    "timeMax": end.astimezone(UTC).isoformat(),
                    "items": [{"id": cal}],
                },
            ).json()
        info = data.get("calendars", {}).get(cal, {})
        if info.get("errors"):
            raise ApiError(403, f"free/busy of {cal!r} refused: {info['errors']}")
        return [
            BusyPeriod(_when({"dateTime": b["start"]}, "UTC"), _when({"dateTime": b["end"]}, "UTC"))
            for b in info.get("busy", [])
        ]

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str:
        with self._session(account) as api:
            resp = api.request(
                "POST",
                f"calendars/{self._calendar(account)}/events",
                json=_body(event),
                params={"sendUpdates": "all"},
            )
        return str(resp.json()["id"])

    def update_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> str:
        with self._session(account) as api:
            resp = api.request(
                "PATCH",
                f"calendars/{self._calendar(account)}/events/{quote(event_id, safe='')}",
                json=_body(event),
                params={"sendUpdates": "all"},
            )
        return str(resp.json()["id"])

    def cancel_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> None:
        with self._session(account) as api:
            api.request(
                "DELETE",
                f"calendars/{self._calendar(account)}/events/{quote(event_id, safe='')}",
                params={"sendUpdates": "all"},
                ok_statuses=(404, 410),  # already gone is what we wanted
            )

    def sync(
        self, account: CalendarAccount, state: dict[str, Any], start: datetime, end: datetime
    ) -> SyncResult:
        token = state.get("sync_token")
        zone = account.settings.get("time_zone", "UTC")
        with self._session(account) as api:
            if token:
                try:
                    items, new_token = self._list(api, account, {"syncToken": token})
                    return self._result(items, new_token, zone, full=False)
                except ApiError as exc:
                    if exc.status != 410:
                        raise
            items, new_token = self._list(api, account, {})
        return self._result(items, new_token, zone, full=True)

    def _list(
        self, api: RestSession, account: CalendarAccount, params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        items: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            query = {"singleEvents": "true", "maxResults": 2500, **params}
            if page:
                query["pageToken"] = page
            data = api.request(
                "GET", f"calendars/{self._calendar(account)}/events", params=query
            ).json()
            items.extend(data.get("items", []))
            page = data.get("nextPageToken")
            if not page:
                return items, data.get("nextSyncToken")

    @staticmethod
    def _result(
        items: list[dict[str, Any]], token: str | None, zone: str, *, full: bool
    ) -> SyncResult:
        busy, removed = [], []
        for item in items:
            uid = str(item["id"])
            if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
                removed.append(uid)
                continue
            if "start" not in item or "end" not in item:
                continue
            busy.append(
                BusyPeriod(
                    _when(item["start"], zone),
                    _when(item["end"], zone),
                    item.get("summary", ""),
                    uid,
                )
            )
        return SyncResult(busy=busy, removed=removed, state={"sync_token": token}, full=full)


@hookimpl
def register_calendar_connectors(host: Any) -> list[Any]:
    return [GoogleCalendar(configured=lambda: host.plugin_config("calendar-google"))]
