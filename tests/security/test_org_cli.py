"""``mentormatch org init/grant/revoke`` on a real PostgreSQL server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import sqlalchemy as sa
from click.testing import CliRunner

from mentormatch_desktop.cli import cli
from mentormatch_desktop.services.org import login_for_email, scram_verifier
from mentormatch_desktop.storage.db import create_engine


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_org_init_prepares_an_empty_database_and_can_run_again(pg_empty_url: str) -> None:
    first = _run("org", "init", "--database", pg_empty_url)
    again = _run("org", "init", "--database", pg_empty_url)
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert (
        "34 tables under row-level security" in again.output
    )  # 0005, 0006: 3 each; 0008, 0009, 0013: 1
    engine = create_engine(pg_empty_url)
    try:
        with engine.connect() as conn:
            policies = conn.execute(
                sa.text("SELECT count(*) FROM pg_policies WHERE policyname LIKE 'mm\\_%'")
            ).scalar_one()
            roles = conn.execute(
                sa.text(
                    "SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles"
                    " WHERE rolname LIKE 'mentormatch\\_%' AND NOT rolcanlogin"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert policies > 50
    assert roles == [
        "mentormatch_analyst",
        "mentormatch_coordinator",
        "mentormatch_owner",
        "mentormatch_participant",
        "mentormatch_program_coordinator",
    ]


def test_org_init_refuses_sqlite(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["org", "init", "--database", f"sqlite:///{tmp_path / 'x.sqlite3'}"]
    )
    assert result.exit_code != 0
    assert "needs PostgreSQL" in result.output


def _verifies(stored: str, password: str) -> bool:
    """Check a SCRAM-SHA-256 verifier against a password, as the server would."""
    method, rest = stored.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        method == "SCRAM-SHA-256"
        and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
    )


def test_scram_verifier_matches_what_postgres_computes(
    pg_empty_url: str, login_names: list[str]
) -> None:
    """PostgreSQL hashes a clear password itself; with its salt, ours must be identical."""
    name = f"mmt{uuid.uuid4().hex[:10]}_scram"
    login_names.append(name)
    engine = create_engine(pg_empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL password_encryption = 'scram-sha-256'"))
            conn.execute(sa.text(f"CREATE ROLE {name} PASSWORD 's3cret pass'"))
            theirs = conn.execute(
                sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :n"), {"n": name}
            ).scalar_one()
    finally:
        engine.dispose()
    salt = base64.b64decode(theirs.split("$")[1].split(":")[1])
    assert scram_verifier("s3cret pass", salt=salt) == theirs
    assert _verifies(theirs, "s3cret pass") and not _verifies(theirs, "other")


def test_grant_rotate_and_revoke(pg_demo_url: str, login_names: list[str]) -> None:
    name = f"mmt{uuid.uuid4().hex[:10]}_cli"
    login_names.append(name)
    engine = create_engine(pg_demo_url)
    try:
        with engine.connect() as conn:
            email, program = conn.execute(
                sa.text(
                    "SELECT p.email, g.name FROM people p JOIN enrolments e"
                    " ON e.person_id = p.id JOIN programs g ON g.id = e.program_id"
                    " ORDER BY p.id LIMIT 1"
                )
            ).one()
        granted = _run(
            "org",
            "grant",
            email,
            "--role",
            "coordinator",
            "--program",
            program,
            "--login",
            name,
            "--password-stdin",
            "--database",
            pg_demo_url,
            input="first password\n",
        )
        rotated = _run(
            "org",
            "grant",
            email,
            "--role",
            "participant",
            "--password-stdin",
            "--database",
            pg_demo_url,
            input="second password\n",
        )
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :n"), {"n": name}
            ).scalar_one()
            groups = conn.execute(
                sa.text(
                    "SELECT array_agg(g.rolname) FROM pg_auth_members m"
                    " JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member"
                    " WHERE u.rolname = :n"
                ),
                {"n": name},
            ).scalar_one()
            person = conn.execute(
                sa.text("SELECT db_login, app_role FROM people WHERE email = :e"), {"e": email}
            ).one()
            scoped = conn.execute(sa.text("SELECT count(*) FROM coordinator_programs")).scalar_one()
        revoked = _run("org", "revoke", email, "--database", pg_demo_url)
        with engine.connect() as conn:
            after = conn.execute(
                sa.text(
                    "SELECT rolcanlogin, pg_has_role(oid, 'mentormatch_participant',"
                    " 'MEMBER') FROM pg_roles WHERE rolname = :n"
                ),
                {"n": name},
            ).one()
            login_after = conn.execute(
                sa.text("SELECT db_login FROM people WHERE email = :e"), {"e": email}
            ).scalar_one()
    finally:
        engine.dispose()
    assert granted.exit_code == 0 and f"created login {name}" in granted.output
    assert f"for {program}" in granted.output
    assert rotated.exit_code == 0 and f"updated login {name}" in rotated.output
    assert _verifies(stored, "second password") and not _verifies(stored, "first password")
    assert groups == ["mentormatch_participant"]
    assert tuple(person) == (name, "participant")
    assert scoped == 0  # becoming a participant drops the coordinator's program limits
    assert revoked.exit_code == 0
    assert tuple(after) == (False, False) and login_after is None


def test_grant_explains_bad_requests(pg_demo_url: str) -> None:
    def fails(*args: str) -> str:
        result = CliRunner().invoke(
            cli, ["org", "grant", *args, "--database", pg_demo_url], input=""
        )
        assert result.exit_code != 0
        return result.output

    engine = create_engine(pg_demo_url)
    try:
        with engine.connect() as conn:
            email = conn.execute(sa.text("SELECT min(email) FROM people")).scalar_one()
    finally:
        engine.dispose()
    assert "no person with e-mail" in fails("nobody@nowhere.example", "--role", "participant")
    assert "only a coordinator" in fails(email, "--role", "participant", "--program", "1")
    assert "administrative rights" in fails(email, "--role", "participant", "--login", "postgres")
    assert "not a usable login name" in fails(email, "--role", "analyst", "--login", "Bad-Name")
    assert "no program" in fails(email, "--role", "coordinator", "--program", "No such program")
    assert "nothing was read" in fails(email, "--role", "analyst", "--password-stdin")


def test_login_names_from_email() -> None:
    assert login_for_email("Ana.Lima@example.org") == "ana_lima"
    assert login_for_email("9lives@example.org") == "p_9lives"


def test_a_login_connects_only_to_its_own_database(
    database_factories: dict[str, object], login_names: list[str], tmp_path
) -> None:
    """Group roles are cluster-wide: without `org init` taking CONNECT from PUBLIC, a
    participant of one organisation could connect to another's database on the same server
    and read its directory. `org grant` gives CONNECT to the person's own database only;
    `org revoke` takes it back."""
    from sqlalchemy.engine import make_url

    from mentormatch_desktop.testing import DatabaseFactory

    factory = database_factories["postgresql"]
    assert isinstance(factory, DatabaseFactory), factory
    ours, theirs = factory.create(prefix="org_a"), factory.create(prefix="org_b")
    people = tmp_path / "people.csv"
    people.write_text("email,full_name,time_zone\nana@example.org,Ana Lima,UTC\n")
    for url in (ours, theirs):
        assert _run("org", "init", "--database", url).exit_code == 0
        assert _run("import", "participants", str(people), "--database", url).exit_code == 0
    login = f"mmt{uuid.uuid4().hex[:10]}_ana"
    login_names.append(login)
    granted = _run("org", "grant", "ana@example.org", "--role", "participant", "--login", login,
                   "--database", ours)  # fmt: skip
    assert granted.exit_code == 0, granted.output

    def directory(url: str) -> str:
        engine = create_engine(make_url(url).set(username=login, password=None))
        try:
            with engine.connect() as conn:
                return str(conn.execute(sa.text("SELECT count(*) FROM directory")).scalar_one())
        except sa.exc.OperationalError as exc:
            return str(exc.orig)
        finally:
            engine.dispose()

    assert directory(ours) == "1"
    refused = directory(theirs)
    assert "permission denied for database" in refused, refused
    assert _run("org", "revoke", "ana@example.org", "--database", ours).exit_code == 0
    engine = create_engine(ours)
    try:
        with engine.connect() as conn:
            may = conn.execute(
                sa.text("SELECT has_database_privilege(:n, current_database(), 'CONNECT')"),
                {"n": login},
            ).scalar_one()
            public = conn.execute(
                sa.text("SELECT has_database_privilege('public', current_database(), 'CONNECT')")
            ).scalar_one()
    finally:
        engine.dispose()
    assert (may, public) == (False, False)


def test_grant_warns_while_every_login_may_still_connect(
    pg_empty_url: str, login_names: list[str], tmp_path
) -> None:
    """`db upgrade` alone migrates and applies the policies but leaves PUBLIC's CONNECT on
    the database (only `org init` takes it away): `org grant` then says so, because a login
    of another organisation on the same server could still read this one's directory."""
    assert _run("db", "upgrade", "--database", pg_empty_url).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("email,full_name,time_zone\nana@example.org,Ana Lima,UTC\n")
    assert _run("import", "participants", str(people), "--database", pg_empty_url).exit_code == 0

    def grant(login: str) -> str:
        result = _run("org", "grant", "ana@example.org", "--role", "participant",
                      "--login", login, "--database", pg_empty_url)  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.output

    login = f"mmt{uuid.uuid4().hex[:10]}_ana"
    login_names.append(login)
    before = grant(login)
    assert "warning: every login on this server may still connect" in before, before
    assert "mentormatch org init" in before
    assert _run("org", "init", "--database", pg_empty_url).exit_code == 0
    after = grant(login)
    assert f"updated login {login}" in after and "warning" not in after, after
