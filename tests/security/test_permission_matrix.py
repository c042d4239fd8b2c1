"""Every table and view × SELECT/INSERT/UPDATE/DELETE × participant, coordinator of another
program, coordinator of every program and analyst, generated from the catalogue: a relation
nobody wrote a rule for fails.

Each check runs on the login's own connection in a transaction that is rolled back.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import psycopg.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from mentormatch_desktop.storage.security import ANALYTICS_SCHEMA, REFERENCE_TABLES

_spec_path = Path(__file__).with_name("spec.py")
_module_spec = importlib.util.spec_from_file_location("mm_security_spec", _spec_path)
spec = importlib.util.module_from_spec(_module_spec)
sys.modules[_module_spec.name] = spec  # dataclasses look their module up there
_module_spec.loader.exec_module(spec)  # type: ignore[union-attr]

ROLES = ("participant", "coordinator", "coordinator_all", "analyst")


def relations(conn: sa.Connection) -> list[tuple[str, str, str]]:
    """(schema, name, kind) of every table and view the app's schemas hold."""
    return [
        tuple(r)
        for r in conn.execute(
            sa.text(
                "SELECT n.nspname, c.relname, c.relkind FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname IN ('public', :analytics) AND c.relkind IN ('r', 'v', 'm')"
                " ORDER BY 1, 2"
            ),
            {"analytics": ANALYTICS_SCHEMA},
        )
    ]


def expected(role: str, qualified: str) -> spec.Access:
    if qualified.startswith(f"{ANALYTICS_SCHEMA}."):
        return spec.READ_ALL if role == "analyst" else spec.NONE
    table = spec.SPECS[role]
    if qualified not in table:
        if role == "analyst":
            return spec.NONE
        pytest.fail(f"{qualified}: no rule for the {role} role in tests/security/spec.py")
    return table[qualified]


def _refused(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, psycopg.errors.InsufficientPrivilege)


def _owner_count(owner: sa.Connection, qualified: str, pred: str, params: dict) -> int:
    return owner.execute(
        sa.text(f"SELECT count(*) FROM {qualified} WHERE {pred}"), params
    ).scalar_one()


def _columns(owner: sa.Connection, login: str, qualified: str, privilege: str) -> list[str]:
    """Columns of ``qualified`` on which ``login`` holds ``privilege`` (asked as the owner)."""
    schema, name = qualified.split(".")
    return list(
        owner.execute(
            sa.text(
                "SELECT a.attname FROM pg_attribute a"
                " WHERE a.attrelid = CAST(:rel AS regclass) AND a.attnum > 0"
                " AND NOT a.attisdropped"
                " AND has_column_privilege(:login, a.attrelid, a.attnum, :priv)"
                " ORDER BY a.attnum"
            ),
            {"rel": f'"{schema}"."{name}"', "login": login, "priv": privilege},
        ).scalars()
    )


def _attempt(login_engine: sa.Engine, statement: str, params: dict | None = None) -> int | str:
    """Row count of ``statement`` as the login, or 'refused'; always rolled back."""
    with login_engine.connect() as conn:
        try:
            return conn.execute(sa.text(statement), params or {}).rowcount
        except DBAPIError as exc:
            if _refused(exc):
                return "refused"
            if isinstance(exc.orig, psycopg.errors.ForeignKeyViolation):
                return "fk"
            raise
        finally:
            conn.rollback()


