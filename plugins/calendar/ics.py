"""ICS files: import a calendar file as busy time; keep a file of one's sessions current.

Settings: ``path`` — an ``.ics`` file read as busy time (exported from any calendar app);
``export_path`` — the file this connector writes the person's sessions to, for calendar
apps that subscribe to a local or shared file. Events are keyed by UID: publishing the same
UID again replaces it (with its higher SEQUENCE), cancelling marks it ``CANCELLED`` so a
subscribed app removes it. Writes go to a temporary file that replaces the old one, so a
subscriber never reads half a calendar.

Incremental sync keeps a fingerprint per event UID: a changed file yields only the events
that changed or disappeared.

``icalendar`` is imported when a file is read or written, not when the plugin loads.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mentormatch_desktop.plugin.api import (
    PRODID,
    Attendee,
    BusyPeriod,
    CalendarAccount,
    CalendarEvent,
    CalendarFileError,
    SessionEvent,
    SyncResult,
    busy_intervals,
    calendar_of,
    hookimpl,
    parse_calendar,
)

if TYPE_CHECKING:
    import icalendar


def session_event(event: CalendarEvent) -> SessionEvent:
    """The connector contract's event as the ICS writer's."""
    return SessionEvent(
        uid=event.uid,
        sequence=event.sequence,
        start=event.start,
        end=event.end,
        time_zone=event.time_zone,
        summary=event.summary,
        description=event.description,
        location=event.location,
        organizer=Attendee(event.organizer, event.organizer) if event.organizer else None,
        attendees=tuple(
            Attendee(a, a, status or None)
            for a, status in zip(
                event.attendees,
                event.attendee_status or ("",) * len(event.attendees),
                strict=False,
            )
        ),
        rrule=event.rrule,
    )


def _path(account: CalendarAccount, key: str) -> Path:
    value = account.settings.get(key)
    if not value:
        raise CalendarFileError(f"the ics connection has no '{key}' setting")
    return Path(value).expanduser()


def _read(path: Path) -> icalendar.Calendar:
    try:
        return parse_calendar(path.read_bytes())
    except FileNotFoundError as exc:
        raise CalendarFileError(f"calendar file {path} does not exist") from exc


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mentormatch-", suffix=".ics", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class IcsCalendar:
    name = "ics"
    label = "Calendar file (.ics)"

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]:
        zone = account.settings.get("time_zone", "UTC")
        return [
            BusyPeriod(b.start, b.end, b.summary, b.uid)
            for b in busy_intervals(_read(_path(account, "path")), start, end, time_zone=zone)
        ]

    # -------------------------------------------------------------- the export file
    def _export(self, account: CalendarAccount) -> tuple[Path, icalendar.Calendar]:
        import icalendar

        path = _path(account, "export_path")
        if path.exists():
            return path, _read(path)
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        return path, cal

    def _put(self, account: CalendarAccount, event: CalendarEvent, *, cancelled: bool) -> str:
        path, cal = self._export(account)
        fresh = calendar_of([session_event(event)])
        new_event = next(c for c in fresh.walk("VEVENT"))
        if cancelled:
            new_event["STATUS"] = "CANCELLED"
        kept = [
            c
            for c in cal.subcomponents
            if not (c.name == "VEVENT" and str(c.get("uid")) == event.uid)
        ]
        cal.subcomponents = kept
        cal.add_component(new_event)
        cal.add_missing_timezones()
        _write_atomically(path, cal.to_ical())
        return event.uid

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str:
        return self._put(account, event, cancelled=False)

    def update_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> str:
        return self._put(account, event, cancelled=False)

    def cancel_event(self, account: CalendarAccount, event_id: str, event: CalendarEvent) -> None:
        self._put(account, event, cancelled=True)

    # -------------------------------------------------------------- sync
    def sync(
        self, account: CalendarAccount, state: dict[str, Any], start: datetime, end: datetime
    ) -> SyncResult:
        zone = account.settings.get("time_zone", "UTC")
        cal = _read(_path(account, "path"))
        prints: dict[str, str] = defaultdict(str)
        for comp in cal.walk("VEVENT"):
            uid = str(comp.get("uid", ""))
            prints[uid] = hashlib.sha256(
                (prints[uid] + comp.to_ical().decode("utf-8", "replace")).encode()
            ).hexdigest()
        old: dict[str, str] = state.get("fingerprints", {}) or {}
        full = not old
        changed = {uid for uid, fp in prints.items() if old.get(uid) != fp}
        removed = sorted(uid for uid in old if uid not in prints)
        busy = [
            BusyPeriod(b.start, b.end, b.summary, b.uid)
            for b in busy_intervals(cal, start, end, time_zone=zone)
            if full or b.uid in changed
        ]
        # A changed event that no longer has busy time in the window must lose its old blocks.
        removed += sorted(changed - {b.uid for b in busy}) if not full else []
        return SyncResult(
            busy=busy, removed=removed, state={"fingerprints": dict(prints)}, full=full
        )


@hookimpl
def register_calendar_connectors() -> list[Any]:
    return [IcsCalendar()]
