"""A group session between real participant logins on PostgreSQL (row-level security in
force): a mentor invites two mentees; the mentee outside the anchor mentorship still sees,
answers and logs it; a third participant sees none of it even with raw SQL; attendees read
each other's shared notes and never each other's private notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from mentormatch_desktop import jobs
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import group_sessions, session_notices, sessions
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.db import create_engine


def _refused(conn: sa.Connection, statement: str, params: dict) -> None:
    with pytest.raises(DBAPIError) as denied:
        conn.execute(sa.text(statement), params)
    assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege)
    conn.rollback()


def test_group_session_and_notes_under_rls_attendees_only(
    pg_demo_url: str, participant_login
) -> None:
    host = PluginHost(autoload=False).load()
    owner = create_engine(pg_demo_url)
    engines: list[Engine] = []
    try:
        with owner.connect() as conn:
            # A mentor with two running mentees, and someone unrelated to all three.
            mentor, a, b = conn.execute(
                sa.text(
                    "SELECT m.mentor_id, min(m.mentee_id), max(m.mentee_id) FROM mentorships m"
                    " WHERE m.status = 'active' GROUP BY m.mentor_id"
                    " HAVING count(DISTINCT m.mentee_id) >= 2 ORDER BY m.mentor_id LIMIT 1"
                )
            ).one()
            outsider = conn.execute(
                sa.text(
                    "SELECT p.id FROM people p WHERE p.is_active AND p.id NOT IN (:m, :a, :b)"
                    " AND NOT EXISTS (SELECT 1 FROM mentorships x WHERE x.status = 'active'"
                    " AND (x.mentor_id IN (:m, :a, :b) OR x.mentee_id IN (:m, :a, :b))"
                    " AND (x.mentor_id = p.id OR x.mentee_id = p.id)) ORDER BY p.id LIMIT 1"
                ),
                {"m": mentor, "a": a, "b": b},
            ).scalar_one()
            emails = dict(
                conn.execute(
                    sa.text("SELECT id, email FROM people WHERE id IN (:m, :a, :b, :o)"),
                    {"m": mentor, "a": a, "b": b, "o": outsider},
                ).all()
            )
        e_mentor, e_a, e_b, e_out = (
            participant_login(owner, pg_demo_url, emails[p]) for p in (mentor, a, b, outsider)
        )
        engines += [e_mentor, e_a, e_b, e_out]
        # Booked two days ago for yesterday, so the database's clock says it is over.
        then = datetime.now(UTC) - timedelta(days=3)
        start = (then + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

        with unit_of_work(e_mentor, plugins=host, clock=lambda: then) as ctx:
            info = group_sessions.propose_group_session(ctx, [a, b], start, 60, agenda="Circle")
        g = info.id
        assert {x.person_id for x in info.attendees} == {mentor, a, b}
        with owner.connect() as conn:
            anchor = conn.execute(
                sa.text("SELECT mentor_id, mentee_id FROM mentorships m JOIN meetings g"
                        " ON g.mentorship_id = m.id WHERE g.id = :g"), {"g": g}
            ).one()  # fmt: skip
        outside_anchor = b if a in anchor else a
        inside_anchor = a if outside_anchor == b else b

        # The mentee outside the anchor mentorship reads the meeting and every attendee.
        e_outside = e_a if outside_anchor == a else e_b
        e_inside = e_b if outside_anchor == a else e_a
        with e_outside.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM meetings WHERE id = :g"),
                                {"g": g}).scalar_one() == 1  # fmt: skip
            listed = conn.execute(
                sa.text("SELECT person_id, response FROM meeting_attendees WHERE meeting_id = :g"),
                {"g": g},
            ).all()
            assert {p for p, _ in listed} == {mentor, a, b}
            people = conn.execute(
                sa.text("SELECT id FROM mm_meeting_people(:g)"), {"g": g}
            ).scalars().all()  # fmt: skip
            assert set(people) == {mentor, a, b}
            # ... but changes only their own answer, and invites nobody.
            changed = conn.execute(
                sa.text("UPDATE meeting_attendees SET response = 'declined'"
                        " WHERE meeting_id = :g AND person_id <> :me"),
                {"g": g, "me": outside_anchor},
            ).rowcount  # fmt: skip
            assert changed == 0
            conn.rollback()
            _refused(
                conn,
                "INSERT INTO meeting_attendees (meeting_id, person_id, response, is_organiser,"
                " created_at) VALUES (:g, :o, 'accepted', false, now())",
                {"g": g, "o": outsider},
            )
            moved = conn.execute(
                sa.text("UPDATE meetings SET agenda = 'hijacked' WHERE id = :g"), {"g": g}
            ).rowcount
            assert moved == 0  # reading a group session is not changing it
            conn.rollback()

        # Both answer through the services on their own logins.
        with unit_of_work(e_outside, plugins=host, clock=lambda: then) as ctx:
            answered = group_sessions.respond_group_session(ctx, g, "accepted")
        with unit_of_work(e_inside, plugins=host, clock=lambda: then) as ctx:
            group_sessions.respond_group_session(ctx, g, "tentative")
        assert answered.response_of(outside_anchor) == "accepted"
        # The worker posts the notices the participants could not post themselves.
        with unit_of_work(owner, plugins=host, actor=jobs.JOB_ACTOR, clock=lambda: then) as ctx:
            posted = session_notices.post_pending(ctx)
        assert {p.kind for p in posted} == {"proposed", "accepted", "tentative"}

        # The outsider: nothing, whichever way they ask.
        with e_out.connect() as conn:
            for query in (
                "SELECT count(*) FROM meetings WHERE id = :g",
                "SELECT count(*) FROM meeting_attendees WHERE meeting_id = :g",
                "SELECT count(*) FROM mm_meeting_people(:g)",
                "SELECT count(*) FROM session_notices WHERE meeting_id = :g",
            ):
                assert conn.execute(sa.text(query), {"g": g}).scalar_one() == 0, query
            assert (
                conn.execute(
                    sa.text(
                        "UPDATE meeting_attendees SET response = 'accepted' WHERE meeting_id = :g"
                    ),
                    {"g": g},
                ).rowcount
                == 0
            )
            conn.rollback()
            _refused(
                conn,
                "INSERT INTO meeting_attendees (meeting_id, person_id, response, is_organiser,"
                " created_at) VALUES (:g, :o, 'accepted', false, now())",
                {"g": g, "o": outsider},
            )
            _refused(conn, "SELECT mm_mark_group_meeting(:g, true)", {"g": g})
        with (
            unit_of_work(e_out, plugins=host, clock=lambda: then) as ctx,
            pytest.raises(sessions.SessionError, match="no session"),
        ):
            group_sessions.respond_group_session(ctx, g, "accepted")

        # Afterwards: the mentee outside the anchor logs it (held, through the definer
        # function), the mentor logs too. Notes: shared to attendees, private to the author.
        with unit_of_work(e_outside, plugins=host) as ctx:
            logged = sessions.log_session(
                ctx, g, held=True, private_notes="OUTSIDE-PRIVATE", shared_notes="OUTSIDE-SHARED"
            )
        assert logged.meeting_status == "held"
        with unit_of_work(e_mentor, plugins=host) as ctx:
            sessions.log_session(
                ctx, g, held=True, private_notes="MENTOR-PRIVATE", shared_notes="MENTOR-SHARED"
            )
        for engine, me, theirs in (
            (e_mentor, mentor, "OUTSIDE"),
            (e_inside, inside_anchor, "OUTSIDE"),
            (e_outside, outside_anchor, "MENTOR"),
        ):
            with engine.connect() as conn:
                shared = set(
                    conn.execute(
                        sa.text(
                            "SELECT shared_notes FROM shared_session_logs WHERE meeting_id = :g"
                        ),
                        {"g": g},
                    ).scalars()
                )
                private = conn.execute(
                    sa.text("SELECT private_notes FROM session_logs WHERE meeting_id = :g"),
                    {"g": g},
                ).scalars().all()  # fmt: skip
                columns = conn.execute(
                    sa.text("SELECT column_name FROM information_schema.columns"
                            " WHERE table_name = 'shared_session_logs'")
                ).scalars().all()  # fmt: skip
            assert shared == {"OUTSIDE-SHARED", "MENTOR-SHARED"}, me
            assert f"{theirs}-PRIVATE" not in private  # never a co-attendee's private notes
            assert "private_notes" not in columns
        with e_out.connect() as conn:
            assert (
                conn.execute(
                    sa.text("SELECT count(*) FROM shared_session_logs WHERE meeting_id = :g"),
                    {"g": g},
                ).scalar_one()
                == 0
            )
        with owner.connect() as conn:
            status = conn.execute(
                sa.text("SELECT status FROM meetings WHERE id = :g"), {"g": g}
            ).scalar_one()
            events = set(
                conn.execute(
                    sa.text(
                        "SELECT person_id, kind FROM engagement_events"
                        " WHERE payload ->> 'meeting_id' = :g"
                    ),
                    {"g": str(g)},
                ).all()
            )
        assert status == "held"
        assert {
            (mentor, "session_proposed"),
            (outside_anchor, "session_scheduled"),
            (outside_anchor, "session_held"),
            (mentor, "session_held"),
        } <= {(p, k) for p, k in events}
    finally:
        for engine in engines:
            engine.dispose()
        owner.dispose()
