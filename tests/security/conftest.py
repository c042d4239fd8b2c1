"""A demo organisation on PostgreSQL with three real logins, and private rows planted in it.

Roles are cluster-wide while the test databases are many, so every login made here has a
name unique to its database (``mmt<token>_participant`` …) and is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.org import grant_login
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.testing import (
    REQUIRE_POSTGRES_ENV,
    DatabaseFactory,
    DemoInfo,
    _demo_builder,
    drop_logins,
)


@dataclass
class Login:
    role: str
    name: str
    person_id: int
    url: str
    engine: Engine


@dataclass
class SharedWorld:
    """Who is who in the shared test database, and the strings nobody else may read."""

    url: str
    owner: Engine
    token: str
    program_a: int  # the participant's program
    program_b: int  # the only program the coordinator coordinates
    victim_a: int  # someone in program A only, not the participant's partner
    victim_b: int  # a mentee in program B
    group_a: int = 0  # victim A's group conversation (the participant is not in it)
    logins: dict[str, Login] = field(default_factory=dict)
    secrets_a: dict[str, str] = field(default_factory=dict)  # private rows of victim A
    secrets_b: dict[str, str] = field(default_factory=dict)  # private to B's members

    def login(self, role: str) -> Login:
        return self.logins[role]


def _postgres_factory(database_factories: dict[str, object]) -> DatabaseFactory:
    factory = database_factories["postgresql"]
    if isinstance(factory, str):
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(factory)
        pytest.skip(factory)
    assert isinstance(factory, DatabaseFactory)
    return factory


def _one(conn: sa.Connection, query: str, **params: object) -> int:
    value = conn.execute(sa.text(query), params).scalar()
    assert value is not None, f"the demo has no row for: {query}"
    return int(value)


def _plant(conn: sa.Connection, world: SharedWorld, participant: int) -> None:
    """Private rows of victim A (program A) and of program B's members."""
    t = world.token
    a, b = world.victim_a, world.victim_b
    sa_ = world.secrets_a
    sa_.update(
        email=f"leak.email.{t}@example.org",
        goal=f"LEAKGOAL{t}",
        note=f"LEAKNOTE{t}",
        feedback=f"LEAKFEEDBACK{t}",
        message=f"LEAKMESSAGE{t}",
        calendar=f"LEAKCALENDAR{t}",
        contact=f"LEAKCONTACT{t}",
    )
    world.secrets_b.update(feedback=f"LEAKBFEEDBACK{t}", message=f"LEAKBMESSAGE{t}")
    x = lambda q, **p: conn.execute(sa.text(q), p)  # noqa: E731
    x("UPDATE people SET email = :e WHERE id = :a", e=sa_["email"], a=a)
    x(
        "INSERT INTO goals (person_id, title, description, status, created_at)"
        " VALUES (:a, :g, '', 'open', now())",
        a=a,
        g=sa_["goal"],
    )
    ms_a = _one(conn, "SELECT id FROM mentorships WHERE mentee_id = :a ORDER BY id LIMIT 1", a=a)
    mentor_a = _one(conn, "SELECT mentor_id FROM mentorships WHERE id = :m", m=ms_a)
    x(
        "INSERT INTO meetings (mentorship_id, organiser_id, starts_at, ends_at, time_zone,"
        " status, location, agenda, notes, external_refs, created_at) VALUES (:m, :a, now(),"
        " now() + interval '1 hour', 'UTC', 'held', '', '', :n, '{}', now())",
        m=ms_a,
        a=a,
        n=sa_["note"],
    )
    x(
        "INSERT INTO feedback (mentorship_id, author_id, rating, comment, is_private, created_at)"
        " VALUES (:m, :a, 2, :c, true, now())",
        m=ms_a,
        a=a,
        c=sa_["feedback"],
    )
    thread = conn.execute(
        sa.text(
            # A mentorship has one thread (the demo may have made it already).
            "INSERT INTO threads (subject, mentorship_id, program_id, created_at)"
            " VALUES ('private', :m, :p, now()) ON CONFLICT (mentorship_id)"
            " DO UPDATE SET subject = EXCLUDED.subject RETURNING id"
        ),
        {"m": ms_a, "p": world.program_a},
    ).scalar_one()
    for person in {a, mentor_a}:
        x(
            "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
            " VALUES (:t, :p, now(), false) ON CONFLICT DO NOTHING",
            t=thread,
            p=person,
        )
    x(
        "INSERT INTO messages (thread_id, sender_id, kind, body, created_at)"
        " VALUES (:t, :a, 'text', :b, now())",
        t=thread,
        a=a,
        b=sa_["message"],
    )
    cal = conn.execute(
        sa.text(
            "INSERT INTO calendar_connections (person_id, provider, account, settings,"
            " sync_state, created_at) VALUES (:a, 'ics', :c, '{}', '{}', now()) RETURNING id"
        ),
        {"a": a, "c": sa_["calendar"]},
    ).scalar_one()
    x(
        "INSERT INTO busy_blocks (person_id, connection_id, starts_at, ends_at, source_uid)"
        " VALUES (:a, :c, now(), now() + interval '1 hour', :u)",
        a=a,
        c=cal,
        u=sa_["calendar"],
    )
    x(
        "INSERT INTO contact_channels (person_id, channel, address, enabled, settings)"
        " VALUES (:a, 'slack', :c, true, '{}')",
        a=a,
        c=sa_["contact"],
    )
    # The participant's own calendar, so "own rows" are seen in those tables too.
    own_cal = conn.execute(
        sa.text(
            "INSERT INTO calendar_connections (person_id, provider, account, settings,"
            " sync_state, created_at) VALUES (:p, 'ics', 'mine', '{}', '{}', now()) RETURNING id"
        ),
        {"p": participant},
    ).scalar_one()
    x(
        "INSERT INTO busy_blocks (person_id, connection_id, starts_at, ends_at)"
        " VALUES (:p, :c, now(), now() + interval '1 hour')",
        p=participant,
        c=own_cal,
    )
    # Program B: a private feedback and a message body its coordinator must not read.
    ms_b = _one(conn, "SELECT id FROM mentorships WHERE mentee_id = :b ORDER BY id LIMIT 1", b=b)
    x(
        "INSERT INTO feedback (mentorship_id, author_id, rating, comment, is_private, created_at)"
        " VALUES (:m, :b, 5, :c, true, now())",
        m=ms_b,
        b=b,
        c=world.secrets_b["feedback"],
    )
    thread_b = conn.execute(
        sa.text(
            # A mentorship has one thread (the demo may have made it already).
            "INSERT INTO threads (subject, mentorship_id, program_id, created_at)"
            " VALUES ('b', :m, :p, now()) ON CONFLICT (mentorship_id)"
            " DO UPDATE SET subject = EXCLUDED.subject RETURNING id"
        ),
        {"m": ms_b, "p": world.program_b},
    ).scalar_one()
    x(
        "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
        " VALUES (:t, :b, now(), false) ON CONFLICT DO NOTHING",
        t=thread_b,
        b=b,
    )
    x(
        "INSERT INTO messages (thread_id, sender_id, kind, body, created_at)"
        " VALUES (:t, :b, 'text', :m, now())",
        t=thread_b,
        b=b,
        m=world.secrets_b["message"],
    )
    _plant_scheduling(conn, world, participant, ms_a, ms_b)
    _plant_notifications(conn, world, participant)
    _plant_groups(conn, world, participant, mentor_a)
    # Rows in the tables the demo leaves empty, so the matrix sees something in each.
    x("INSERT INTO coordinator_programs VALUES (:a, :p)", a=a, p=world.program_a)
    skill = _one(conn, "SELECT min(id) FROM skills")
    x(
        "INSERT INTO skill_merge_suggestions (label, skill_id, similarity, method, status,"
        " created_at) VALUES ('pyton', :s, 0.9, 'alias', 'pending', now())",
        s=skill,
    )
    x(
        "INSERT INTO text_embeddings (model, text_hash, dim, vector, created_at)"
        " VALUES ('m', :h, 1, '\\x00000000', now())",
        h="0" * 64,
    )


