"""The Schedule screen for groups and notes (both backends, real widgets offscreen): a mentor
finds a time for a group with every member's local time side by side and invites them; a
mentee sees the invitation and answers; past sessions show the partner's shared notes and
never their private ones. Set MM_SHOTS_DIR to keep the PNGs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from PySide6.QtCore import Qt

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, unit_of_work
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.group_time import GroupTimeDialog


def _shot(widget, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("MM_SHOTS_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert widget.grab().save(str(path))
    return path


def _mentor_with_two(engine: sa.Engine) -> tuple[int, str, list[tuple[int, str]]]:
    with engine.connect() as conn:
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
    return mentor, name, [tuple(r) for r in mentees]


def test_group_find_a_time_invite_and_an_attendee_answers(
    qtbot, demo_db_url: str, tmp_path: Path, open_schedule
) -> None:
    probe = sa.create_engine(demo_db_url)
    mentor, name, mentees = _mentor_with_two(probe)
    probe.dispose()
    context, window, view = open_schedule(
        demo_db_url, mentor, name, settings="m.ini", size=(1280, 860)
    )
    try:
        assert view.group_button.isEnabled()
        dialog = view.find_group_time()
        assert isinstance(dialog, GroupTimeDialog)
        qtbot.waitUntil(lambda: dialog.choices is not None, timeout=30_000)
        wanted = {pid for pid, _ in mentees}
        for i in range(dialog.people.count()):
            item = dialog.people.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in wanted:
                item.setCheckState(Qt.CheckState.Checked)
        assert set(dialog.chosen()) >= wanted
        for i in range(dialog.people.count()):  # exactly the two mentees
            item = dialog.people.item(i)
            if item.data(Qt.ItemDataRole.UserRole) not in wanted:
                item.setCheckState(Qt.CheckState.Unchecked)
        dialog.picker.weeks.setValue(4)
        dialog.load()
        qtbot.waitUntil(
            lambda: dialog.choice is not None and not dialog.picker.progress.isVisible(),
            timeout=30_000,
        )
        choice = dialog.choice
        assert choice.people[0][0] == mentor
        assert {p for p, _, _ in choice.people[1:]} == wanted
        assert choice.slots, "the demo mentor and two mentees share some time in 4 weeks"
        # One column per person (own zone), then how well it fits.
        assert dialog.picker.slots.columnCount() == 4
        slot = choice.slots[0]
        views = {v.person_id: v for v in slot.people}
        for column, (pid, _, _) in enumerate(choice.people):
            v = views[pid]
            assert f"{v.start:%H:%M}–{v.end:%H:%M}" in dialog.picker.slots.item(0, column).text()
        dialog.picker.slots.selectRow(0)
        dialog.picker.agenda.setText("Group kick-off")
        assert dialog.picker.propose.isEnabled()
        _shot(dialog, tmp_path, "group_find_time.png")
        dialog.propose_selected()
        qtbot.waitUntil(lambda: "Invited 2 people" in dialog.banner.message.text(), timeout=30_000)
        with context.engine.connect() as conn:
            meeting = conn.execute(
                sa.text("SELECT id, status, is_group FROM meetings WHERE agenda = 'Group kick-off'")
            ).one()
            attendees = dict(
                conn.execute(
                    sa.text(
                        "SELECT person_id, response FROM meeting_attendees WHERE meeting_id = :g"
                    ),
                    {"g": meeting.id},
                ).all()
            )
        assert meeting.is_group and meeting.status == "scheduled"
        assert attendees == {mentor: "accepted", **{p: "needs-action" for p in wanted}}
        dialog.close()
        view.reload()
        qtbot.waitUntil(
            lambda: any(s.id == meeting.id for s in view.schedule.upcoming), timeout=30_000
        )
        row = next(i for i, s in enumerate(view.schedule.upcoming) if s.id == meeting.id)
        assert view.upcoming.item(row, 3).text() == "Group · Booked · 0 of 2 coming"
        assert view.upcoming.item(row, 1).text().startswith("Group: ")
        view.upcoming.selectRow(row)
        assert view.reschedule_button.isEnabled() and view.cancel_button.isEnabled()
        assert not view.accept_button.isEnabled()  # the organiser answers nobody
    finally:
        wait_idle(30)
        context.close()

    # The first mentee: the invitation waits for their answer; "Maybe", then "Accept".
    mentee, mentee_name = mentees[0]
    context, window, view = open_schedule(
        demo_db_url, mentee, mentee_name, settings="e.ini", size=(1280, 860)
    )
    try:
        assert "waiting for your answer" in view.banner.message.text()
        row = next(i for i, s in enumerate(view.schedule.upcoming) if s.id == meeting.id)
        assert "your answer" in view.upcoming.item(row, 3).text()
        view.upcoming.selectRow(row)
        assert view.maybe_button.isVisible() and view.maybe_button.isEnabled()
        assert not view.reschedule_button.isEnabled() and not view.cancel_button.isEnabled()
        assert name in view.attendees_label.text() and "organiser" in view.attendees_label.text()
        _shot(window, tmp_path, "group_invitation_schedule.png")
        view.maybe_selected()
        qtbot.waitUntil(lambda: "maybe" in view.banner.message.text(), timeout=30_000)
        row = next(i for i, s in enumerate(view.schedule.upcoming) if s.id == meeting.id)
        assert view.upcoming.item(row, 3).text() == "Group · Booked · you: maybe"
        view.upcoming.selectRow(row)
        view.accept_selected()
        qtbot.waitUntil(lambda: "You are coming" in view.banner.message.text(), timeout=30_000)
        with context.engine.connect() as conn:
            answer = conn.execute(
                sa.text(
                    "SELECT response FROM meeting_attendees WHERE meeting_id = :g"
                    " AND person_id = :p"
                ),
                {"g": meeting.id, "p": mentee},
            ).scalar_one()
        assert answer == "accepted"
    finally:
        wait_idle(30)
        context.close()


def test_past_sessions_show_the_partners_shared_notes_never_private_notes(
    qtbot, demo_db_url: str, shared_plugin_host: PluginHost, tmp_path: Path, open_schedule
) -> None:
    probe = sa.create_engine(demo_db_url)
    mentor, _name, mentees = _mentor_with_two(probe)
    probe.dispose()
    mentee, mentee_name = mentees[0]
    host = shared_plugin_host
    engine = sa.create_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            ms = conn.execute(
                sa.text("SELECT id FROM mentorships WHERE mentor_id = :m AND mentee_id = :e"),
                {"m": mentor, "e": mentee},
            ).scalar_one()
        # A session booked a week ago for three days ago, then logged by the mentor.
        then = datetime.now(UTC) - timedelta(days=7)
        start = (then + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
        with unit_of_work(engine, plugins=host, actor=LOCAL_COORDINATOR, clock=lambda: then) as ctx:
            info = sessions.propose_session(ctx, ms, start, 45, as_person=mentor)
            sessions.accept_session(ctx, info.id, as_person=mentee)
        with unit_of_work(engine, plugins=host, actor=LOCAL_COORDINATOR) as ctx:
            sessions.log_session(
                ctx,
                info.id,
                held=True,
                as_person=mentor,
                shared_notes="Next: draft the project plan together.",
                private_notes="PRIVATE: seemed tired, check in gently.",
            )
    finally:
        engine.dispose()
    context, window, view = open_schedule(
        demo_db_url, mentee, mentee_name, settings="n.ini", size=(1280, 860)
    )
    try:
        row = next(i for i, s in enumerate(view.schedule.past) if s.id == info.id)
        past = view.schedule.past[row]
        assert [text for _, text in past.shared_notes] == ["Next: draft the project plan together."]
        view.past.selectRow(row)
        shown = view.notes_view.text()
        assert view.notes_view.isVisible()
        assert "draft the project plan" in shown and "PRIVATE" not in shown
        view.tabs.setCurrentIndex(0)
        _shot(window, tmp_path, "schedule_shared_notes.png")
        # A past session nobody shared notes about says so.
        other = next((i for i, s in enumerate(view.schedule.past) if not s.shared_notes), None)
        if other is not None:
            view.past.selectRow(other)
            assert view.notes_view.text().startswith("No shared notes from")
    finally:
        wait_idle(30)
        context.close()
