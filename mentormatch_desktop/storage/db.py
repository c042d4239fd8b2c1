"""Engines and sessions for SQLite (embedded) and PostgreSQL (shared deployments)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str | URL) -> URL:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _password_from_keyring(url: URL) -> URL:
    if url.get_backend_name() != "postgresql" or url.password or not url.username:
        return url
    try:
        import keyring

        secret = keyring.get_password("mentormatch", f"{url.username}@{url.host or 'localhost'}")
    except Exception:  # no usable keyring backend: connect without a password (trust/peer auth)
        return url
    return url.set(password=secret) if secret else url


def create_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine with the settings MentorMatch relies on for each backend.

    SQLite: foreign keys on (SQLite leaves them off), WAL so the UI can read while a worker
    writes, and a busy timeout instead of instant "database is locked" errors.
    """
    parsed = _password_from_keyring(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        _create_private_sqlite_file(parsed)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(parsed, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if parsed.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def _create_private_sqlite_file(url: URL) -> None:
    """Create a missing SQLite file 0600 before SQLite does (it would use the umask, and
    the file holds personal data); its -wal and -shm files take the same mode."""
    database = url.database
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return
    path = os.path.abspath(database)
    if os.path.exists(path) or not os.path.isdir(os.path.dirname(path)):
        return  # SQLite reports a missing folder itself
    with contextlib.suppress(FileExistsError):  # created meanwhile by another process
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (services return them)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with session_factory(engine).begin() as session:
        yield session
