"""What row-level security costs: the same reads as a login bound by policies and as the
owner, on the 20,000-person demo organisation (PostgreSQL).

Creates a throwaway database (or reuses ``--url``), fills it with ``fill_demo`` (20,000
participants), gives a participant, a coordinator of every program and an analyst a login
each, then times (median of ``--repeat`` runs, after one warm-up):

* ``dashboard``: every dashboard metric (``compute_dashboard``) as the coordinator and as
  the analyst (pseudonymised views) against the superuser connection;
* a program coordinator (``mentormatch_program_coordinator``) of every demo program but
  the largest, about 16,000 of the 20,000 people, against the owner running the same read
  narrowed to the same rows: the Participants table (``participant_table``) unfiltered and
  filtered to one of their programs, the Dashboard (``compute_dashboard``) of each of their
  programs, the Mentorships list unfiltered and per program, and a people search. The
  owner's unfiltered participants table gets the coordinator's scope added to its
  people filter (``_filtered_people``), the unfiltered mentorships list the ids of the
  coordinator's mentorships, the search the same scope as SQL;
* the heaviest participant reads, as the participant against the owner running the same
  query with the person's id spelt out: my mentorships with milestones and sessions, my
  inbox (threads, last message, unread counts), my activity, and a directory search.
  These take about a millisecond, so the two sides alternate (a load spike from the other
  people on the machine hits both) for at least ``--repeat`` runs each and about
  ``--budget`` seconds in all.

The database is ANALYZEd first. A freshly filled demo has no statistics when autovacuum is
off or has not come round yet, and then the planner guesses: the owner's "my mentorships"
hash-joined all 55,000 meetings (7-13 ms) while the participant's policies happened to
add indexable conditions (1 ms), ratios of 0.1-0.2× that said nothing about RLS.

Target: each RLS figure within 1.5× of the owner's. Run:
``.venv/bin/python benchmarks/rls.py [--participants 20000] [--url URL] [--keep]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.analytics import Filters, compute_dashboard
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import directory
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, unit_of_work
from mentormatch_desktop.services.directory import ParticipantFilter, participant_table
from mentormatch_desktop.services.mentorships import MentorshipFilter, list_mentorships
from mentormatch_desktop.services.org import grant_login
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.testing import fill_demo_database

TARGET = 1.5

# Each participant query is written once with :me; as the participant the policies alone
# narrow it, so the participant's version drops the explicit filter (``{mine}``).
PARTICIPANT_QUERIES = {
    "my mentorships": """
        SELECT m.id, m.status, count(DISTINCT ms.id) AS milestones,
               count(DISTINCT mt.id) AS sessions, max(mt.starts_at) AS last_session
        FROM mentorships m
        LEFT JOIN milestones ms ON ms.mentorship_id = m.id
        LEFT JOIN meetings mt ON mt.mentorship_id = m.id
        WHERE {mine_m}
        GROUP BY m.id, m.status""",
    "my inbox": """
        SELECT t.id, t.subject, max(g.created_at) AS last_message,
               count(g.id) FILTER (WHERE g.created_at > coalesce(tp.last_read_at,
                                                                '-infinity')) AS unread
        FROM threads t
        JOIN thread_participants tp ON tp.thread_id = t.id AND tp.person_id = :me
        LEFT JOIN messages g ON g.thread_id = t.id
        GROUP BY t.id, t.subject, tp.last_read_at
        ORDER BY last_message DESC NULLS LAST""",
    "my activity": """
        SELECT kind, date_trunc('week', occurred_at) AS week, count(*)
        FROM engagement_events WHERE {mine_e}
        GROUP BY 1, 2 ORDER BY 2""",
    "directory search": """
        SELECT id, full_name, title, department FROM directory
        WHERE full_name ILIKE '%an%' OR 'Python' = ANY (skills)
        ORDER BY full_name LIMIT 50""",
}


# Who a program coordinator sees, spelt out for the owner: everyone but the people enrolled
# only in programs they do not coordinate (10_functions.sql, mm_hidden_people()). Written
# the way the owner would best write it (a hashed NOT IN), so the ratio is what RLS costs.
COORDINATED_SQL = """
    people.id NOT IN (SELECT e.person_id FROM enrolments e WHERE e.person_id <> :me
                      GROUP BY e.person_id
                      HAVING NOT bool_or(e.program_id = ANY (:programs)))"""

# Their people search (the must-not-match picker's ``find_people``, as SQL so the owner's
# version can carry the scope): name or e-mail containing the text, first 20 by name.
PEOPLE_SEARCH = """
    SELECT id, full_name, email FROM people
    WHERE (lower(full_name) LIKE '%an%' OR lower(email) LIKE '%an%') AND {scope}
    ORDER BY full_name LIMIT 20"""


@contextmanager
def _owner_scope(me: int, programs: list[int]) -> Iterator[None]:
    """Narrow ``participant_table``'s people to a program coordinator's, for the owner."""
    original = directory._filtered_people
    scope = sa.text(COORDINATED_SQL).bindparams(me=me, programs=programs)

    def scoped(flt: ParticipantFilter) -> sa.Select[tuple[int]]:
        return original(flt).where(scope)

    directory._filtered_people = scoped  # type: ignore[assignment]
    try:
        yield
    finally:
        directory._filtered_people = original  # type: ignore[assignment]


def _service(engine: Engine, read: Callable[..., object], *args: object) -> Callable[[], object]:
    """``read(ctx, *args)`` in a unit of work of its own, as the app runs a screen's load."""

    def run() -> object:
        with unit_of_work(engine, plugins=PluginHost(), actor=LOCAL_COORDINATOR) as ctx:
            return read(ctx, *args)

    return run


