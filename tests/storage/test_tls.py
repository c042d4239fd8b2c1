"""TLS to PostgreSQL: ``sslmode``/``sslrootcert`` in the URL (or ``PGSSLMODE`` in the
environment) reach libpq unchanged, and a refusal is one sentence naming SSL.

The test server runs without SSL (it is shared; turning it on is not ours to do), so what
is proved is the pass-through: ``verify-full`` is demanded of the server and the client
refuses to go on without it, instead of silently connecting in the clear.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


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
