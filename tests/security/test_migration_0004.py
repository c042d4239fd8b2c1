"""Migration 0004 goes down and up again on both backends; on SQLite it adds schema only."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import alembic_config, schema_differences, upgrade

BEFORE = "0003"


def _security_objects(conn: sa.Connection) -> tuple[int, int, int]:
    if conn.dialect.name != "postgresql":
        return (0, 0, 0)
    return tuple(
        conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relforcerowsecurity),"
                # mm_ functions of the security files (0003's capacity trigger has its own)
                " (SELECT count(*) FROM pg_proc p WHERE proname LIKE 'mm\\_%' AND NOT EXISTS"
                "  (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid"
                "   AND t.tgname NOT LIKE 'mm\\_%')),"
                " (SELECT count(*) FROM pg_namespace WHERE nspname = 'mm_analytics')"
            )
        ).one()
    )


def test_down_and_up_again(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        upgrade(empty_db_url, engine=engine)
        with engine.connect() as conn:
            applied = _security_objects(conn)
        with engine.begin() as conn:
            cfg = alembic_config(empty_db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, BEFORE)
        with engine.connect() as conn:
            removed = _security_objects(conn)
            tables = set(sa.inspect(conn).get_table_names())
        upgrade(empty_db_url, engine=engine)
        with engine.connect() as conn:
            again = _security_objects(conn)
            differences = schema_differences(conn)
    finally:
        engine.dispose()
    assert "coordinator_programs" not in tables
    assert removed == (0, 0, 0)
    assert again == applied
    if engine.dialect.name == "postgresql":
        assert (
            applied[0] == 34 and applied[1] >= 10 and applied[2] == 1
        )  # 0008, 0009, 0013: +1 each
    assert differences == []


def _scheduling_security(conn: sa.Connection) -> tuple[int, int, bool, bool]:
    """(tables forcing RLS, policies on session_logs, shared view exists, its function)."""
    return tuple(
        conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relforcerowsecurity"
                "        AND relnamespace = 'public'::regnamespace),"
                " (SELECT count(*) FROM pg_policies WHERE tablename = 'session_logs'),"
                " to_regclass('shared_session_logs') IS NOT NULL,"
                " EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'mm_shared_session_logs')"
            )
        ).one()
    )


def test_security_files_follow_the_migration_chain(pg_empty_url: str) -> None:
    """At 0004 the messaging and scheduling files are skipped (no tables yet) and re-running
    every file there is harmless; 0005–0008 apply them; going down to 0004 removes their objects
    and leaves the rest of the security in place."""
    from mentormatch_desktop.storage.security import apply_security

    engine = create_engine(pg_empty_url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(pg_empty_url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
        with engine.begin() as conn:
            assert apply_security(conn)  # idempotent, guarded: no error at 0004
            at_0004 = _scheduling_security(conn)
        upgrade(pg_empty_url, engine=engine)
        with engine.connect() as conn:
            at_head = _scheduling_security(conn)
        with engine.begin() as conn:
            cfg = alembic_config(pg_empty_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            back = _scheduling_security(conn)
    finally:
        engine.dispose()
    assert at_0004 == (25, 0, False, False)
    assert at_head[0] == 34 and at_head[1] >= 4 and at_head[2:] == (True, True)
    assert back == at_0004
