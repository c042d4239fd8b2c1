"""Private strings planted in other people's rows never reach a login that may not read
them, and nothing a client can say changes who the database thinks it is."""

from __future__ import annotations

import psycopg.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from mentormatch_desktop.storage.security import ANALYTICS_SCHEMA
from mentormatch_desktop.testing import refused_by_database


def readable_text(engine: sa.Engine) -> str:
    """Every value of every column the login may select, in every relation, as one text."""
    chunks: list[str] = []
    with engine.connect() as conn:
        columns = conn.execute(
            sa.text(
                "SELECT n.nspname, c.relname, array_agg(quote_ident(a.attname) ORDER BY a.attnum)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                "  AND NOT a.attisdropped"
                " WHERE n.nspname IN ('public', :analytics) AND c.relkind IN ('r', 'v', 'm')"
                " AND has_column_privilege(c.oid, a.attnum, 'SELECT')"
                " GROUP BY 1, 2"
            ),
            {"analytics": ANALYTICS_SCHEMA},
        ).all()
        assert columns, "the login can read nothing at all"
        for schema, name, cols in columns:
            row_text = " || '|' || ".join(f"coalesce({c}::text, '')" for c in cols)
            chunks.extend(
                conn.execute(sa.text(f'SELECT {row_text} FROM "{schema}"."{name}"')).scalars()
            )
    return "\n".join(chunks).lower()


@pytest.mark.parametrize("role", ["participant", "coordinator", "analyst"])
def test_leak_scan_finds_no_private_string(shared_world, role: str) -> None:
    text = readable_text(shared_world.login(role).engine)
    secrets = dict(shared_world.secrets_a)
    secrets.update({f"b_{k}": v for k, v in shared_world.secrets_b.items()})
    leaks = [label for label, value in secrets.items() if value.lower() in text]
    assert leaks == []


def test_coordinator_of_every_program_reads_no_private_text(shared_world) -> None:
    """Names, e-mails and goals are theirs to manage; bodies, private feedback and
    calendars are not."""
    text = readable_text(shared_world.login("coordinator_all").engine)
    a, b = shared_world.secrets_a, shared_world.secrets_b
    private = {"feedback": a["feedback"], "message": a["message"], "calendar": a["calendar"],
               "b_feedback": b["feedback"], "b_message": b["message"],
               "session_note": a["session_note"], "b_session_note": b["session_note"],
               "partner_private": a["partner_private"],
               "unsubscribe": a["unsubscribe"]}  # fmt: skip
    assert [label for label, value in private.items() if value.lower() in text] == []
    assert a["email"].lower() in text and a["goal"].lower() in text


def test_the_owner_does_see_the_planted_strings(shared_world) -> None:
    """The scan would find them: it is the roles that hide them."""
    text = readable_text(shared_world.owner)
    for value in [*shared_world.secrets_a.values(), *shared_world.secrets_b.values()]:
        assert value.lower() in text


def test_coordinator_reads_own_programs_non_private_rows(shared_world) -> None:
    with shared_world.login("coordinator").engine.connect() as conn:
        programs = conn.execute(sa.text("SELECT id FROM programs")).scalars().all()
        mentorships = conn.execute(sa.text("SELECT count(*) FROM mentorships")).scalar_one()
        body = conn.execute(sa.text("SELECT count(*) FROM messages")).scalar_one()
        with pytest.raises(DBAPIError) as denied:
            conn.execute(sa.text("SELECT body FROM messages"))
    assert programs == [shared_world.program_b]
    assert mentorships > 0 and body > 0
    assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege)


def test_set_role_to_anyone_else_is_refused(shared_world) -> None:
    participant = shared_world.login("participant")
    others = [
        shared_world.login("coordinator").name,
        "mentormatch_coordinator",
        "mentormatch_owner",
        "postgres",
    ]
    for role in others:
        assert refused_by_database(participant.engine, f'SET ROLE "{role}"'), role
        assert refused_by_database(
            participant.engine, "SELECT set_config('role', :r, false)", {"r": role}
        )