def check_relation(world, role: str, schema: str, name: str, kind: str) -> list[str]:
    login = world.login(role)
    qualified = f"{schema}.{name}"
    rule = expected(role, qualified)
    params = {"me": login.person_id, "progs": [world.program_b]}
    problems: list[str] = []
    with world.owner.connect() as owner:
        total = owner.execute(sa.text(f"SELECT count(*) FROM {qualified}")).scalar_one()
        # SELECT: exactly the rows the rule selects.
        cols = _columns(owner, login.name, qualified, "SELECT")
        if not cols:
            seen: int | str = "refused"
        else:
            seen = _attempt(login.engine, f'SELECT "{cols[0]}" FROM {qualified}')
        if rule.select is None:
            if seen not in ("refused", 0):
                problems.append(f"SELECT {qualified}: saw {seen} rows, expected none")
        else:
            want = _owner_count(owner, qualified, rule.select, params)
            if seen != want:
                problems.append(f"SELECT {qualified}: saw {seen} rows, expected {want}")
            if rule.select != "true" and want >= total > 0:
                problems.append(f"SELECT {qualified}: the test data cannot tell (all rows match)")
        if kind == "v":
            for op in ("INSERT", "UPDATE", "DELETE"):
                granted = owner.execute(
                    sa.text("SELECT has_table_privilege(:u, CAST(:r AS regclass), :op)"),
                    {"u": login.name, "r": qualified, "op": op},
                ).scalar_one()
                if granted:
                    problems.append(f"{op} {qualified}: a view must be read-only")
            return problems
        # UPDATE: SET c = c on a column the login may update touches exactly the rule's rows.
        updatable = [c for c in _columns(owner, login.name, qualified, "UPDATE") if c != "id"]
        if updatable:
            col = updatable[0]
            got = _attempt(login.engine, f'UPDATE {qualified} SET "{col}" = "{col}"')
        else:
            got = "refused"
        if rule.update is None:
            if got not in ("refused", 0):
                problems.append(f"UPDATE {qualified}: changed {got} rows, expected none")
        else:
            want = _owner_count(owner, qualified, rule.update, params)
            if got != want:
                problems.append(f"UPDATE {qualified}: changed {got} rows, expected {want}")
        # DELETE: exactly the rule's rows (a foreign key may stop it, which is no leak).
        got = _attempt(login.engine, f"DELETE FROM {qualified}")
        if rule.delete is None:
            if got not in ("refused", 0):
                problems.append(f"DELETE {qualified}: deleted {got} rows, expected none")
        else:
            want = _owner_count(owner, qualified, rule.delete, params)
            if got != want and not (got == "fk" and want > 0):
                problems.append(f"DELETE {qualified}: deleted {got} rows, expected {want}")
        # INSERT: a copy of a row outside the rule (with a fresh id) is refused.
        outside = "true" if rule.insert is None else f"NOT ({rule.insert})"
        if rule.insert != "true":
            row = owner.execute(
                sa.text(f"SELECT to_jsonb(t) FROM {qualified} t WHERE {outside} LIMIT 1"), params
            ).scalar()
            if row is None:
                problems.append(f"INSERT {qualified}: no row outside the rule to try")
            else:
                if "id" in row and isinstance(row["id"], int):
                    row["id"] += 10_000_000
                got = _attempt(
                    login.engine,
                    f"INSERT INTO {qualified} SELECT * FROM"
                    f" jsonb_populate_record(NULL::{qualified}, CAST(:row AS jsonb))",
                    {"row": json.dumps(row)},
                )
                if got != "refused":
                    problems.append(f"INSERT {qualified}: a row outside the rule got {got}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(shared_world, role: str) -> None:
    with shared_world.owner.connect() as conn:
        rels = relations(conn)
    assert len(rels) > 40
    problems = [p for rel in rels for p in check_relation(shared_world, role, *rel)]
    assert not problems, "\n".join(problems)


def test_every_personal_table_forces_row_level_security(shared_world) -> None:
    with shared_world.owner.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname"
                "  AND p.schemaname = 'public'), pg_get_userbyid(c.relowner)"
                " FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
                " AND c.relkind = 'r'"
            )
        ).all()
    missing = [
        name
        for name, rls, force, policies, _ in rows
        if name not in REFERENCE_TABLES and not (rls and force and policies > 0)
    ]
    assert not missing, f"tables with personal data but no forced row-level security: {missing}"
    assert {owner for *_, owner in rows} == {"mentormatch_owner"}
