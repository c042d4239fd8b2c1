"""The Inbox's conversation view on a 10,000-message thread (offscreen Qt, SQLite).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/inbox_conversation_ui.py``
(``--messages N`` to size the thread, ``--profile`` to print where the time goes).

Rows (wall time, GUI thread included, on a scratch SQLite file):
* open — ``open_thread`` until the newest page is shown and scrolled to the end;
* one page older — scrolling to the top until the page before is in and laid out;
* a frame — repainting the viewport while scrolled somewhere in the middle (median of 30);
* scroll step — one wheel step's worth of scroll bar change plus its repaint (median of 60);
* everything — walking to the very top a page at a time (500-message pages, to keep it short);
* resize — the window made a little narrower and wider again with every row loaded;
* open at a search hit — ``open_at`` a message half-way back until the page around it is
  shown, centred and highlighted;
* one page newer — from there, scrolling to the bottom until the page after is in.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from mentormatch_desktop.config import Settings
from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.storage.models import Mentorship, Message
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import sign_in


def _seed_module():
    path = Path(__file__).resolve().parents[1] / "tests" / "ui" / "seed.py"
    spec = importlib.util.spec_from_file_location("mm_bench_seed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(url: str, total: int, host: PluginHost) -> int:
    upgrade(url)
    engine = create_engine(url)
    ids = _seed_module().seed_small_org(engine)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with transaction(engine) as s:
        m = Mentorship(
            program_id=ids["program"], mentor_id=ids["ada"], mentee_id=ids["alan"], started_at=start
        )
        s.add(m)
        s.flush()
        mid = m.id
    with unit_of_work(engine, plugins=host) as ctx:
        thread = inbox.ensure_mentorship_thread(ctx, mid).id
    text = "Let us meet on Thursday to go through the design review and the reading list"
    words = text.split(" ")
    rows = [
        {
            "thread_id": thread,
            "sender_id": ids["ada"] if i % 3 else ids["alan"],
            "kind": "text",
            "body": f"message {i}: " + " ".join(words[: 3 + (i * 7) % len(words)] * (1 + i % 4)),
            "created_at": start + timedelta(minutes=i),
            "fanout_pending": False,
        }
        for i in range(total)
    ]
    with engine.begin() as c:
        c.execute(sa.insert(Message), rows)
    engine.dispose()
    return thread


def _search_hit(engine, host: PluginHost, me: int | None, number: int) -> inbox.MessageView:
    """Message ``number`` as the Inbox's search finds it (what ``open_at`` is handed)."""
    actor = Actor(person_id=me, login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(engine, plugins=host, actor=actor) as ctx:
        [hit] = inbox.search_messages(ctx, f"message {number}:")
    return hit


def until(predicate, timeout: float = 60.0) -> None:
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while not predicate():
        app.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    host = PluginHost().load()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        thread = build(url, args.messages, host)
        signed = sign_in(url, as_email="alan@example.org")
        context = AppContext(
            Settings(database_url=signed.url),
            engine=signed.engine,
            identity=signed.identity,
            plugin_host=host,
        )
        window = MainWindow(context, settings=QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat))
        window.resize(1280, 800)
        window.show()
        context.mark_connected()
        window.set_ready()
        view = window.navigate("inbox")
        until(lambda: view.state is not None)
        wait_idle(30)
        profiler = cProfile.Profile() if args.profile else None

        t = time.perf_counter()
        view.open_thread(thread, mark=False)
        until(lambda: view.model.rowCount() > 0)
        app.processEvents()
        opened = time.perf_counter() - t
        bar = view.view.verticalScrollBar()

        t = time.perf_counter()
        bar.setValue(0)
        until(lambda: view.model.rowCount() >= 100)
        app.processEvents()
        one_page = time.perf_counter() - t

        bar.setValue(bar.maximum() // 2)
        app.processEvents()
        frames = []
        for _ in range(30):
            t = time.perf_counter()
            view.view.viewport().repaint()
            frames.append(time.perf_counter() - t)
        steps = []
        for i in range(60):
            t = time.perf_counter()
            bar.setValue(bar.value() + (72 if i % 2 else -72))
            view.view.viewport().repaint()
            steps.append(time.perf_counter() - t)

        if profiler:
            profiler.enable()
        view.model.page_size = 500
        t = time.perf_counter()
        while view.model.has_older:
            bar.setValue(0)
            until(lambda: not view.model.loading)
            app.processEvents()
        everything = time.perf_counter() - t
        if profiler:
            profiler.disable()
        rows = view.model.rowCount()
        resizes = []
        for w in (1260, 1240, 1280):  # the bubbles' width limit stays: nothing re-measured
            t = time.perf_counter()
            window.resize(w, 800)
            app.processEvents()
            view.view.doItemsLayout()  # what the list's delayed relayout then does
            view.view.viewport().repaint()
            resizes.append(time.perf_counter() - t)
        wait_idle(30)
        hit = _search_hit(signed.engine, host, signed.identity.person_id, args.messages // 2)
        view.model.page_size = 50
        t = time.perf_counter()
        view.open_at(hit, "message")
        until(lambda: view.model.row_of(hit.id) is not None)
        app.processEvents()
        at_hit = time.perf_counter() - t
        rows_at_hit = view.model.rowCount()
        t = time.perf_counter()
        bar.setValue(bar.maximum())
        until(lambda: view.model.rowCount() > rows_at_hit)
        app.processEvents()
        one_newer = time.perf_counter() - t
        window.close()
        wait_idle(30)
        context.close()
    load = os.getloadavg()
    print(f"conversation view, {args.messages:,}-message thread, SQLite, offscreen Qt")
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"  open (newest page shown)      {opened * 1000:8.0f} ms")
    print(f"  one page older (50)           {one_page * 1000:8.0f} ms")
    print(f"  a frame (repaint, median)     {statistics.median(frames) * 1000:8.1f} ms")
    print(f"  scroll step (median)          {statistics.median(steps) * 1000:8.1f} ms")
    print(f"  everything to the top         {everything:8.1f} s  ({rows:,} rows)")
    print(f"  resize, all rows loaded       {statistics.median(resizes) * 1000:8.0f} ms")
    print(f"  open at a search hit (middle) {at_hit * 1000:8.0f} ms")
    print(f"  one page newer (50)           {one_newer * 1000:8.0f} ms")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
