"""Participants screen speed: ``python benchmarks/participants_table.py [--database URL] [N]``.

Without ``--database`` it fills a scratch SQLite file with an N-person demo (default
20,000). Prints one row per step: the worker's load (directory query), then the in-memory
steps that run on the GUI thread (filling the model, searching, sorting), which must stay
well under the ~100 ms the GUI thread may block. Target (issue 5): smooth with 20,000 rows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.services import directory
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.demo import fill_demo
from mentormatch_desktop.services.directory import ParticipantFilter
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.ui.models.participants import ParticipantsTableModel


def timed(label: str, rows: list[tuple[str, str, float]], fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    rows.append((label, "", (time.perf_counter() - started) * 1000))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="an existing database to read (default: scratch)")
    parser.add_argument("participants", nargs="?", type=int, default=20_000)
    args = parser.parse_args()
    url = args.database
    if url is None:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        engine = create_engine(url)
        upgrade(url, engine=engine)
        print(f"filling a {args.participants:,}-person demo into {path} …", flush=True)
        with unit_of_work(engine) as ctx:
            fill_demo(ctx, participants=args.participants)
    engine = create_engine(url)
    app = QApplication.instance() or QApplication([])
    rows: list[tuple[str, str, float]] = []

    def load(flt: ParticipantFilter | None = None) -> directory.ParticipantTable:
        with unit_of_work(engine) as ctx:
            return directory.participant_table(ctx, flt)

    table = timed("worker: load every participant", rows, load)
    with unit_of_work(engine) as ctx:
        options = directory.filter_options(ctx)
    if options.programs:
        timed(
            "worker: load one program",
            rows,
            load,
            ParticipantFilter(program_id=options.programs[0].id),
        )
    model = ParticipantsTableModel()
    timed(f"GUI: fill model ({len(table):,} rows)", rows, model.set_table, table)
    for query in ("a", "an", "python", "engineer lon"):
        timed(f"GUI: search {query!r}", rows, model.set_search, query)
    model.set_search("")
    for column in range(3):
        timed(f"GUI: sort column {column}", rows, model.sort, column, Qt.SortOrder.DescendingOrder)
    timed("GUI: 1,000 cell reads", rows, lambda: [model.index(i, 1).data() for i in range(1000)])
    print(f"\n{'step':<44} {'ms':>9}")
    for label, _, ms in rows:
        print(f"{label:<44} {ms:>9.1f}")
    engine.dispose()
    del app


if __name__ == "__main__":
    main()