def test_custom_settings_do_not_change_who_i_am(shared_world) -> None:
    participant = shared_world.login("participant")
    with participant.engine.connect() as conn:
        for setting in ("mentormatch.person_id", "app.user", "request.jwt.claim.sub"):
            conn.execute(
                sa.text("SELECT set_config(:s, :v, false)"),
                {"s": setting, "v": str(shared_world.victim_a)},
            )
        assert conn.execute(sa.text("SELECT mm_current_person()")).scalar_one() == (
            participant.person_id
        )
        assert conn.execute(sa.text("SELECT array_agg(id) FROM people")).scalar_one() == [
            participant.person_id
        ]


def test_definer_functions_are_not_for_everyone(shared_world) -> None:
    participant = shared_world.login("participant")
    analyst = shared_world.login("analyst")
    victim = shared_world.victim_a
    for fn in (
        "mm_coordinated_programs()",
        "mm_coordinated_people()",
        "mm_hidden_people()",
        f"mm_enrolled_anywhere({victim})",
    ):
        assert refused_by_database(participant.engine, f"SELECT {fn}"), fn
    for fn in (
        "mm_directory_rows()",
        "mm_person_names(ARRAY[1])",
        "mm_person_addresses(ARRAY[1])",
        "mm_my_threads()",
        "mm_my_mentorships()",
    ):
        assert refused_by_database(analyst.engine, f"SELECT * FROM {fn}"), fn
    # The participant's own helpers take no person: they answer for the caller only.
    with participant.engine.connect() as conn:
        mine = conn.execute(sa.text("SELECT mm_my_mentorships()")).scalar_one()
        others = conn.execute(
            sa.text("SELECT count(*) FROM mentorships WHERE id <> ALL(:m)"), {"m": mine}
        ).scalar_one()
    assert mine and others == 0


def test_joining_someone_elses_thread_is_refused(shared_world) -> None:
    participant = shared_world.login("participant")
    with shared_world.owner.connect() as owner:
        thread = owner.execute(
            sa.text(
                "SELECT thread_id FROM thread_participants GROUP BY thread_id"
                " HAVING bool_and(person_id <> :me) LIMIT 1"
            ),
            {"me": participant.person_id},
        ).scalar_one()
    assert refused_by_database(
        participant.engine,
        "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
        " VALUES (:t, :me, now(), false)",
        {"t": thread, "me": participant.person_id},
    )
    assert refused_by_database(
        participant.engine,
        "INSERT INTO messages (thread_id, sender_id, kind, body, created_at)"
        " VALUES (:t, :me, 'text', 'hello', now())",
        {"t": thread, "me": participant.person_id},
    )


def test_identity_columns_are_the_owners_alone(shared_world) -> None:
    participant = shared_world.login("participant")
    coordinator = shared_world.login("coordinator")
    assert refused_by_database(
        participant.engine,
        "UPDATE people SET db_login = 'x' WHERE id = :me",
        {"me": participant.person_id},
    )
    with shared_world.owner.connect() as owner:
        someone = owner.execute(
            sa.text(
                "SELECT person_id FROM enrolments WHERE program_id = :b AND person_id <> :me"
                " LIMIT 1"
            ),
            {"b": shared_world.program_b, "me": coordinator.person_id},
        ).scalar_one()
    for column, value in (("db_login", coordinator.name), ("app_role", "coordinator")):
        assert refused_by_database(
            coordinator.engine,
            f"UPDATE people SET {column} = :v WHERE id = :p",
            {"v": value, "p": someone},
        ), column


def test_audit_rows_carry_the_database_actor(shared_world) -> None:
    coordinator = shared_world.login("coordinator")
    with shared_world.owner.connect() as owner:
        someone = owner.execute(
            sa.text("SELECT person_id FROM enrolments WHERE program_id = :b LIMIT 1"),
            {"b": shared_world.program_b},
        ).scalar_one()
    with coordinator.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor_id, actor_login, action, entity_type, details)"
                " VALUES (now(), :v, 'someone_else', 'forged', 'x', '{}')"
            ),
            {"v": shared_world.victim_a},
        )
        conn.execute(
            sa.text("UPDATE people SET title = 'Renamed by coordinator' WHERE id = :p"),
            {"p": someone},
        )
    with shared_world.owner.connect() as owner:
        forged = owner.execute(
            sa.text("SELECT actor_id, actor_login FROM audit_log WHERE action = 'forged'")
        ).one()
        change = owner.execute(
            sa.text(
                "SELECT actor_id, actor_login, details FROM audit_log"
                " WHERE action = 'db.update' AND entity_type = 'people' AND entity_id = :p"
            ),
            {"p": str(someone)},
        ).one()
    assert tuple(forged) == (coordinator.person_id, coordinator.name)
    assert change.actor_id == coordinator.person_id and change.actor_login == coordinator.name
    assert change.details["db_role"] == "mentormatch_program_coordinator"
    assert "title" in change.details["columns"]


