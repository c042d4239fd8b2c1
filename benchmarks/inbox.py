"""Inbox and outbox speed on PostgreSQL.

Run: ``.venv/bin/python benchmarks/inbox.py`` (PostgreSQL at
``MENTORMATCH_TEST_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1/postgres``; a
scratch database is created and dropped). ``--people`` and ``--messages`` size the data
(defaults 20,000 and 300,000; ``--messages 1000000`` for the issue's full size).

Rows:
* inbox list with unread counts — ``list_threads`` for a participant with 25 threads, one of
  them 10,000 messages long and all unread (the worst case of the count), median of 30;
* first page of a 10,000-message thread — ``read_page`` (50 messages, keyset), median of 30;
* a page deep in that thread — the cursor 5,000 messages back, median of 30;
* written → seen by a listener — a message sent by one connection, the recipient's
  ``LISTEN mm_person_<id>`` connection (another thread) woken and its inbox re-read;
  median and p95 of 50;
* outbox → loopback SMTP — 2,000 queued e-mails delivered by one worker (``deliver_due``)
  to an aiosmtpd server on 127.0.0.1, e-mails per second.

Run as the database owner: the row-level-security variant (as a participant login) waits
for the roles and policies of the shared-deployment branch.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.worker import deliver_due

ADMIN = os.environ.get(
    "MENTORMATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _median_ms(fn, n: int = 30) -> float:
    fn()  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _copy(conn: psycopg.Connection, sql: str, rows) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def build(url: str, people: int, messages: int, seed: int = 1) -> dict[str, int]:
    """People, threads and messages written with COPY (the services are timed, not this)."""
    rng = random.Random(seed)
    raw = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with psycopg.connect(raw) as conn:
        _copy(
            conn,
            "COPY people (id, email, full_name, seniority, years_experience, time_zone,"
            " bio, app_role, is_active, attributes, created_at, updated_at) FROM STDIN",
            (
                (
                    i,
                    f"p{i}@example.org",
                    f"Person {i}",
                    1,
                    0,
                    "Europe/London",
                    "",
                    "participant",
                    True,
                    "{}",
                    t0,
                    t0,
                )
                for i in range(1, people + 1)
            ),
        )
        # Person 1 is the participant we time: 24 two-person threads plus one long one.
        n_threads = people // 2 + 25
        threads, members = [], []
        for t in range(1, n_threads + 1):
            if t <= 25:
                a, b = 1, t + 1
            else:
                a, b = rng.sample(range(2, people + 1), 2)
            threads.append((t, "direct", f"Thread {t}", t0, t0))
            members += [(t, a, t0, t0, False), (t, b, t0, None, False)]
        _copy(
            conn,
            "COPY threads (id, kind, subject, created_at, last_message_at) FROM STDIN",
            threads,
        )
        _copy(
            conn,
            "COPY thread_participants (thread_id, person_id, joined_at, last_read_at, muted)"
            " FROM STDIN",
            members,
        )
        pair = {
            t: (m1[1], m2[1])
            for (t, *_), m1, m2 in zip(threads, members[::2], members[1::2], strict=True)
        }

        def rows():
            for k in range(10_000):  # the long thread: person 1 ↔ person 2, all unread
                yield (1, 2, "text", f"long thread message {k}", t0 + timedelta(seconds=k))
            for k in range(max(0, messages - 10_000)):
                t = rng.randint(2, n_threads)
                yield (
                    t,
                    rng.choice(pair[t]),
                    "text",
                    f"message {k} about things",
                    t0 + timedelta(seconds=k),
                )

        _copy(
            conn, "COPY messages (thread_id, sender_id, kind, body, created_at) FROM STDIN", rows()
        )
        conn.execute("UPDATE threads SET last_message_at = now()")
        for table in ("people", "threads"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.execute("ANALYZE")
    return {"participant": 1, "partner": 2, "long_thread": 1}


def bench_reads(engine, host: PluginHost, ids: dict[str, int]) -> list[tuple[str, str]]:
    actor = Actor(person_id=ids["participant"], login=None, role=AppRole.PARTICIPANT)

    def listing():
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            threads = inbox.list_threads(ctx)
        assert max(t.unread for t in threads) >= 9_999  # the long thread: all but the first

    def first_page():
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            return inbox.read_page(ctx, ids["long_thread"])

    cursor = first_page().messages[0].id - 5_000

    def deep_page():
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            inbox.read_page(ctx, ids["long_thread"], before=cursor)

    return [
        ("inbox list with unread counts (25 threads)", f"{_median_ms(listing):.1f} ms"),
        ("first page of a 10,000-message thread", f"{_median_ms(first_page):.1f} ms"),
        ("page 5,000 messages back", f"{_median_ms(deep_page):.1f} ms"),
    ]


def bench_live(engine, host: PluginHost, url: str, ids: dict[str, int]) -> tuple[str, str]:
    raw = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = psycopg.connect(raw, autocommit=True)
    listener.execute(f"LISTEN {inbox.person_channel(ids['partner'])}")
    partner = Actor(person_id=ids["partner"], login=None, role=AppRole.PARTICIPANT)
    sender = Actor(person_id=ids["participant"], login=None, role=AppRole.PARTICIPANT)
    latencies: list[float] = []
    sent_at: list[float] = []

    def listen() -> None:
        for _ in listener.notifies(timeout=5, stop_after=1):
            with unit_of_work(engine, plugins=host, actor=partner) as ctx:
                inbox.list_threads(ctx, with_members=False)
            latencies.append(time.perf_counter() - sent_at[-1])

    for k in range(50):
        thread = threading.Thread(target=listen)
        thread.start()
        time.sleep(0.01)
        sent_at.append(time.perf_counter())
        with unit_of_work(engine, plugins=host, actor=sender) as ctx:
            inbox.send_message(ctx, ids["long_thread"], f"live {k}")
        thread.join()
    listener.close()
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return (
        "written → listener woken and inbox re-read",
        f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms",
    )


def bench_outbox(engine, host: PluginHost, n: int = 2_000) -> tuple[str, str]:
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["MENTORMATCH_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    # Queue n e-mails to person 1 for messages of the long thread, as send_message would
    # (sending is timed above; here only the worker is).
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM message_deliveries"))
        c.execute(
            sa.text(
                "INSERT INTO message_deliveries (message_id, recipient_id, channel, topic,"
                " idempotency_key, status, attempts, next_attempt_at, last_error, created_at)"
                " SELECT id, 1, 'email', 'new_message', 'bench.' || id, 'pending', 0, now(),"
                " '', now() FROM messages WHERE thread_id = 1 ORDER BY id LIMIT :n"
            ),
            {"n": n},
        )
    try:
        t = time.perf_counter()
        stats = deliver_due(engine, host, batch_size=100)
        seconds = time.perf_counter() - t
    finally:
        host.messaging_channels()["email"].close()
        controller.stop()
    assert stats.sent == n == Sink.count, (stats, Sink.count)
    return (f"outbox → loopback SMTP, one worker ({n:,} e-mails)", f"{n / seconds:,.0f} e-mails/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--emails", type=int, default=2_000, help="e-mails for the outbox row")
    args = parser.parse_args()
    admin = sa.create_engine(normalise_url(ADMIN), isolation_level="AUTOCOMMIT")
    name = f"mm_bench_inbox_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        upgrade(url, engine=engine)
        t = time.perf_counter()
        ids = build(url, args.people, args.messages)
        print(
            f"built {args.people:,} people, {args.messages:,} messages in "
            f"{time.perf_counter() - t:.1f} s (PostgreSQL, as the owner: no RLS yet)"
        )
        host = PluginHost().load()
        for label, value in [
            *bench_reads(engine, host, ids),
            bench_live(engine, host, url, ids),
            bench_outbox(engine, host, args.emails),
        ]:
            print(f"{label:<45}  {value}", flush=True)
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
