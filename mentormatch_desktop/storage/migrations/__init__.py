"""Alembic migrations, and the functions the CLI, app and tests use to apply them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection, Engine

from mentormatch_desktop.storage.db import create_engine, normalise_url

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | URL) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option(
        "sqlalchemy.url",
        normalise_url(url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    return cfg


def upgrade(url: str | URL, revision: str = "head", engine: Engine | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (creating the SQLite file if needed)."""
    cfg = alembic_config(url)
    engine = engine or create_engine(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


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
