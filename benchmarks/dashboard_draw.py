"""Dashboard redraw cost per panel: what a filter change costs the GUI thread, chart by chart.

``python benchmarks/dashboard_draw.py [--keep FOLDER] [--participants N …] [--repeat R]``
builds the demo databases once (SQLite files in ``FOLDER``, reused on later runs; default
300 and 20,000 people, as ``benchmarks/gui_stalls.py`` does), opens the Dashboard offscreen
on each in a fresh process and changes the filters: a program, a period, and back. Each
panel's ``set_frame`` (the work one event-loop turn does for that chart) is timed in
GUI-thread CPU milliseconds; the table prints the median over ``--repeat`` rounds of each
filter change (there and back), per panel, and their sum. The repaints that follow are not
in these figures: ``gui_stalls.py`` measures whole turns.

Target (issue 12): every turn well under 100 ms; a panel that updates its plot items in
place should cost a fraction of one that rebuilds them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_stalls import build_demo  # a sibling script, not a package


def measure(url: str, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Per filter change, per panel: the CPU milliseconds of each ``set_frame`` call."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["dashboard_draw"])
    from mentormatch_desktop.config import Settings
    from mentormatch_desktop.ui import gc_policy, theme
    from mentormatch_desktop.ui.context import AppContext
    from mentormatch_desktop.ui.views.dashboard import DashboardView
    from mentormatch_desktop.ui.workers import running_tasks

    gc_policy.stop_automatic_collection()
    gc_policy.favour_gui_thread()
    theme.apply_theme(app, "light")
    context = AppContext(Settings(database_url=url))
    view = DashboardView(context)
    view.resize(1440, 1800)
    view.show()

    def idle() -> None:
        deadline = time.monotonic() + 600
        quiet = 0
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            quiet = quiet + 1 if running_tasks() == 0 and not view.drawing() else 0
            if quiet >= 10:
                return
        raise TimeoutError("the dashboard did not settle")

    view.activate()
    idle()
    timings: dict[str, dict[str, list[float]]] = {}
    current: dict[str, list[float]] = {}

    def timed(name: str, set_frame: Callable[[Any], None]) -> Callable[[Any], None]:
        def call(frame: Any) -> None:
            started = time.thread_time()
            set_frame(frame)
            current.setdefault(name, []).append((time.thread_time() - started) * 1000)

        return call

    for name, panel in view.panels.items():
        panel.set_frame = timed(name, panel.set_frame)

    def change(label: str, do: Callable[[], None]) -> None:
        current.clear()
        do()
        idle()
        for name, values in current.items():
            timings.setdefault(label, {}).setdefault(name, []).extend(values)

    programs = view.program_combo.count()
    for _ in range(repeat):
        if programs > 1:
            change("program", lambda: view.program_combo.setCurrentIndex(1))
            change("program", lambda: view.program_combo.setCurrentIndex(0))
        change("period", lambda: view.period_combo.setCurrentIndex(2))
        change("period", lambda: view.period_combo.setCurrentIndex(0))
    view.close()
    context.close()
    return timings


def child(url: str, repeat: int) -> dict[str, dict[str, list[float]]]:
    out = subprocess.run(
        [sys.executable, __file__, "--database", url, "--repeat", str(repeat)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:  # the offscreen platform's chatter is only shown when it failed
        sys.stderr.write(out.stderr)
        out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="*", default=[300, 20_000])
    parser.add_argument("--keep", type=Path, help="build the databases here, or reuse them")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="measure this database only (child mode)")
    args = parser.parse_args()
    if args.database:
        print(json.dumps(measure(args.database, args.repeat)))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="dashboard-draw-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.participants:
        path = folder / f"demo-{size}.sqlite"
        url = f"sqlite:///{path}" if path.exists() else build_demo(path, size)
        results[size] = child(url, args.repeat)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} CPUs; median GUI-thread CPU ms per draw")
    changes = ["program", "period"]
    for size, timings in results.items():
        panels = sorted({p for change in timings.values() for p in change})
        head = f"{f'{size:,} people':<22}" + "".join(f"{c:>12}" for c in changes)
        print(head)
        print("-" * len(head))
        sums = dict.fromkeys(changes, 0.0)
        for panel in panels:
            cells = ""
            for change in changes:
                values = timings.get(change, {}).get(panel, [])
                value = statistics.median(values) if values else None
                sums[change] += value or 0.0
                cells += f"{'—' if value is None else f'{value:.1f}':>12}"
            print(f"{panel:<22}{cells}")
        print(f"{'all panels':<22}" + "".join(f"{sums[c]:>12.1f}" for c in changes))
        worst = max((max(v) for change in timings.values() for v in change.values()), default=0)
        print(f"slowest single panel draw: {worst:.1f} ms\n")


if __name__ == "__main__":
    main()
