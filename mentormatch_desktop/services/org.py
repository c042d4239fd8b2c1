"""Shared deployments: prepare a PostgreSQL database, give people logins, take them away.

A person's login is a PostgreSQL role named in ``people.db_login`` and a member of exactly
one client group role (participant, coordinator of every program, coordinator of some
programs, or analyst); the row-level security in
``storage/security`` does the rest. These services run as the database owner (a superuser
or a member of ``mentormatch_owner`` with CREATEROLE): nobody else may create roles or set
``db_login`` (a trigger refuses it).

Passwords never reach the server in clear: the SCRAM-SHA-256 verifier is computed here and
sent instead, so neither the server log nor ``pg_stat_activity`` ever holds the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.storage.models import CoordinatorProgram, Person, Program
from mentormatch_desktop.storage.security import (
    ANALYTICS_SCHEMA,
    CLIENT_ROLES,
    LOGIN_GROUPS,
    OWNER_ROLE,
    PROGRAM_COORDINATOR_ROLE,
    apply_security,
)

APP_ROLES = {
    "participant": AppRole.PARTICIPANT,
    "coordinator": AppRole.COORDINATOR,
    "analyst": AppRole.ANALYST,
}
_LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)


class OrgError(FieldError):
    """A shared-deployment request that cannot be carried out; ``field`` names the input."""


@dataclass(frozen=True)
class GrantResult:
    email: str
    login: str
    role: str
    created: bool
    programs: tuple[str, ...]
    # Set when every login on the server may still connect to this database: it was
    # prepared with `db upgrade` (or restored) but never with `org init`.
    open_to_all_logins: bool = False


def prepare_shared_database(url: str, engine: Engine) -> int:
    """Migrate to the newest schema and (re)apply every security rule; returns the number
    of tables under row-level security. Safe to run again after every upgrade."""
    if engine.dialect.name != "postgresql":
        raise OrgError("database", "a shared deployment needs PostgreSQL; SQLite stays single-user")
    upgrade(url, engine=engine)
    with engine.begin() as conn:
        apply_security(conn)
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_class WHERE relforcerowsecurity"
                    " AND relnamespace = current_schema()::regnamespace"
                )
            ).scalar_one()
        )


_MAY_MANAGE_DATABASE = sa.text(
    "SELECT r.rolsuper OR pg_has_role(current_user, d.datdba, 'MEMBER')"
    " FROM pg_roles r, pg_database d"
    " WHERE r.rolname = current_user AND d.datname = current_database()"
)


def restrict_connect(engine: Engine) -> str | None:
    """Let only this database's own logins (and the owner role) connect to it.

    Group roles are cluster-wide, and PostgreSQL lets PUBLIC connect to every new
    database: a participant login of *another* MentorMatch database on the same server
    could otherwise connect here and, as a member of ``mentormatch_participant``, read
    this organisation's ``directory``. So CONNECT (and TEMPORARY) is revoked from PUBLIC
    and granted to ``mentormatch_owner`` and to every login named in ``people.db_login``;
    :func:`grant_login` and :func:`revoke_login` keep it so. Returns a warning (nothing
    changed) when the caller neither owns the database nor is a superuser."""
    with engine.begin() as conn:
        if not conn.execute(_MAY_MANAGE_DATABASE).scalar():
            database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
            return (
                f"connections to {database} were not restricted to its own logins: only its "
                "owner or a superuser may (run `mentormatch org init` as one of them)"
            )
        raw = conn.connection.dbapi_connection
        database = sql.Identifier(conn.execute(sa.text("SELECT current_database()")).scalar_one())
        logins = conn.execute(
            sa.text(
                "SELECT p.db_login FROM people p JOIN pg_roles r ON r.rolname = p.db_login"
                " ORDER BY 1"
            )
        ).scalars()
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database)
            )
            for role in (OWNER_ROLE, *logins):
                cursor.execute(
                    sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                        database, sql.Identifier(role)
                    )
                )
    return None


def _connect_privilege(ctx: ServiceContext, login: str, *, grant: bool) -> None:
    """GRANT (or REVOKE) CONNECT on this database to one login, when we may."""
    if not ctx.session.execute(_MAY_MANAGE_DATABASE).scalar():
        return  # then org init could not restrict CONNECT either: PUBLIC still has it
    database = sql.Identifier(ctx.session.scalar(sa.text("SELECT current_database()")))
    template = (
        "GRANT CONNECT ON DATABASE {} TO {}" if grant else ("REVOKE CONNECT ON DATABASE {} FROM {}")
    )
    _execute(ctx, sql.SQL(template).format(database, sql.Identifier(login)))


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 secret PostgreSQL stores for ``password`` (RFC 5802 / 7677)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def login_for_email(email: str) -> str:
    """A role name derived from an e-mail address: ``ana.lima@x.org`` → ``ana_lima``."""
    local = email.split("@", 1)[0].lower()
    name = re.sub(r"[^a-z0-9_]+", "_", local).strip("_") or "person"
    if not re.match(r"[a-z_]", name[0]):
        name = "p_" + name
    return name[:63]


def _execute(ctx: ServiceContext, statement: sql.Composable) -> None:
    raw = ctx.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(statement)


def _require_postgres(ctx: ServiceContext) -> None:
    if ctx.session.get_bind().dialect.name != "postgresql":
        raise OrgError("database", "logins exist only on a shared PostgreSQL database")


def _person(ctx: ServiceContext, email: str) -> Person:
    person = ctx.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
    ).one_or_none()
    if person is None:
        raise OrgError("email", f"no person with e-mail {email!r} in this database")
    return person


def _check_login(ctx: ServiceContext, login: str, person: Person) -> bool:
    """Refuse names that would hand someone a powerful role; True if the role exists."""
    if not _LOGIN_RE.match(login) or login.startswith("pg_") or login.startswith("mentormatch_"):
        raise OrgError(
            "login",
            f"{login!r} is not a usable login name (lower-case letters, digits and _; "
            "not pg_… or mentormatch_…)",
        )
    taken = ctx.session.scalar(
        sa.select(Person.email).where(Person.db_login == login, Person.id != person.id)
    )
    if taken is not None:
        raise OrgError("login", f"login {login!r} already belongs to {taken}")
    row = ctx.session.execute(
        sa.text(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls,"
            " pg_has_role(oid, :owner, 'MEMBER') FROM pg_roles WHERE rolname = :login"
        ),
        {"login": login, "owner": OWNER_ROLE},
    ).one_or_none()
    if row is not None and (row[0] or row[1]):
        raise OrgError("login", f"role {login!r} has administrative rights; choose another name")
    return row is not None


def _program_ids(ctx: ServiceContext, programs: list[str]) -> list[tuple[int, str]]:
    found = []
    for ref in programs:
        cond = Program.id == int(ref) if ref.isdigit() else Program.name == ref
        program = ctx.session.scalars(sa.select(Program).where(cond)).one_or_none()
        if program is None:
            raise OrgError("program", f"no program {ref!r}")
        found.append((program.id, program.name))
    return found


def grant_login(
    ctx: ServiceContext,
    email: str,
    role: str,
    *,
    programs: list[str] | None = None,
    password: str | None = None,
    login: str | None = None,
) -> GrantResult:
    """Create or update ``email``'s login and make it a member of exactly ``role``.

    ``programs`` limits a coordinator to those programs (names or ids; none = all programs).
    ``password`` (if given) is stored as a SCRAM-SHA-256 verifier. ``login`` defaults to the
    person's current ``db_login``, else a name derived from the e-mail address.
    """
    _require_postgres(ctx)
    if role not in CLIENT_ROLES:
        raise OrgError("role", f"role must be one of {', '.join(CLIENT_ROLES)}, not {role!r}")
    programs = programs or []
    if programs and role != "coordinator":
        raise OrgError("program", "only a coordinator can be limited to programs")
    if password is not None and not password:
        raise OrgError("password", "the password is empty")
    person = _person(ctx, email)
    name = (login or person.db_login or login_for_email(person.email)).lower()
    exists = _check_login(ctx, name, person)
    scoped = _program_ids(ctx, programs)

    ident = sql.Identifier(name)
    if exists:
        _execute(ctx, sql.SQL("ALTER ROLE {} LOGIN").format(ident))
    else:
        _execute(ctx, sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    if password is not None:
        verifier = sql.Literal(scram_verifier(password))
        _execute(ctx, sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, verifier))
    # One group at a time; a coordinator limited to programs is in a role of its own, so the
    # policies of coordinators of every program stay constant (and fast).
    group = PROGRAM_COORDINATOR_ROLE if scoped else CLIENT_ROLES[role]
    for other in LOGIN_GROUPS:
        _execute(ctx, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), ident))
    _execute(ctx, sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), ident))
    _connect_privilege(ctx, name, grant=True)
    database = sql.Identifier(ctx.session.scalar(sa.text("SELECT current_database()")))
    if role == "analyst":  # the analytics queries then read the pseudonymised views
        path = sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}, public").format(
            ident, database, sql.Identifier(ANALYTICS_SCHEMA)
        )
    else:
        path = sql.SQL("ALTER ROLE {} IN DATABASE {} RESET search_path").format(ident, database)
    _execute(ctx, path)

    person.db_login = name
    person.app_role = APP_ROLES[role]
    ctx.session.execute(
        sa.delete(CoordinatorProgram).where(CoordinatorProgram.person_id == person.id)
    )
    for program_id, _ in scoped:
        ctx.session.add(CoordinatorProgram(person_id=person.id, program_id=program_id))
    ctx.session.flush()
    ctx.audit(
        "org.grant",
        "person",
        person.id,
        {"login": name, "role": role, "programs": [p for _, p in scoped]},
    )
    open_to_all = bool(
        ctx.session.scalar(
            sa.text("SELECT has_database_privilege('public', current_database(), 'CONNECT')")
        )
    )
    return GrantResult(
        person.email, name, role, not exists, tuple(p for _, p in scoped), open_to_all
    )


def revoke_login(ctx: ServiceContext, email: str) -> str:
    """Take ``email``'s login away: no membership, NOLOGIN, no ``db_login``; returns it."""
    _require_postgres(ctx)
    person = _person(ctx, email)
    name = person.db_login
    if not name:
        raise OrgError("email", f"{person.email} has no login to revoke")
    ident = sql.Identifier(name)
    if ctx.session.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}):
        for group in LOGIN_GROUPS:
            _execute(ctx, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), ident))
        _execute(ctx, sql.SQL("ALTER ROLE {} NOLOGIN").format(ident))
        _connect_privilege(ctx, name, grant=False)
    person.db_login = None
    person.app_role = AppRole.PARTICIPANT
    ctx.session.execute(
        sa.delete(CoordinatorProgram).where(CoordinatorProgram.person_id == person.id)
    )
    ctx.session.flush()
    ctx.audit("org.revoke", "person", person.id, {"login": name})
    return name
