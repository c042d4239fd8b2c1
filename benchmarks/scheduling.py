"""Scheduling speed: common slots, the coordinator's bulk question, incremental sync.

Run: ``.venv/bin/python benchmarks/scheduling.py``. Prints one table; times are wall-clock
on this machine (2 cores, shared: expect ±20 %). Targets from issue 15 in brackets.

Rows:
* pair, 4 weeks at 15 min — two people in different zones with 40 busy blocks each: build
  the finder (availability, busy masks, inconvenience) and rank the slots [< 5 ms];
* group of 8, 4 weeks — eight zones on both hemispheres [< 20 ms];
* first slot for 2,000 pairs — a program of 2,000 unscheduled pairs (4,000 people, 20
  zones, 30 busy blocks each), one finder for everyone then one ``first`` per pair,
  in memory and through the service on a SQLite database (reading every row) [< 2 s];
* incremental sync, 1,000-event calendar — after a full sync, 10 events change; the
  incremental sync against the local Google and Microsoft servers and a real Radicale
  [< 1 s].
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentormatch_desktop.scheduling import Horizon, PersonAvailability, SlotFinder
from mentormatch_desktop.scheduling.slots import BusyArrays
from mentormatch_desktop.scheduling.zones import epoch_minutes

START = datetime(2026, 3, 2, tzinfo=UTC)
PROFILE = "--profile" in sys.argv
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Europe/London",
    "America/Los_Angeles",
    "Africa/Lagos",
    "Asia/Singapore",
    "America/Chicago",
    "Europe/Madrid",
    "Pacific/Auckland",
    "Asia/Dubai",
    "America/Mexico_City",
    "Europe/Warsaw",
    "Asia/Kathmandu",
    "America/Bogota",
    "Africa/Johannesburg",
    "Asia/Manila",
]


def person(pid: int, rng: np.random.Generator) -> PersonAvailability:
    zone = ZONES[pid % len(ZONES)]
    start = int(rng.integers(7, 12)) * 60
    windows = [(d, start, start + 8 * 60) for d in range(5)]
    return PersonAvailability.from_rows(pid, zone, windows, label=str(pid))


def busy(rng: np.random.Generator, n: int) -> BusyArrays:
    base = epoch_minutes(START)
    starts = base + rng.integers(0, 28 * 96, n) * 15
    return starts, starts + rng.choice([30, 60, 90], n)


def timed(fn, repeat: int = 20) -> float:
    fn()  # warm caches (zone offsets are cached per zone and horizon, as in the app)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pair_and_group() -> list[tuple[str, float, str]]:
    rng = np.random.default_rng(1)
    horizon = Horizon.weeks_from(START, 4)
    people = [person(i, rng) for i in range(8)]
    blocks = {p.person_id: busy(rng, 40) for p in people}

    def pair() -> None:
        f = SlotFinder(
            horizon, people[:2], blocks, now=START, notice_minutes=720, buffer_minutes=10
        )
        f.common([0, 1], 45, limit=10)

    def group() -> None:
        f = SlotFinder(horizon, people, blocks, now=START, notice_minutes=720, buffer_minutes=10)
        f.common(list(range(8)), 60, limit=10)

    return [
        ("pair, 4 weeks, 15-min grid", timed(pair) * 1000, "ms  [< 5]"),
        ("group of 8, 4 weeks", timed(group) * 1000, "ms  [< 20]"),
    ]


def bulk_in_memory() -> float:
    rng = np.random.default_rng(2)
    horizon = Horizon.weeks_from(START, 4)
    people = [person(i, rng) for i in range(4000)]
    blocks = {p.person_id: busy(rng, 30) for p in people}

    def run() -> None:
        f = SlotFinder(horizon, people, blocks, now=START, notice_minutes=720, buffer_minutes=10)
        for i in range(2000):
            f.first([2 * i, 2 * i + 1], 45)

    return timed(run, repeat=3)


def bulk_through_service() -> float:
    from sqlalchemy import insert

    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_desktop.services.context import unit_of_work
    from mentormatch_desktop.services.schedule import first_slots_for_unscheduled
    from mentormatch_desktop.storage.db import create_engine
    from mentormatch_desktop.storage.migrations import upgrade
    from mentormatch_desktop.storage.models import (
        AvailabilitySlot,
        BusyBlock,
        Mentorship,
        Person,
        Program,
    )

    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = create_engine(url)
        upgrade(url, engine=engine)
        host = PluginHost(autoload=False).load()
        with unit_of_work(engine, plugins=host) as ctx:
            s = ctx.session
            s.add(Program(id=1, name="Bench"))
            s.execute(
                insert(Person),
                [
                    {
                        "id": i + 1,
                        "email": f"p{i}@example.org",
                        "full_name": f"P {i}",
                        "time_zone": ZONES[i % 20],
                    }
                    for i in range(4000)
                ],
            )
            s.execute(
                insert(AvailabilitySlot),
                [
                    {"person_id": i + 1, "weekday": d, "start_minute": st, "end_minute": st + 480}
                    for i in range(4000)
                    for st in [int(rng.integers(7, 12)) * 60]
                    for d in range(5)
                ],
            )
            rows = []
            for i in range(4000):
                starts, ends = busy(rng, 30)
                rows += [
                    {
                        "person_id": i + 1,
                        "starts_at": datetime.fromtimestamp(int(a) * 60, UTC),
                        "ends_at": datetime.fromtimestamp(int(b) * 60, UTC),
                    }
                    for a, b in zip(starts, ends, strict=True)
                ]
            s.execute(insert(BusyBlock), rows)
            s.execute(
                insert(Mentorship),
                [
                    {
                        "program_id": 1,
                        "mentor_id": 2 * i + 1,
                        "mentee_id": 2 * i + 2,
                        "started_at": START,
                    }
                    for i in range(2000)
                ],
            )

        def run() -> None:
            with unit_of_work(engine, plugins=host, clock=lambda: START) as ctx:
                found = first_slots_for_unscheduled(ctx, 1, minutes=45, weeks=4)
                assert len(found) == 2000

        if PROFILE:
            import cProfile
            import pstats

            cProfile.runctx("run()", globals(), {"run": run}, "/tmp/sched.prof")
            pstats.Stats("/tmp/sched.prof").sort_stats("cumtime").print_stats(25)
        t = timed(run, repeat=3)
        engine.dispose()
        return t


def sync_rows() -> list[tuple[str, float, str]]:
    import httpx
    import keyring

    from mentormatch_desktop.plugin.contracts import CalendarAccount, CalendarEvent
    from mentormatch_plugins.calendar import oauth, secrets
    from mentormatch_plugins.calendar.google import GoogleCalendar
    from mentormatch_plugins.calendar.google import oauth_config as g_config
    from mentormatch_plugins.calendar.microsoft import MicrosoftCalendar
    from mentormatch_plugins.calendar.microsoft import oauth_config as m_config
    from mentormatch_plugins.calendar.testserver import MemoryKeyring, start_cloud, start_radicale

    keyring.set_keyring(MemoryKeyring())
    out = []
    window = (START - timedelta(days=1), START + timedelta(weeks=8))

    def browser(url: str) -> None:
        httpx.get(httpx.get(url).headers["Location"])

    with start_cloud() as cloud:
        st = cloud.state
        for i in range(1000):
            s = START + timedelta(hours=i)
            st.add_google_event(
                {
                    "id": f"e{i}",
                    "status": "confirmed",
                    "start": {"dateTime": s.isoformat()},
                    "end": {"dateTime": (s + timedelta(minutes=30)).isoformat()},
                }
            )
            st.add_graph_event(
                {
                    "id": f"m{i}",
                    "showAs": "busy",
                    "start": {"dateTime": s.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                    "end": {
                        "dateTime": (s + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"),
                        "timeZone": "UTC",
                    },
                }
            )
        for name, conn, config, base, events, changed in (
            ("google", GoogleCalendar(), g_config, "/calendar/v3", st.g_events, st.g_changed),
            ("microsoft", MicrosoftCalendar(), m_config, "/v1.0", st.m_events, st.m_changed),
        ):
            settings = cloud.settings(base_url=cloud.base + base)
            secrets.set_token(
                name, oauth.authorize(config(settings), open_browser=browser, timeout=10)
            )
            account = CalendarAccount(name, "x@example.org", settings, name)
            full = conn.sync(account, {}, *window)
            for key in list(events)[:10]:
                changed[key] = next(st.clock)
            t = time.perf_counter()
            inc = conn.sync(account, full.state, *window)
            out.append(
                (
                    f"incremental sync, 1,000 events ({name})",
                    (time.perf_counter() - t) * 1000,
                    "ms  [< 1000]",
                )
            )
            assert not inc.full and len(inc.busy) == 10

    try:
        import caldav

        from mentormatch_plugins.calendar.caldav_connector import CalDavCalendar
    except ImportError:
        return out
    with tempfile.TemporaryDirectory() as tmp, start_radicale(Path(tmp)) as rad:
        client = caldav.DAVClient(url=rad.url, username=rad.username, password=rad.password)
        cal = client.principal().make_calendar(name="bench")
        secrets.set_secret("rad", rad.password)
        account = CalendarAccount(
            "caldav", rad.username, {"url": rad.url, "calendar_url": str(cal.url)}, "rad"
        )
        conn = CalDavCalendar()
        # Seed with plain PUTs: the connector's save_event first searches the calendar for
        # the UID, which makes 1,000 inserts quadratic and is not what is measured here.
        from mentormatch_desktop.scheduling.ics import calendar_of
        from mentormatch_plugins.calendar.ics import session_event

        urls = []
        with httpx.Client(auth=(rad.username, rad.password)) as http:
            for i in range(1000):
                s = START + timedelta(hours=i)
                ev = CalendarEvent(
                    uid=f"b{i}", start=s, end=s + timedelta(minutes=30), summary="busy"
                )
                url = f"{str(cal.url).rstrip('/')}/b{i}.ics"
                body = calendar_of([session_event(ev)]).to_ical()
                http.put(
                    url, content=body, headers={"Content-Type": "text/calendar"}
                ).raise_for_status()
                urls.append(url)
        full = conn.sync(account, {}, *window)
        for i in range(10):
            s = START + timedelta(hours=i, minutes=15)
            conn.update_event(
                account,
                urls[i],
                CalendarEvent(
                    uid=f"b{i}", start=s, end=s + timedelta(minutes=30), summary="moved", sequence=1
                ),
            )
        t = time.perf_counter()
        inc = conn.sync(account, full.state, *window)
        out.append(
            (
                "incremental sync, 1,000 events (caldav/Radicale)",
                (time.perf_counter() - t) * 1000,
                "ms  [< 1000]",
            )
        )
        assert not inc.full and len(inc.busy) == 10, (inc.full, len(inc.busy))
    return out


def main() -> None:
    rows = pair_and_group()
    rows.append(("first slot, 2,000 pairs (in memory)", bulk_in_memory() * 1000, "ms  [< 2000]"))
    rows.append(
        ("first slot, 2,000 pairs (service, SQLite)", bulk_through_service() * 1000, "ms  [< 2000]")
    )
    rows += sync_rows()
    width = max(len(r[0]) for r in rows)
    for name, value, unit in rows:
        print(f"{name.ljust(width)}  {value:9.2f} {unit}")


if __name__ == "__main__":
    main()