def _plant_groups(conn: sa.Connection, world: SharedWorld, participant: int, mentor_a: int) -> None:
    """Group conversations (migration 0012): one the participant started with their partner,
    and victim A's peer circle (with A's mentor) that the participant is not in."""
    world.secrets_a["group"] = f"LEAKGROUP{world.token}"
    partner = _one(
        conn,
        "SELECT mentor_id FROM mentorships WHERE mentee_id = :p AND status = 'active'"
        " ORDER BY id LIMIT 1",
        p=participant,
    )
    for creator, members, body in (
        (participant, (participant, partner), "our circle"),
        (world.victim_a, (world.victim_a, mentor_a), world.secrets_a["group"]),
    ):
        thread = conn.execute(
            sa.text(
                "INSERT INTO threads (kind, subject, created_by_id, created_at)"
                " VALUES ('group', 'circle', :c, now()) RETURNING id"
            ),
            {"c": creator},
        ).scalar_one()
        for person in members:
            conn.execute(
                sa.text(
                    "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
                    " VALUES (:t, :p, now(), false)"
                ),
                {"t": thread, "p": person},
            )
        conn.execute(
            sa.text(
                "INSERT INTO messages (thread_id, sender_id, kind, body, created_at)"
                " VALUES (:t, :c, 'text', :b, now())"
            ),
            {"t": thread, "c": creator, "b": body},
        )
    world.group_a = thread


