"""iCalendar (RFC 5545 / iTIP RFC 5546) in and out: invitations and busy time from files.

An invitation keeps one ``UID`` for the life of a session and bumps ``SEQUENCE`` on every
change, so calendar apps update the event they already have instead of adding a second
one; ``METHOD:CANCEL`` with the same UID removes it. Reading a calendar file as busy time
expands recurring events (RRULE, RDATE, EXDATE, moved instances) with
``recurring-ical-events``, and drops transparent (free) and cancelled events.

``icalendar`` and ``recurring-ical-events`` are imported by the functions that use them:
the calendar plugins re-export this module's names, and loading plugins (which every
``mentormatch`` command does) must not pay for the iCalendar stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Literal

from mentormatch_desktop.scheduling.zones import zone

if TYPE_CHECKING:
    import icalendar

PRODID = "-//MentorMatch Desktop//Sessions//EN"
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]


class CalendarFileError(ValueError):
    """An ICS file that cannot be read, with the reason."""


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    # iTIP participation status (NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE): group
    # sessions say where each attendee stands; None leaves it out (a pair's invitation).
    partstat: str | None = None


@dataclass(frozen=True)
class SessionEvent:
    """What a calendar needs to know about one session (or a recurring series)."""

    uid: str
    sequence: int
    start: datetime  # aware
    end: datetime
    time_zone: str  # the zone the series recurs in and DTSTART is written in
    summary: str
    description: str = ""
    location: str = ""  # the video link, when there is one
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    rrule: str | None = None
    cancelled: bool = False
    stamp: datetime = field(default_factory=lambda: datetime.now(UTC))


def _vevent(ev: SessionEvent) -> icalendar.Event:
    import icalendar

    tz = zone(ev.time_zone)
    out = icalendar.Event()
    out.add("uid", ev.uid)
    out.add("sequence", ev.sequence)
    out.add("dtstamp", ev.stamp.astimezone(UTC))
    out.add("dtstart", ev.start.astimezone(tz))
    out.add("dtend", ev.end.astimezone(tz))
    out.add("summary", ev.summary)
    if ev.description:
        out.add("description", ev.description)
    if ev.location:
        out.add("location", ev.location)
    if ev.rrule:
        out.add("rrule", icalendar.vRecur.from_ical(ev.rrule.removeprefix("RRULE:")))
    out.add("status", "CANCELLED" if ev.cancelled else "CONFIRMED")
    if ev.organizer:
        out.add("organizer", f"mailto:{ev.organizer.email}", parameters={"CN": ev.organizer.name})
    for who in ev.attendees:
        params = {"CN": who.name, "ROLE": "REQ-PARTICIPANT", "RSVP": "TRUE"}
        if who.partstat:
            params["PARTSTAT"] = who.partstat
            params["RSVP"] = "TRUE" if who.partstat == "NEEDS-ACTION" else "FALSE"
        out.add("attendee", f"mailto:{who.email}", parameters=params)
    return out


def calendar_of(events: Sequence[SessionEvent], method: Method | None = None) -> icalendar.Calendar:
    """A VCALENDAR holding ``events`` with the time zones they use (VTIMEZONE)."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    for ev in events:
        cal.add_component(_vevent(ev))
    cal.add_missing_timezones()
    return cal


def invitation(event: SessionEvent, method: Method = "REQUEST") -> bytes:
    """The ``.ics`` bytes of an iTIP invitation (REQUEST) or cancellation (CANCEL)."""
    if method == "CANCEL" and not event.cancelled:
        event = SessionEvent(**{**event.__dict__, "cancelled": True})
    return calendar_of([event], method).to_ical()


@dataclass(frozen=True)
class BusyInterval:
    start: datetime  # aware UTC
    end: datetime
    summary: str = ""
    uid: str = ""


def _instant(value: date | datetime, tz_name: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the reader's wall clock
            value = value.replace(tzinfo=zone(tz_name))
        return value.astimezone(UTC)
    return datetime.combine(value, time(), tzinfo=zone(tz_name)).astimezone(UTC)


def parse_calendar(data: bytes | str) -> icalendar.Calendar:
    """Read ICS data, with a clear error for anything that is not a calendar."""
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise CalendarFileError(f"not a readable iCalendar file: {exc}") from exc
    if cal.name != "VCALENDAR":
        raise CalendarFileError(f"expected a VCALENDAR, found {cal.name}")
    return cal


def busy_intervals(
    data: bytes | str | icalendar.Calendar,
    start: datetime,
    end: datetime,
    *,
    time_zone: str = "UTC",
) -> list[BusyInterval]:
    """Busy time in ``start``..``end`` from a calendar; floating and all-day times are read
    in ``time_zone`` (the person's)."""
    import icalendar
    import recurring_ical_events

    cal = data if isinstance(data, icalendar.Calendar) else parse_calendar(data)
    out = []
    try:
        instances = recurring_ical_events.of(cal).between(start, end)
    except Exception as exc:  # the library raises several types for malformed rules
        raise CalendarFileError(f"cannot expand the calendar's events: {exc}") from exc
    for ev in instances:
        if ev.name != "VEVENT":
            continue
        if str(ev.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(ev.get("status", "")).upper() == "CANCELLED":
            continue
        s = _instant(ev.decoded("dtstart"), time_zone)
        e = _instant(ev.decoded("dtend"), time_zone) if "dtend" in ev else s
        if e <= s:
            continue
        out.append(BusyInterval(s, e, str(ev.get("summary", "")), str(ev.get("uid", ""))))
    out.sort(key=lambda b: (b.start, b.end))
    return out
