"""The definer helpers of ``87_rls_helpers.sql``, called in raw SQL on a participant's own
login: they reach the partner and the programs' coordinators, and nobody else — a stranger
reads exactly like nobody at all — and busy time comes back as bare intervals of the
people one schedules with only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox, outbox, sessions
from mentormatch_desktop.services.context import resolve_actor, unit_of_work
from mentormatch_desktop.services.identity import who_am_i
from mentormatch_desktop.services.org import grant_login
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.testing import refused_by_database

NOWHERE = 2_000_000_000  # an id no person has


def _scalar(engine: sa.Engine, query: str, **params: object) -> object:
    with engine.begin() as conn:
        return conn.execute(sa.text(query), params).scalar()


@pytest.fixture(scope="module")
def partner(shared_world) -> tuple[int, str]:
    """The participant's partner in a running mentorship (id, e-mail)."""
    me = shared_world.login("participant").person_id
    with shared_world.owner.connect() as conn:
        pid, email = conn.execute(
            sa.text(
                "SELECT p.id, p.email FROM mentorships m JOIN people p ON p.id = m.mentor_id"
                " WHERE m.mentee_id = :me AND m.status = 'active' ORDER BY m.id LIMIT 1"
            ),
            {"me": me},
        ).one()
    return int(pid), str(email)


def _email(shared_world, person: int) -> str:
    return str(_scalar(shared_world.owner, "SELECT email FROM people WHERE id = :p", p=person))


def _threads(shared_world) -> int:
    return int(_scalar(shared_world.owner, "SELECT count(*) FROM threads"))


def test_addressing_finds_the_partner_and_no_stranger(shared_world, partner) -> None:
    participant = shared_world.login("participant")
    partner_id, partner_email = partner
    ask = "SELECT mm_messageable_person(:e)"
    assert _scalar(participant.engine, ask, e=partner_email) == partner_id
    assert _scalar(participant.engine, ask, e=f"  {partner_email.upper()} ") == partner_id
    # Strangers (another program's mentee, someone in one's own program who is not one's
    # partner), oneself and an address nobody has: the same NULL.
    me_email = _email(shared_world, participant.person_id)
    for probe in (
        shared_world.secrets_a["email"],  # victim A, in the participant's own program
        _email(shared_world, shared_world.victim_b),
        me_email,
        f"nobody.{shared_world.token}@example.org",
        "%",
        "",
    ):
        assert _scalar(participant.engine, ask, e=probe) is None, probe


def test_coordinators_of_ones_programs_are_reachable(shared_world) -> None:
    participant = shared_world.login("participant")
    everywhere = shared_world.login("coordinator_all")
    of_b = shared_world.login("coordinator")
    ask = "SELECT mm_messageable_person(:e)"
    assert _scalar(participant.engine, ask, e=_email(shared_world, everywhere.person_id)) == (
        everywhere.person_id
    )
    in_b = _scalar(
        shared_world.owner,
        "SELECT count(*) FROM enrolments WHERE person_id = :p AND program_id = :b"
        " AND status = 'active'",
        p=participant.person_id,
        b=shared_world.program_b,
    )
    expected = of_b.person_id if in_b else None
    assert _scalar(participant.engine, ask, e=_email(shared_world, of_b.person_id)) == expected
    # Victim A is listed in coordinator_programs for program A, but is no coordinator
    # (app_role participant): a stale row does not make them reachable.
    assert _scalar(participant.engine, ask, e=shared_world.secrets_a["email"]) is None


def test_opening_a_conversation_with_a_stranger_writes_nothing(shared_world) -> None:
    participant = shared_world.login("participant")
    before = _threads(shared_world)
    for person in (shared_world.victim_a, shared_world.victim_b, NOWHERE,
                   participant.person_id):  # fmt: skip
        for subject in (None, "hello"):
            tid = _scalar(participant.engine, "SELECT mm_thread_with(:p, :s)", p=person, s=subject)
            assert tid is None, (person, subject)
    assert _threads(shared_world) == before


