"""The Schedule screen, "Find a time" and calendar settings, as a participant of the demo
organisation (both backends): real widgets offscreen, every step checked in the database."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QPoint, Qt

from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, unit_of_work
from mentormatch_desktop.services.my_schedule import find_a_time, week_start
from mentormatch_desktop.storage.models import BusyBlock
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.availability_grid import grid_to_windows, windows_to_grid
from mentormatch_desktop.ui.views.calendar_settings import CalendarSettingsDialog
from mentormatch_desktop.ui.views.find_time import FindTimeDialog
from mentormatch_desktop.ui.views.schedule import ScheduleView


def _pair(engine: sa.Engine) -> tuple[int, int, int, str, str]:
    """An active demo mentorship across time zones: (id, mentee, mentor, mentee name, zone)."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT m.id, m.mentee_id, m.mentor_id, e.full_name, e.time_zone"
                    " FROM mentorships m JOIN people e ON e.id = m.mentee_id"
                    " JOIN people r ON r.id = m.mentor_id WHERE m.status = 'active'"
                    " AND e.time_zone <> r.time_zone ORDER BY m.id LIMIT 1"
                )
            ).one()
        )


@pytest.fixture
def participant(demo_db_url: str, open_schedule):
    """The mentee of a cross-zone pair, signed in, on the Schedule screen."""
    probe = sa.create_engine(demo_db_url)
    ms, mentee, mentor, name, zone = _pair(probe)
    probe.dispose()
    context, window, view = open_schedule(demo_db_url, mentee, name)
    yield {
        "window": window,
        "view": view,
        "context": context,
        "ms": ms,
        "mentee": mentee,
        "mentor": mentor,
        "zone": zone,
    }
    wait_idle(30)
    context.close()


def _scalar(context: AppContext, sql: str, **params: object) -> object:
    with context.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def test_grid_round_trips_windows() -> None:
    windows = [(0, 9 * 60, 11 * 60), (0, 13 * 60, 14 * 60 + 30), (6, 0, 24 * 60)]
    assert grid_to_windows(windows_to_grid(windows)) == windows


def test_schedule_shows_own_sessions_in_own_zone(participant) -> None:
    view, context = participant["view"], participant["context"]
    window_keys = participant["window"].keys()
    assert "schedule" in window_keys
    s = view.schedule
    mine = _scalar(
        context,
        "SELECT count(*) FROM meetings g JOIN mentorships m ON m.id = g.mentorship_id"
        " WHERE :p IN (m.mentor_id, m.mentee_id)",
        p=participant["mentee"],
    )
    assert len(s.sessions) == mine > 0
    assert view.upcoming.rowCount() + view.past.rowCount() == mine
    assert participant["zone"] in view.zone_label.text()
    # times are the participant's wall clock
    first = s.upcoming[0] if s.upcoming else s.past[0]
    table = view.upcoming if s.upcoming else view.past
    local = first.starts_at.astimezone(view._tz())
    assert table.item(0, 0).text().startswith(f"{local:%a} {local.day} {local:%b %H:%M}")


