""" "Find a time" when nothing fits: the dialog says the core's reason for each cause and
offers the action that fixes it (both backends, the demo organisation, real widgets)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.find_time import FindTimeDialog
from mentormatch_desktop.ui.views.group_time import GroupTimeDialog
from mentormatch_desktop.ui.views.slot_picker import SEARCH_LABEL

WHOLE_WEEK = [(d, 0, 24 * 60) for d in range(7)]


def _pair(engine: sa.Engine) -> tuple[int, int, int, str, str]:
    """An active cross-zone pair: (mentorship, mentee, mentor, mentee name, mentor name)."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT m.id, m.mentee_id, m.mentor_id, e.full_name, r.full_name"
                    " FROM mentorships m JOIN people e ON e.id = m.mentee_id"
                    " JOIN people r ON r.id = m.mentor_id WHERE m.status = 'active'"
                    " AND e.time_zone <> r.time_zone ORDER BY m.id LIMIT 1"
                )
            ).one()
        )


def _hours(engine: sa.Engine, person: int, windows: list[tuple[int, int, int]]) -> None:
    """Replace ``person``'s weekly hours (and drop their time off)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM availability_slots WHERE person_id = :p"), {"p": person})
        conn.execute(
            sa.text("DELETE FROM availability_exceptions WHERE person_id = :p"), {"p": person}
        )
        for day, start, end in windows:
            conn.execute(
                sa.text(
                    "INSERT INTO availability_slots (person_id, weekday, start_minute, end_minute)"
                    " VALUES (:p, :d, :s, :e)"
                ),
                {"p": person, "d": day, "s": start, "e": end},
            )


@pytest.fixture
def pair(demo_db_url: str, open_schedule):
    probe = sa.create_engine(demo_db_url)
    ms, mentee, mentor, name, mentor_name = _pair(probe)
    probe.dispose()
    context, window, view = open_schedule(demo_db_url, mentee, name)
    yield {
        "window": window, "view": view, "context": context, "ms": ms,
        "mentee": mentee, "mentor": mentor, "mentor_name": mentor_name,
    }  # fmt: skip
    wait_idle(30)
    context.close()


def _searched(qtbot, dialog) -> str:
    qtbot.waitUntil(
        lambda: dialog.choice is not None and not dialog.picker.progress.isVisible(),
        timeout=30_000,
    )
    return dialog.banner.message.text()


def _open(qtbot, pair) -> tuple[FindTimeDialog, str]:
    dialog = pair["view"].find_time(pair["ms"])
    assert isinstance(dialog, FindTimeDialog)
    return dialog, _searched(qtbot, dialog)


def test_partner_without_hours_is_named_and_can_be_messaged(qtbot, pair) -> None:
    engine, mentor = pair["context"].engine, pair["mentor"]
    _hours(engine, mentor, [])
    dialog, text = _open(qtbot, pair)
    assert not dialog.choice.slots
    assert text.startswith(f"{pair['mentor_name']} has not set any weekly availability yet.")
    labels = dialog.picker.remedy_labels()
    if dialog.choice.thread_id:
        assert labels == [f"Message {pair['mentor_name']}"]
        opened = []
        pair["view"].open_requested.connect(lambda key, t: opened.append((key, t)))
        dialog.picker.remedies.findChildren(type(dialog.picker.search_button))[0].click()
        assert opened == [("inbox", dialog.choice.thread_id)]
    dialog.close()


def test_hours_that_never_meet_show_both_in_my_zone_and_edit_takes_me_there(qtbot, pair) -> None:
    engine = pair["context"].engine
    _hours(engine, pair["mentee"], [(2, 10 * 60, 11 * 60)])  # Wednesday 10–11, my time
    _hours(engine, pair["mentor"], [(6, 10 * 60, 11 * 60)])  # Sunday, theirs: days apart
    dialog, text = _open(qtbot, pair)
    zone = dialog.choice.viewer_zone
    assert text.startswith(f"Your weekly hours and {pair['mentor_name']}'s never overlap.")
    assert f"In your time ({zone})" in text and "you: Wed 10:00–11:00" in text
    assert f"{pair['mentor_name']}: " in text and "needs at least 45 minutes" in text
    assert "widen" not in text
    assert dialog.picker.remedy_labels()[0] == "Edit my weekly availability"
    dialog.picker.remedies.findChildren(type(dialog.picker.search_button))[0].click()
    assert not dialog.isVisible()
    assert pair["view"].tabs.tabText(pair["view"].tabs.currentIndex()) == "Weekly availability"


def test_short_overlap_offers_a_shorter_session_that_then_fits(qtbot, pair) -> None:
    engine = pair["context"].engine
    _hours(engine, pair["mentee"], WHOLE_WEEK)
    # Thursday 10:00–10:30 on the mentor's clock, every week: 30 minutes in common at most.
    _hours(engine, pair["mentor"], [(3, 10 * 60, 10 * 60 + 30)])
    dialog, text = _open(qtbot, pair)
    assert text.startswith(
        "Your weekly hours overlap for at most 30 minutes at a time, less than the 45 minutes"
    )
    assert dialog.picker.remedy_labels()[0] == "Try 30 minutes"
    dialog.picker.remedies.findChildren(type(dialog.picker.search_button))[0].click()
    qtbot.waitUntil(lambda: dialog.choice.minutes == 30, timeout=30_000)
    _searched(qtbot, dialog)
    assert dialog.choice.slots and dialog.picker.minutes() == 30
    dialog.close()


def test_partner_away_says_so_without_the_note_and_offers_further_ahead(qtbot, pair) -> None:
    engine, mentor = pair["context"].engine, pair["mentor"]
    _hours(engine, pair["mentee"], WHOLE_WEEK)
    today = pair["view"].schedule.now.date()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO availability_exceptions (person_id, first_day, last_day, available,"
                " note) VALUES (:p, :a, :b, :f, 'Hospital stay')"
            ),
            {"p": mentor, "a": today - timedelta(days=1), "b": today + timedelta(days=20),
             "f": False},
        )  # fmt: skip
    dialog, text = _open(qtbot, pair)
    assert text.startswith(
        f"{pair['mentor_name']} is away at every time you could meet in the next 2 weeks."
    )
    assert "Hospital" not in text
    assert dialog.picker.remedy_labels()[0] == "Look 4 weeks ahead"
    dialog.picker.remedies.findChildren(type(dialog.picker.search_button))[0].click()
    assert dialog.picker.weeks.value() == 4
    # Day 21 onwards is free again: the four-week search finds slots.
    qtbot.waitUntil(lambda: bool(dialog.choice.slots), timeout=30_000)
    assert not dialog.picker.remedies.isVisible()
    dialog.close()


def test_both_dialogs_search_with_the_same_words(qtbot, pair) -> None:
    dialog, _ = _open(qtbot, pair)
    group = pair["view"].find_group_time()
    assert isinstance(group, GroupTimeDialog)
    qtbot.waitUntil(lambda: group.choices is not None, timeout=30_000)
    assert dialog.picker.search_button.text() == group.picker.search_button.text() == SEARCH_LABEL
    dialog.close()
    group.close()


def test_group_names_who_has_no_hours_in_common_with_the_rest(
    qtbot, demo_db_url: str, open_schedule
) -> None:
    probe = sa.create_engine(demo_db_url)
    with probe.connect() as conn:
        mentor, name = conn.execute(
            sa.text(
                "SELECT m.mentor_id, p.full_name FROM mentorships m JOIN people p"
                " ON p.id = m.mentor_id WHERE m.status = 'active' GROUP BY m.mentor_id,"
                " p.full_name HAVING count(*) >= 2 ORDER BY m.mentor_id LIMIT 1"
            )
        ).one()
        mentees = conn.execute(
            sa.text(
                "SELECT p.id, p.full_name FROM mentorships m JOIN people p ON p.id = m.mentee_id"
                " WHERE m.mentor_id = :m AND m.status = 'active' ORDER BY m.id LIMIT 2"
            ),
            {"m": mentor},
        ).all()
    probe.dispose()
    (first, _), (odd, odd_name) = mentees
    context, _window, view = open_schedule(demo_db_url, mentor, name, settings="g.ini")
    try:
        _hours(context.engine, mentor, WHOLE_WEEK)
        _hours(context.engine, first, WHOLE_WEEK)
        _hours(context.engine, odd, [])  # has set nothing: named, nothing private said
        dialog = view.find_group_time()
        qtbot.waitUntil(lambda: dialog.choices is not None, timeout=30_000)
        for i in range(dialog.people.count()):
            item = dialog.people.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in (first, odd)
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
        dialog.load()
        text = _searched(qtbot, dialog)
        assert text.startswith(f"{odd_name} has not set any weekly availability yet.")
        _hours(context.engine, odd, [(6, 3 * 60, 4 * 60)])
        _hours(context.engine, first, [(d, 9 * 60, 17 * 60) for d in range(5)])
        _hours(context.engine, mentor, [(d, 9 * 60, 17 * 60) for d in range(5)])
        dialog.choice = None  # wait for this search's answer, not the last one
        dialog.load()
        text = _searched(qtbot, dialog)
        assert text.startswith(f"{odd_name} has no weekly hours in common with the rest.")
        assert "Message" not in " ".join(dialog.picker.remedy_labels())
        dialog.close()
    finally:
        wait_idle(30)
        context.close()


def test_screenshots_open_a_participant_with_sessions_ahead_and_behind(qtbot, demo_window) -> None:
    """``--screenshots`` as the coordinator: the Schedule opens the demo's showcase
    participant (the lowest id with sessions ahead and behind), and its extras are Find a
    time with the next session's partner and a real search that finds nothing, explained."""
    demo_window.set_ready()
    view = demo_window.navigate("schedule")
    wait_idle(30)
    view.prepare_screenshot()
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    wait_idle(30)
    s = view.schedule
    assert s.upcoming and s.past and "@" in view.email.text()
    again = view.person_id
    view.prepare_screenshot()  # deterministic: the same person a second time
    wait_idle(30)
    assert view.person_id == again
    extras = dict(view.screenshot_extras())
    dialog = extras["find-a-time"]()
    _searched(qtbot, dialog)
    assert dialog.choice.slots and dialog.choice.viewer_id == s.person_id
    dialog.close()
    if "find-a-time-nothing-fits" in extras:
        empty = extras["find-a-time-nothing-fits"]()
        text = _searched(qtbot, empty)
        assert not empty.choice.slots and empty.choice.no_fit is not None
        assert text == empty.choice.no_fit.message(
            s.person_id, {empty.choice.partner_id: empty.choice.partner}
        )
        empty.close()
