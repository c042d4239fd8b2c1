"""Alembic migrations, and the functions the CLI, app and tests use to apply them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from mentormatch_desktop.storage.db import create_engine, normalise_url

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used, not here: the app imports this module (for
# SchemaMismatch and prepare_schema) before its first window is shown, and importing
# Alembic costs ~0.3 s of that cold start.

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | URL) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option(
        "sqlalchemy.url",
        normalise_url(url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    return cfg


# pg_advisory_xact_lock key: two processes migrating one fresh database at once (two
# app windows, the app and `db upgrade`) would both create the tables; the second waits
# here and then finds the schema at head. Any 64-bit number unlikely to clash will do.
MIGRATION_LOCK_KEY = 0x4D4D_4D49_4752  # "MMMIGR"


class MigrationRefused(ValueError):
    """A requested revision that ``upgrade`` will not go to (older, or unknown)."""


def upgrade(url: str | URL, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (creating the SQLite file if needed).

    Never downgrades: a ``revision`` older than the database's is refused with
    :class:`MigrationRefused` (Alembic's upgrade would silently do nothing). On
    PostgreSQL the migration holds a transaction-level advisory lock, so concurrent first
    migrations run one after the other."""
    from alembic import command

    cfg = alembic_config(url)
    engine = engine or create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK_KEY})  # fmt: skip
        _check_target(connection, revision)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        if revision in ("head", "heads"):
            stamp_app_version(connection)


def stamp_app_version(connection: Connection, version: str | None = None) -> None:
    """Note in the database which MentorMatch version brought it to its schema, so an
    older client can say which version to install (:func:`schema_app_version`).

    PostgreSQL: a comment on ``alembic_version``; SQLite: ``PRAGMA user_version``
    (major·10000 + minor·100 + patch)."""
    from mentormatch_desktop._version import __version__

    version = version or __version__
    if connection.dialect.name == "postgresql":
        # Only the table's owner may comment on it: an upgrade by anyone else must not fail
        # for want of this note, so it runs in a savepoint and is skipped if refused.
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(_version_comment_sql(version))
        except sa.exc.DBAPIError:
            pass
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA user_version = {_version_number(version)}")


def _version_comment_sql(version: str) -> str:
    """The PostgreSQL statement that notes ``version`` (read by :func:`schema_app_version`);
    shared by :func:`stamp_app_version` and the script :func:`upgrade_sql` prints."""
    return "COMMENT ON TABLE alembic_version IS 'MentorMatch " + version.replace("'", "") + "'"


def _version_number(version: str) -> int:
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in version.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def schema_app_version(engine: Engine) -> str | None:
    """The MentorMatch version that last upgraded this database, when it said so."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                note = connection.exec_driver_sql(
                    "SELECT obj_description(to_regclass('alembic_version'), 'pg_class')"
                ).scalar()
                if note and str(note).startswith("MentorMatch "):
                    return str(note).removeprefix("MentorMatch ").strip()
                return None
            number = int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    except Exception:  # an old server, no rights: the message just names no version
        return None
    if not number:
        return None
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def pending_revisions(engine: Engine, revision: str = "head") -> tuple[str | None, list[str]]:
    """The database's revision and the revisions ``upgrade`` would apply, oldest first
    (``("0006", ["0007 worker heartbeats…"])``). Raises :class:`MigrationRefused` as
    ``upgrade`` would."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    with engine.connect() as connection:
        _check_target(connection, revision)
        current = _current(connection)
    target = script.get_current_head() if revision in ("head", "heads") else revision
    steps = list(script.iterate_revisions(target, current or "base"))
    return current, [f"{rev.revision} {rev.doc}" for rev in reversed(steps)]