def test_painting_the_week_and_saving_writes_availability(qtbot, participant) -> None:
    view, context = participant["view"], participant["context"]
    view.tabs.setCurrentIndex(1)
    grid = view.grid
    grid.show_all_hours(True)
    qtbot.waitExposed(grid)
    # Saturday 10:00-12:00: press on 10:00, drag to 11:45, release.
    assert not grid.grid[5, 40:48].any()
    start, end = grid.cell_center(5, 40), grid.cell_center(5, 47)
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(grid, pos=QPoint(end.x(), (start.y() + end.y()) // 2))
    qtbot.mouseMove(grid, pos=end)
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=end)
    assert grid.grid[5, 40:48].all()
    assert view.save_grid_button.isEnabled()
    view.save_availability()
    qtbot.waitUntil(lambda: "Availability saved" in view.banner.message.text(), timeout=30_000)
    rows = _scalar(
        context,
        "SELECT count(*) FROM availability_slots WHERE person_id = :p AND weekday = 5"
        " AND start_minute <= 600 AND end_minute >= 720",
        p=participant["mentee"],
    )
    assert rows == 1
    assert not view.save_grid_button.isEnabled()


def test_time_off_is_added_and_removed(qtbot, participant) -> None:
    view, context = participant["view"], participant["context"]
    view.tabs.setCurrentIndex(2)
    before = view.exceptions.rowCount()
    view.off_note.setText("Family visit")
    view.add_time_off()
    qtbot.waitUntil(lambda: view.exceptions.rowCount() == before + 1, timeout=30_000)
    note = _scalar(
        context,
        "SELECT note FROM availability_exceptions WHERE person_id = :p",
        p=participant["mentee"],
    )
    assert note == "Family visit"
    view.exceptions.selectRow(before)
    assert view.remove_off_button.isEnabled()
    view.remove_time_off()
    qtbot.waitUntil(lambda: view.exceptions.rowCount() == before, timeout=30_000)
    assert (
        _scalar(
            context,
            "SELECT count(*) FROM availability_exceptions WHERE person_id = :p",
            p=participant["mentee"],
        )
        == before
    )


def test_find_a_time_shows_both_local_times_and_proposes(qtbot, participant) -> None:
    view, context = participant["view"], participant["context"]
    dialog = view.find_time(participant["ms"])
    assert isinstance(dialog, FindTimeDialog)
    qtbot.waitUntil(lambda: dialog.choice is not None, timeout=30_000)
    choice = dialog.choice
    assert choice.viewer_id == participant["mentee"] and choice.slots
    assert choice.viewer_zone == participant["zone"] != choice.partner_zone
    slot = choice.slots[0]
    views = {v.person_id: v for v in slot.people}
    mine, theirs = views[choice.viewer_id], views[choice.partner_id]
    assert dialog.picker.slots.item(0, 0).text().startswith(f"{mine.start:%a} {mine.start.day}")
    assert f"{mine.start:%H:%M}–{mine.end:%H:%M}" in dialog.picker.slots.item(0, 0).text()
    assert f"{theirs.start:%H:%M}–{theirs.end:%H:%M}" in dialog.picker.slots.item(0, 1).text()
    assert mine.start == theirs.start  # one instant, two wall clocks
    dialog.picker.slots.selectRow(0)
    dialog.picker.agenda.setText("First goals")
    dialog.propose_selected()
    qtbot.waitUntil(lambda: "Proposed" in dialog.banner.message.text(), timeout=30_000)
    with context.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT status, proposed_by_id, agenda, starts_at FROM meetings"
                " WHERE mentorship_id = :m AND agenda = 'First goals'"
            ),
            {"m": participant["ms"]},
        ).one()
    assert (row.status, row.proposed_by_id) == ("proposed", participant["mentee"])
    qtbot.waitUntil(lambda: dialog.choice is not None and not dialog.picker.progress.isVisible())
    # the slot just proposed is held: it is not offered again
    assert slot.start not in [s.start for s in dialog.choice.slots]
    dialog.close()


