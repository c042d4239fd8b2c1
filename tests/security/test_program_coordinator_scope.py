"""A coordinator limited to some programs sees exactly the people of the rule, and the
policies that say so are hashed once per statement, not evaluated row by row.

The rule (20_policies.sql): the people enrolled in one of their programs, the people
enrolled nowhere, and themselves. Its policies once tested ``person_id = ANY (array)`` with
an array of every visible person, walked for each row (0.7 s to count the demo's 20,000
people), and the people policy called ``mm_enrolled_anywhere()`` for each person outside
it. Neither shows in a result, only in time; these tests look at the call counts
(``track_functions``) and at the plan's shape instead, on the shared world's coordinator of
program B, so they do not depend on the machine's load.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

# Tables whose program-coordinator policy tests the person a row belongs to.
PERSON_KEYED = (
    "people",
    "person_languages",
    "availability_slots",
    "contact_channels",
    "person_skills",
    "goals",
    "pair_preferences",
    "availability_exceptions",
    "scheduling_preferences",
    "notification_preferences",
    "engagement_events",
)

# Who the coordinator may see, written out for the owner from the rule itself.
RULE = """
    SELECT p.id FROM people p
    WHERE p.id = :me
       OR EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.program_id = :b)
       OR NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id)"""


def _as_coordinator(world, statement: str, params: dict | None = None) -> list:
    """Rows of ``statement`` run as the coordinator of program B (rolled back)."""
    with world.login("coordinator").engine.connect() as conn:
        try:
            return list(conn.execute(sa.text(statement), params or {}).all())
        finally:
            conn.rollback()


def _calls(world, statement: str, *functions: str) -> dict[str, int]:
    """Calls of each of ``functions`` made by ``statement`` run as the coordinator (SET
    ROLE on the owner's connection, which ``mm_current_login()`` reads; the transaction's
    own counts, which nothing flushes before it ends)."""
    counts = sa.text(
        "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname = ANY (:names)"
    )
    with world.owner.connect() as conn:
        conn.execute(sa.text("SET LOCAL track_functions = 'all'"))
        before = dict(conn.execute(counts, {"names": list(functions)}).all())
        conn.execute(sa.text(f'SET LOCAL ROLE "{world.login("coordinator").name}"'))
        conn.execute(sa.text(statement)).all()
        conn.execute(sa.text("RESET ROLE"))
        after = dict(conn.execute(counts, {"names": list(functions)}).all())
        conn.rollback()
    return {name: after.get(name, 0) - before.get(name, 0) for name in functions}


def _filters(plan: dict) -> list[str]:
    """Every filter and index condition of a JSON plan, its sub-plans included."""
    found = [plan[key] for key in ("Filter", "Index Cond", "Recheck Cond") if key in plan]
    for child in plan.get("Plans", []):
        found.extend(_filters(child))
    return found


def test_the_coordinator_sees_exactly_the_rules_people(shared_world) -> None:
    me = shared_world.login("coordinator").person_id
    with shared_world.owner.connect() as conn:
        expected = sorted(
            conn.execute(sa.text(RULE), {"me": me, "b": shared_world.program_b}).scalars()
        )
        skilled = sorted(
            conn.execute(
                sa.text(
                    f"SELECT DISTINCT person_id FROM person_skills WHERE person_id IN ({RULE})"
                ),
                {"me": me, "b": shared_world.program_b},
            ).scalars()
        )
    people = sorted(r[0] for r in _as_coordinator(shared_world, "SELECT id FROM people"))
    assert people == expected
    assert shared_world.victim_b in people and shared_world.victim_a not in people
    assert me in people
    seen = _as_coordinator(shared_world, "SELECT DISTINCT person_id FROM person_skills")
    assert sorted(r[0] for r in seen) == skilled
    # The helper the policies no longer use still answers the same set.
    assert sorted(_as_coordinator(shared_world, "SELECT unnest(mm_coordinated_people())")) == [
        (p,) for p in expected
    ]


def test_the_coordinator_writes_exactly_the_rules_people(shared_world) -> None:
    engine = shared_world.login("coordinator").engine
    touch = sa.text("UPDATE people SET title = title WHERE id = :p")
    with engine.connect() as conn:
        try:
            assert conn.execute(touch, {"p": shared_world.victim_b}).rowcount == 1
            assert conn.execute(touch, {"p": shared_world.victim_a}).rowcount == 0
            # Someone new is enrolled nowhere, so theirs to add and then to enrol.
            new_id = conn.execute(
                sa.text(
                    "INSERT INTO people (email, full_name, seniority, years_experience,"
                    " time_zone, bio, app_role, is_active, attributes, created_at, updated_at)"
                    " VALUES ('new.scope@example.org', 'New Person', 1, 1, 'UTC', '',"
                    " 'participant', true, '{}', now(), now()) RETURNING id"
                )
            ).scalar_one()
            assert conn.execute(touch, {"p": new_id}).rowcount == 1
        finally:
            conn.rollback()
    with engine.connect() as conn:
        try:
            with pytest.raises(DBAPIError, match="row-level security"):
                conn.execute(
                    sa.text(
                        "UPDATE person_skills SET person_id = :a"
                        " WHERE id = (SELECT min(id) FROM person_skills WHERE person_id = :b)"
                    ),
                    {"a": shared_world.victim_a, "b": shared_world.victim_b},
                )
        finally:
            conn.rollback()


def test_reading_people_calls_no_helper_per_row(shared_world) -> None:
    calls = _calls(
        shared_world,
        "SELECT count(*) FROM people",
        "mm_enrolled_anywhere",
        "mm_hidden_people",
        "mm_coordinated_people",
    )
    # Once per statement, whatever the head count; never once per person.
    assert calls == {"mm_enrolled_anywhere": 0, "mm_hidden_people": 1, "mm_coordinated_people": 0}


@pytest.mark.parametrize("table", PERSON_KEYED)
def test_person_policies_probe_a_hashed_set(shared_world, table: str) -> None:
    (plan,) = _as_coordinator(shared_world, f"EXPLAIN (FORMAT JSON) SELECT * FROM {table}")[0]
    conditions = _filters((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    assert any("hashed SubPlan" in c for c in conditions), conditions
    # An "= ANY ($n)" on a parameter is an array known only at run time, walked per row.
    assert not any("person_id = ANY ($" in c or "(id = ANY ($" in c for c in conditions), conditions