def test_analyst_workbench_runs_on_pseudonymised_views(shared_world) -> None:
    from mentormatch_desktop.workbench import connect

    analyst = shared_world.login("analyst")
    bench = connect(analyst.url)
    try:
        facts = bench.mentorships()
        dashboard = bench.dashboard()
        with bench.engine.connect() as conn:
            assert refused_by_database(analyst.engine, "SELECT email FROM public.people")
            total = conn.execute(sa.text("SELECT count(*) FROM mentorships")).scalar_one()
    finally:
        bench.engine.dispose()
    with shared_world.owner.connect() as owner:
        assert total == owner.execute(sa.text("SELECT count(*) FROM mentorships")).scalar_one()
    assert facts.height > 0 and dashboard is not None
    assert all(name.startswith("Person ") for name in facts["mentor"].to_list())
    assert all(name.startswith("Person ") for name in facts["mentee"].to_list())


def test_participant_edits_own_profile_and_writes_in_own_thread(shared_world) -> None:
    participant = shared_world.login("participant")
    me = participant.person_id
    with participant.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE people SET bio = 'I like mentoring' WHERE id = :me"), {"me": me}
        )
        thread = conn.execute(
            sa.text("SELECT thread_id FROM thread_participants WHERE person_id = :me LIMIT 1"),
            {"me": me},
        ).scalar_one()
        message = conn.execute(
            sa.text(
                "INSERT INTO messages (thread_id, sender_id, kind, body, created_at)"
                " VALUES (:t, :me, 'text', 'see you Tuesday', now()) RETURNING id"
            ),
            {"t": thread, "me": me},
        ).scalar_one()
        directory = conn.execute(sa.text("SELECT count(*) FROM directory")).scalar_one()
    with shared_world.owner.connect() as owner:
        assert (
            owner.execute(sa.text("SELECT bio FROM people WHERE id = :me"), {"me": me}).scalar_one()
            == "I like mentoring"
        )
        assert (
            owner.execute(
                sa.text("SELECT sender_id FROM messages WHERE id = :m"), {"m": message}
            ).scalar_one()
            == me
        )
        active = owner.execute(sa.text("SELECT count(*) FROM people WHERE is_active")).scalar_one()
    assert directory == active


def test_person_names_answer_exactly_what_the_directory_does(shared_world) -> None:
    """``mm_person_names`` (the inbox's fast name lookup) is the directory cut to some ids:
    the same people (active ones only) for every role that may read the directory."""
    with shared_world.owner.connect() as owner:
        inactive = owner.execute(
            sa.text("UPDATE people SET is_active = false WHERE id = :v RETURNING id"),
            {"v": shared_world.victim_b},
        ).scalar_one()
        owner.commit()
        ids = owner.execute(sa.text("SELECT array_agg(id) FROM people")).scalar_one()
    try:
        for role in ("participant", "coordinator", "coordinator_all"):
            with shared_world.login(role).engine.connect() as conn:
                names = conn.execute(
                    sa.text("SELECT id, full_name FROM mm_person_names(:ids) ORDER BY id"),
                    {"ids": ids},
                ).all()
                directory = conn.execute(
                    sa.text("SELECT id, full_name FROM directory ORDER BY id")
                ).all()
                # The preferred names' lookup answers exactly the same people.
                addresses = conn.execute(
                    sa.text("SELECT id, full_name FROM mm_person_addresses(:ids) ORDER BY id"),
                    {"ids": ids},
                ).all()
            assert names == directory == addresses, role
            assert inactive not in {i for i, _ in names}
    finally:
        with shared_world.owner.connect() as owner:
            owner.execute(
                sa.text("UPDATE people SET is_active = true WHERE id = :v"), {"v": inactive}
            )
            owner.commit()