def test_answering_a_proposal_and_logging_a_session(qtbot, participant) -> None:
    view, context = participant["view"], participant["context"]
    # The mentor proposes a time (as a coordinator would, acting for them).
    with unit_of_work(context.engine, plugins=context.plugins, actor=LOCAL_COORDINATOR) as ctx:
        choice = find_a_time(ctx, participant["ms"], as_person=participant["mentor"], weeks=4)
        proposed = sessions.propose_session(
            ctx, participant["ms"], choice.slots[0].start, 45, as_person=participant["mentor"]
        )
    view.reload()
    qtbot.waitUntil(
        lambda: any(s.id == proposed.id for s in view.schedule.upcoming), timeout=30_000
    )
    assert "waiting for your answer" in view.banner.message.text()
    row = next(i for i, s in enumerate(view.schedule.upcoming) if s.id == proposed.id)
    assert "your answer" in view.upcoming.item(row, 3).text()
    view.upcoming.selectRow(row)
    assert view.accept_button.isEnabled() and view.decline_button.isEnabled()
    view.accept_selected()
    qtbot.waitUntil(lambda: "Booked" in view.banner.message.text(), timeout=30_000)
    status = _scalar(context, "SELECT status FROM meetings WHERE id = :g", g=proposed.id)
    assert status == "scheduled"

    # Log the latest past booked session not yet logged by the mentee.
    now = view.schedule.now
    past = view.schedule.past
    index = next(i for i, s in enumerate(past) if s.can_log(now))
    target = past[index]
    view.past.selectRow(index)
    assert view.log_button.isEnabled()
    view.log_selected(
        {
            "held": True,
            "rating": 4,
            "shared_notes": "Good talk",
            "private_notes": "",
            "next_steps": ["Read the design doc"],
            "steps_as_milestones": True,
        }
    )
    qtbot.waitUntil(lambda: "Session logged" in view.banner.message.text(), timeout=30_000)
    with context.engine.connect() as conn:
        log = conn.execute(
            sa.text(
                "SELECT held, rating FROM session_logs WHERE meeting_id = :g AND author_id = :p"
            ),
            {"g": target.id, "p": participant["mentee"]},
        ).one()
        status = conn.execute(
            sa.text("SELECT status FROM meetings WHERE id = :g"), {"g": target.id}
        ).scalar()
    assert (log.held, log.rating, status) == (True, 4, "held")
    logged = next(s for s in view.schedule.past if s.id == target.id)
    assert logged.logged_by_me and "logged" in view.past.item(index, 3).text()