def test_opening_the_partners_conversation_once(shared_world, partner) -> None:
    participant = shared_world.login("participant")
    partner_id, _ = partner
    first = _scalar(participant.engine, "SELECT mm_thread_with(:p, NULL)", p=partner_id)
    again = _scalar(participant.engine, "SELECT mm_thread_with(:p, '  ')", p=partner_id)
    assert first is not None and first == again
    with participant.engine.connect() as conn:
        kind, ms = conn.execute(
            sa.text("SELECT kind, mentorship_id FROM threads WHERE id = :t"), {"t": first}
        ).one()
        members = set(
            conn.execute(
                sa.text("SELECT person_id FROM thread_participants WHERE thread_id = :t"),
                {"t": first},
            ).scalars()
        )
    own = _scalar(
        shared_world.owner,
        "SELECT id FROM mentorships WHERE mentee_id = :me AND mentor_id = :p"
        " AND status = 'active' ORDER BY started_at DESC, id DESC LIMIT 1",
        me=participant.person_id,
        p=partner_id,
    )
    # The mentorship's own thread (the demo writes those with kind 'direct').
    assert ms == own and kind in ("mentorship", "direct")
    assert members == {participant.person_id, partner_id}
    named = _scalar(participant.engine, "SELECT mm_thread_with(:p, 'Books')", p=partner_id)
    assert named not in (None, first)
    assert _scalar(shared_world.owner, "SELECT subject FROM threads WHERE id = :t", t=named) == (
        "Books"
    )


def test_helpers_are_granted_deliberately(shared_world, partner) -> None:
    partner_id, partner_email = partner
    for role in ("coordinator", "coordinator_all", "analyst"):
        engine = shared_world.login(role).engine
        assert refused_by_database(
            engine, "SELECT mm_messageable_person(:e)", {"e": partner_email}
        ), role
        assert refused_by_database(engine, "SELECT mm_thread_with(:p, NULL)", {"p": partner_id}), (
            role
        )
    participant = shared_world.login("participant").engine
    assert refused_by_database(participant, "SELECT mm_may_message(:p)", {"p": partner_id})
    # Queuing deliveries stays the worker's: a participant writes no outbox row.
    assert refused_by_database(
        participant,
        "INSERT INTO message_deliveries (message_id, recipient_id, channel, topic,"
        " idempotency_key, status, attempts, last_error, created_at)"
        " SELECT id, :p, 'email', 'new_message', 'forged', 'pending', 0, '', now()"
        " FROM messages LIMIT 1",
        {"p": partner_id},
    )


def test_a_participants_message_is_fanned_out_by_the_worker(shared_world, partner) -> None:
    """Through the services on the participant's own login: the message is written with
    fanout_pending, and the worker's fan-out (as the owner) queues the partner's deliveries."""
    participant = shared_world.login("participant")
    partner_id, partner_email = partner
    host = PluginHost(autoload=False).load()
    with unit_of_work(participant.engine, plugins=host) as ctx:
        assert inbox.person_by_email(ctx, shared_world.secrets_a["email"]) is None
        other = inbox.person_by_email(ctx, partner_email)
        assert other == partner_id
        thread = inbox.thread_with(ctx, other)
        sent = inbox.send_message(ctx, thread.id, "See you Tuesday")
        with pytest.raises(inbox.MessagingError, match=f"no person with id {NOWHERE}"):
            inbox.thread_with(ctx, NOWHERE)
    assert sent.fanout_pending and sent.deliveries == 0
    q = "SELECT count(*) FROM message_deliveries WHERE message_id = :m"
    assert _scalar(shared_world.owner, q, m=sent.message_id) == 0
    assert _scalar(
        shared_world.owner, "SELECT last_message_at IS NOT NULL FROM threads WHERE id = :t",
        t=sent.thread_id,
    )  # fmt: skip
    with unit_of_work(shared_world.owner, plugins=host) as ctx:
        assert outbox.fan_out(ctx) >= 1
    with shared_world.owner.connect() as conn:
        recipients = conn.execute(
            sa.text("SELECT DISTINCT recipient_id FROM message_deliveries WHERE message_id = :m"),
            {"m": sent.message_id},
        ).scalars()
        assert set(recipients) == {partner_id}
        assert not conn.execute(
            sa.text("SELECT fanout_pending FROM messages WHERE id = :m"), {"m": sent.message_id}
        ).scalar()


