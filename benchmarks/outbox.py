"""Outbox throughput: queued e-mails delivered by one worker to a loopback SMTP server.

Run: ``.venv/bin/python benchmarks/outbox.py`` (PostgreSQL at
``MENTORMATCH_TEST_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1/postgres``; a
scratch database is created and dropped; ``--sqlite`` measures the embedded database
instead). ``--emails`` sets how many (default 2,000), ``--batch`` the rows per claim,
``--profile`` prints the top of a cProfile of the delivery pass.

The messages are written through ``inbox.send_message`` (two people of a running
mentorship, alternating), so the outbox rows are exactly what the app queues; only the
worker's pass (``worker.deliver_due``) is timed, against an ``aiosmtpd`` server on
127.0.0.1 that accepts every e-mail. The issue's target is at least 200 e-mails per second.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from mentormatch_desktop.domain.enums import AppRole  # noqa: E402
from mentormatch_desktop.plugin.host import PluginHost  # noqa: E402
from mentormatch_desktop.services import inbox  # noqa: E402
from mentormatch_desktop.services.context import Actor, unit_of_work  # noqa: E402
from mentormatch_desktop.storage.db import create_engine, normalise_url, transaction  # noqa: E402
from mentormatch_desktop.storage.migrations import upgrade  # noqa: E402
from mentormatch_desktop.storage.models import Mentorship  # noqa: E402
from mentormatch_desktop.worker import deliver_due  # noqa: E402

ADMIN = os.environ.get(
    "MENTORMATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


SMTP_SINK = """
import asyncio, signal, sys, threading, time
from aiosmtpd.controller import Controller

class Sink:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 OK"

done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
done.wait()
controller.stop()
print(Sink.count, time.process_time(), flush=True)
"""


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _seed(engine: sa.Engine) -> dict[str, int]:
    spec = importlib.util.spec_from_file_location("mm_seed", ROOT / "tests" / "ui" / "seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ids = module.seed_small_org(engine)
    with transaction(engine) as s:
        from mentormatch_desktop.storage.types import utcnow

        s.add(
            Mentorship(
                program_id=ids["program"],
                mentor_id=ids["ada"],
                mentee_id=ids["alan"],
                started_at=utcnow(),
            )
        )
    return ids


def queue(engine: sa.Engine, host: PluginHost, ids: dict[str, int], n: int) -> None:
    """Write ``n`` messages between Ada and Alan (one e-mail delivery each)."""
    people = [ids["alan"], ids["ada"]]
    with unit_of_work(
        engine, plugins=host, actor=Actor(people[0], None, AppRole.PARTICIPANT)
    ) as ctx:
        tid = inbox.thread_with(ctx, people[1]).id
    for start in range(0, n, 500):
        for who in people:
            actor = Actor(person_id=who, login=None, role=AppRole.PARTICIPANT)
            with unit_of_work(engine, plugins=host, actor=actor) as ctx:
                for k in range(start, min(start + 500, n)):
                    if k % 2 == people.index(who):
                        inbox.send_message(ctx, tid, f"benchmark note {k}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The SMTP server is its own process, as a real one would be (in this process it would
    # compete with the worker for the GIL and halve the figure).
    server = subprocess.Popen(
        [sys.executable, "-c", SMTP_SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    _wait_for_port(port)
    os.environ["MENTORMATCH_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.setdefault("MENTORMATCH_CONFIG", os.devnull)

    admin = None
    tmp = None
    if args.sqlite:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.sqlite3"
        backend = "SQLite"
    else:
        admin = sa.create_engine(normalise_url(ADMIN), isolation_level="AUTOCOMMIT")
        name = f"mm_bench_outbox_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = normalise_url(ADMIN).set(database=name).render_as_string(hide_password=False)
        backend = "PostgreSQL"
    engine = create_engine(url)
    host = PluginHost().load()
    try:
        upgrade(url, engine=engine)
        ids = _seed(engine)
        t = time.perf_counter()
        queue(engine, host, ids, args.emails)
        queued = time.perf_counter() - t
        profiler = cProfile.Profile() if args.profile else None
        t, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        stats = deliver_due(engine, host, batch_size=args.batch)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - t
        cpu = time.process_time() - cpu
        server.send_signal(signal.SIGTERM)
        received_text, server_cpu = server.communicate(timeout=30)[0].split()
        received = int(received_text)
        assert stats.sent == args.emails == received, (stats, received)
        print(f"queued {args.emails:,} e-mails in {queued:.1f} s ({backend})")
        print(
            f"outbox → loopback SMTP, one worker, batch {args.batch} ({backend}): "
            f"{args.emails / seconds:,.0f} e-mails/s ({seconds:.2f} s)"
        )
        print(
            f"CPU per e-mail: worker {1000 * cpu / args.emails:.2f} ms, "
            f"SMTP server {1000 * float(server_cpu) / args.emails:.2f} ms (whole run)"
        )
        if profiler:
            profile = pstats.Stats(profiler)
            profile.sort_stats("cumulative").print_stats(35)
            profile.sort_stats("tottime").print_stats(25)
    finally:
        host.messaging_channels()["email"].close()
        if server.poll() is None:
            server.kill()
            server.wait()
        engine.dispose()
        if admin is not None:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
