"""TLS to PostgreSQL: ``sslmode``/``sslrootcert`` in the URL (or ``PGSSLMODE`` in the
environment) reach libpq unchanged, and a refusal is one sentence naming SSL.

The shared test server runs without SSL (turning it on is not ours to do), so the first
test proves the pass-through against it: ``verify-full`` is demanded of the server and the
client refuses to go on without it, instead of silently connecting in the clear. The others
start a throwaway TLS-only server of their own (``tls_server.py``): a private CA, a server
certificate for localhost and 127.0.0.1, and prove the handshake succeeds with that CA and is
refused, in one sentence, with another CA or a host name the certificate does not list.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mentormatch_desktop.testing import REQUIRE_POSTGRES_ENV


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _server_has_ssl(db_url: str) -> bool:
    from mentormatch_desktop.storage.db import create_engine

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return c.exec_driver_sql("SHOW ssl").scalar() == "on"
    finally:
        engine.dispose()


def test_tls_verify_full_reaches_libpq_from_the_url_and_the_environment(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("TLS is PostgreSQL's")
    if _server_has_ssl(db_url):
        pytest.skip("this server speaks SSL: the refusal below cannot be provoked")
    sep = "&" if "?" in db_url else "?"
    url = f"{db_url}{sep}sslmode=verify-full&sslrootcert=/nonexistent/db-ca.crt"
    done = _cli("db", "current", "--database", url)
    assert done.returncode == 3, done
    assert "Traceback" not in done.stderr
    assert "SSL" in done.stderr, done.stderr
    # The same through the environment, as the systemd unit and the container set it.
    done = _cli("db", "current", "--database", db_url, env={"PGSSLMODE": "verify-full"})
    assert done.returncode == 3 and "SSL" in done.stderr, done.stderr
    # And without it the same server answers: the refusal came from sslmode alone.
    assert _cli("db", "current", "--database", db_url).returncode == 0


# --- A real handshake against a TLS-only server of our own --------------------------------

_helper_spec = importlib.util.spec_from_file_location(
    "mm_tls_server", Path(__file__).with_name("tls_server.py")
)
tls_server = importlib.util.module_from_spec(_helper_spec)
sys.modules[_helper_spec.name] = tls_server  # dataclasses look their module up there
_helper_spec.loader.exec_module(tls_server)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def tls_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A throwaway PostgreSQL with ``ssl = on`` and ``hostssl`` lines only (see
    tls_server.py). Without server binaries it skips, or fails where CI demands
    PostgreSQL (``MENTORMATCH_REQUIRE_POSTGRES=1``)."""
    reason = tls_server.unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    server = tls_server.start_tls_server(tmp_path_factory.mktemp("tls-client"))
    try:
        yield server
    finally:
        server.stop()


def _url(server: Any, host: str, ca: Path, database: str = "postgres", extra: str = "") -> str:
    return (
        f"postgresql+psycopg://postgres@{host}:{server.port}/{database}"
        f"?sslmode=verify-full&sslrootcert={ca}{extra}"
    )


@pytest.mark.postgres
def test_tls_verify_full_against_a_self_signed_ca(tls_postgres: Any) -> None:
    from mentormatch_desktop.storage.db import create_engine

    admin = create_engine(_url(tls_postgres, "localhost", tls_postgres.ca),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    try:
        with admin.connect() as c:
            c.exec_driver_sql("CREATE DATABASE mm_tls")
    finally:
        admin.dispose()
    url = _url(tls_postgres, "localhost", tls_postgres.ca, "mm_tls")

    done = _cli("db", "upgrade", "--database", url)
    assert done.returncode == 0, done.stderr
    done = _cli("db", "current", "--database", url)
    assert done.returncode == 0, done.stderr
    head = done.stdout.splitlines()[-1].split()[-1]
    assert f"current:  {head}" in done.stdout, done.stdout

    # The session really is encrypted, by the server's own account of it.
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            ssl, version = c.exec_driver_sql(
                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).one()
    finally:
        engine.dispose()
    assert ssl is True and version.startswith("TLS"), (ssl, version)

    # The certificate names 127.0.0.1 too; and the environment works as the URL does.
    ip_url = _url(tls_postgres, "127.0.0.1", tls_postgres.ca, "mm_tls")
    assert _cli("db", "current", "--database", ip_url).returncode == 0
    plain = f"postgresql+psycopg://postgres@localhost:{tls_postgres.port}/mm_tls"
    env = {"PGSSLMODE": "verify-full", "PGSSLROOTCERT": str(tls_postgres.ca)}
    done = _cli("db", "current", "--database", plain, env=env)
    assert done.returncode == 0, done.stderr

    # A client in the clear is turned away by pg_hba.conf (hostssl lines only).
    done = _cli("db", "current", "--database", f"{plain}?sslmode=disable")
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    assert "no encryption" in done.stderr, done.stderr


@pytest.mark.postgres
def test_tls_a_certificate_from_another_ca_is_refused(tls_postgres: Any) -> None:
    url = _url(tls_postgres, "localhost", tls_postgres.wrong_ca)
    for command in (("db", "current"), ("db", "upgrade")):
        done = _cli(*command, "--database", url)
        assert done.returncode == 3, done
        assert "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "TLS" in done.stderr and "certificate" in done.stderr, done.stderr
        assert "not signed by the CA" in done.stderr, done.stderr


@pytest.mark.postgres
def test_tls_a_host_name_the_certificate_does_not_list_is_refused(tls_postgres: Any) -> None:
    # The right server (hostaddr) reached under a name its certificate does not carry, as
    # when a client uses an alias or the server's address changed hands.
    url = _url(tls_postgres, "db.wrong-name.invalid", tls_postgres.ca,
               extra="&hostaddr=127.0.0.1")  # fmt: skip
    done = _cli("db", "current", "--database", url)
    assert done.returncode == 3, done
    assert "Traceback" not in done.stderr, done.stderr
    assert "TLS" in done.stderr and "certificate" in done.stderr, done.stderr
    assert "db.wrong-name.invalid" in done.stderr, done.stderr
