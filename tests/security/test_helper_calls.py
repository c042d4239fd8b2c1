"""The security helpers look the acting person up once per call, not once per row.

A helper written as ``FROM (SELECT mm_current_person() AS me)`` or with a bare helper call
in its WHERE clause has that call pulled up into the per-row filter: a program
coordinator's ``mm_coordinated_people()`` called ``mm_current_person()`` for every person
of the organisation (320 ms a policy check on the 20,000-person demo). These tests count
the calls PostgreSQL records for the current transaction (``track_functions``), on the
real logins of the shared world, so they do not depend on timing or on the machine's load.
"""

from __future__ import annotations

import sqlalchemy as sa


def _calls_as(world, login: str, statement: str, *functions: str) -> tuple[object, dict]:
    """Run ``statement`` as ``login`` (SET ROLE from the superuser owner connection, which
    ``mm_current_login()`` reads) and return its first value and the number of calls of
    each of ``functions`` made by it."""
    # The view holds counts not yet flushed, which may include earlier transactions of
    # this backend; nothing is flushed inside a transaction, so the difference is exact.
    counts = sa.text(
        "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname = ANY (:names)"
    )
    with world.owner.connect() as conn:  # one transaction (autobegun), rolled back
        conn.execute(sa.text("SET LOCAL track_functions = 'all'"))
        before = dict(conn.execute(counts, {"names": list(functions)}).all())
        conn.execute(sa.text(f'SET LOCAL ROLE "{world.login(login).name}"'))
        value = conn.execute(sa.text(statement)).scalar()
        conn.execute(sa.text("RESET ROLE"))
        after = dict(conn.execute(counts, {"names": list(functions)}).all())
        conn.rollback()
    return value, {name: after.get(name, 0) - before.get(name, 0) for name in functions}


def test_my_mentorships_asks_who_once(shared_world) -> None:
    me = shared_world.login("participant").person_id
    with shared_world.owner.connect() as conn:
        expected = sorted(
            conn.execute(
                sa.text("SELECT id FROM mentorships WHERE :me IN (mentor_id, mentee_id)"),
                {"me": me},
            ).scalars()
        )
    assert expected, "the participant has mentorships in the demo"
    value, calls = _calls_as(
        shared_world, "participant", "SELECT mm_my_mentorships()", "mm_current_person"
    )
    assert sorted(value) == expected
    assert calls["mm_current_person"] == 1


def test_coordinated_people_asks_who_once_not_per_person(shared_world) -> None:
    value, calls = _calls_as(
        shared_world,
        "coordinator",
        "SELECT cardinality(mm_coordinated_people())",
        "mm_current_person",
        "mm_coordinated_programs",
    )
    assert value and value > 2  # program B's people, the unenrolled and themselves
    # One call of its own and one inside mm_coordinated_programs(), whatever the head count.
    assert calls["mm_current_person"] == 2
    assert calls["mm_coordinated_programs"] == 1


def test_shared_session_logs_evaluate_helpers_once(shared_world) -> None:
    value, calls = _calls_as(
        shared_world,
        "participant",
        "SELECT count(*) FROM mm_shared_session_logs()",
        "mm_my_mentorships",
        "mm_my_meetings",
        "mm_is_owner",
    )
    with shared_world.owner.connect() as conn:
        logs = conn.execute(sa.text("SELECT count(*) FROM session_logs")).scalar_one()
    assert logs > 2 and value and value >= 2  # both halves of the participant's own session
    assert calls["mm_my_mentorships"] == 1
    assert calls["mm_my_meetings"] <= 1
    assert calls["mm_is_owner"] <= 1


def test_busy_intervals_compute_a_coordinators_people_once(shared_world) -> None:
    with shared_world.owner.connect() as conn:
        people = list(conn.execute(sa.text("SELECT id FROM people ORDER BY id LIMIT 6")).scalars())
    asked = "ARRAY[" + ",".join(str(p) for p in people) + "]::integer[]"
    _, calls = _calls_as(
        shared_world,
        "coordinator",
        f"SELECT count(*) FROM mm_busy_intervals({asked}, now() - interval '30 days',"
        " now() + interval '30 days', NULL)",
        "mm_coordinated_people",
        "mm_current_person",
    )
    assert calls["mm_coordinated_people"] == 1
    assert calls["mm_current_person"] <= 3  # its own, and the two of mm_coordinated_people