def _plant_notifications(conn: sa.Connection, world: SharedWorld, participant: int) -> None:
    """Messaging (migration 0005): preferences of three people, both programs' defaults,
    and an unsubscribe token nobody but the owner may read."""
    world.secrets_a["unsubscribe"] = f"leaktoken{world.token}"
    for person in (participant, world.victim_a, world.victim_b):
        conn.execute(
            sa.text(
                "INSERT INTO notification_preferences (person_id, channel, topic, enabled,"
                " updated_at) VALUES (:p, 'email', 'new_message', false, now())"
            ),
            {"p": person},
        )
    for program in (world.program_a, world.program_b):
        conn.execute(
            sa.text(
                "INSERT INTO program_notification_defaults (program_id, channel, topic, enabled)"
                " VALUES (:p, 'slack', 'new_message', true)"
            ),
            {"p": program},
        )
    conn.execute(
        sa.text(
            "INSERT INTO unsubscribe_tokens (token, person_id, channel, topic, created_at)"
            " VALUES (:t, :p, 'email', '*', now())"
        ),
        {"t": world.secrets_a["unsubscribe"], "p": world.victim_a},
    )
    conn.execute(
        sa.text(
            "INSERT INTO worker_heartbeats (worker_id, hostname, pid, version, jobs,"
            " poll_seconds, started_at, beat_at, last_error, totals)"
            " VALUES ('planted@host', 'host', 1, 'test', 'outbox', 2, now(), now(), '', '{}')"
        )
    )


def _plant_scheduling(
    conn: sa.Connection, world: SharedWorld, participant: int, ms_a: int, ms_b: int
) -> None:
    """Scheduling rows (migration 0006): the participant's own, their partner's log of a
    shared session, and victim A's and B's private session notes."""
    t = world.token
    world.secrets_a["session_note"] = f"LEAKSESSIONNOTE{t}"
    world.secrets_b["session_note"] = f"LEAKBSESSIONNOTE{t}"
    world.secrets_a["partner_private"] = f"LEAKPARTNERNOTE{t}"  # the participant's partner
    x = lambda q, **p: conn.execute(sa.text(q), p)  # noqa: E731
    for person in (participant, world.victim_a, world.victim_b):
        x(
            "INSERT INTO availability_exceptions (person_id, first_day, last_day, available,"
            " note) VALUES (:p, current_date, current_date + 2, false, 'away')",
            p=person,
        )
        x(
            "INSERT INTO scheduling_preferences (person_id, work_start_minute, work_end_minute,"
            " work_weekdays, min_notice_minutes, buffer_minutes)"
            " VALUES (:p, 540, 1020, '0,1,2,3,4', 720, 10)",
            p=person,
        )
    ms_own, partner = conn.execute(
        sa.text(
            "SELECT id, mentor_id FROM mentorships WHERE mentee_id = :p AND status = 'active'"
            " ORDER BY id LIMIT 1"
        ),
        {"p": participant},
    ).one()

    def meeting(ms: int, organiser: int) -> int:
        return int(
            conn.execute(
                sa.text(
                    "INSERT INTO meetings (mentorship_id, organiser_id, starts_at, ends_at,"
                    " time_zone, status, location, agenda, notes, external_refs, created_at)"
                    " VALUES (:m, :o, now() - interval '2 hours', now() - interval '1 hour',"
                    " 'UTC', 'held', '', '', '', '{}', now()) RETURNING id"
                ),
                {"m": ms, "o": organiser},
            ).scalar_one()
        )

    def log(meeting_id: int, author: int, private: str) -> None:
        x(
            "INSERT INTO session_logs (meeting_id, author_id, held, private_notes, shared_notes,"
            " rating, next_steps, logged_at, created_at)"
            " VALUES (:g, :a, true, :n, 'shared', 4, '[]', now(), now())",
            g=meeting_id,
            a=author,
            n=private,
        )

    def notice(meeting_id: int, actor: int | None, kind: str) -> None:
        x(
            "INSERT INTO session_notices (meeting_id, kind, occurrence_at, sequence, actor_id,"
            " details, ics, created_at) VALUES (:g, :k, now(), 0, :a, '{}', '', now())",
            g=meeting_id,
            a=actor,
            k=kind,
        )

    own = meeting(ms_own, participant)
    log(own, participant, "my own private note")
    log(own, partner, world.secrets_a["partner_private"])
    meeting_a, meeting_b = meeting(ms_a, world.victim_a), meeting(ms_b, world.victim_b)
    log(meeting_a, world.victim_a, world.secrets_a["session_note"])
    log(meeting_b, world.victim_b, world.secrets_b["session_note"])
    # Session notices (0008): the participant's own change, their partner's, a reminder,
    # and notices of other people's sessions in each program.
    notice(own, participant, "proposed")
    notice(own, partner, "accepted")
    notice(own, None, "reminder_24h")
    notice(meeting_a, world.victim_a, "proposed")
    notice(meeting_b, world.victim_b, "proposed")
    _plant_group_sessions(conn, world, participant, ms_a, ms_b, log)


