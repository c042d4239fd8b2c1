"""Sessions between two real participant logins on PostgreSQL, through the services, each
on a unit of work over their own login connection (row-level security in force): a third
participant sees none of it, and the partner reads the shared half of a log only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.models import Meeting


def test_two_participants_book_and_log_a_session_a_third_sees_nothing(
    pg_demo_url: str, participant_login
) -> None:
    host = PluginHost(autoload=False).load()
    owner = create_engine(pg_demo_url)
    engines: list[Engine] = []
    try:
        with owner.connect() as conn:
            ms, mentor, mentee, mentor_email, mentee_email = conn.execute(
                sa.text(
                    "SELECT m.id, m.mentor_id, m.mentee_id, r.email, e.email FROM mentorships m"
                    " JOIN people r ON r.id = m.mentor_id JOIN people e ON e.id = m.mentee_id"
                    " WHERE m.status = 'active' ORDER BY m.id LIMIT 1"
                )
            ).one()
            _third, third_email = conn.execute(
                sa.text(
                    "SELECT p.id, p.email FROM people p WHERE p.is_active"
                    " AND p.id NOT IN (:a, :b) ORDER BY p.id LIMIT 1"
                ),
                {"a": mentor, "b": mentee},
            ).one()
        e_mentee, e_mentor, e_third = (
            participant_login(owner, pg_demo_url, email)
            for email in (mentee_email, mentor_email, third_email)
        )
        engines += [e_mentee, e_mentor, e_third]
        start = (datetime.now(UTC) + timedelta(days=400)).replace(
            hour=12, minute=0, second=0, microsecond=0
        )

        # The mentee proposes on their own login; the actor comes from the database.
        with unit_of_work(e_mentee, plugins=host) as ctx:
            assert (ctx.actor.person_id, ctx.actor.role) == (mentee, AppRole.PARTICIPANT)
            proposed = sessions.propose_session(ctx, ms, start, 60, agenda="Kick-off")
        assert proposed.status == "proposed" and proposed.proposed_by_id == mentee

        # The third participant can neither see nor answer it.
        with unit_of_work(e_third, plugins=host) as ctx:
            assert ctx.session.get(Meeting, proposed.id) is None
            with pytest.raises(sessions.SessionError, match="no session"):
                sessions.accept_session(ctx, proposed.id)

        # The mentor accepts on their own login: the invitation names both people.
        with unit_of_work(e_mentor, plugins=host) as ctx:
            accepted = sessions.accept_session(ctx, proposed.id)
            event = sessions.session_event(ctx, ctx.session.get(Meeting, proposed.id))
        assert accepted.status == "scheduled" and accepted.sequence == 1
        assert {event.organizer.email, *(a.email for a in event.attendees)} == {
            mentee_email,
            mentor_email,
        }

        # The mentee logs it afterwards (the clock says the session is over).
        later = start + timedelta(hours=2)
        with unit_of_work(e_mentee, plugins=host, clock=lambda: later) as ctx:
            logged = sessions.log_session(
                ctx,
                proposed.id,
                held=True,
                private_notes="PRIVATE-ONLY-MINE",
                shared_notes="We set three goals",
                rating=5,
            )
        assert logged.meeting_status == "held" and logged.feedback_id is not None

        with e_mentor.connect() as conn:
            shared = conn.execute(
                sa.text("SELECT author_id, shared_notes, rating FROM shared_session_logs"
                        " WHERE meeting_id = :g"), {"g": proposed.id}
            ).all()  # fmt: skip
            own_rows = conn.execute(
                sa.text("SELECT count(*) FROM session_logs WHERE meeting_id = :g"),
                {"g": proposed.id},
            ).scalar_one()
        assert [tuple(r) for r in shared] == [(mentee, "We set three goals", 5)]
        assert own_rows == 0  # the partner never reads the row (with its private notes)
        with e_mentee.connect() as conn:
            mine = conn.execute(
                sa.text("SELECT private_notes FROM session_logs WHERE meeting_id = :g"),
                {"g": proposed.id},
            ).scalars().all()  # fmt: skip
        assert mine == ["PRIVATE-ONLY-MINE"]
        with e_third.connect() as conn:
            for query in (
                "SELECT count(*) FROM meetings WHERE id = :g",
                "SELECT count(*) FROM shared_session_logs WHERE meeting_id = :g",
                "SELECT count(*) FROM session_logs WHERE meeting_id = :g",
                "SELECT count(*) FROM mm_mentorship_people(:ms)",
            ):
                assert conn.execute(sa.text(query), {"g": proposed.id, "ms": ms}).scalar() == 0
            with pytest.raises(DBAPIError) as denied:
                conn.execute(sa.text("SELECT count(*) FROM audit_log"))
            assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege)

        # Audit rows name the logins the database saw; events were written for both sides.
        with owner.connect() as conn:
            audit = conn.execute(
                sa.text(
                    "SELECT action, actor_id, details ->> 'db_role' FROM audit_log"
                    " WHERE entity_type = 'meeting' AND entity_id = :g ORDER BY id"
                ),
                {"g": str(proposed.id)},
            ).all()
            events = conn.execute(
                sa.text(
                    "SELECT person_id, kind FROM engagement_events"
                    " WHERE mentorship_id = :ms AND payload ->> 'meeting_id' = :g"
                ),
                {"ms": ms, "g": str(proposed.id)},
            ).all()
        actions = [(a, actor) for a, actor, _ in audit]
        assert ("session.propose", mentee) in actions
        assert ("session.accept", mentor) in actions
        assert ("session.log", mentee) in actions
        assert {role for *_, role in audit} == {"mentormatch_participant"}
        assert {(p, k) for p, k in events} >= {
            (mentee, "session_proposed"),
            (mentee, "session_scheduled"),
            (mentor, "session_scheduled"),
            (mentee, "session_held"),
        }
    finally:
        for engine in engines:
            engine.dispose()
        owner.dispose()


def test_a_participant_cannot_forge_audit_rows_or_a_partners_log(
    pg_demo_url: str, login_names: list[str], participant_login
) -> None:
    owner = create_engine(pg_demo_url)
    try:
        with owner.connect() as conn:
            mentee, email, meeting = conn.execute(
                sa.text(
                    "SELECT m.mentee_id, p.email, g.id FROM mentorships m"
                    " JOIN people p ON p.id = m.mentee_id JOIN meetings g ON g.mentorship_id = m.id"
                    " WHERE m.status = 'active' ORDER BY m.id LIMIT 1"
                )
            ).one()
            mentor = conn.execute(
                sa.text("SELECT mentor_id FROM mentorships m JOIN meetings g"
                        " ON g.mentorship_id = m.id WHERE g.id = :g"), {"g": meeting}
            ).scalar_one()  # fmt: skip
        engine = participant_login(owner, pg_demo_url, email)
        try:
            with engine.connect() as conn:
                with pytest.raises(DBAPIError) as denied:
                    conn.execute(
                        sa.text(
                            "INSERT INTO audit_log (at, actor_id, actor_login, action,"
                            " entity_type, details) VALUES (now(), 1, 'x', 'a', 'b', '{}')"
                        )
                    )
                assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege)
                conn.rollback()
                with pytest.raises(DBAPIError) as forged:
                    conn.execute(
                        sa.text(
                            "INSERT INTO session_logs (meeting_id, author_id, held,"
                            " private_notes, shared_notes, next_steps, logged_at, created_at)"
                            " VALUES (:g, :a, true, '', '', '[]', now(), now())"
                        ),
                        {"g": meeting, "a": mentor},
                    )
                assert isinstance(forged.value.orig, psycopg.errors.InsufficientPrivilege)
                conn.rollback()
            # The definer function writes the row, with the actor the database knows.
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "SELECT mm_record_audit(now() - interval '9 days', 1, 'someone',"
                        " 'probe', 'meeting', '1', '{}')"
                    )
                )
        finally:
            engine.dispose()
        with owner.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT actor_id, actor_login, details ->> 'db_role' FROM audit_log"
                    " WHERE action = 'probe'"
                )
            ).all()
        assert [tuple(r) for r in rows] == [(mentee, login_names[-1], "mentormatch_participant")]
    finally:
        owner.dispose()
