"""Why nothing fits: each layer of the finder named as the cause, with fixed clocks and zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from mentormatch_desktop.scheduling import DateException, Horizon, PersonAvailability, SlotFinder
from mentormatch_desktop.scheduling.explain import (
    Cause,
    Remedy,
    explain_no_fit,
    hours_text,
)
from mentormatch_desktop.scheduling.zones import epoch_minutes

BERLIN, NEW_YORK, SINGAPORE = "Europe/Berlin", "America/New_York", "Asia/Singapore"
NAMES = {1: "Ana Ruiz", 2: "Ben Ode", 3: "Cy Lam"}
MONDAY = datetime(2026, 1, 12, 6, tzinfo=UTC)  # a winter Monday, no clock change near


def weekdays(start_h: float, end_h: float, days=range(5)) -> list[tuple[int, int, int]]:
    return [(d, int(start_h * 60), int(end_h * 60)) for d in days]


def person(pid: int, tz: str, windows, **kw) -> PersonAvailability:
    return PersonAvailability.from_rows(pid, tz, windows, label=f"p{pid}", **kw)


def finder(people, *, now=MONDAY, weeks=2, busy=None, notice=0, buffer=0) -> SlotFinder:
    return SlotFinder(
        Horizon.weeks_from(now, weeks),
        people,
        busy,
        now=now,
        notice_minutes=notice,
        buffer_minutes=buffer,
    )


def busy_every_day(start_utc_h: int, end_utc_h: int, days: int = 14):
    starts = [
        epoch_minutes(datetime(2026, 1, 12 + d, start_utc_h, tzinfo=UTC)) for d in range(days)
    ]
    ends = [epoch_minutes(datetime(2026, 1, 12 + d, end_utc_h, tzinfo=UTC)) for d in range(days)]
    return np.asarray(starts, np.int64), np.asarray(ends, np.int64)


def test_slots_found_means_nothing_to_explain():
    f = finder([person(1, BERLIN, weekdays(9, 17)), person(2, BERLIN, weekdays(9, 17))])
    assert f.common([1, 2], 45)
    assert explain_no_fit(f, [1, 2], 45, viewer_id=1) is None


def test_a_partner_without_hours_is_named_and_messaging_them_offered():
    f = finder([person(1, BERLIN, weekdays(9, 17)), person(2, BERLIN, [])])
    fit = explain_no_fit(f, [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.NO_AVAILABILITY and fit.people == (2,)
    assert fit.remedies == (Remedy.MESSAGE_PARTNER,)
    assert fit.message(1, NAMES).startswith("Ben Ode has not set any weekly availability yet.")
    mine = explain_no_fit(f, [1, 2], 45, viewer_id=2)
    assert Remedy.EDIT_AVAILABILITY in mine.remedies
    assert mine.message(2, NAMES).startswith("You have not set your weekly availability yet")


def test_hours_that_never_meet_are_shown_on_the_viewers_clock():
    # Ana in Berlin 09–12, Cy in Singapore 09–12 (Berlin 02–05 in January): never together.
    f = finder([person(1, BERLIN, weekdays(9, 12)), person(3, SINGAPORE, weekdays(9, 12))])
    fit = explain_no_fit(f, [1, 3], 45, viewer_id=1)
    assert fit.cause is Cause.NO_OVERLAP and fit.apart == ((1, 3),)
    text = fit.message(1, NAMES)
    assert text.startswith("Your weekly hours and Cy Lam's never overlap.")
    assert "In your time (Europe/Berlin)" in text
    assert "you: Mon–Fri 09:00–12:00" in text
    assert "Cy Lam: Mon–Fri 02:00–05:00" in text
    assert "needs at least 45 minutes" in text
    # Seen from Singapore, Ana's hours move instead.
    assert "Ana Ruiz: Mon–Fri 16:00–19:00" in explain_no_fit(f, [1, 3], 45, viewer_id=3).message(
        3, NAMES
    )
    assert Remedy.EDIT_AVAILABILITY in fit.remedies and Remedy.MESSAGE_PARTNER in fit.remedies


def test_dst_week_pulls_new_york_mornings_out_of_a_berlin_evening():
    """Berlin 17–18 meets New York 9–12 while both are on winter time (6 h apart); in the
    weeks after the US moves its clocks (8 March 2026) and Europe has not, they are 5 h
    apart and New York's morning ends at 17:00 Berlin: no overlap, said in Berlin time."""
    ana, ben = person(1, BERLIN, weekdays(17, 18)), person(2, NEW_YORK, weekdays(9, 12))
    before = finder([ana, ben], now=datetime(2026, 3, 2, 6, tzinfo=UTC), weeks=1)
    assert before.common([1, 2], 45)
    assert explain_no_fit(before, [1, 2], 45, viewer_id=1) is None
    during = finder([ana, ben], now=datetime(2026, 3, 9, 6, tzinfo=UTC), weeks=2)
    fit = explain_no_fit(during, [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.NO_OVERLAP
    assert "Ben Ode: Mon–Fri 14:00–17:00" in fit.message(1, NAMES)
    assert "you: Mon–Fri 17:00–18:00" in fit.message(1, NAMES)


def test_overlap_shorter_than_the_session_offers_a_shorter_one():
    f = finder([person(1, BERLIN, weekdays(9, 12)), person(2, BERLIN, weekdays(11.5, 17))])
    fit = explain_no_fit(f, [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.SHORT_OVERLAP and fit.longest_minutes == 30
    assert Remedy.SHORTER in fit.remedies
    assert "overlap for at most 30 minutes at a time, less than the 45 minutes" in fit.message(
        1, NAMES
    )
    assert explain_no_fit(f, [1, 2], 30, viewer_id=1) is None


def test_a_partners_time_off_over_the_whole_window_is_named_without_details():
    away = DateException(date(2026, 1, 1), date(2026, 2, 28), note="Surgery")
    f = finder(
        [person(1, BERLIN, weekdays(9, 17)), person(2, BERLIN, weekdays(9, 17), exceptions=(away,))]
    )
    fit = explain_no_fit(f, [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.TIME_OFF and fit.people == (2,)
    text = fit.message(1, NAMES)
    assert text.startswith("Ben Ode is away at every time you could meet in the next 2 weeks.")
    assert "Surgery" not in text
    assert fit.remedies[0] is Remedy.FURTHER_AHEAD


def test_busy_side_is_said_partner_or_you():
    people = [person(1, BERLIN, weekdays(9, 12)), person(2, BERLIN, weekdays(9, 12))]
    theirs = finder(people, busy={2: busy_every_day(8, 11)})  # Berlin 09–12 in winter
    fit = explain_no_fit(theirs, [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.BUSY and fit.people == (2,)
    assert fit.message(1, NAMES).startswith("Ben Ode is busy at every time you could meet")
    mine = finder(people, busy={1: busy_every_day(8, 11)})
    fit = explain_no_fit(mine, [1, 2], 45, viewer_id=1)
    assert fit.people == (1,) and fit.message(1, NAMES).startswith(
        "Your own sessions and calendar take every time"
    )


def test_busy_only_together_names_both_sides():
    people = [person(1, BERLIN, weekdays(9, 11)), person(2, BERLIN, weekdays(9, 11))]
    starts1, ends1 = busy_every_day(8, 9)  # Berlin 09–10 for Ana
    starts2, ends2 = busy_every_day(9, 10)  # Berlin 10–11 for Ben
    fit = explain_no_fit(
        finder(people, busy={1: (starts1, ends1), 2: (starts2, ends2)}), [1, 2], 45, viewer_id=1
    )
    assert fit.cause is Cause.BUSY and set(fit.people) == {1, 2}
    assert fit.message(1, NAMES).startswith(
        "Between your own sessions and calendar and Ben Ode's busy times"
    )


def test_minimum_notice_cutting_off_the_only_overlap():
    # Only Monday 09–10 Berlin in common, searched for one week from Monday 06:00 UTC
    # with a day of notice: next Monday's is outside the window.
    people = [person(1, BERLIN, [(0, 540, 600)]), person(2, BERLIN, weekdays(9, 17))]
    fit = explain_no_fit(finder(people, weeks=1, notice=24 * 60), [1, 2], 45, viewer_id=1)
    assert fit.cause is Cause.NOTICE and fit.remedies == (Remedy.FURTHER_AHEAD,)
    assert "sooner than the 24 hours of notice needed" in fit.message(1, NAMES)
    assert explain_no_fit(finder(people, weeks=2, notice=24 * 60), [1, 2], 45, viewer_id=1) is None


def test_group_names_who_has_no_overlap_with_the_rest():
    people = [
        person(1, BERLIN, weekdays(9, 12)),
        person(2, BERLIN, weekdays(10, 13)),
        person(3, SINGAPORE, weekdays(9, 12)),
    ]
    fit = explain_no_fit(finder(people), [1, 2, 3], 60, viewer_id=1)
    assert fit.cause is Cause.NO_OVERLAP and fit.people == (3,)
    assert fit.message(1, NAMES).startswith("Cy Lam has no weekly hours in common with the rest.")
    assert Remedy.MESSAGE_PARTNER not in fit.remedies  # a group has no one partner to write


def test_hours_text_groups_days():
    assert hours_text([(0, 540, 720), (1, 540, 720), (2, 540, 720), (5, 600, 660)]) == (
        "Mon–Wed 09:00–12:00; Sat 10:00–11:00"
    )
    assert hours_text([]) == "no hours"
