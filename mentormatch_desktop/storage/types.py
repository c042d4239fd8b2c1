"""Column types shared by every model.

SQLite has no time-zone-aware timestamp type; :class:`UTCDateTime` makes both backends
behave the same: it refuses naive datetimes on the way in (a naive value is a bug: whose
local time is it?), stores UTC, and always hands back aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """``timestamptz`` on PostgreSQL, ISO text on SQLite; always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a time-zone-aware value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
"""Free-form JSON: JSONB on PostgreSQL (indexable), JSON text on SQLite."""


def utcnow() -> datetime:
    """The current instant, aware, in UTC: the only clock models use."""
    return datetime.now(UTC)


def json_default(value: Any) -> Any:
    """JSON fallback for values SQLAlchemy's serializer does not know (numpy scalars)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
