"""GUI-thread stalls: how long the window stops answering during each user action.

``python benchmarks/gui_stalls.py [--quick] [--participants N]`` builds the demo database
(300 people) and, unless ``--quick``, a 20,000-person one (``mentormatch demo
--participants 20000`` into a temporary SQLite file), then drives the desktop app offscreen
in a fresh process per database: start-up, every screen, the Dashboard filters and export,
Programs selection, the import wizard, the profile editor, the mentorship detail, skill-merge
*Find duplicates* and *Learn* in the learned-weights dialog.

A 10 ms heartbeat ``QTimer`` runs on the GUI thread; a stall is the longest time between two
beats minus the interval (the time a click or a repaint would have waited). The table prints
the longest stall per action and per database, the GUI thread's CPU time in it (``cpu``) and,
on Linux, how long of it the GUI thread was ready to run but waited for a CPU core
(``runq``, from ``/proc/thread-self/schedstat``: the machine's load, not our code). What is
left (stall − cpu − runq) the thread was blocked: the interpreter lock held by a worker, a
lock, a disk read. The last line is ``max stall: N ms``.
Target (issue 12): no action over 100 ms.

``--database URL`` measures one existing database only (used for each child process).
``--only-dashboard`` measures start-up, opening the Dashboard and its filters and export only
(the other screens are never opened), ``--keep FOLDER`` builds the databases there once and
reuses them on later runs.
Before the children start, the app's own modules are compiled to bytecode, as installing
a wheel or the bundle does: with ``PYTHONDONTWRITEBYTECODE`` set (as on our build machines)
an editable checkout would otherwise compile every module from source at each start, and
a worker thread's ``compile()`` holds the interpreter lock for up to ~13 ms a module,
which showed up as start-up stalls no user of an installed app has.
``GUI_STALLS_PROFILE=text[,text…]`` prints a cProfile (by cumulative time) of every action
whose name contains one of the ``text``s, to find what runs on the GUI thread.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEARTBEAT_MS = 10
TARGET_MS = 100


# -- the child: one database, one fresh process -----------------------------------------
def runqueue_ms() -> float:
    """How long the calling thread has waited for a CPU so far (Linux; 0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as stats:
            return int(stats.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


Row = tuple[str, float, float, float, float]


def measure(database_url: str, *, heavy: bool, only_dashboard: bool = False) -> list[Row]:
    """Drive the app on ``database_url``; returns (action, stall ms, wall seconds, GUI-thread
    CPU ms in the longest gap, ms of the longest stall spent waiting for a CPU) rows."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["MENTORMATCH_DATABASE_URL"] = database_url
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["gui_stalls"])
    beats = QElapsedTimer()
    worst = [0.0]
    # CPU time the GUI thread itself spent in the longest gap: on a loaded machine the wall
    # stall grows with the load, this figure does not (it says what our code costs).
    worst_cpu = [0.0]
    cpu_mark = [time.thread_time()]
    worst_runq = [0.0]  # runqueue wait in the longest gap
    runq_mark = [runqueue_ms()]

    def beat() -> None:
        gap = beats.nsecsElapsed() / 1e6
        beats.restart()
        now = time.thread_time()
        cpu = (now - cpu_mark[0]) * 1000
        cpu_mark[0] = now
        runq_now = runqueue_ms()
        if gap - HEARTBEAT_MS > worst[0]:
            worst[0] = gap - HEARTBEAT_MS
            worst_runq[0] = runq_now - runq_mark[0]
        runq_mark[0] = runq_now
        worst_cpu[0] = max(worst_cpu[0], cpu)

    timer = QTimer(interval=HEARTBEAT_MS)
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.timeout.connect(beat)
    beats.start()
    timer.start()

    def pump(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    from mentormatch_desktop.ui.workers import running_tasks

    holder: dict[str, Any] = {}

    def idle(timeout: float = 300.0, until: Callable[[], bool] | None = None) -> None:
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            drawing = any(getattr(w, "drawing", lambda: False)() for w in screens())
            done = running_tasks() == 0 and not drawing and (until is None or until())
            quiet = quiet + 1 if done else 0
            if quiet >= 10:
                return
        raise TimeoutError("the app did not become idle")

    rows: list[Row] = []

    def screens() -> list[Any]:
        window = holder.get("window")
        return list(window.screens.values()) if window is not None else []

    def action(name: str, do: Callable[[], Any], until: Callable[[], bool] | None = None) -> Any:
        pump(0.1)
        worst[0] = 0.0
        worst_cpu[0] = 0.0
        worst_runq[0] = 0.0
        beats.restart()
        cpu_mark[0] = time.thread_time()
        runq_mark[0] = runqueue_ms()
        profile = os.environ.get("GUI_STALLS_PROFILE")
        profiler = None
        if profile and any(part and part in name for part in profile.split(",")):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        cpu_started = time.thread_time()
        runq_started = runqueue_ms()
        result = do()  # runs on the GUI thread: its own duration is a stall too
        synchronous = (time.perf_counter() - started) * 1000
        synchronous_cpu = (time.thread_time() - cpu_started) * 1000
        synchronous_runq = runqueue_ms() - runq_started
        steps = getattr(result, "drawing", None)  # a dialog that builds in steps
        if callable(steps):
            wanted = until
            until = lambda: not steps() and (wanted is None or wanted())  # noqa: E731
        idle(until=until)
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        pump(0.2)  # late repaints and queued results
        stall = max(worst[0], synchronous - HEARTBEAT_MS, 0.0)
        cpu = max(worst_cpu[0], synchronous_cpu)
        runq = synchronous_runq if synchronous - HEARTBEAT_MS > worst[0] else worst_runq[0]
        rows.append((name, stall, time.perf_counter() - started, cpu, runq))
        print(f"  {name:<40} {stall:8.0f} ms  cpu {cpu:5.0f} ms  runq {runq:5.0f} ms"
              f"  ({rows[-1][2]:.1f} s)", file=sys.stderr)  # fmt: skip
        return result

    scratch = tempfile.mkdtemp(prefix="gui-stalls-")

    # Imported before the window exists, as ``app.py`` does: no window can freeze yet.
    from mentormatch_desktop.config import load_settings
    from mentormatch_desktop.ui import gc_policy, native_imports, theme
    from mentormatch_desktop.ui.context import AppContext
    from mentormatch_desktop.ui.main_window import MainWindow
    from mentormatch_desktop.ui.startup import start

    # The interpreter policies ``app.py`` sets before the first worker starts.
    gc_policy.stop_automatic_collection()
    gc_policy.favour_gui_thread()
    theme.apply_theme(app, "light")  # app.py does it before the window exists too
    native_imports.start_importing()()  # and finishes these imports before any window

    def start_up() -> None:
        context = AppContext(load_settings(database_url))
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(context, settings=settings)
        window.resize(1440, 900)
        window.show()
        holder["window"] = window
        start(window, fill_demo=False)

    action("start-up (window to first screen)", start_up,
           until=lambda: holder["window"].current_key() is not None)  # fmt: skip
    window = holder["window"]

    for key in ["dashboard"] if only_dashboard else list(window.keys()):
        action(f"open {key}", lambda key=key: window.navigate(key))

    dashboard = window.screen("dashboard")
    window.navigate("dashboard")
    idle()
    if dashboard.program_combo.count() > 1:
        action("dashboard: program filter", lambda: dashboard.program_combo.setCurrentIndex(1))
    action("dashboard: period filter", lambda: dashboard.period_combo.setCurrentIndex(2))
    action("dashboard: period back to all time", lambda: dashboard.period_combo.setCurrentIndex(0))
    action("dashboard: export HTML", lambda: dashboard.export_report(Path(scratch) / "r.html"))
    if only_dashboard:
        window.close()
        return rows

    programs = window.navigate("programs")
    idle()
    if programs.list.count() > 1:
        action("programs: select another program", lambda: programs.list.setCurrentRow(1))
        action("programs: select the first again", lambda: programs.list.setCurrentRow(0))

    matching = window.navigate("matching")
    idle()
    combo = matching.program_combo
    if combo.count() > 1:
        other = 0 if combo.currentIndex() else 1
        action("matching: switch program", lambda: combo.setCurrentIndex(other))

    participants = window.navigate("participants")
    idle()
    action("participants: search 'python'", lambda: participants.set_search("python"))
    action("participants: clear search", lambda: participants.set_search(""))

    def close(widget: Any) -> None:
        widget.close()
        widget.deleteLater()

    first = participants.model.person_id(0) if participants.model.rowCount() else None
    if first is not None:
        editor = action(
            "participants: open profile editor", lambda: participants.open_profile(first)
        )
        close(editor)
    wizard = action("participants: open import wizard", participants.open_import_wizard)
    close(wizard)

    mentorships = window.navigate("mentorships")
    idle()
    if mentorships.model.rowCount():
        mentorships.table.selectRow(0)
        detail = action("mentorships: open detail", mentorships.open_detail)
        if detail is not None:
            close(detail)

    if heavy:
        merges = action("skill merges: open", participants.open_skill_merges)
        action("skill merges: find duplicates", merges.find,
               until=lambda: not merges.progress.isVisible())  # fmt: skip
        close(merges)

        window.navigate("programs")
        idle()
        programs.list.setCurrentRow(0)
        idle()
        review = action("learned weights: open", programs.open_weights_review)
        if review is not None:
            action("learned weights: learn", review.learn,
                   until=lambda: review.learn_button.isEnabled())  # fmt: skip
            close(review)

    window.close()
    return rows


# -- the parent: build the databases, run one child per database, print the table --------
def build_demo(path: Path, participants: int) -> str:
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop.cli", "demo", "--participants",
         str(participants), "--database", url],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    print(f"built {participants:,}-person demo in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    return url


def child(url: str, heavy: bool, only_dashboard: bool) -> list[Row]:
    flags = [*([] if heavy else ["--light"]), *(["--only-dashboard"] if only_dashboard else [])]
    out = subprocess.run(
        [sys.executable, __file__, "--database", url, *flags],
        check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return [tuple(row) for row in json.loads(out.stdout.strip().splitlines()[-1])]


def compile_app() -> None:
    """Write ``__pycache__`` for the app and its plugins (see the module docstring)."""
    root = Path(__file__).resolve().parents[1]
    for package in ("mentormatch_desktop", "plugins"):
        compileall.compile_dir(root / package, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo database only")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--database", help="measure this database only (child mode)")
    parser.add_argument("--light", action="store_true", help="skip the model-heavy dialogs")
    parser.add_argument("--keep", type=Path, help="keep the built databases in this folder")
    parser.add_argument("--only-dashboard", action="store_true",
                        help="start-up and the Dashboard's actions only")  # fmt: skip
    args = parser.parse_args()
    if args.database:
        rows = measure(args.database, heavy=not args.light, only_dashboard=args.only_dashboard)
        print(json.dumps(rows))
        return

    compile_app()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gui-stalls-db-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [300] if args.quick else [300, args.participants]
    results: dict[int, dict[str, float]] = {}
    cpus: dict[int, dict[str, float]] = {}
    runqs: dict[int, dict[str, float]] = {}
    names: list[str] = []
    for size in sizes:
        path = folder / f"demo-{size}.sqlite"
        url = f"sqlite:///{path}" if path.exists() else build_demo(path, size)
        for name, stall, _wall, cpu, runq in child(
            url, heavy=True, only_dashboard=args.only_dashboard
        ):
            results.setdefault(size, {})[name] = stall
            cpus.setdefault(size, {})[name] = cpu
            runqs.setdefault(size, {})[name] = runq
            if name not in names:
                names.append(name)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} CPUs "
          "(stall: wall time; cpu: the GUI thread's own share of it; "
          "runq: of it, waiting for a CPU core)")  # fmt: skip
    head = f"{'action':<42}" + "".join(f"{f'{s:,} people':>16}{'cpu':>8}{'runq':>8}" for s in sizes)
    print(head)
    print("-" * len(head))
    for name in names:
        cells = ""
        for size in sizes:
            value = results[size].get(name)
            mark = "" if value is None or value <= TARGET_MS else " !"
            cells += f"{'—' if value is None else f'{value:.0f} ms{mark}':>16}"
            for figures in (cpus, runqs):
                figure = figures[size].get(name)
                cells += f"{'—' if figure is None else f'{figure:.0f}':>8}"
        print(f"{name:<42}{cells}")
    worst = max(v for per in results.values() for v in per.values())
    print(f"max stall: {worst:.0f} ms")


if __name__ == "__main__":
    main()
