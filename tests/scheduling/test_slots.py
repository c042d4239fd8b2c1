"""Common slots: availability in each zone, busy time, notice, buffers, ranking, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from mentormatch_desktop.scheduling import (
    DateException,
    Horizon,
    PersonAvailability,
    SlotFinder,
    WorkingHours,
)
from mentormatch_desktop.scheduling.grid import intervals_to_minutes
from mentormatch_desktop.scheduling.zones import UnknownTimeZone, offsets

BERLIN, NEW_YORK, SYDNEY = "Europe/Berlin", "America/New_York", "Australia/Sydney"
SAO_PAULO, KOLKATA = "America/Sao_Paulo", "Asia/Kolkata"


def every_weekday(start_h: float, end_h: float) -> list[tuple[int, int, int]]:
    return [(d, int(start_h * 60), int(end_h * 60)) for d in range(5)]


def person(pid: int, tz: str, windows, **kw) -> PersonAvailability:
    return PersonAvailability.from_rows(pid, tz, windows, label=f"p{pid}", **kw)


def local(slot, pid):
    return next(v for v in slot.people if v.person_id == pid)


def test_berlin_afternoon_meets_new_york_morning_in_utc():
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    horizon = Horizon.weeks_from(monday, 1)
    a = person(1, BERLIN, every_weekday(16, 18))
    b = person(2, NEW_YORK, every_weekday(10, 12))
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 60, limit=20)
    # Berlin 16–18 = 15–17 UTC; New York 10–12 = 15–17 UTC in January: one 2 h window a day.
    assert {s.start.hour for s in slots} == {15, 16}
    assert all(s.start.weekday() < 5 for s in slots)
    first = slots[0]
    assert local(first, 1).start.hour - local(first, 2).start.hour == 6
    assert first.to_json()["start"].endswith("+00:00")


def test_busy_time_buffer_and_minimum_notice_remove_slots():
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    horizon = Horizon.weeks_from(monday, 1)
    a = person(1, "UTC", every_weekday(9, 12))
    b = person(2, "UTC", every_weekday(9, 12))
    busy = {
        1: intervals_to_minutes(
            [(monday + timedelta(hours=10), monday + timedelta(hours=10, minutes=30))]
        )
    }
    finder = SlotFinder(horizon, [a, b], busy, buffer_minutes=15)
    free = finder.free_mask(1)
    # Monday 09:45–10:45 is blocked (busy 10:00–10:30 ± 15 min buffer)
    assert free[36:39].all() and not free[39:43].any() and free[43:48].all()
    starts = {s.start for s in finder.common([1, 2], 30, limit=50, spread=False)}
    assert monday + timedelta(hours=9, minutes=15) in starts
    assert monday + timedelta(hours=9, minutes=30) not in starts  # would end in the buffer
    noticed = SlotFinder(horizon, [a, b], now=monday + timedelta(hours=9), notice_minutes=24 * 60)
    assert min(s.start for s in noticed.common([1, 2], 30, limit=50)) >= monday + timedelta(
        days=1, hours=9
    )


def test_ranking_prefers_everyones_working_hours_then_the_worse_off():
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    horizon = Horizon.weeks_from(monday, 1)
    a = person(1, "UTC", [(0, 7 * 60, 19 * 60)], working_hours=WorkingHours(9 * 60, 17 * 60))
    b = person(2, "UTC", [(0, 7 * 60, 19 * 60)], working_hours=WorkingHours(12 * 60, 18 * 60))
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 60, limit=20)
    assert slots[0].all_preferred and slots[0].start.hour == 12
    assert [s.start.hour for s in slots if s.all_preferred] == [12, 13, 14, 15, 16]
    rest = [s for s in slots if not s.all_preferred]
    worst = [s.worst_inconvenience for s in rest]
    assert worst == sorted(worst) and worst[0] == 60


def test_group_of_eight_across_zones_all_share_the_slot():
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    horizon = Horizon.weeks_from(monday, 2)
    zones = [
        BERLIN,
        "Europe/London",
        NEW_YORK,
        SAO_PAULO,
        KOLKATA,
        "Africa/Lagos",
        "UTC",
        "Europe/Madrid",
    ]
    people = [person(i, z, every_weekday(8, 20)) for i, z in enumerate(zones)]
    finder = SlotFinder(horizon, people)
    slots = finder.common(list(range(8)), 60, limit=5)
    assert slots
    for s in slots:
        for v in s.people:
            assert v.start.hour >= 8 and (v.end.hour, v.end.minute) <= (20, 0)
    with pytest.raises(ValueError, match="two different people"):
        finder.common([1, 1], 30)


def test_dated_exceptions_remove_a_holiday_and_add_a_saturday():
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    horizon = Horizon.weeks_from(monday, 1)
    a = person(
        1,
        BERLIN,
        every_weekday(9, 17),
        exceptions=(
            DateException(date(2026, 1, 13), date(2026, 1, 14)),  # Tue–Wed off
            DateException(date(2026, 1, 17), date(2026, 1, 17), True, 10 * 60, 12 * 60),
        ),
    )
    b = person(2, BERLIN, [(d, 0, 1440) for d in range(7)])
    days = {
        s.start.astimezone(ZoneInfo(BERLIN)).date()
        for s in SlotFinder(horizon, [a, b]).common([1, 2], 60, limit=100, spread=False)
    }
    assert date(2026, 1, 13) not in days and date(2026, 1, 14) not in days
    assert date(2026, 1, 17) in days and date(2026, 1, 12) in days


def test_unknown_zone_and_bad_windows_are_clear_errors():
    with pytest.raises(UnknownTimeZone, match="Mars/Olympus"):
        person(1, "Mars/Olympus", [])
    with pytest.raises(ValueError, match="within one day"):
        person(1, "UTC", [(0, 600, 500)])


# ------------------------------------------------------------------ DST
def test_dst_us_shift_only_moves_the_new_york_clock_not_berlin():
    """8–29 March 2026: the US is on summer time, Europe is not yet."""
    before = datetime(2026, 3, 2, tzinfo=UTC)  # both on winter time
    gap = datetime(2026, 3, 9, tzinfo=UTC)  # US shifted on 8 March, EU on 29 March
    a = person(1, BERLIN, [(0, 17 * 60, 18 * 60)])  # Monday 17–18 Berlin
    b = person(2, NEW_YORK, [(0, 0, 24 * 60)])
    for week, ny_hour in ((before, 11), (gap, 12)):
        slot = SlotFinder(Horizon.weeks_from(week, 1), [a, b]).common([1, 2], 60)[0]
        assert local(slot, 1).start.hour == 17  # Berlin does not move
        assert local(slot, 2).start.hour == ny_hour


def test_dst_offsets_change_at_the_exact_quarter_hour_on_both_hemispheres():
    # Sydney leaves summer time on 5 April 2026 03:00 local (16:00 UTC on the 4th).
    h = Horizon.covering(datetime(2026, 4, 3, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC))
    off = offsets(SYDNEY, h.start_minute, h.n_slots)
    change = int(np.flatnonzero(np.diff(off))[0]) + 1
    assert h.slot_start(change) == datetime(2026, 4, 4, 16, tzinfo=UTC)
    assert (off[change - 1], off[change]) == (660, 600)
    # Berlin springs forward on 29 March 2026 at 01:00 UTC.
    h = Horizon.covering(datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    off = offsets(BERLIN, h.start_minute, h.n_slots)
    change = int(np.flatnonzero(np.diff(off))[0]) + 1
    assert h.slot_start(change) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_dst_sydney_and_sao_paulo_windows_stay_on_their_wall_clocks():
    # Sydney moves to summer time on 4 October 2026; São Paulo has had no DST since 2019.
    horizon = Horizon.covering(
        datetime(2026, 9, 28, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC)
    )
    a = person(1, SYDNEY, [(d, 7 * 60, 9 * 60) for d in range(7)])
    b = person(2, SAO_PAULO, [(d, 0, 24 * 60) for d in range(7)])
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 60, limit=100, spread=False)
    assert {local(s, 1).start.strftime("%H:%M") for s in slots} == {
        "07:00",
        "07:15",
        "07:30",
        "07:45",
        "08:00",
    }
    slots = [s for s in slots if local(s, 1).start.strftime("%H:%M") == "07:00"]
    sp_hours = {local(s, 1).start.date() < date(2026, 10, 4): local(s, 2).start.hour for s in slots}
    assert sp_hours == {True: 18, False: 17}  # São Paulo sees Sydney's 07:00 an hour earlier


def test_dst_nonexistent_local_hour_is_never_offered():
    """Berlin skips 02:00–03:00 on 29 March 2026: an 'all night' window yields no 02:xx slot."""
    horizon = Horizon.covering(
        datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC)
    )
    a = person(1, BERLIN, [(6, 0, 24 * 60)])
    b = person(2, "UTC", [(6, 0, 24 * 60), (5, 0, 24 * 60)])
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 15, limit=100, spread=False)
    hours = [local(s, 1).start.hour for s in slots]
    assert 2 not in hours and 1 in hours and 3 in hours
    assert all("twice" not in (local(s, 1).note or "") for s in slots)
    across = next(s for s in slots if (local(s, 1).start.hour, local(s, 1).start.minute) == (1, 45))
    assert local(across, 1).end.hour == 3 and "clocks change" in local(across, 1).note


def test_dst_ambiguous_local_hour_is_offered_with_a_note():
    """New York repeats 01:00–02:00 on 1 November 2026; both instants are real, both labelled."""
    horizon = Horizon.covering(
        datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 8, tzinfo=UTC)
    )
    a = person(1, NEW_YORK, [(6, 60, 120)])
    b = person(2, "UTC", [(6, 0, 24 * 60)])
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 30, limit=10, spread=True)
    assert len(slots) == 4  # the hour happens twice: 2 × two half hours
    assert all("happens twice" in (local(s, 1).note or "") for s in slots)
    assert {local(s, 1).start.utcoffset() for s in slots} == {
        timedelta(hours=-4),
        timedelta(hours=-5),
    }


def test_dst_kolkata_half_hour_zone_against_sydney_across_the_april_change():
    horizon = Horizon.covering(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 9, tzinfo=UTC))
    a = person(1, KOLKATA, [(d, 13 * 60 + 30, 15 * 60) for d in range(7)])
    b = person(2, SYDNEY, [(d, 0, 24 * 60) for d in range(7)])
    slots = SlotFinder(horizon, [a, b]).common([1, 2], 30, limit=100, spread=False, step_minutes=30)
    for s in slots:
        assert local(s, 1).start.minute in (30, 0) and 13 <= local(s, 1).start.hour < 15
    syd = {
        local(s, 2).start.date() >= date(2026, 4, 5): local(s, 2).start.hour
        for s in slots
        if local(s, 1).start.hour == 13
    }
    assert syd == {False: 19, True: 18}
