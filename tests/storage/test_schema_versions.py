"""Versions on a shared database: an old client on a newer schema is told which version to
install (a real CLI process, no traceback); ``db upgrade --sql`` prints SQL a DBA can run,
and running it brings the database to exactly what ``db upgrade`` would."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import sqlalchemy as sa

from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.migrations import (
    current_revision,
    head_revision,
    schema_app_version,
    schema_differences,
    stamp_app_version,
)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop.cli", *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_db_upgrade_notes_the_app_version(db_url: str) -> None:
    from mentormatch_desktop import __version__

    engine = create_engine(db_url)
    try:
        with engine.begin() as c:
            stamp_app_version(c)
        assert schema_app_version(engine) == __version__
    finally:
        engine.dispose()


def test_an_old_client_on_a_newer_schema_is_told_which_version_to_install(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        # What a newer MentorMatch's `db upgrade` leaves behind: a revision this one does
        # not know, and its own version noted next to it.
        with engine.begin() as c:
            c.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
            stamp_app_version(c, "9.9.0")
    finally:
        engine.dispose()
    for command in (["outbox"], ["worker", "--once"], ["db", "upgrade"]):
        done = _cli(*command, "--database", db_url)
        assert done.returncode != 0, command
        assert "Traceback" not in done.stderr, done.stderr
        if command[0] == "db":  # the migrating command refuses to touch it
            assert "made by a newer version" in done.stderr, done.stderr
        else:
            assert "install MentorMatch 9.9.0 or newer" in done.stderr, done.stderr
            assert done.returncode == 3


def test_db_upgrade_sql_prints_what_a_dba_can_run(empty_db_url: str) -> None:
    from mentormatch_desktop import __version__

    if not empty_db_url.startswith("postgresql"):
        assert _cli("db", "upgrade", "--database", empty_db_url).returncode == 0
        done = _cli("db", "upgrade", "--sql", "--database", empty_db_url)
        assert done.returncode != 0 and "PostgreSQL" in done.stderr
        return
    assert _cli("db", "upgrade", "--revision", "0007", "--database", empty_db_url).returncode == 0
    done = _cli("db", "upgrade", "--sql", "--database", empty_db_url)
    assert done.returncode == 0, done.stderr
    sql = done.stdout
    assert "-- MentorMatch schema upgrade from 0007 to" in sql
    assert "CREATE TABLE worker_heartbeats" in sql
    assert f"UPDATE alembic_version SET version_num='{head_revision()}'" in sql
    assert "psql -v ON_ERROR_STOP=1 -f" in sql  # no -1: the script has its own BEGIN
    engine = create_engine(empty_db_url)
    try:
        assert current_revision(engine) == "0007"  # printing changed nothing
        assert "worker_heartbeats" not in sa.inspect(engine).get_table_names()
        assert schema_app_version(engine) is None  # --revision 0007 notes no version
        # The DBA runs it as it is.
        dsn = normalise_url(empty_db_url).set(drivername="postgresql")
        with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(sql)
        engine.dispose()
        assert current_revision(engine) == head_revision()
        with engine.connect() as c:
            assert schema_differences(c) == []
            policies = c.exec_driver_sql(
                "SELECT count(*) FROM pg_policies WHERE tablename = 'worker_heartbeats'"
            ).scalar()
        assert policies == 2  # the security files ran too
        # ... and the version note `db upgrade` leaves, so that an older client is told
        # which version to install after a DBA ran the script, as after the command.
        assert schema_app_version(engine) == __version__
        # Nothing left for `db upgrade --sql` to do.
        again = _cli("db", "upgrade", "--sql", "--database", empty_db_url)
        assert again.returncode == 0 and "is already at" in again.stdout
    finally:
        engine.dispose()
