"""Dashboard refresh speed on a large PostgreSQL organisation.

Builds a throwaway database with 20,000 participants and 1,000,000 engagement events
(bulk-loaded with COPY from polars-generated CSV), then times:

* ``refresh``: every dashboard metric for one filter (``compute_dashboard``), target < 1 s;
* ``draw``: updating every dashboard panel with those frames and rendering the widget
  offscreen, target < 0.5 s.

Run: ``.venv/bin/python benchmarks/analytics.py`` (``--keep`` leaves the database behind,
``--url`` picks the server). Prints a table of medians over several runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Drawing is measured offscreen, so the benchmark runs without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import polars as pl
import sqlalchemy as sa

from mentormatch_desktop.analytics import Filters, compute_dashboard
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.storage.models import EngagementEvent

PEOPLE = 20_000
EVENTS = 1_000_000
PROGRAMS = 6
DEPARTMENTS = 24
ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata",
    "Australia/Sydney", "America/Sao_Paulo", "Africa/Nairobi",
]  # fmt: skip
NOW = datetime(2026, 6, 1, tzinfo=UTC)
START = NOW - timedelta(days=730)


def _copy(conn: sa.Connection, table: str, frame: pl.DataFrame) -> None:
    """Bulk-load ``frame`` into ``table`` with COPY … FROM STDIN (CSV)."""
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
    cols = ", ".join(frame.columns)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        cp.write(buf.getvalue())


def _ts(seconds: np.ndarray) -> pl.Series:
    """Seconds since START as a UTC datetime series."""
    base = int(START.timestamp() * 1_000_000)
    return pl.Series(base + seconds.astype(np.int64) * 1_000_000).cast(pl.Datetime("us", "UTC"))


def generate(url: str, seed: int = 7) -> dict[str, float]:
    """Fill the database at ``url``; returns seconds per step."""
    rng = np.random.default_rng(seed)
    span = int((NOW - START).total_seconds())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        _copy(conn, "departments", pl.DataFrame({
            "id": np.arange(1, DEPARTMENTS + 1),
            "name": [f"Department {i:02d}" for i in range(1, DEPARTMENTS + 1)],
        }))  # fmt: skip
        _copy(conn, "programs", pl.DataFrame({
            "id": np.arange(1, PROGRAMS + 1),
            "name": [f"Program {i}" for i in range(1, PROGRAMS + 1)],
            "kind": ["one_to_one"] * PROGRAMS, "status": ["active"] * PROGRAMS,
            "description": [""] * PROGRAMS, "session_cadence_days": [14] * PROGRAMS,
            "group_size": [2] * PROGRAMS, "settings": ["{}"] * PROGRAMS,
            "created_at": _ts(np.zeros(PROGRAMS)),
        }))  # fmt: skip
        ids = np.arange(1, PEOPLE + 1)
        _copy(conn, "people", pl.DataFrame({
            "id": ids, "email": [f"p{i}@bench.example" for i in ids],
            "full_name": [f"Participant {i}" for i in ids],
            "department_id": rng.integers(1, DEPARTMENTS + 1, PEOPLE),
            "seniority": rng.integers(1, 8, PEOPLE),
            "years_experience": rng.integers(0, 30, PEOPLE),
            "time_zone": rng.choice(ZONES, PEOPLE), "bio": [""] * PEOPLE,
            "app_role": ["participant"] * PEOPLE, "is_active": [True] * PEOPLE,
            "attributes": ["{}"] * PEOPLE,
            "created_at": _ts(np.zeros(PEOPLE)), "updated_at": _ts(np.zeros(PEOPLE)),
        }))  # fmt: skip
        # A quarter mentor (capacity 1–3), the rest are mentees; one program each.
        program = rng.integers(1, PROGRAMS + 1, PEOPLE)
        is_mentor = rng.random(PEOPLE) < 0.25
        enrolled = rng.integers(0, span // 2, PEOPLE)
        _copy(conn, "enrolments", pl.DataFrame({
            "id": ids, "program_id": program, "person_id": ids,
            "role": np.where(is_mentor, "mentor", "mentee"), "status": ["active"] * PEOPLE,
            "capacity": np.where(is_mentor, rng.integers(1, 4, PEOPLE), 1),
            "cohort": [f"C{c}" for c in rng.integers(1, 5, PEOPLE)], "motivation": [""] * PEOPLE,
            "preferences": ["{}"] * PEOPLE, "enrolled_at": _ts(enrolled),
        }))  # fmt: skip
        # 80% of mentees matched to a mentor of their program.
        mentees = ids[~is_mentor & (rng.random(PEOPLE) < 0.8)]
        n = len(mentees)
        mentor_of = np.empty(n, dtype=np.int64)
        for p in range(1, PROGRAMS + 1):  # per program (6 iterations), not per row
            pool = ids[is_mentor & (program == p)]
            sel = program[mentees - 1] == p
            mentor_of[sel] = rng.choice(pool, sel.sum())
        started = enrolled[mentees - 1] + rng.integers(3 * 86400, 40 * 86400, n)
        status = rng.choice(["active", "completed", "ended_early"], n, p=[0.65, 0.25, 0.10])
        length = rng.integers(60 * 86400, 240 * 86400, n)
        ended = np.where(status == "active", -1, np.minimum(started + length, span - 1))
        mids = np.arange(1, n + 1)
        _copy(
            conn,
            "mentorships",
            pl.DataFrame(
                {
                    "id": mids,
                    "program_id": program[mentees - 1],
                    "mentor_id": mentor_of,
                    "mentee_id": mentees,
                    "status": status,
                    "match_score": rng.random(n),
                    "started_at": _ts(started),
                    "end_reason": [""] * n,
                    "created_at": _ts(started),
                }
            ).with_columns(ended_at=pl.when(pl.Series(ended) >= 0).then(_ts(np.maximum(ended, 0)))),
        )
        # Three milestones and two ratings per mentorship.
        ms_m = np.repeat(mids, 3)
        due = (np.repeat(started, 3) + rng.integers(20, 200, 3 * n) * 86400) // 86400
        done = rng.random(3 * n) < 0.6
        _copy(
            conn,
            "milestones",
            pl.DataFrame(
                {
                    "mentorship_id": ms_m,
                    "owner_id": np.repeat(mentees, 3),
                    "title": ["Milestone"] * (3 * n),
                    "description": [""] * (3 * n),
                    "due_on": pl.Series(due * 86400 * 1_000_000 + int(START.timestamp() * 1e6))
                    .cast(pl.Datetime("us"))
                    .dt.date(),
                    "created_at": _ts(np.repeat(started, 3)),
                }
            ).with_columns(
                completed_at=pl.when(pl.Series(done)).then(
                    _ts(np.minimum(due * 86400 - rng.integers(0, 5, 3 * n) * 86400, span - 1))
                )
            ),
        )
        fb_m = np.repeat(mids, 2)
        _copy(conn, "feedback", pl.DataFrame({
            "mentorship_id": fb_m, "author_id": np.repeat(mentees, 2),
            "rating": rng.choice([1, 2, 3, 4, 5], 2 * n, p=[0.04, 0.08, 0.2, 0.38, 0.3]),
            "comment": [""] * (2 * n),
            "created_at": _ts(np.minimum(
                np.repeat(started, 2) + rng.integers(7, 120, 2 * n) * 86400, span - 1)),
        }))  # fmt: skip
        timings["people, enrolments, mentorships"] = time.perf_counter() - t0
        # 1M events: 85% belong to a mentorship (within its lifetime), the rest are logins.
        t1 = time.perf_counter()
        paired = int(EVENTS * 0.85)
        em = rng.integers(0, n, paired)
        life_end = np.where(ended[em] >= 0, ended[em], span - 1)
        life = np.maximum(life_end - started[em], 1)
        when = started[em] + (rng.random(paired) * life).astype(np.int64)
        actor = np.where(rng.random(paired) < 0.5, mentees[em], mentor_of[em])
        kinds = ["message_sent", "session_held", "message_read", "session_missed",
                 "milestone_completed"]  # fmt: skip
        kind = rng.choice(kinds, paired, p=[0.45, 0.2, 0.25, 0.05, 0.05])
        logins = EVENTS - paired
        who = rng.integers(1, PEOPLE + 1, logins)
        events = pl.concat([
            pl.DataFrame({"person_id": actor, "program_id": program[mentees[em] - 1],
                          "mentorship_id": mids[em], "kind": kind, "occurred_at": _ts(when)}),
            pl.DataFrame({"person_id": who, "program_id": program[who - 1],
                          "mentorship_id": pl.Series([None] * logins, dtype=pl.Int64),
                          "kind": ["login"] * logins,
                          "occurred_at": _ts(rng.integers(0, span, logins))}),
        ], how="vertical_relaxed")  # fmt: skip
        # Bulk-load the way a data import would: FK triggers off (the generator only
        # writes valid ids) and indexes rebuilt once afterwards instead of row by row.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        indexes = list(EngagementEvent.__table__.indexes)
        for index in indexes:
            index.drop(conn)
        _copy(conn, "engagement_events", events)
        for index in indexes:
            index.create(conn)
        conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
        timings["1M events (COPY)"] = time.perf_counter() - t1
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("people", "programs", "departments", "enrolments", "mentorships"):
            top = f"(SELECT max(id) FROM {table})"
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top})"))
        t2 = time.perf_counter()
        conn.execute(sa.text("VACUUM ANALYZE"))
        timings["VACUUM ANALYZE"] = time.perf_counter() - t2
    engine.dispose()
    return timings


def time_refresh(url: str, filters: Filters, runs: int) -> list[float]:
    engine = create_engine(url)
    compute_dashboard(engine, filters)  # warm the pool and the caches
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        compute_dashboard(engine, filters)
        out.append(time.perf_counter() - t)
    engine.dispose()
    return out


def _backend_cpu(admin: sa.Connection, database: str) -> float:
    """CPU seconds used so far by the client backends connected to ``database``."""
    pids = admin.execute(
        sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
        {"d": database},
    ).scalars()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # not on this machine (remote server) or already gone
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def cpu_per_refresh(url: str, filters: Filters, runs: int) -> float | None:
    """CPU seconds (database backends + this process) one refresh costs, load-independent.

    Parallel query workers are switched off for this measurement because they exit before
    their CPU time can be read; the reads still run concurrently on three connections.
    """
    engine = create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _serial(dbapi_conn: object, _record: object) -> None:
        with dbapi_conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_conn.commit()  # type: ignore[attr-defined]

    database = sa.engine.make_url(url).database or ""
    compute_dashboard(engine, filters)
    with sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT").connect() as admin:
        server0, client0 = _backend_cpu(admin, database), time.process_time()
        if server0 == 0.0:
            engine.dispose()
            return None
        for _ in range(runs):
            compute_dashboard(engine, filters)
        server = _backend_cpu(admin, database) - server0
        client = time.process_time() - client0
    engine.dispose()
    return (server + client) / runs


def time_draw(url: str, filters: Filters, runs: int) -> list[float] | None:
    """Update every dashboard panel and render offscreen (None if the UI is unavailable)."""
    try:
        from PySide6.QtWidgets import QApplication

        from mentormatch_desktop.config import Settings
        from mentormatch_desktop.ui import theme
        from mentormatch_desktop.ui.context import AppContext
        from mentormatch_desktop.ui.views.dashboard import DashboardView
    except ImportError as exc:
        print(f"(drawing not measured: {exc})", file=sys.stderr)
        return None
    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app, "light")
    context = AppContext(Settings(database_url=url))
    engine = context.engine
    data = compute_dashboard(engine, filters)
    view = DashboardView(context)  # not activated: no background refresh competes
    view.resize(1600, 2000)
    view.show()
    view.show_data(data)
    app.processEvents()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        view.show_data(data)
        view.grab()  # forces a full paint of every panel
        app.processEvents()
        out.append(time.perf_counter() - t)
    view.close()
    context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()
    admin_url = normalise_url(args.url)
    name = f"mm_bench_analytics_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        setup = generate(url)
        rows = [(f"load: {k}", v, None) for k, v in setup.items()]
        for label, flt in [
            ("refresh, whole organisation", Filters(as_of=NOW)),
            ("refresh, one program", Filters(program="Program 2", as_of=NOW)),
            ("refresh, program + cohort + 6 months",
             Filters(program="Program 2", cohort="C1", start=(NOW - timedelta(days=182)).date(),
                     end=NOW.date())),
        ]:  # fmt: skip
            times = time_refresh(url, flt, args.runs)
            rows.append((label, statistics.median(times), 1.0))
        cpu = cpu_per_refresh(url, Filters(as_of=NOW), args.runs)
        if cpu is not None:
            cores = os.cpu_count() or 1
            rows.append(("  CPU per whole-org refresh (all processes)", cpu, None))
            rows.append((f"  = wall time on {cores} idle cores, at best", cpu / cores, 1.0))
        draws = time_draw(url, Filters(as_of=NOW), args.runs)
        if draws is not None:
            rows.append(("draw every panel (offscreen)", statistics.median(draws), 0.5))
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"\n{PEOPLE:,} participants, {EVENTS:,} engagement events, PostgreSQL")
        print(f"machine: {os.cpu_count()} cores, load average {load} (other work slows wall times)")
        print(f"{'step':<42} {'seconds':>8} {'target':>7}  ok")
        for label, secs, target in rows:
            ok = "" if target is None else ("yes" if secs < target else "NO")
            tgt = "" if target is None else f"< {target:g}"
            print(f"{label:<42} {secs:8.3f} {tgt:>7}  {ok}")
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