def _plant_group_sessions(
    conn: sa.Connection,
    world: SharedWorld,
    participant: int,
    ms_a: int,
    ms_b: int,
    log: Callable[[int, int, str], None],
) -> None:
    """Group sessions (migration 0013): one the participant attends although its anchor
    mentorship is other people's (program A), one they are not invited to (program B);
    each with a co-attendee's log whose private notes must stay the author's."""
    t = world.token
    world.secrets_a["group_private"] = f"LEAKGROUPNOTE{t}"
    world.secrets_b["group_private"] = f"LEAKBGROUPNOTE{t}"
    x = lambda q, **p: conn.execute(sa.text(q), p)  # noqa: E731

    def group(ms: int, people: list[int]) -> int:
        organiser = people[0]
        meeting_id = int(
            conn.execute(
                sa.text(
                    "INSERT INTO meetings (mentorship_id, organiser_id, starts_at, ends_at,"
                    " time_zone, status, location, agenda, notes, external_refs, created_at,"
                    " is_group) VALUES (:m, :o, now() - interval '3 hours',"
                    " now() - interval '2 hours', 'UTC', 'held', '', 'circle', '', '{}', now(),"
                    " true) RETURNING id"
                ),
                {"m": ms, "o": organiser},
            ).scalar_one()
        )
        for person in people:
            x(
                "INSERT INTO meeting_attendees (meeting_id, person_id, response, is_organiser,"
                " created_at) VALUES (:g, :p, :r, :o, now())",
                g=meeting_id,
                p=person,
                r="accepted" if person == organiser else "needs-action",
                o=person == organiser,
            )
            x(
                "INSERT INTO session_notices (meeting_id, kind, occurrence_at, sequence,"
                " actor_id, details, ics, created_at, recipient_id)"
                " VALUES (:g, 'reminder_1h', now(), 0, NULL, '{}', '', now(), :p)",
                g=meeting_id,
                p=person,
            )
        return meeting_id

    mentor_a = _one(conn, "SELECT mentor_id FROM mentorships WHERE id = :m", m=ms_a)
    mentor_b = _one(conn, "SELECT mentor_id FROM mentorships WHERE id = :m", m=ms_b)
    attended = group(ms_a, [mentor_a, participant])
    log(attended, mentor_a, world.secrets_a["group_private"])
    other = group(ms_b, [world.victim_b, mentor_b])
    log(other, world.victim_b, world.secrets_b["group_private"])


def _pick_people(conn: sa.Connection) -> tuple[int, int, int, int, int]:
    """(participant, program A, program B, victim A, victim B) from the demo."""
    participant, program_a = conn.execute(
        sa.text(
            "SELECT m.mentee_id, m.program_id FROM mentorships m"
            " WHERE m.status = 'active' AND EXISTS (SELECT 1 FROM thread_participants tp"
            "   JOIN messages g ON g.thread_id = tp.thread_id WHERE tp.person_id = m.mentee_id)"
            " ORDER BY m.id LIMIT 1"
        )
    ).one()
    program_b = _one(
        conn,
        "SELECT m.program_id FROM mentorships m WHERE m.program_id <> :a"
        " GROUP BY m.program_id ORDER BY count(*) DESC LIMIT 1",
        a=program_a,
    )
    victim_a = _one(
        conn,
        "SELECT m.mentee_id FROM mentorships m WHERE m.program_id = :a"
        " AND m.mentee_id <> :p AND m.mentor_id <> :p"
        " AND NOT EXISTS (SELECT 1 FROM mentorships o WHERE (o.mentee_id = :p OR o.mentor_id = :p)"
        "   AND m.mentee_id IN (o.mentee_id, o.mentor_id))"
        " AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = m.mentee_id"
        "   AND e.program_id <> :a)"
        " AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = m.mentor_id"
        "   AND e.program_id = :b)"
        " ORDER BY m.id LIMIT 1",
        a=program_a,
        p=participant,
        b=program_b,
    )
    victim_b = _one(
        conn,
        "SELECT m.mentee_id FROM mentorships m WHERE m.program_id = :b AND m.mentee_id <> :p"
        " ORDER BY m.id LIMIT 1",
        b=program_b,
        p=participant,
    )
    return int(participant), int(program_a), program_b, victim_a, victim_b


