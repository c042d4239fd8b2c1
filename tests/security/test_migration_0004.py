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
                " (SELECT count(*) FROM pg_proc WHERE proname LIKE 'mm\\_%'),"
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
        assert applied[0] == 25 and applied[1] >= 10 and applied[2] == 1
    assert differences == []
