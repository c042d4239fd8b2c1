"""The Schedule screen and "Find a time" signed in as a real participant login on PostgreSQL
(row-level security in force): own sessions only, the partner's free/busy through the
definer function (the same slots the owner computes from the tables), nobody else's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import schedule
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.my_schedule import find_a_time
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import sign_in
from mentormatch_desktop.ui.views.find_time import FindTimeDialog

NOTE = "PARTNER-TIME-OFF-NOTE-7f3a"


@pytest.fixture(autouse=True)
def no_worker_left(qapp) -> Iterator[None]:  # qapp: a test without widgets may run first
    yield
    wait_idle(30)


def _partner(world, person: int) -> tuple[int, int, str]:
    """(mentorship, partner, partner's zone) of the participant's first active pairing."""
    with world.owner.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT m.id, CASE WHEN m.mentor_id = :p THEN m.mentee_id ELSE m.mentor_id"
                    " END, o.time_zone FROM mentorships m JOIN people o ON o.id ="
                    " (CASE WHEN m.mentor_id = :p THEN m.mentee_id ELSE m.mentor_id END)"
                    " WHERE m.status = 'active' AND :p IN (m.mentor_id, m.mentee_id)"
                    " ORDER BY m.id LIMIT 1"
                ),
                {"p": person},
            ).one()
        )


def test_participant_schedule_and_find_a_time_under_rls(qtbot, shared_world, main_windows) -> None:
    login = shared_world.login("participant")
    me = login.person_id
    ms, partner, partner_zone = _partner(shared_world, me)
    with shared_world.owner.begin() as conn:  # the partner's time off, with a private note
        conn.execute(
            sa.text(
                "INSERT INTO availability_exceptions (person_id, first_day, last_day, available,"
                " note) VALUES (:p, :d, :d, false, :n)"
            ),
            {"p": partner, "d": date.today() + timedelta(days=3), "n": NOTE},
        )
    signed = sign_in(login.url)
    assert signed.identity.role == "participant"
    window = main_windows(signed)
    try:
        screens = window.keys()
        assert "schedule" in screens
        view = window.navigate("schedule")
        qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
        with shared_world.owner.connect() as conn:
            mine = set(
                conn.execute(
                    sa.text(
                        "SELECT g.id FROM meetings g JOIN mentorships m ON m.id = g.mentorship_id"
                        " WHERE :p IN (m.mentor_id, m.mentee_id) AND NOT g.is_group"
                        # group sessions (0013): those one attends, whoever's pair anchors them
                        " UNION SELECT meeting_id FROM meeting_attendees WHERE person_id = :p"
                    ),
                    {"p": me},
                ).scalars()
            )
        assert {s.id for s in view.schedule.sessions} == mine
        assert all(s.partner != "—" for s in view.schedule.sessions)

        dialog = view.find_time(ms)
        assert isinstance(dialog, FindTimeDialog)
        qtbot.waitUntil(
            lambda: dialog.choice is not None or dialog.banner.isVisible(), timeout=30_000
        )
        assert dialog.choice is not None, dialog.banner.message.text()
        assert dialog.choice.partner_zone == partner_zone  # read through free/busy
        dialog.close()
    finally:
        main_windows.close(window)

    # The participant cannot read the partner's rows directly…
    with login.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM availability_slots WHERE person_id = :p"),
                {"p": partner},
            ).scalar()
            == 0
        )
        answer = conn.execute(
            sa.text("SELECT mm_partner_free_busy(:m, now(), now() + interval '4 weeks')::text"),
            {"m": ms},
        ).scalar_one()
    assert NOTE not in answer  # free/busy only: time off without its note

    # …yet gets the very slots the owner computes from the tables.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    host = PluginHost(autoload=False).load()
    with unit_of_work(login.engine, plugins=host, clock=lambda: now) as ctx:
        seen = find_a_time(ctx, ms, minutes=45, weeks=4, limit=50)
    with unit_of_work(shared_world.owner, plugins=host, clock=lambda: now) as ctx:
        truth = schedule.find_slots(ctx, [me, partner], minutes=45, weeks=4, limit=50)
    assert truth, "the demo pair should have common free time in four weeks"
    assert [(s.start, s.end) for s in seen.slots] == [(s.start, s.end) for s in truth]
    assert [[v.start for v in s.people] for s in seen.slots] == [
        [v.start for v in s.people] for s in truth
    ]


def test_free_busy_is_for_the_partner_only(shared_world) -> None:
    login = shared_world.login("participant")
    with shared_world.owner.connect() as conn:
        foreign = conn.execute(
            sa.text(
                "SELECT id FROM mentorships WHERE :p NOT IN (mentor_id, mentee_id)"
                " ORDER BY id LIMIT 1"
            ),
            {"p": login.person_id},
        ).scalar_one()
    for role in ("participant", "analyst", "coordinator"):
        with shared_world.login(role).engine.connect() as conn:
            with pytest.raises(DBAPIError) as denied:
                conn.execute(
                    sa.text("SELECT mm_partner_free_busy(:m, now(), now() + interval '1 week')"),
                    {"m": foreign},
                )
            assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege), role
