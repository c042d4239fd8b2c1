"""Pytest fixtures for MentorMatch and its plugin authors (loaded through ``pytest11``).

Every storage-facing test takes ``engine`` or ``session`` and runs twice: on SQLite and on
PostgreSQL. Each test gets a database of its own, cloned from a template migrated once per
test run (``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a file copy on SQLite), so services
may commit freely and nothing leaks between tests. All databases created are dropped.

Services take a :class:`~mentormatch_desktop.services.context.ServiceContext`:

* ``ctx`` (and ``demo_ctx``) wrap the test's ``session`` (``demo_session``) with a fresh
  plugin host and the local coordinator. Services only flush, so what they wrote is visible
  through ``ctx.session``; nothing is committed unless the test commits.
* ``uow`` opens real units of work on the test's database (``with uow() as ctx:``), each
  committed when its block ends: for tests about transactions, several actions in a row,
  or what a fresh session sees afterwards.

PostgreSQL is found at ``MENTORMATCH_TEST_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). When it does not answer, the
PostgreSQL variants skip with a one-line hint, unless ``MENTORMATCH_REQUIRE_POSTGRES=1``
(set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import (
    LOCAL_COORDINATOR,
    Actor,
    ServiceContext,
    unit_of_work,
)
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.migrations import upgrade

if TYPE_CHECKING:
    from mentormatch_desktop.services.demo import DemoSummary

TEST_DATABASE_ENV = "MENTORMATCH_TEST_DATABASE_URL"
REQUIRE_POSTGRES_ENV = "MENTORMATCH_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> URL:
    return normalise_url(os.environ.get(TEST_DATABASE_ENV, DEFAULT_POSTGRES_URL))


def _postgres_unavailable_reason() -> str | None:
    url = postgres_admin_url()
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means: no usable server
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)} "
            f"({first_line}); "
            f"start it or set {TEST_DATABASE_ENV} to enable the PostgreSQL tests"
        )
    return None


class DatabaseFactory:
    """Creates uniquely named databases for one backend and drops them all at the end."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self._created: list[str] = []
        self._templates: dict[str, str] = {}
        if backend == "postgresql":
            self._admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")

    def _new_name(self, prefix: str) -> str:
        return f"mm_{prefix}_{uuid.uuid4().hex[:12]}"

    def url_for(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        return postgres_admin_url().set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None, prefix: str = "test") -> str:
        """A new database (a copy of ``template`` if given); returns its URL."""
        name = self._new_name(prefix)
        if self.backend == "sqlite":
            target = self.workdir / f"{name}.sqlite3"
            if template is not None:
                shutil.copyfile(self.workdir / f"{template}.sqlite3", target)
        else:
            clause = f' TEMPLATE "{template}"' if template else ""
            with self._admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        self._created.append(name)
        return self.url_for(name)

    def template(self, key: str, build: Callable[[str], None]) -> str:
        """A database built once by ``build(url)`` and reused as a template; returns its name."""
        if key not in self._templates:
            url = self.create(prefix=f"tpl_{key}")
            build(url)
            self._templates[key] = (
                make_url(url).database.rsplit("/", 1)[-1].removesuffix(".sqlite3")
            )
        return self._templates[key]

    def drop_all(self) -> None:
        if self.backend == "sqlite":
            return  # the files live in pytest's tmp dir
        with self._admin.connect() as conn:
            for name in reversed(self._created):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        upgrade(url, engine=engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_factories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """One :class:`DatabaseFactory` per available backend; a string explains a missing one."""
    factories: dict[str, object] = {
        "sqlite": DatabaseFactory("sqlite", tmp_path_factory.mktemp("sqlite-dbs"))
    }
    reason = _postgres_unavailable_reason()
    factories["postgresql"] = reason or DatabaseFactory("postgresql", Path("."))
    yield factories
    for factory in factories.values():
        if isinstance(factory, DatabaseFactory):
            factory.drop_all()


@pytest.fixture(params=BACKENDS)
def database_factory(
    request: pytest.FixtureRequest, database_factories: dict[str, object]
) -> DatabaseFactory:
    """The factory for this test's backend; skips (or fails under CI) without PostgreSQL."""
    factory = database_factories[request.param]
    if isinstance(factory, str):
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(factory)
        pytest.skip(factory)
    assert isinstance(factory, DatabaseFactory)
    return factory


@pytest.fixture
def db_url(database_factory: DatabaseFactory) -> str:
    """URL of a fresh, fully migrated database of its own for this test."""
    template = database_factory.template("schema", _migrate)
    return database_factory.create(template=template)


@pytest.fixture
def empty_db_url(database_factory: DatabaseFactory) -> str:
    """URL of a fresh database with no tables at all (for migration tests)."""
    return database_factory.create(prefix="empty")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def plugin_host() -> PluginHost:
    """A fresh plugin host with every installed plugin loaded."""
    return PluginHost().load()


@pytest.fixture
def ctx(session: Session, plugin_host: PluginHost) -> ServiceContext:
    """A service context on the test's ``session``: the local coordinator, a fresh plugin
    host, the real clock. Services flush into ``session``; the test decides about commits."""
    return ServiceContext(session=session, actor=LOCAL_COORDINATOR, plugins=plugin_host)


UnitOfWork = Callable[..., "contextlib.AbstractContextManager[ServiceContext]"]


@pytest.fixture
def uow(engine: Engine, plugin_host: PluginHost) -> UnitOfWork:
    """``uow(engine=None, actor=None)``: a unit of work on the test's database (or
    ``engine``), acted by ``actor`` (default: whoever the database says is connected),
    committed when the ``with`` block ends, rolled back if it raises."""

    def open_unit(eng: Engine | None = None, *, actor: Actor | None = None):
        return unit_of_work(eng or engine, plugins=plugin_host, actor=actor)

    return open_unit


# ---- logins a test creates on PostgreSQL --------------------------------------------------
def drop_logins(names: list[str]) -> None:
    """Drop login roles a test created (cluster-wide), ending their sessions first."""
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"
                    ),
                    {"n": name},
                )
                # org grant gives a login CONNECT on its database: a privilege that
                # would keep the role from being dropped while that database exists.
                databases = conn.execute(
                    sa.text(
                        "SELECT d.datname FROM pg_database d, aclexplode(d.datacl) a"
                        " JOIN pg_roles r ON r.oid = a.grantee WHERE r.rolname = :n"
                    ),
                    {"n": name},
                ).scalars()
                for database in list(databases):
                    conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{database}" FROM "{name}"'))
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


