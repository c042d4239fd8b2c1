"""Issue 11: databases that are mistyped, foreign, read-only, lost or raced for.

Each bad database gets one sentence and exit status 3 from the CLI, and the workbench
raises :class:`DatabaseProblem` with the same sentence.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop import config, workbench
from mentormatch_desktop.cli import cli
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import (
    MigrationRefused,
    current_revision,
    head_revision,
    upgrade,
)
from mentormatch_desktop.storage.models import AuditLog, Person
from mentormatch_desktop.storage.opening import (
    DatabaseProblem,
    NotInitialised,
    check_schema,
    explain,
    open_engine,
)
from mentormatch_desktop.storage.readonly import ReadOnlyQuery


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://user@localhost/db", "the 'mysql' database is not supported"),
        ("not a url", "'not a url' is not a database URL"),
    ],
)
def test_unsupported_or_malformed_urls_are_one_sentence(url: str, words: str) -> None:
    with pytest.raises(DatabaseProblem, match=words):
        open_engine(url)
    result = _run("export", "participants", "/tmp/x.csv", "--database", url)
    assert result.exit_code == 3 and words in result.output
    assert "Traceback" not in result.output


def test_a_server_that_does_not_answer_is_named_once() -> None:
    """A wrong password or an unreachable server: one sentence naming the database once."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/mentoring"
    result = _run("programs", "list", "--database", url)
    assert result.exit_code == 3, result.output
    assert result.output.startswith(f"Error: cannot connect to {url}"), result.output
    assert result.output.count(url) == 1, result.output


def test_a_mistyped_sqlite_path_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "mentormach.sqlite3"
    result = _run("export", "participants", str(tmp_path / "out.csv"),
                  "--database", f"sqlite:///{missing}")  # fmt: skip
    assert result.exit_code == 3
    assert f"no database file at {missing}" in result.output
    assert not missing.exists() and not (tmp_path / "out.csv").exists()
    with pytest.raises(DatabaseProblem, match="no database file"):
        workbench.connect(f"sqlite:///{missing}")
    assert not missing.exists()


def test_db_upgrade_creates_the_file_private(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    result = _run("db", "upgrade", "--database", f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    result = _run("export", "participants", str(tmp_path / "o.csv"),
                  "--database", f"sqlite:///{path}")  # fmt: skip
    assert result.exit_code == 0 and "exported 0 participants" in result.output


def test_the_embedded_data_dir_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "share" / "mentormatch"
    default.mkdir(parents=True)
    default.chmod(0o755)  # as earlier versions left it
    monkeypatch.delenv("MENTORMATCH_DATA_DIR", raising=False)
    monkeypatch.setattr(config.platformdirs, "user_data_dir", lambda name: str(default))
    assert config.data_dir() == default
    assert stat.S_IMODE(default.stat().st_mode) == 0o700
    engine = create_engine(config.default_database_url())
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    engine.dispose()
    assert stat.S_IMODE((default / "mentormatch.sqlite3").stat().st_mode) == 0o600
    chosen = tmp_path / "chosen" / "data"
    monkeypatch.setenv("MENTORMATCH_DATA_DIR", str(chosen))
    assert stat.S_IMODE(config.data_dir().stat().st_mode) == 0o700


def test_a_fresh_empty_database_says_not_initialised(empty_db_url: str) -> None:
    if empty_db_url.startswith("sqlite"):
        Path(make_url(empty_db_url).database).touch()  # an empty file someone created
    with pytest.raises(NotInitialised, match="is not initialised: run `mentormatch db upgrade`"):
        workbench.connect(empty_db_url)


def test_tables_without_alembic_version_are_not_ours(empty_db_url: str, tmp_path: Path) -> None:
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE people (id integer primary key, name text)"))
    with pytest.raises(DatabaseProblem, match="has tables \\(people\\) but no alembic_version"):
        check_schema(engine)
    engine.dispose()
    result = _run("export", "participants", str(tmp_path / "o.csv"), "--database", empty_db_url)
    assert result.exit_code == 3 and "no alembic_version" in result.output


def test_a_downgrade_request_is_refused_not_ignored(db_url: str) -> None:
    engine = create_engine(db_url)
    first = "0001"
    with pytest.raises(MigrationRefused, match=f"newer than {first}.*does not downgrade"):
        upgrade(db_url, first, engine=engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    result = _run("db", "upgrade", "--revision", first, "--database", db_url)
    assert result.exit_code == 1 and "does not downgrade" in result.output


def test_concurrent_first_migrations_take_turns(empty_db_url: str) -> None:
    if not empty_db_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers itself")
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def migrate() -> None:
        engine = create_engine(empty_db_url)
        try:
            barrier.wait()
            upgrade(empty_db_url, engine=engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=migrate, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:  # without the lock they block each other on CREATE TABLE for good
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "concurrent migrations deadlocked"
    assert errors == []
    engine = create_engine(empty_db_url)
    assert check_schema(engine) == head_revision()
    engine.dispose()


def test_a_lost_connection_is_named(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server connection can only be lost on PostgreSQL")
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        conn.execute(sa.text("SELECT count(*) FROM people"))
        with admin.connect() as killer:
            killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(sa.exc.SQLAlchemyError) as caught:
            conn.execute(sa.text("SELECT count(*) FROM people"))
    admin.dispose()
    message = str(explain(caught.value, engine.url))
    assert "the connection to" in message and "was lost: nothing of this command was saved" in (
        message
    )


def test_a_read_only_sqlite_file_is_named_for_import_and_match(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a read-only database file is SQLite's")
    path = make_url(db_url).database
    ro = f"sqlite:///file:{path}?mode=ro&uri=true"
    people = tmp_path / "p.csv"
    people.write_text("email,full_name,time_zone\na@example.com,A,UTC\n", encoding="utf-8")
    result = _run("import", "participants", str(people), "--database", ro)
    assert result.exit_code == 3, result.output
    assert "is read-only: nothing was written" in result.output
    assert "Traceback" not in result.output


def test_workbench_matching_on_a_read_only_sqlite_file_names_it(demo_db_url: str) -> None:
    if not demo_db_url.startswith("sqlite"):
        pytest.skip("a read-only database file is SQLite's")
    path = make_url(demo_db_url).database
    wb = workbench.connect(f"sqlite:///file:{path}?mode=ro&uri=true")
    program = wb.sql("SELECT name FROM programs ORDER BY id LIMIT 1")["name"].item()
    with pytest.raises(DatabaseProblem, match="is read-only: nothing was written"):
        wb.run_matching(program, "greedy")
    wb.engine.dispose()


def test_workbench_sql_is_read_only_for_real(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(sa.insert(AuditLog).values(action="x", entity_type="t", entity_id="1"))
    wb = workbench.connect(url)
    with pytest.raises(ReadOnlyQuery, match="only reads"):
        wb.sql("DROP TABLE audit_log")
    with pytest.raises(ReadOnlyQuery):
        wb.sql("DELETE FROM audit_log; COMMIT; SELECT 1")
    with pytest.raises(ReadOnlyQuery, match="only reads"):
        wb.sql("DELETE FROM audit_log")
    assert wb.sql("SELECT count(*) AS n FROM audit_log")["n"].to_list() == [1]
    assert wb.sql(sa.select(sa.func.count()).select_from(Person)).item() == 0
    wb.engine.dispose()
    with engine.begin() as conn:  # the pooled connection is writable again for the app
        conn.execute(sa.delete(AuditLog))


def test_export_write_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    from mentormatch_desktop.services.atomic import atomic_path

    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as partial:
        partial.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]