def test_calendar_settings_test_connect_sync_disconnect(
    qtbot, participant, memory_keyring, tmp_path: Path
) -> None:
    view, context = participant["view"], participant["context"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    ics = tmp_path / "work.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:busy-1@test\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}\r\n"
        "SUMMARY:Board meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    dialog = view.open_calendars()
    assert isinstance(dialog, CalendarSettingsDialog)
    qtbot.waitUntil(lambda: bool(dialog.choices), timeout=30_000)
    names = [c.name for c in dialog.choices]
    assert {"ics", "caldav", "google", "microsoft"} <= set(names)
    dialog.provider.setCurrentIndex(names.index("ics"))
    assert set(dialog.fields) == {"path", "export_path", "time_zone"}
    dialog.account.setText("work calendar")
    dialog.fields["path"].setText(str(tmp_path / "missing.ics"))
    task = dialog.test()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    failed = dialog.test_result.text()
    assert failed.startswith("✗") and "does not exist" in failed
    dialog.fields["path"].setText(str(ics))
    task = dialog.test()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert dialog.test_result.text() == "✓ Connected: 1 busy periods in the next 7 days"
    dialog.connect_calendar()
    qtbot.waitUntil(lambda: len(dialog.connections) == 1, timeout=30_000)
    assert dialog.table.item(0, 2).text() == "Not synced yet"
    dialog.table.selectRow(0)
    dialog.sync_selected()
    qtbot.waitUntil(lambda: dialog.connections[0].last_synced_at is not None, timeout=30_000)
    assert "1 busy periods" in dialog.table.item(0, 2).text()
    blocks = _scalar(
        context, "SELECT count(*) FROM busy_blocks WHERE person_id = :p", p=participant["mentee"]
    )
    assert blocks == 1
    dialog.table.selectRow(0)
    dialog.disconnect_selected()
    qtbot.waitUntil(lambda: not dialog.connections, timeout=30_000)
    assert (
        _scalar(
            context,
            "SELECT count(*) FROM calendar_connections WHERE person_id = :p",
            p=participant["mentee"],
        )
        == 0
    )
    dialog.close()


@pytest.fixture
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server that accepts and says nothing until told to hang up."""
    server = socket.create_server(("127.0.0.1", 0))
    hang_up = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        server.settimeout(0.2)
        while not hang_up.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/", hang_up
    hang_up.set()
    thread.join(5)
    server.close()


def test_testing_a_calendar_runs_off_the_gui_thread_and_can_be_cancelled(
    qtbot, participant, memory_keyring, silent_server
) -> None:
    url, hang_up = silent_server
    dialog = participant["view"].open_calendars()
    qtbot.waitUntil(lambda: bool(dialog.choices), timeout=30_000)
    dialog.provider.setCurrentIndex([c.name for c in dialog.choices].index("caldav"))
    dialog.account.setText("me@example.org")
    dialog.fields["url"].setText(url)
    dialog.fields["secret"].setText("pw")
    task = dialog.test()
    # The GUI thread is free while the server says nothing: the panel shows and Cancel works.
    qtbot.wait(300)
    assert not task.done and dialog.progress.isVisible()
    qtbot.mouseClick(dialog.progress.cancel, Qt.MouseButton.LeftButton)
    hang_up.set()  # the connector's call returns (fails) once the server hangs up
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    assert task.was_cancelled
    assert dialog.test_result.text() == "Test cancelled."
    assert not dialog.progress.isVisible()
    assert memory_keyring.store == {}  # the throw-away secret is gone
    dialog.close()


def test_coordinator_opens_a_schedule_and_proposes_for_a_pair(qtbot, demo_window) -> None:
    demo_window.set_ready()
    view = demo_window.navigate("schedule")
    assert isinstance(view, ScheduleView) and view.chooser.isVisible()
    wait_idle(30)
    assert "e-mail" in view.banner.message.text() and view.schedule is None
    context = view.context
    ms, mentee, _mentor, name, _zone = _pair(context.engine)
    email = _scalar(context, "SELECT email FROM people WHERE id = :p", p=mentee)
    view.email.setText(str(email).upper())  # e-mail case does not matter
    view.open_person()
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    assert view.schedule.person_id == mentee and name in view.zone_label.text()
    dialog = view.find_time(ms)
    qtbot.waitUntil(lambda: dialog.choice is not None, timeout=30_000)
    assert dialog.choice.viewer_id == mentee
    dialog.picker.slots.selectRow(0)
    dialog.propose_selected()
    qtbot.waitUntil(lambda: "Proposed" in dialog.banner.message.text(), timeout=30_000)
    by = _scalar(
        context,
        "SELECT proposed_by_id FROM meetings WHERE mentorship_id = :m AND status = 'proposed'"
        " ORDER BY id DESC LIMIT 1",
        m=ms,
    )
    assert by == mentee  # the coordinator acted for the mentee
    dialog.close()


def test_a_mentor_with_two_pairs_chooses_whom_to_find_a_time_with(
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
    probe.dispose()
    context, _window, view = open_schedule(demo_db_url, mentor, name)
    try:
        pairs = view.schedule.pairs
        assert len(pairs) >= 2 and all(p.my_side == "mentor" for p in pairs)
        menu = view.find_button.menu()
        assert menu is not None
        actions = menu.actions()
        assert [a.text() for a in actions] == [f"With {p.partner} ({p.program})" for p in pairs]
        actions[1].trigger()
        dialogs = view.findChildren(FindTimeDialog)
        assert len(dialogs) == 1 and dialogs[0].mentorship_id == pairs[1].id
        qtbot.waitUntil(lambda: dialogs[0].choice is not None, timeout=30_000)
        assert dialogs[0].choice.partner == pairs[1].partner
        dialogs[0].close()
    finally:
        wait_idle(30)
        context.close()


def test_the_week_grid_shows_this_weeks_busy_time(qtbot, participant) -> None:
    view, context = participant["view"], participant["context"]
    tz = view._tz()
    monday = week_start(view.schedule.now, view.schedule.time_zone)
    start = datetime.combine(monday + timedelta(days=2), datetime.min.time(), tzinfo=tz)
    start += timedelta(hours=13)  # Wednesday 13:00–14:30 local, whatever day it is now
    with context.engine.begin() as conn:
        conn.execute(
            sa.insert(BusyBlock).values(
                person_id=participant["mentee"],
                starts_at=start,
                ends_at=start + timedelta(hours=1.5),
            )
        )
    view.reload()
    qtbot.waitUntil(lambda: any(i.kind == "busy" for i in view.schedule.week), timeout=30_000)
    assert (2, 13 * 60, 14 * 60 + 30, "busy", "Busy") in view.grid.overlay
    assert view.grid.week_of == monday
