"""PostgreSQL security for shared deployments: group roles, row-level security, grants.

The rules live in the numbered ``.sql`` files next to this module, applied in name order by
migration 0004 and again by ``mentormatch org init`` (every file is idempotent, so running
them after any upgrade leaves exactly the rules of this version). ``remove.sql`` undoes them
in one database. SQLite has no roles: there the functions here do nothing.

Group roles are cluster-wide; logins (one per person, named in ``people.db_login``) are
members of exactly one of the client roles (a coordinator limited to some programs is in
``mentormatch_program_coordinator``, one of every program in ``mentormatch_coordinator``).
See ``docs/deployment.md``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

SECURITY_DIR = Path(__file__).resolve().parent

OWNER_ROLE = "mentormatch_owner"
COORDINATOR_ROLE = "mentormatch_coordinator"  # coordinates every program
PROGRAM_COORDINATOR_ROLE = "mentormatch_program_coordinator"  # limited by coordinator_programs
PARTICIPANT_ROLE = "mentormatch_participant"
ANALYST_ROLE = "mentormatch_analyst"
CLIENT_ROLES = {
    "participant": PARTICIPANT_ROLE,
    "coordinator": COORDINATOR_ROLE,
    "analyst": ANALYST_ROLE,
}
#: Every group role a login may be a member of (exactly one at a time).
LOGIN_GROUPS = (COORDINATOR_ROLE, PROGRAM_COORDINATOR_ROLE, PARTICIPANT_ROLE, ANALYST_ROLE)
ANALYTICS_SCHEMA = "mm_analytics"

#: Tables without personal data: no row-level security, grants alone decide.
REFERENCE_TABLES = frozenset(
    {
        "alembic_version",
        "departments",
        "skills",
        "skill_categories",
        "skill_aliases",
        "skill_merge_suggestions",
        "text_embeddings",
    }
)


def security_sql_files() -> list[Path]:
    """The files that set up security, in the order they must run."""
    return sorted(SECURITY_DIR.glob("[0-9][0-9]_*.sql"))


def _run_sql(connection: Connection, sql: str) -> None:
    # Straight to psycopg without parameters: no placeholder parsing, so '%' and ':' in the
    # SQL stay as written, and several statements run in one call, in the caller's transaction.
    if not hasattr(connection, "connection"):
        # Alembic's offline mode (`mentormatch db upgrade --sql`): the migration is being
        # printed for a DBA, so print this file's SQL as it is, for them to run in order.
        from alembic import op

        op.get_context().impl.static_output(sql.rstrip() + "\n")
        return
    with connection.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(sql)


def apply_security(connection: Connection) -> bool:
    """Create or refresh roles, policies, views, triggers and grants; False on SQLite."""
    if connection.dialect.name != "postgresql":
        return False
    for path in security_sql_files():
        _run_sql(connection, path.read_text(encoding="utf-8"))
    return True


def remove_security(connection: Connection) -> bool:
    """Undo :func:`apply_security` in this database (group roles stay); False on SQLite."""
    if connection.dialect.name != "postgresql":
        return False
    _run_sql(connection, (SECURITY_DIR / "remove.sql").read_text(encoding="utf-8"))
    return True
