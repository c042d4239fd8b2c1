"""Timestamps are stored as UTC and come back aware on both backends; naive ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from mentormatch_desktop.storage.models import AuditLog, Person


def test_aware_timestamp_round_trips_as_utc(session: Session) -> None:
    tokyo = timezone(timedelta(hours=9))
    at = datetime(2026, 3, 29, 10, 30, tzinfo=tokyo)
    session.add(AuditLog(at=at, action="test", entity_type="x"))
    session.commit()
    session.expire_all()
    row = session.scalars(select(AuditLog)).one()
    assert row.at.tzinfo is not None
    assert row.at.utcoffset() == timedelta(0)
    assert row.at == at  # same instant
    assert row.at.hour == 1


def test_naive_timestamp_is_refused(session: Session) -> None:
    session.add(AuditLog(at=datetime(2026, 1, 1, 12, 0), action="test", entity_type="x"))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_defaults_are_aware_and_recent(session: Session) -> None:
    person = Person(email="a@example.org", full_name="Ada Example")
    session.add(person)
    session.commit()
    session.expire_all()
    person = session.get(Person, person.id)
    assert person is not None
    assert abs(datetime.now(UTC) - person.created_at) < timedelta(minutes=1)


def test_prose_columns_keep_long_text(session: Session) -> None:
    bio = "Led a team of twelve engineers through a platform migration. " * 40
    session.add(Person(email="b@example.org", full_name="Bea Example", bio=bio))
    session.commit()
    session.expire_all()
    assert session.scalars(select(Person.bio)).one() == bio