def _new_person(conn: sa.Connection, email: str, name: str) -> int:
    return int(
        conn.execute(
            sa.text(
                "INSERT INTO people (email, full_name, seniority, years_experience, time_zone,"
                " bio, app_role, is_active, attributes, created_at, updated_at)"
                " VALUES (:e, :n, 3, 5, 'UTC', '', 'participant', true, '{}', now(), now())"
                " RETURNING id"
            ),
            {"e": email, "n": name},
        ).scalar_one()
    )


@pytest.fixture(scope="module")
def shared_world(
    database_factories: dict[str, object], demo_info: DemoInfo
) -> Iterator[SharedWorld]:
    """The demo on PostgreSQL with a participant, a coordinator of another program and an
    analyst, each logged in through an engine of their own."""
    factory = _postgres_factory(database_factories)
    template = factory.template("demo", _demo_builder(demo_info))
    url = factory.create(template=template)
    owner = create_engine(url)
    token = uuid.uuid4().hex[:10]
    with owner.begin() as conn:
        participant, program_a, program_b, victim_a, victim_b = _pick_people(conn)
        coordinator = _new_person(conn, f"coord.{token}@example.org", "Coordinator of B")
        coordinator_all = _new_person(conn, f"all.{token}@example.org", "Coordinator of all")
        analyst = _new_person(conn, f"analyst.{token}@example.org", "Analyst")
        participant_email = conn.execute(
            sa.text("SELECT email FROM people WHERE id = :p"), {"p": participant}
        ).scalar_one()
        world = SharedWorld(
            url=url,
            owner=owner,
            token=token,
            program_a=program_a,
            program_b=program_b,
            victim_a=victim_a,
            victim_b=victim_b,
        )
        _plant(conn, world, participant)
    people = {  # key: (person, e-mail, role granted, programs)
        "participant": (participant, participant_email, "participant", []),
        "coordinator": (coordinator, f"coord.{token}@example.org", "coordinator",
                        [str(program_b)]),
        "coordinator_all": (coordinator_all, f"all.{token}@example.org", "coordinator", []),
        "analyst": (analyst, f"analyst.{token}@example.org", "analyst", []),
    }  # fmt: skip
    created: list[str] = []
    try:
        for key, (person_id, email, role, programs) in people.items():
            name = f"mmt{token}_{key}"
            password = f"pw-{token}-{key}"
            with unit_of_work(owner, plugins=PluginHost()) as ctx:
                grant_login(ctx, email, role, programs=programs, password=password, login=name)
            created.append(name)
            login_url = (
                make_url(url)
                .set(username=name, password=password)
                .render_as_string(hide_password=False)
            )
            world.logins[key] = Login(key, name, person_id, login_url, create_engine(login_url))
        yield world
    finally:
        for login in world.logins.values():
            login.engine.dispose()
        owner.dispose()
        drop_logins(created)


@pytest.fixture
def pg_demo_url(database_factories: dict[str, object], demo_info: DemoInfo) -> str:
    """A fresh copy of the demo organisation on PostgreSQL (security applied by 0004)."""
    factory = _postgres_factory(database_factories)
    return factory.create(template=factory.template("demo", _demo_builder(demo_info)))


@pytest.fixture
def pg_empty_url(database_factories: dict[str, object]) -> str:
    """A PostgreSQL database with no tables at all."""
    return _postgres_factory(database_factories).create(prefix="empty")


@pytest.fixture
def participant_login(login_names: list[str]) -> Callable[[Engine, str, str], Engine]:
    """``participant_login(owner, url, email)``: give that person a participant login of
    their own (dropped after the test) and an engine connected as it, so a step runs
    under their row-level security exactly as their desktop app would. The caller
    disposes the engine."""
    host = PluginHost(autoload=False).load()

    def login(owner: Engine, url: str, email: str) -> Engine:
        name = f"mmt{uuid.uuid4().hex[:10]}"
        with unit_of_work(owner, plugins=host) as ctx:
            grant_login(ctx, email, "participant", password=f"pw-{name}", login=name)
        login_names.append(name)
        return create_engine(
            make_url(url).set(username=name, password=f"pw-{name}").render_as_string(False)
        )

    return login
