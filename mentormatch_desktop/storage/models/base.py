"""The declarative base: naming convention, annotation map and reusable column aliases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import BigInteger, Enum, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, mapped_column

from mentormatch_desktop.storage.types import JSONDocument, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

intpk = Annotated[int, mapped_column(primary_key=True)]
# SQLite only auto-increments an INTEGER PRIMARY KEY, so big keys are INTEGER there.
bigpk = Annotated[
    int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
updated_at = Annotated[
    datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
]
name80 = Annotated[str, mapped_column(String(80))]
name200 = Annotated[str, mapped_column(String(200))]
text = Annotated[str, mapped_column(Text)]
jsondoc = Annotated[dict[str, Any], mapped_column(JSONDocument, default=dict, nullable=False)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        str: String(255),
        dict[str, Any]: JSONDocument,
    }


def enum_column(enum: type[StrEnum], **kwargs: Any) -> Any:
    """A portable enum column: VARCHAR holding the enum's *values* (readable in raw SQL)."""
    return mapped_column(
        Enum(
            enum,
            native_enum=False,
            create_constraint=False,
            length=24,
            values_callable=lambda e: [m.value for m in e],
        ),
        **kwargs,
    )