def test_busy_intervals_only_for_people_one_schedules_with(shared_world, partner) -> None:
    participant = shared_world.login("participant")
    partner_id, _ = partner
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    with shared_world.owner.begin() as conn:
        # The partner's session in another mentorship (the participant cannot read it),
        # and a stranger's session at the same time.
        others = []
        for person in (partner_id, shared_world.victim_a):
            ms = conn.execute(
                sa.text(
                    "SELECT id FROM mentorships WHERE (mentor_id = :p OR mentee_id = :p)"
                    " AND :me NOT IN (mentor_id, mentee_id) ORDER BY id LIMIT 1"
                ),
                {"p": person, "me": participant.person_id},
            ).scalar()
            if ms is None:  # the partner mentors nobody else: give them a mentee
                mentee = shared_world.victim_b
                ms = conn.execute(
                    sa.text(
                        "INSERT INTO mentorships (program_id, mentor_id, mentee_id, status,"
                        " match_score, started_at, end_reason, created_at)"
                        " SELECT program_id, :p, :e, 'completed', 0.5, now(), '', now()"
                        " FROM mentorships WHERE mentor_id = :p LIMIT 1 RETURNING id"
                    ),
                    {"p": person, "e": mentee},
                ).scalar_one()
            others.append(
                conn.execute(
                    sa.text(
                        "INSERT INTO meetings (mentorship_id, organiser_id, starts_at, ends_at,"
                        " time_zone, status, location, agenda, notes, external_refs,"
                        " created_at) VALUES (:m, :p, :s, :e, 'UTC', 'scheduled', '',"
                        " 'SECRET AGENDA', '', '{}', now()) RETURNING id"
                    ),
                    {"m": ms, "p": person, "s": start, "e": start + timedelta(hours=1)},
                ).scalar_one()
            )
    with participant.engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT count(*) FROM meetings WHERE id = ANY(:ids)"), {"ids": others}
        ).scalar() == 0  # fmt: skip
        rows = (
            conn.execute(
                sa.text(
                    "SELECT * FROM mm_busy_intervals(CAST(:ids AS integer[]), :a, :b, NULL)"
                    " WHERE kind = 'session'"
                ),
                {
                    "ids": [partner_id, shared_world.victim_a, shared_world.victim_b, NOWHERE],
                    "a": start - timedelta(days=1),
                    "b": start + timedelta(days=1),
                },
            )
            .mappings()
            .all()
        )
    assert list(rows[0].keys()) == [
        "person_id", "kind", "starts_at", "ends_at", "rrule", "time_zone",
    ]  # fmt: skip
    assert {r["person_id"] for r in rows} == {partner_id}
    assert (rows[0]["starts_at"], rows[0]["ends_at"]) == (start, start + timedelta(hours=1))
    # Nor do strangers' calendars show.
    with participant.engine.connect() as conn:
        cal = conn.execute(
            sa.text(
                "SELECT count(*) FROM mm_busy_intervals(CAST(:ids AS integer[]),"
                " now() - interval '1 day', now() + interval '1 day', NULL)"
                " WHERE person_id <> :me"
            ),
            {"ids": [shared_world.victim_a], "me": participant.person_id},
        ).scalar()
    assert cal == 0
    assert refused_by_database(
        shared_world.login("analyst").engine,
        "SELECT * FROM mm_busy_intervals(ARRAY[1], now(), now(), NULL)",
    )

    # The scheduling service on the participant's login refuses the clash it could not see.
    host = PluginHost(autoload=False).load()
    own = _scalar(
        shared_world.owner,
        "SELECT id FROM mentorships WHERE mentee_id = :me AND mentor_id = :p"
        " AND status = 'active' ORDER BY id LIMIT 1",
        me=participant.person_id,
        p=partner_id,
    )
    with (
        unit_of_work(participant.engine, plugins=host) as ctx,
        pytest.raises(sessions.SessionError, match="clashes with another session"),
    ):
        sessions.propose_session(ctx, own, start + timedelta(minutes=30), 60)
    with unit_of_work(participant.engine, plugins=host) as ctx:
        free = sessions.propose_session(ctx, own, start + timedelta(hours=2), 60)
    assert free.status == "proposed"


