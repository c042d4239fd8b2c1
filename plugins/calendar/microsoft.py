"""Microsoft 365 / Outlook calendars through Microsoft Graph: schedule, events, delta sync.

Settings: ``client_id`` (and ``tenant``, default ``common``) of a public-client app
registration; ``base_url``/``authorize_url``/``token_url`` for tests. Token in the keyring.

- Busy time: ``POST /me/calendar/getSchedule`` for the account's address (items whose
  status is ``free`` are dropped).
- Events: ``POST /me/events``, ``PATCH /me/events/{id}``, ``POST /me/events/{id}/cancel``.
  Graph has no RRULE: a standing session's rule is translated to Graph's recurrence
  pattern (daily / weekly with days / absolute monthly; anything else is refused with
  the rule named, not approximated).
- Sync: ``GET /me/calendarView/delta`` pages via ``@odata.nextLink`` and ends with an
  ``@odata.deltaLink``, which is the state we keep; removed items carry ``@removed``. A
  delta link Graph no longer knows (``410``, ``syncStateNotFound``) triggers a full sync.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

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

BASE_URL = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
SCOPES = ("offline_access", "Calendars.ReadWrite")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def oauth_config(settings: dict[str, Any]) -> OAuthConfig:
    if not settings.get("client_id"):
        raise ValueError(
            "Microsoft 365 needs the client id of an app registration (settings.client_id): "
            "fill in “OAuth client id”, or set client_id under [plugins.calendar-microsoft]"
            " in the config"
        )
    tenant = settings.get("tenant", "common")
    return OAuthConfig(
        client_id=settings["client_id"],
        client_secret=settings.get("client_secret"),
        authorize_url=settings.get("authorize_url", f"{LOGIN}/{tenant}/oauth2/v2.0/authorize"),
        token_url=settings.get("token_url", f"{LOGIN}/{tenant}/oauth2/v2.0/token"),
        scopes=SCOPES,
    )


def _graph_time(value: dict[str, Any]) -> datetime:
    """Graph's ``{dateTime, timeZone}`` (we always ask for UTC) as an aware datetime."""
    raw = value["dateTime"].rstrip("Z")
    if "." in raw:  # Graph writes 7 fractional digits; Python reads at most 6
        head, frac = raw.split(".", 1)
        raw = f"{head}.{frac[:6]}"
    naive = datetime.fromisoformat(raw)
    tz = value.get("timeZone", "UTC")
    return naive.replace(tzinfo=UTC if tz in ("UTC", "tzone://Microsoft/Utc") else ZoneInfo(tz))


def recurrence(rule: str, start: datetime, time_zone: str) -> dict[str, Any]:
    """Graph's ``patternedRecurrence`` for an RRULE (the subset a mentoring series uses)."""
    text = rule.removeprefix("RRULE:")
    local = start.astimezone(ZoneInfo(time_zone))
    parsed = rrulestr(text, dtstart=local)
    parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
    freq = parts.get("FREQ")
    interval = int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        pattern: dict[str, Any] = {"type": "daily", "interval": interval}
    elif freq == "WEEKLY":
        days = parts.get("BYDAY", RRULE_DAYS[local.weekday()]).split(",")
        if any(d not in RRULE_DAYS for d in days):
            raise ValueError(f"Graph cannot express the weekdays of {rule!r}")
        pattern = {
            "type": "weekly",
            "interval": interval,
            "daysOfWeek": [DAYS[RRULE_DAYS.index(d)] for d in days],
            "firstDayOfWeek": "monday",
        }
    elif freq == "MONTHLY" and set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTHDAY"}:
        pattern = {
            "type": "absoluteMonthly",
            "interval": interval,
            "dayOfMonth": int(parts.get("BYMONTHDAY", local.day)),
        }
    else:
        raise ValueError(f"Graph cannot express the recurrence {rule!r}")
    rng: dict[str, Any] = {"startDate": local.date().isoformat(), "recurrenceTimeZone": time_zone}
    if "COUNT" in parts:
        rng.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        last = parsed[-1] if parsed.count() else local  # type: ignore[index]
        rng.update(type="endDate", endDate=last.date().isoformat())
    else:
        rng.update(type="noEnd")
    return {"pattern": pattern, "range": rng}


