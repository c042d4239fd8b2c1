"""The migrations build the schema the models describe, on both backends."""

from __future__ import annotations

import sqlalchemy as sa

from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import (
    current_revision,
    head_revision,
    schema_differences,
    upgrade,
)
from mentormatch_desktop.storage.models import Base


def test_upgrade_empty_database_to_head_matches_models(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(empty_db_url, engine=engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert schema_differences(conn) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(db_url, engine=engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