def upgrade_sql(engine: Engine, revision: str = "head") -> str:
    """The SQL ``upgrade`` would run on this PostgreSQL database, for a DBA to review and
    run (Alembic's offline mode). Reads the current revision; changes nothing."""
    import io

    from alembic import command

    if engine.dialect.name != "postgresql":
        raise MigrationRefused(
            "--sql prints PostgreSQL's migration SQL; an SQLite file is upgraded in place"
        )
    current, steps = pending_revisions(engine, revision)
    if not steps:
        return ""
    target = steps[-1].split()[0]
    buf = io.StringIO()
    cfg = alembic_config(engine.url)
    cfg.output_buffer = buf
    command.upgrade(cfg, f"{current}:{target}" if current else target, sql=True)
    body = buf.getvalue()
    if revision in ("head", "heads"):
        # What `db upgrade` notes after migrating to head, so that running this script
        # leaves the database exactly as the command would: older clients then name the
        # version to install. Inside the script's own transaction, before its COMMIT.
        from mentormatch_desktop._version import __version__

        stamp = f"{_version_comment_sql(__version__)};\n\n"
        before, commit, after = body.rpartition("COMMIT;")
        body = before + stamp + commit + after if commit else body + stamp
    head = "\n".join(f"--   {step}" for step in steps)
    # The script holds its own BEGIN/COMMIT, so psql runs it without -1 (--single-transaction
    # around it would only add warnings about a transaction already in progress).
    return (
        f"-- MentorMatch schema upgrade from {current or 'an empty database'} to {target}:\n"
        f"{head}\n-- Run as the database owner, e.g. psql -v ON_ERROR_STOP=1 -f this.sql\n\n" + body
    )


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def _check_target(connection: Connection, revision: str) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    if revision in ("head", "heads"):
        target = script.get_current_head()
    else:
        try:
            found = script.get_revision(revision)
        except CommandError as exc:
            raise MigrationRefused(f"unknown revision {revision!r}: {exc}") from exc
        if found is None:
            raise MigrationRefused(f"unknown revision {revision!r}")
        target = found.revision
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None or current == target:
        return
    if current not in known_revisions():
        raise MigrationRefused(
            f"the database is at revision {current!r}, which this version of MentorMatch "
            "does not know: it was made by a newer version"
        )
    newer = {rev.revision for rev in script.iterate_revisions(current, "base")}
    if target in newer:
        raise MigrationRefused(
            f"the database is at revision {current}, newer than {target}: MentorMatch does "
            "not downgrade (restore a backup taken before the upgrade instead)"
        )


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


class SchemaMismatch(RuntimeError):
    """The database's schema is not the one this version of MentorMatch was built for.

    ``behind`` is True when ``mentormatch db upgrade`` fixes it, False when the database is
    newer than the app (install a newer MentorMatch).
    """

    def __init__(self, message: str, *, current: str | None, needed: str, behind: bool) -> None:
        super().__init__(message)
        self.current, self.needed, self.behind = current, needed, behind


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaMismatch` unless the database is at this version's head.

    Reads the Alembic version only; never changes anything.
    """
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = current is not None and script.get_revision(current) is not None
    except CommandError:
        known = False
    if current is None or known:
        raise SchemaMismatch(
            f"database schema is at {current or 'nothing (an empty database)'}, this version "
            f"needs {head}: run `mentormatch db upgrade`",
            current=current,
            needed=head,
            behind=True,
        )
    from mentormatch_desktop._version import __version__

    wrote = schema_app_version(engine)
    # The version that last upgraded it, unless that is this one (a revision added by hand,
    # or a development build): then all we know is "newer".
    install = (
        f"install MentorMatch {wrote} or newer"
        if wrote and wrote != __version__
        else "install a newer MentorMatch"
    )
    raise SchemaMismatch(
        f"database schema is at {current}, newer than this app (MentorMatch {__version__}, "
        f"which knows up to {head}): {install}",
        current=current,
        needed=head,
        behind=False,
    )


def prepare_schema(engine: Engine) -> None:
    """What a client does when it opens a database, at start-up and on every reconnect.

    The embedded SQLite file belongs to this one app, so it is brought to the latest schema
    here. A PostgreSQL database is shared by every coordinator's app, the CLI and workers:
    a client never migrates it (one process upgrading under the others' feet, or an old
    client "upgrading" to its own head, is how shared data breaks). It is only checked;
    ``mentormatch db upgrade`` is the one command that migrates it.
    """
    if engine.dialect.name == "sqlite":
        try:
            check_schema(engine)
        except SchemaMismatch as exc:
            if not exc.behind:  # written by a newer app: an old one must not touch it
                raise
            upgrade(engine.url, engine=engine)
    else:
        check_schema(engine)


def create_schema_if_empty(engine: Engine) -> bool:
    """Create the schema in a database that has none at all; True when it did.

    For explicit set-up commands (``mentormatch demo`` into a new database): a database
    without a single table is nobody's yet, so creating its schema cannot pull it from under
    another client. Anything else is left to :func:`prepare_schema`.
    """
    if current_revision(engine) is not None or sa.inspect(engine).get_table_names():
        return False
    upgrade(engine.url, engine=engine)
    return True


def compare_type(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_type: sa.types.TypeEngine[Any],
    metadata_type: sa.types.TypeEngine[Any],
) -> bool | None:
    """Alembic type comparison that knows SQLite stores VARCHAR(n) and TEXT alike.

    SQLite enforces no length, so widening a column there needs no migration; any other
    difference falls back to Alembic's own comparison (``None``).
    """
    if (
        context.dialect.name == "sqlite"
        and isinstance(inspected_type, sa.String)
        and isinstance(metadata_type, sa.String)
    ):
        return False
    return None


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models ([] = in step)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mentormatch_desktop.storage.models import Base

    ctx = MigrationContext.configure(connection, opts={"compare_type": compare_type})
    return list(compare_metadata(ctx, Base.metadata))