def _body(event: CalendarEvent) -> dict[str, Any]:
    tz = ZoneInfo(event.time_zone)
    fmt = "%Y-%m-%dT%H:%M:%S"
    body: dict[str, Any] = {
        "subject": event.summary,
        "body": {"contentType": "text", "content": event.description},
        "start": {
            "dateTime": event.start.astimezone(tz).strftime(fmt),
            "timeZone": event.time_zone,
        },
        "end": {"dateTime": event.end.astimezone(tz).strftime(fmt), "timeZone": event.time_zone},
        "location": {"displayName": event.location},
        "attendees": [
            {"emailAddress": {"address": a}, "type": "required"} for a in event.attendees
        ],
        "transactionId": event.uid,  # Graph drops a repeated create with the same id
    }
    if event.location.startswith("http"):
        body["onlineMeetingUrl"] = event.location
    if event.rrule:
        body["recurrence"] = recurrence(event.rrule, event.start, event.time_zone)
    return body


class MicrosoftCalendar(OAuthCalendar):
    name = "microsoft"
    label = "Microsoft 365 / Outlook"
    base_url = BASE_URL
    oauth_config = staticmethod(oauth_config)

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]:
        fmt = "%Y-%m-%dT%H:%M:%S"
        with self._session(account) as api:
            data = api.request(
                "POST",
                "me/calendar/getSchedule",
                json={
                    "schedules": [account.account],
                    "startTime": {
                        "dateTime": start.astimezone(UTC).strftime(fmt),
                        "timeZone": "UTC",
                    },
                    "endTime": {"dateTime": end.astimezone(UTC).strftime(fmt), "timeZone": "UTC"},
                    "availabilityViewInterval": 15,
                },
            ).json()
        out = []
        for schedule in data.get("value", []):
            if "error" in schedule:
                raise ApiError(403, f"schedule of {account.account} refused: {schedule['error']}")
            for item in schedule.get("scheduleItems", []):
                if item.get("status", "busy") == "free":
                    continue
                out.append(
                    BusyPeriod(
                        _graph_time(item["start"]),
                        _graph_time(item["end"]),
                        item.get("subject", ""),
                    )
                )
        return out

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str:
        with self._session(account) as api:
            return str(api.request("POST", "me/events", json=_body(event)).json()["id"])

    def update_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> str:
        body = _body(event)
        body.pop("transactionId")
        with self._session(account) as api:
            return str(api.request("PATCH", f"me/events/{event_id}", json=body).json()["id"])

    def cancel_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> None:
        with self._session(account) as api:
            api.request(
                "POST",
                f"me/events/{event_id}/cancel",
                json={"comment": "This mentoring session was cancelled."},
                ok_statuses=(404,),
            )

    def sync(
        self, account: CalendarAccount, state: dict[str, Any], start: datetime, end: datetime
    ) -> SyncResult:
        link = state.get("delta_link")
        with self._session(account) as api:
            if link:
                try:
                    return self._collect(api, link, None, full=False)
                except ApiError as exc:
                    if exc.status not in (400, 404, 410):
                        raise
            params = {
                "startDateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            return self._collect(api, "me/calendarView/delta", params, full=True)

    @staticmethod
    def _collect(
        api: RestSession, url: str, params: dict[str, Any] | None, *, full: bool
    ) -> SyncResult:
        busy, removed = [], []
        while True:
            data = api.request("GET", url, params=params).json()
            params = None  # next and delta links carry their own query
            for item in data.get("value", []):
                uid = str(item["id"])
                if "@removed" in item or item.get("isCancelled") or item.get("showAs") == "free":
                    removed.append(uid)
                    continue
                if "start" in item and "end" in item:
                    busy.append(
                        BusyPeriod(
                            _graph_time(item["start"]),
                            _graph_time(item["end"]),
                            item.get("subject", ""),
                            uid,
                        )
                    )
            if "@odata.nextLink" in data:
                url = data["@odata.nextLink"]
                continue
            return SyncResult(
                busy=busy,
                removed=removed,
                state={"delta_link": data.get("@odata.deltaLink")},
                full=full,
            )


@hookimpl
def register_calendar_connectors(host: Any) -> list[Any]:
    return [MicrosoftCalendar(configured=lambda: host.plugin_config("calendar-microsoft"))]