def _program_coordinator_rows(
    owner: Engine, coord: Engine, me: int, programs: list[int], repeat: int, budget: float
) -> list[tuple[str, str, float, float]]:
    """The reads of a coordinator limited to ``programs``, each against the owner's same
    read narrowed to the same rows (checked once before timing)."""
    role = "prog. coord."
    rows = []

    def owner_table() -> object:
        with _owner_scope(me, programs):
            return _service(owner, participant_table)()

    def program_table(engine: Engine) -> Callable[[], object]:
        return _service(engine, participant_table, ParticipantFilter(program_id=programs[0]))

    with unit_of_work(owner, plugins=PluginHost(), actor=LOCAL_COORDINATOR) as ctx:
        theirs = tuple(m.id for m in list_mentorships(ctx) if m.program_id in set(programs))
    mentorship_reads = {
        "mentorships (all)": (
            _service(owner, list_mentorships, MentorshipFilter(ids=theirs)),
            _service(coord, list_mentorships),
        ),
        "mentorships (1 prog)": (
            _service(owner, list_mentorships, MentorshipFilter(program_id=programs[0])),
            _service(coord, list_mentorships, MentorshipFilter(program_id=programs[0])),
        ),
    }
    search = (
        _query(
            owner, PEOPLE_SEARCH.format(scope=COORDINATED_SQL), {"me": me, "programs": programs}
        ),
        _query(coord, PEOPLE_SEARCH.format(scope="true"), {}),
    )
    reads: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "participants (all)": (owner_table, _service(coord, participant_table)),
        "participants (1 prog)": (program_table(owner), program_table(coord)),
        **mentorship_reads,
        "people search": search,
    }
    for label, (as_owner, as_coord) in reads.items():
        mine, seen = as_owner(), as_coord()
        if _shape(mine) != _shape(seen):
            raise SystemExit(f"{label}: the owner's read differs from the coordinator's")
        owner_s, rls_s = _median_pair(as_owner, as_coord, repeat, budget)
        rows.append((label, role, owner_s, rls_s))

    def dashboards(engine: Engine) -> Callable[[], object]:
        return lambda: [compute_dashboard(engine, Filters(program=p)) for p in programs]

    owner_s, rls_s = _median_pair(dashboards(owner), dashboards(coord), repeat, 0.0)
    rows.append((f"dashboard x{len(programs)} progs", role, owner_s, rls_s))
    return rows


def _shape(result: object) -> object:
    """What must match between the owner's and the coordinator's read: the ids (or rows)."""
    if hasattr(result, "ids"):  # ParticipantTable
        return sorted(result.ids)
    if isinstance(result, list) and result and hasattr(result[0], "program_id"):
        return sorted(m.id for m in result)  # MentorshipRow
    return result


def _median(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: caches, plans
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _median_pair(
    first: Callable[[], object], second: Callable[[], object], repeat: int, budget: float
) -> tuple[float, float]:
    """Medians of two readings taken in turns: at least ``repeat`` each, more while the
    pair has used less than ``budget`` seconds (at most 500 each)."""
    first(), second()  # warm-up: caches, plans
    times: tuple[list[float], list[float]] = ([], [])
    spent = 0.0
    while len(times[0]) < repeat or (spent < budget and len(times[0]) < 500):
        for fn, acc in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - started)
            spent += acc[-1]
    return statistics.median(times[0]), statistics.median(times[1])


def _query(engine: Engine, sql: str, params: dict) -> Callable[[], object]:
    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    return run


