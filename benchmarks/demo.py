"""Demo generation speed: ``python benchmarks/demo.py [N …]`` prints one row per size.

Creates a scratch PostgreSQL database per size (``MENTORMATCH_TEST_DATABASE_URL`` or the
local server) and a scratch SQLite file, fills it with the demo and drops it again.
Target (issue 3): 20,000 participants on PostgreSQL in under 60 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.demo import fill_demo
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.testing import postgres_admin_url


def run(url: str, participants: int) -> tuple[float, float, float, int]:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        upgrade(url, engine=engine)
        with unit_of_work(engine) as ctx:
            summary = fill_demo(ctx, participants=participants)
        total = time.perf_counter() - started
    finally:
        engine.dispose()
    return total, summary.generate_seconds, summary.write_seconds, summary.total_rows


def main(sizes: list[int]) -> None:
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    columns = ("backend", "participants", "rows", "generate s", "write s", "total s")
    widths = (11, 13, 11, 12, 9, 9)
    print(
        "".join(
            f"{c:<{w}}" if k == 0 else f"{c:>{w}}"
            for k, (c, w) in enumerate(zip(columns, widths, strict=True))
        )
    )
    for n in sizes:
        for backend in ("sqlite", "postgresql"):
            if backend == "sqlite" and n > 5000:
                continue  # the embedded database is for small organisations
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "sqlite":
                    url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
                    total, gen, write, rows = run(url, n)
                else:
                    name = f"mm_bench_{uuid.uuid4().hex[:10]}"
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    try:
                        url = postgres_admin_url().set(database=name).render_as_string(False)
                        total, gen, write, rows = run(url, n)
                    finally:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"{backend:<11}{n:>13}{rows:>11}{gen:>12.1f}{write:>9.1f}{total:>9.1f}")
    admin.dispose()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300, 20_000])
