"""The ics connector: a calendar file as busy time (incrementally), an export file kept current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from mentormatch_desktop.plugin.contracts import CalendarAccount, CalendarEvent
from mentormatch_desktop.scheduling.ics import CalendarFileError
from mentormatch_plugins.calendar.ics import IcsCalendar

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
WINDOW = (T0 - timedelta(days=1), T0 + timedelta(weeks=4))


def vevent(uid: str, start: str, rrule: str = "") -> str:
    rule = f"RRULE:{rrule}\n" if rrule else ""
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\n"
        f"DTSTART;TZID=Europe/Berlin:{start}\nDURATION:PT1H\n{rule}END:VEVENT\n"
    )


def calendar(*events: str) -> str:
    return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n" + "".join(events) + "END:VCALENDAR\n"


def test_ics_import_syncs_only_changed_events(tmp_path):
    path = tmp_path / "work.ics"
    path.write_text(
        calendar(
            vevent("a", "20260302T100000", "FREQ=DAILY;COUNT=3"), vevent("b", "20260303T150000")
        )
    )
    account = CalendarAccount("ics", "me", {"path": str(path)})
    c = IcsCalendar()
    first = c.sync(account, {}, *WINDOW)
    assert first.full and sorted(b.uid for b in first.busy) == ["a", "a", "a", "b"]
    assert first.busy[0].start == datetime(2026, 3, 2, 9, tzinfo=UTC)  # 10:00 Berlin
    path.write_text(
        calendar(
            vevent("a", "20260302T100000", "FREQ=DAILY;COUNT=3"), vevent("c", "20260304T080000")
        )
    )
    second = c.sync(account, first.state, *WINDOW)
    assert not second.full and second.removed == ["b"] and [b.uid for b in second.busy] == ["c"]
    assert c.sync(account, second.state, *WINDOW).busy == []


def test_ics_export_file_replaces_by_uid_and_cancels(tmp_path):
    out = tmp_path / "sub" / "sessions.ics"
    account = CalendarAccount("ics", "me", {"export_path": str(out)})
    c = IcsCalendar()
    ev = CalendarEvent(
        uid="s@mm",
        start=T0,
        end=T0 + timedelta(hours=1),
        summary="Mentoring",
        time_zone="Asia/Kolkata",
    )
    c.publish_event(account, ev)
    c.publish_event(
        account, CalendarEvent(uid="t@mm", start=T0, end=T0 + timedelta(hours=1), summary="Other")
    )
    c.update_event(
        account,
        "s@mm",
        CalendarEvent(
            **{
                **ev.__dict__,
                "start": T0 + timedelta(hours=2),
                "end": T0 + timedelta(hours=3),
                "sequence": 1,
            }
        ),
    )
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"s@mm", "t@mm"}
    assert (
        events["s@mm"].decoded("dtstart") == T0 + timedelta(hours=2)
        and int(events["s@mm"]["sequence"]) == 1
    )
    c.cancel_event(account, "s@mm", ev)
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert {str(e["uid"]): str(e["status"]) for e in cal.walk("VEVENT")}["s@mm"] == "CANCELLED"
    assert [p.name for p in out.parent.iterdir()] == ["sessions.ics"]  # no temporary file left


def test_ics_missing_file_is_a_clear_error(tmp_path):
    account = CalendarAccount("ics", "me", {"path": str(tmp_path / "nope.ics")})
    with pytest.raises(CalendarFileError, match="does not exist"):
        IcsCalendar().busy_periods(account, *WINDOW)