def test_a_login_holds_exactly_one_group_role(shared_world, login_names) -> None:
    """`org grant` leaves one group role; a second one granted by hand makes the login
    nobody to the database and a clear refusal to the app, until `org grant` repairs it."""
    name = f"mmt{uuid.uuid4().hex[:10]}_one"
    login_names.append(name)
    person = shared_world.victim_b
    email = _email(shared_world, person)
    host = PluginHost(autoload=False).load()

    def grant(role: str) -> None:
        with unit_of_work(shared_world.owner, plugins=host) as ctx:
            grant_login(ctx, email, role, password=f"pw-{name}", login=name)

    def groups() -> list[str]:
        with shared_world.owner.connect() as conn:
            return sorted(
                conn.execute(
                    sa.text(
                        "SELECT g.rolname FROM pg_auth_members m"
                        " JOIN pg_roles g ON g.oid = m.roleid"
                        " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"
                    ),
                    {"n": name},
                ).scalars()
            )

    grant("participant")
    engine = create_engine(
        make_url(shared_world.url).set(username=name, password=f"pw-{name}").render_as_string(False)
    )
    try:
        for role, group in (
            ("analyst", "mentormatch_analyst"),
            ("coordinator", "mentormatch_coordinator"),
            ("participant", "mentormatch_participant"),
        ):
            grant(role)
            assert groups() == [group]
        me = "SELECT mm_current_person()"
        assert _scalar(engine, me) == person
        assert resolve_actor(engine).person_id == person

        with shared_world.owner.begin() as conn:  # a second group, by hand
            conn.execute(sa.text(f'GRANT mentormatch_analyst TO "{name}"'))
        assert _scalar(engine, me) is None
        assert _scalar(engine, "SELECT count(*) FROM people") == 0  # not even oneself
        with pytest.raises(FieldError, match="holds several MentorMatch roles"):
            resolve_actor(engine)
        with (
            engine.connect() as conn,
            Session(bind=conn) as session,
            pytest.raises(FieldError, match="mentormatch org grant"),
        ):
            who_am_i(session)

        grant("participant")  # the repair
        assert groups() == ["mentormatch_participant"]
        assert _scalar(engine, me) == person
        assert resolve_actor(engine).person_id == person
    finally:
        engine.dispose()


def test_a_participants_deleted_message_is_never_delivered(shared_world, partner) -> None:
    """The sender has no privilege on the outbox: deleting cancels nothing directly, the
    worker skips or cancels instead."""
    participant = shared_world.login("participant")
    partner_id, _ = partner
    host = PluginHost(autoload=False).load()
    with unit_of_work(participant.engine, plugins=host) as ctx:
        thread = inbox.thread_with(ctx, partner_id)
        early = inbox.send_message(ctx, thread.id, "typo, deleting at once")
        late = inbox.send_message(ctx, thread.id, "deleted after fan-out")
    with unit_of_work(participant.engine, plugins=host) as ctx:
        inbox.delete_message(ctx, early.message_id)
    with unit_of_work(shared_world.owner, plugins=host) as ctx:
        outbox.fan_out(ctx)
    with unit_of_work(participant.engine, plugins=host) as ctx:
        inbox.delete_message(ctx, late.message_id)
    q = "SELECT id FROM message_deliveries WHERE message_id = :m"
    with shared_world.owner.connect() as conn:
        assert conn.execute(sa.text(q), {"m": early.message_id}).scalars().all() == []
        queued = conn.execute(sa.text(q), {"m": late.message_id}).scalars().all()
    assert queued
    with unit_of_work(shared_world.owner, plugins=host) as ctx:
        assert outbox.load(ctx, queued) == []
    with shared_world.owner.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT DISTINCT status FROM message_deliveries WHERE message_id = :m"),
            {"m": late.message_id},
        ).scalars()
        assert set(statuses) == {"cancelled"}
