"""Inbox speed on PostgreSQL, measured as a participant's own login (row-level security on).

Run: ``.venv/bin/python benchmarks/inbox.py`` (PostgreSQL at
``MENTORMATCH_TEST_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1/postgres``).

The data is the 20,000-person demo (``fill_demo``, COPY) topped up with COPY to about
``--messages`` messages (default 1,000,000), one of them a 10,000-message mentorship thread
of the participant we time. Building it takes minutes, so the database is kept and reused:
it is named after its size (``mm_bench_inbox_p20000_m1000000``), migrated to head when
reused, and rebuilt with ``--fresh``; ``--drop`` removes it (and its two logins) at the end.
``--messages 200000`` makes a quicker, smaller run.

The participant and their mentor get database logins (``mentormatch org grant``'s
service); every read below runs on an engine connected as that login, exactly as the app
and ``mentormatch inbox --as`` do, so the policies and their helper functions are in the
figure. Rows (median and p95 of ``--repeat`` runs after one warm-up):

* inbox list with unread counts — ``inbox.list_threads`` (with members' names);
* first page of the 10,000-message thread — ``inbox.read_page`` (50 messages);
* a page 5,000 messages back — keyset cursor;
* a search hit 5,000 messages back opened in place — ``conversation.around`` (the page
  with the hit in its middle), and the page after it (``conversation.newer``, scrolling
  down from there);
* written → seen in another process's open inbox — the mentor's own process (a
  subprocess on the mentor's login) LISTENs on its channel; each message is sent on the
  participant's login and timed until that process has re-read its inbox (50 messages);
* outbox → loopback SMTP, one worker — see ``benchmarks/outbox.py`` (same figure, own script).

Targets (issue 14): list and first page < 50 ms, written → seen < 300 ms. ``--owner`` also
times the two reads as the database owner, to show what the policies cost.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from mentormatch_desktop.domain.enums import AppRole  # noqa: E402
from mentormatch_desktop.plugin.host import PluginHost  # noqa: E402
from mentormatch_desktop.services import conversation, inbox  # noqa: E402
from mentormatch_desktop.services.context import Actor, unit_of_work  # noqa: E402
from mentormatch_desktop.services.demo import fill_demo  # noqa: E402
from mentormatch_desktop.services.org import grant_login  # noqa: E402
from mentormatch_desktop.storage.db import create_engine, normalise_url  # noqa: E402
from mentormatch_desktop.storage.migrations import upgrade  # noqa: E402

ADMIN = os.environ.get(
    "MENTORMATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LONG_THREAD = 10_000
READY = "mentormatch inbox benchmark: complete"


def _raw(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (for psycopg's COPY)."""
    return normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _timings(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``n`` calls after one warm-up."""
    fn()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


# ------------------------------------------------------------------ building the data
def _database(admin: Engine, name: str, fresh: bool) -> bool:
    """Create ``name`` if needed; True if it already holds a complete benchmark set."""
    with admin.connect() as c:
        comment = c.execute(
            sa.text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"
            ),
            {"n": name},
        ).first()
        if comment is not None and (fresh or comment[0] != READY):
            c.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            comment = None
        if comment is None:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            return False
    return True


def _pick_pair(owner: Engine) -> tuple[int, int, int]:
    """(mentee, mentor, thread): a running mentorship with its thread, the mentee with the
    most threads (the longest inbox list)."""
    with owner.connect() as c:
        return tuple(
            c.execute(
                sa.text(
                    "SELECT m.mentee_id, m.mentor_id, t.id FROM mentorships m"
                    " JOIN threads t ON t.mentorship_id = m.id"
                    " JOIN people a ON a.id = m.mentee_id AND a.is_active"
                    " JOIN people b ON b.id = m.mentor_id AND b.is_active"
                    " WHERE m.status = 'active'"
                    " ORDER BY (SELECT count(*) FROM thread_participants p"
                    "           WHERE p.person_id = m.mentee_id) DESC, m.id LIMIT 1"
                )
            ).one()
        )


def _top_up(url: str, owner: Engine, messages: int, me: int, partner: int, long: int) -> None:
    """COPY messages until the long thread has 10,000 and the database ``messages``."""
    rng = random.Random(14)
    with owner.connect() as c:
        have = c.scalar(sa.text("SELECT count(*) FROM messages"))
        in_long = c.scalar(
            sa.text("SELECT count(*) FROM messages WHERE thread_id = :t"), {"t": long}
        )
        end = c.scalar(sa.text("SELECT max(created_at) FROM messages"))
        members: dict[int, list[int]] = {}
        for tid, pid in c.execute(sa.text("SELECT thread_id, person_id FROM thread_participants")):
            members.setdefault(tid, []).append(pid)
    threads = sorted(members)
    to_long = max(0, LONG_THREAD - in_long)
    rest = max(0, messages - have - to_long)
    # Newest last, a year back from the demo's newest message, ids following time.
    step = timedelta(days=365) / max(1, to_long + rest)
    start = end - timedelta(days=365)

    def rows() -> Iterator[tuple[object, ...]]:
        slots = [long] * to_long + [0] * rest
        rng.shuffle(slots)
        for k, slot in enumerate(slots):
            tid = slot or rng.choice(threads)
            sender = (me, partner)[k % 2] if slot else rng.choice(members[tid])
            yield (tid, sender, "text", f"note {k}: how did the week go?", start + step * k)

    with psycopg.connect(_raw(url)) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY messages (thread_id, sender_id, kind, body, created_at) FROM STDIN"
            ) as copy,
        ):
            for row in rows():
                copy.write_row(row)
        # The participant has read the long thread up to a month ago: ~800 unread there.
        conn.execute(
            "UPDATE thread_participants SET last_read_at = %s - interval '30 days'"
            " WHERE thread_id = %s AND person_id = %s",
            (end, long, me),
        )
        conn.commit()
    with psycopg.connect(_raw(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def build(admin: Engine, name: str, url: str, people: int, messages: int, fresh: bool) -> None:
    owner = create_engine(url)
    try:
        if _database(admin, name, fresh):
            upgrade(url, engine=owner)  # a database kept from before a new migration
            print(f"reusing {name}", flush=True)
            return
        started = time.perf_counter()
        upgrade(url, engine=owner)
        with unit_of_work(owner, plugins=PluginHost()) as ctx:
            fill_demo(ctx, participants=people)
        demo = time.perf_counter() - started
        me, partner, long = _pick_pair(owner)
        _top_up(url, owner, messages, me, partner, long)
        with admin.connect() as c:
            c.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{READY}'"))
        copied = time.perf_counter() - started - demo
        print(f"built {name}: demo {demo:.0f} s, messages {copied:.0f} s", flush=True)
    finally:
        owner.dispose()


def logins(url: str, name: str) -> dict[str, tuple[int, str, str]]:
    """Give the participant and their mentor a login each: role → (person, login, url)."""
    owner = create_engine(url)
    try:
        me, partner, _ = _pick_pair(owner)
        out = {}
        suffix = name.removeprefix("mm_bench_inbox_")
        for role, pid in (("participant", me), ("partner", partner)):
            login = f"mmbi_{suffix}_{role}"
            with unit_of_work(owner, plugins=PluginHost()) as ctx:
                email = ctx.session.scalar(
                    sa.text("SELECT email FROM people WHERE id = :i"), {"i": pid}
                )
                grant_login(ctx, email, "participant", login=login)
            out[role] = (pid, login, normalise_url(url).set(username=login).render_as_string(False))
        return out
    finally:
        owner.dispose()


# ------------------------------------------------------------------ measuring
def bench_reads(engine: Engine, me: int, thread: int, repeat: int) -> list[tuple[str, str]]:
    host = PluginHost()
    actor = Actor(person_id=me, login=None, role=AppRole.PARTICIPANT)

    def listing() -> None:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            threads = inbox.list_threads(ctx)
        assert any(t.id == thread and t.unread > 0 for t in threads), "no unread in long thread"

    def first_page() -> inbox.MessagePage:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            return inbox.read_page(ctx, thread)

    page = first_page()
    assert len(page.messages) == inbox.PAGE_SIZE
    cursor = page.messages[0].id
    with unit_of_work(engine, plugins=host, actor=actor) as ctx:
        for _ in range(100):  # 5,000 messages back
            cursor = inbox.read_page(ctx, thread, before=cursor).older or cursor

    def deep_page() -> None:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            inbox.read_page(ctx, thread, before=cursor)

    def around_hit() -> conversation.Page:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            return conversation.around(ctx, thread, cursor)

    hit_page = around_hit()
    assert any(m.id == cursor for m in hit_page.messages) and hit_page.has_newer
    below = conversation.cursor_of(hit_page.messages[-1])

    def page_below_hit() -> None:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            conversation.newer(ctx, thread, below)

    def fmt(fn: Callable[[], object]) -> str:
        median, p95 = _timings(fn, repeat)
        return f"median {median:6.1f} ms, p95 {p95:6.1f} ms"

    return [
        ("inbox list with unread counts", fmt(listing)),
        (f"first page of a {LONG_THREAD:,}-message thread", fmt(first_page)),
        ("page 5,000 messages back", fmt(deep_page)),
        ("search hit 5,000 back: the page around it", fmt(around_hit)),
        ("search hit 5,000 back: the page below it", fmt(page_below_hit)),
    ]


LISTENER = """
import json, sys, time
import psycopg
from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine, normalise_url

url, person = sys.argv[1], int(sys.argv[2])
engine = create_engine(url)
host = PluginHost()
actor = Actor(person_id=person, login=None, role=AppRole.PARTICIPANT)
raw = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
with psycopg.connect(raw, autocommit=True) as conn:
    conn.execute(f"LISTEN {inbox.person_channel(person)}")
    with unit_of_work(engine, plugins=host, actor=actor) as ctx:
        inbox.list_threads(ctx)  # warm, as an open app is
    print("ready", flush=True)
    for note in conn.notifies():
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            threads = inbox.list_threads(ctx)
        payload = json.loads(note.payload)
        if payload.get("message_id") is None:
            continue
        print(time.time(), payload["message_id"], sum(t.unread for t in threads), flush=True)
"""


def bench_live(
    sender_url: str, me: int, listener_url: str, partner: int, thread: int, n: int = 50
) -> tuple[str, str]:
    """Another process (the partner's app) LISTENs and re-reads its inbox when woken."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LISTENER, listener_url, str(partner)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    engine = create_engine(sender_url)
    host = PluginHost()
    sender = Actor(person_id=me, login=None, role=AppRole.PARTICIPANT)
    sent: list[int] = []
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        latencies = []
        for k in range(n):
            started = time.time()
            with unit_of_work(engine, plugins=host, actor=sender) as ctx:
                message = inbox.send_message(ctx, thread, f"live {k}")
            sent.append(message.message_id)
            while True:
                seen_at, message_id, _unread = proc.stdout.readline().split()
                if int(message_id) == message.message_id:
                    break
            latencies.append((float(seen_at) - started) * 1000)
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
        engine.dispose()
    latencies.sort()
    p95 = latencies[round(0.95 * (len(latencies) - 1))]
    return (
        "written → seen in the partner's process",
        f"median {statistics.median(latencies):6.1f} ms, p95 {p95:6.1f} ms",
    ), sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="rebuild the kept database")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--owner", action="store_true", help="also time reads as the owner")
    args = parser.parse_args()
    admin = sa.create_engine(normalise_url(ADMIN), isolation_level="AUTOCOMMIT")
    name = f"mm_bench_inbox_p{args.people}_m{args.messages}"
    url = normalise_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    who: dict[str, tuple[int, str, str]] = {}
    try:
        build(admin, name, url, args.people, args.messages, args.fresh)
        who = logins(url, name)
        me, login, me_url = who["participant"]
        partner, _, partner_url = who["partner"]
        owner = create_engine(url)
        with owner.connect() as c:
            thread = c.scalar(
                sa.text(
                    "SELECT thread_id FROM messages WHERE thread_id IN"
                    " (SELECT thread_id FROM thread_participants WHERE person_id = :me)"
                    " GROUP BY thread_id ORDER BY count(*) DESC LIMIT 1"
                ),
                {"me": me},
            )
            total = c.scalar(sa.text("SELECT count(*) FROM messages"))
            threads = c.scalar(
                sa.text("SELECT count(*) FROM thread_participants WHERE person_id = :me"),
                {"me": me},
            )
        print(
            f"{total:,} messages; participant {me} (login {login}) in {threads} threads; "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        participant = create_engine(me_url)
        rows = [
            (f"[as {login}] {k}", v) for k, v in bench_reads(participant, me, thread, args.repeat)
        ]
        participant.dispose()
        if args.owner:
            rows += [(f"[as owner] {k}", v) for k, v in bench_reads(owner, me, thread, args.repeat)]
        for label, value in rows:
            print(f"{label:<60} {value}", flush=True)
        live, sent = bench_live(me_url, me, partner_url, partner, thread)
        print(f"{'[as ' + login + '] ' + live[0]:<60} {live[1]}", flush=True)
        with owner.begin() as c:  # leave the kept database as it was
            c.execute(sa.text("DELETE FROM messages WHERE id = ANY(:ids)"), {"ids": sent})
        owner.dispose()
        print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    finally:
        if args.drop:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                for _, login, _ in who.values():
                    c.execute(sa.text(f'DROP ROLE IF EXISTS "{login}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