def refused_by_database(
    engine: Engine, statement: str, params: dict[str, object] | None = None
) -> bool:
    """True when PostgreSQL refuses ``statement`` for lack of privilege (a grant, a policy's
    WITH CHECK or a guard trigger), as seen over ``engine``'s own login; rolled back either
    way. Other errors propagate: a typo in a test must not pass as a refusal."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as conn:
        try:
            conn.execute(sa.text(statement), params or {})
        except DBAPIError as exc:
            if isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
                return True
            raise
        finally:
            conn.rollback()
    return False


@pytest.fixture
def login_names() -> Iterator[list[str]]:
    """Collects login roles a test creates (``org grant``, ``grant_login``), and drops them
    afterwards: append each name as it is created."""
    names: list[str] = []
    yield names
    drop_logins(names)


# ---- demo databases ---------------------------------------------------------------------


def fill_demo_database(engine: Engine, **options: Any) -> DemoSummary:
    """:func:`~mentormatch_desktop.services.demo.fill_demo` in a unit of work of its own on
    ``engine`` (the schema must exist), committed before it returns."""
    from mentormatch_desktop.services.demo import fill_demo

    with unit_of_work(engine, plugins=PluginHost(), actor=LOCAL_COORDINATOR) as ctx:
        return fill_demo(ctx, **options)


DEMO_PARTICIPANTS = 150
DEMO_SEED = 7


@dataclass(frozen=True)
class DemoInfo:
    """How the ``demo_*`` fixtures' database was generated (``now`` ends its history)."""

    participants: int
    seed: int
    now: datetime


@pytest.fixture(scope="session")
def demo_info() -> DemoInfo:
    """Parameters of the demo database: 150 participants, seed 7, history up to today 00:00 UTC."""
    from mentormatch_desktop.demo import default_now

    return DemoInfo(participants=DEMO_PARTICIPANTS, seed=DEMO_SEED, now=default_now())


def _demo_builder(info: DemoInfo) -> Callable[[str], None]:
    def build(url: str) -> None:
        engine = create_engine(url)
        try:
            upgrade(url, engine=engine)
            fill_demo_database(engine, participants=info.participants, seed=info.seed, now=info.now)
        finally:
            engine.dispose()

    return build


@pytest.fixture
def demo_db_url(database_factory: DatabaseFactory, demo_info: DemoInfo) -> str:
    """URL of a database of its own holding the demo organisation (see :class:`DemoInfo`).

    The demo is generated once per test run and backend, then cloned for every test, so
    tests may write freely.
    """
    template = database_factory.template("demo", _demo_builder(demo_info))
    return database_factory.create(template=template)


@pytest.fixture
def demo_engine(demo_db_url: str) -> Iterator[Engine]:
    eng = create_engine(demo_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    with Session(demo_engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo_ctx(demo_session: Session, plugin_host: PluginHost) -> ServiceContext:
    """:func:`ctx` on the demo database's ``demo_session``."""
    return ServiceContext(session=demo_session, actor=LOCAL_COORDINATOR, plugins=plugin_host)


@pytest.fixture
def demo_uow(demo_engine: Engine, plugin_host: PluginHost) -> UnitOfWork:
    """:func:`uow` on the demo database."""

    def open_unit(eng: Engine | None = None, *, actor: Actor | None = None):
        return unit_of_work(eng or demo_engine, plugins=plugin_host, actor=actor)

    return open_unit
