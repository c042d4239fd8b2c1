"""CalDAV calendars (Nextcloud, Radicale, iCloud, Fastmail…) through the ``caldav`` library.

Settings: ``url`` (the server or the calendar collection), ``username``, and optionally
``calendar_url`` or ``calendar_name`` to pick one calendar (default: the first), and
``auth_type`` (``basic`` by default; ``digest`` for servers that only take digest, or
``auto`` to let the first 401 decide). The password lives in the keyring under
``secret_ref``. Sending credentials with the first request matters: servers such as Radicale
hold every unauthenticated request's 401 for about a second (against password guessing),
which made each sync a second slower than its real work.

Busy time comes from listing the events in the window (a CalDAV time-range query) and
expanding them here with ``recurring-ical-events``, which works on every server, whereas
free-busy reports are optional in CalDAV and patchy in practice. Sessions are written as
one calendar object per UID; the object's URL is the event id the app keeps. Incremental
sync uses WebDAV sync-collection (RFC 6578): the server's sync token is our state, and a
server that forgot it makes us fall back to a full listing. Busy time from a sync is keyed
by the object's URL, since a deletion reports nothing else.

``caldav`` (with lxml and requests under it) is imported when a server is contacted, not
when the plugin loads.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mentormatch_desktop.plugin.api import (
    BusyPeriod,
    CalendarAccount,
    CalendarAuthError,
    CalendarEvent,
    CalendarUnavailable,
    SyncResult,
    busy_intervals,
    calendar_of,
    hookimpl,
)
from mentormatch_plugins.calendar import secrets
from mentormatch_plugins.calendar.ics import session_event

if TYPE_CHECKING:
    import caldav


class CalDavCalendar:
    name = "caldav"
    label = "CalDAV (Nextcloud, Radicale, iCloud…)"

    def _calendar(self, account: CalendarAccount) -> caldav.Calendar:
        import caldav
        from caldav.lib import error as caldav_error

        s = account.settings
        if not s.get("url"):
            raise ValueError("the caldav connection needs settings.url")
        client = caldav.DAVClient(
            url=s["url"],
            username=s.get("username") or account.account,
            password=secrets.get_secret(account.secret_ref),
            timeout=s.get("timeout", 20),
            auth_type=None if s.get("auth_type") == "auto" else s.get("auth_type", "basic"),
        )
        try:
            if s.get("calendar_url"):
                return client.calendar(url=s["calendar_url"])
            calendars = client.principal().calendars()
        except caldav_error.AuthorizationError as exc:
            raise CalendarAuthError("the CalDAV server refused the password: reconnect") from exc
        except (caldav_error.DAVError, OSError) as exc:
            raise CalendarUnavailable(f"the CalDAV server cannot be reached: {exc}") from exc
        if s.get("calendar_name"):
            calendars = [c for c in calendars if c.get_display_name() == s["calendar_name"]]
        if not calendars:
            raise CalendarUnavailable(f"no calendar found for {account.account} at {s['url']}")
        return calendars[0]

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]:
        zone = account.settings.get("time_zone", "UTC")
        from caldav.lib import error as caldav_error

        cal = self._calendar(account)
        try:
            found = cal.search(start=start, end=end, event=True, expand=False)
        except caldav_error.DAVError as exc:
            raise CalendarUnavailable(f"the CalDAV search failed: {exc}") from exc
        out = []
        for obj in found:
            for b in busy_intervals(obj.data, start, end, time_zone=zone):
                out.append(BusyPeriod(b.start, b.end, b.summary, b.uid))
        return sorted(out, key=lambda b: (b.start, b.end))

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str:
        cal = self._calendar(account)
        data = calendar_of([session_event(event)]).to_ical().decode()
        saved = cal.save_event(data)
        return str(saved.url)

    def update_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> str:
        import caldav

        cal = self._calendar(account)
        data = calendar_of([session_event(event)]).to_ical().decode()
        obj = caldav.Event(client=cal.client, url=event_id, data=data, parent=cal)
        obj.save()
        return str(obj.url)

    def cancel_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> None:
        import caldav
        from caldav.lib import error as caldav_error

        cal = self._calendar(account)
        with contextlib.suppress(caldav_error.NotFoundError):  # already gone is fine
            caldav.Event(client=cal.client, url=event_id, parent=cal).delete()

    def sync(
        self, account: CalendarAccount, state: dict[str, Any], start: datetime, end: datetime
    ) -> SyncResult:
        from caldav.lib import error as caldav_error

        zone = account.settings.get("time_zone", "UTC")
        cal = self._calendar(account)
        token = state.get("sync_token")
        real = bool(token) and not str(token).startswith("fake-")
        coll = None
        if real:
            try:
                # Let a refused token raise so we know to resync in full; the library would
                # otherwise list everything silently and call it a delta.
                coll = cal.objects_by_sync_token(
                    sync_token=token, load_objects=False, disable_fallback=True
                )
            except caldav_error.AuthorizationError as exc:
                # RFC 6578: a token the server no longer knows is a 403 (valid-sync-token);
                # only a 401 means our credentials went bad.
                if "401" in str(getattr(exc, "status", "")):
                    raise CalendarAuthError(
                        "the CalDAV server refused the password: reconnect"
                    ) from exc
            except caldav_error.DAVError:
                coll = None  # the server forgot the token: full sync below
        if coll is not None and not (
            str(coll.sync_token).startswith("fake-") and len(coll.objects)
        ):
            new_token, full = coll.sync_token, False
            deleted = {str(u) for u in getattr(coll, "deleted_urls", ()) or ()}
            # The changed events' data in one calendar-multiget REPORT rather than one GET
            # each (what load_objects=True does): a round trip per change was a fifth of
            # an incremental sync against Radicale.
            # The server may spell a URL differently in its answer ("@" for "%40"): match
            # the data back to our objects, whose URLs are the ids the app keeps.
            gone = [o for o in coll if str(o.url.canonical()) in deleted]
            changed = [o for o in coll if str(o.url.canonical()) not in deleted]
            if changed:
                mine = {unquote(str(o.url.canonical())): o for o in changed}
                for got in cal.multiget([o.url for o in changed]):
                    target = mine.get(unquote(str(got.url.canonical())))
                    if target is not None:
                        target.data = got.data
            objects = gone + changed
        else:
            # Full sync: take the token first (a change after it shows in the next delta),
            # then fetch every event with its data in one calendar-query REPORT, instead
            # of one GET per object.
            new_token = cal.objects_by_sync_token(sync_token=None, load_objects=False).sync_token
            objects, full, deleted = list(cal.search(event=True)), True, set()
        busy: list[BusyPeriod] = []
        removed: list[str] = []
        for obj in objects:
            data = getattr(obj, "data", None)
            if not data or str(obj.url.canonical()) in deleted:  # deleted: only the URL is left
                removed.append(str(obj.url))
                continue
            uid = str(obj.url)  # the key deletions also come with
            found = busy_intervals(data, start, end, time_zone=zone)
            if not found:
                removed.append(uid)
            busy += [BusyPeriod(b.start, b.end, b.summary, uid) for b in found]
        return SyncResult(busy=busy, removed=removed, state={"sync_token": new_token}, full=full)


@hookimpl
def register_calendar_connectors() -> list[Any]:
    return [CalDavCalendar()]