def _login_url(url: str, name: str, password: str) -> str:
    return make_url(url).set(username=name, password=password).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--url", help="an existing demo database (else a throwaway one)")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--budget", type=float, default=2.0, help="seconds for each participant read's runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args(argv)

    admin = sa.create_engine(normalise_url(args.server), isolation_level="AUTOCOMMIT")
    created_db = None
    url = args.url
    if url is None:
        created_db = f"mm_bench_rls_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{created_db}"'))
        url = (
            normalise_url(args.server)
            .set(database=created_db)
            .render_as_string(hide_password=False)
        )
    owner = create_engine(url)
    token = uuid.uuid4().hex[:8]
    logins: list[str] = []
    engines: list[Engine] = []
    try:
        if created_db:
            started = time.perf_counter()
            upgrade(url, engine=owner)
            # fill_demo takes a ServiceContext: one unit of work as the local coordinator.
            fill_demo_database(owner, participants=args.participants)
            print(
                f"demo with {args.participants} participants: "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
        with owner.connect() as conn:
            # Statistics as autovacuum would keep them (see the module docstring).
            started = time.perf_counter()
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
            print(f"ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
            me, participant_email = conn.execute(
                sa.text(
                    "SELECT p.id, p.email FROM people p JOIN thread_participants tp"
                    " ON tp.person_id = p.id JOIN mentorships m ON m.mentee_id = p.id"
                    " GROUP BY p.id ORDER BY count(DISTINCT tp.thread_id) DESC, p.id LIMIT 1"
                )
            ).one()
            coordinator_email = conn.execute(
                sa.text("SELECT email FROM people WHERE id <> :me ORDER BY id LIMIT 1"), {"me": me}
            ).scalar_one()
            analyst_email = conn.execute(
                sa.text(
                    "SELECT email FROM people WHERE id NOT IN (:me) AND email <> :c"
                    " ORDER BY id LIMIT 1"
                ),
                {"me": me, "c": coordinator_email},
            ).scalar_one()
            # A coordinator of every program but the largest: most people, not all.
            limited_programs = list(
                conn.execute(
                    sa.text(
                        "SELECT p.id FROM programs p LEFT JOIN enrolments e"
                        " ON e.program_id = p.id GROUP BY p.id"
                        " ORDER BY count(e.id) DESC, p.id OFFSET 1"
                    )
                ).scalars()
            )
            limited_me, limited_email = conn.execute(
                sa.text(
                    "SELECT id, email FROM people WHERE email NOT IN (:p, :c, :a)"
                    " ORDER BY id LIMIT 1"
                ),
                {"p": participant_email, "c": coordinator_email, "a": analyst_email},
            ).one()
        urls = {}
        for key, role, email, programs in (
            ("participant", "participant", participant_email, None),
            ("coordinator", "coordinator", coordinator_email, None),
            ("analyst", "analyst", analyst_email, None),
            ("limited", "coordinator", limited_email, [str(p) for p in limited_programs]),
        ):
            name, password = f"mmbench{token}_{key}", uuid.uuid4().hex
            with unit_of_work(owner, plugins=PluginHost()) as ctx:
                grant_login(ctx, email, role, programs=programs, password=password, login=name)
            logins.append(name)
            urls[key] = _login_url(url, name, password)
        as_role = {role: create_engine(u) for role, u in urls.items()}
        engines.extend(as_role.values())

        rows: list[tuple[str, str, float, float]] = []
        dash = lambda e: lambda: compute_dashboard(e, Filters())  # noqa: E731
        base = _median(dash(owner), args.repeat)
        for role in ("coordinator", "analyst"):
            rows.append(
                ("dashboard refresh", role, base, _median(dash(as_role[role]), args.repeat))
            )
        rows.extend(
            _program_coordinator_rows(
                owner, as_role["limited"], limited_me, limited_programs, args.repeat, args.budget
            )
        )
        for label, sql in PARTICIPANT_QUERIES.items():
            owner_sql = sql.format(
                mine_m="(m.mentor_id = :me OR m.mentee_id = :me)", mine_e="person_id = :me"
            )
            mine_sql = sql.format(mine_m="true", mine_e="true")
            if label == "directory search":
                # The owner reads the same fields straight from the tables.
                owner_sql = owner_sql.replace("FROM directory", "FROM mm_directory_rows()")
            owner_s, rls_s = _median_pair(
                _query(owner, owner_sql, {"me": me}),
                _query(as_role["participant"], mine_sql, {"me": me}),
                args.repeat,
                args.budget,
            )
            rows.append((label, "participant", owner_s, rls_s))
        print(f"\n{'read':<22} {'as':<12} {'owner ms':>9} {'RLS ms':>9} {'ratio':>6}")
        worst = 0.0
        for label, role, owner_s, rls_s in rows:
            ratio = rls_s / owner_s if owner_s else float("inf")
            worst = max(worst, ratio)
            flag = "" if ratio <= TARGET else "  over target"
            print(
                f"{label:<22} {role:<12} {owner_s * 1000:>9.1f} {rls_s * 1000:>9.1f}"
                f" {ratio:>5.2f}x{flag}"
            )
        print(f"\nworst ratio {worst:.2f}x (target ≤ {TARGET}x)")
        return 0
    finally:
        for engine in engines:
            engine.dispose()
        owner.dispose()
        with admin.connect() as conn:
            for name in logins:
                # DROP OWNED also takes back CONNECT on the database (a shared object),
                # which `org grant` gives and which would keep the role from being dropped.
                conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
                conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
            if created_db and not args.keep:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)'))
            elif created_db:
                print(f"kept {url}")
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
