"""Recurrence in one zone's wall clock (DST gaps and folds flagged), ICS out and in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from mentormatch_desktop.scheduling.ics import (
    Attendee,
    CalendarFileError,
    SessionEvent,
    busy_intervals,
    invitation,
)
from mentormatch_desktop.scheduling.recurrence import RecurrenceError, occurrences, weekly_rule
from mentormatch_desktop.scheduling.zones import LocalStatus, resolve_local

H = timedelta(hours=1)


def test_dst_weekly_berlin_series_keeps_berlin_time_while_new_york_shifts():
    first = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Monday 17:00 Berlin, 11:00 New York
    occ = list(
        occurrences(
            first, H, "FREQ=WEEKLY;COUNT=6", "Europe/Berlin", first - H, first + timedelta(weeks=7)
        )
    )
    berlin = [
        o.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour for o in occ
    ]
    new_york = [
        o.start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).hour for o in occ
    ]
    assert berlin == [17] * 6
    assert new_york == [11, 12, 12, 12, 11, 11]  # US shifts 8 March, EU 29 March
    assert all(o.status is LocalStatus.OK for o in occ)


def test_dst_sydney_series_across_the_april_fallback_and_utc_until():
    first = datetime(2026, 3, 23, 22, tzinfo=UTC)  # Tuesday 09:00 AEDT
    rule = weekly_rule(until=datetime(2026, 4, 20, 0, tzinfo=UTC))
    occ = list(
        occurrences(first, H, rule, "Australia/Sydney", first - H, first + timedelta(weeks=10))
    )
    assert [o.wall.hour for o in occ] == [9] * 4
    assert [o.start.hour for o in occ] == [22, 22, 23, 23]


def test_dst_nonexistent_and_ambiguous_occurrences_are_flagged():
    # A weekly 02:30 in Berlin falls into the gap on 29 March 2026.
    first = datetime(2026, 3, 22, 1, 30, tzinfo=UTC)  # Sunday 02:30 CET
    occ = list(
        occurrences(
            first, H, "FREQ=WEEKLY;COUNT=3", "Europe/Berlin", first - H, first + timedelta(weeks=3)
        )
    )
    assert [o.status for o in occ] == [LocalStatus.OK, LocalStatus.NONEXISTENT, LocalStatus.OK]
    assert "does not exist" in occ[1].note and occ[1].start == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    # 01:30 happens twice in New York on 1 November 2026: the first (EDT) is taken, and said.
    amb = resolve_local(datetime(2026, 11, 1, 1, 30), "America/New_York")
    assert amb.status is LocalStatus.AMBIGUOUS and amb.instant == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    assert "twice" in amb.note
    assert resolve_local(datetime(2026, 6, 1, 9), "Asia/Kolkata").note is None


def test_bad_rule_is_a_clear_error():
    with pytest.raises(RecurrenceError, match="FREQ=SOMETIMES"):
        list(
            occurrences(
                datetime(2026, 1, 1, tzinfo=UTC),
                H,
                "FREQ=SOMETIMES",
                "UTC",
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 2, 1, tzinfo=UTC),
            )
        )


def _event(**kw) -> SessionEvent:
    base = dict(
        uid="abc@mentormatch.local",
        sequence=3,
        start=datetime(2026, 3, 2, 16, tzinfo=UTC),
        end=datetime(2026, 3, 2, 17, tzinfo=UTC),
        time_zone="Europe/Berlin",
        summary="Mentoring",
        organizer=Attendee("Rui", "rui@example.org"),
        attendees=(Attendee("Asha", "asha@example.org"),),
        rrule="FREQ=WEEKLY;COUNT=4",
        location="https://meet.example.org/x",
    )
    return SessionEvent(**{**base, **kw})


def test_invitation_request_and_cancel_share_uid_and_carry_the_zone():
    req = icalendar.Calendar.from_ical(invitation(_event(), "REQUEST"))
    cancel = icalendar.Calendar.from_ical(invitation(_event(sequence=4), "CANCEL"))
    assert str(req["method"]) == "REQUEST" and str(cancel["method"]) == "CANCEL"
    r, c = next(iter(req.walk("VEVENT"))), next(iter(cancel.walk("VEVENT")))
    assert str(r["uid"]) == str(c["uid"]) == "abc@mentormatch.local"
    assert (int(r["sequence"]), int(c["sequence"])) == (3, 4)
    assert str(c["status"]) == "CANCELLED"
    assert r["dtstart"].params["TZID"] == "Europe/Berlin"
    assert [str(t["tzid"]) for t in req.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "mailto:asha@example.org" in [str(a) for a in [r["attendee"]]]
    # The invitation read back as busy time expands the weekly rule in Berlin time.
    busy = busy_intervals(
        invitation(_event()), datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC)
    )
    assert [b.start.hour for b in busy] == [16, 16, 16, 16]


def test_busy_from_ics_skips_free_and_cancelled_and_reads_all_day_in_the_persons_zone():
    data = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1
DTSTART:20260302T090000Z
DTEND:20260302T100000Z
SUMMARY:Busy
END:VEVENT
BEGIN:VEVENT
UID:2
DTSTART:20260302T110000Z
DTEND:20260302T120000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:3
DTSTART:20260302T130000Z
DTEND:20260302T140000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:4
DTSTART;VALUE=DATE:20260304
DTEND;VALUE=DATE:20260305
SUMMARY:Holiday
END:VEVENT
END:VCALENDAR
"""
    busy = busy_intervals(
        data,
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 8, tzinfo=UTC),
        time_zone="Asia/Kolkata",
    )
    assert [b.uid for b in busy] == ["1", "4"]
    assert busy[1].start == datetime(2026, 3, 3, 18, 30, tzinfo=UTC)  # midnight IST
    with pytest.raises(CalendarFileError):
        busy_intervals(
            b"not a calendar", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)
        )
