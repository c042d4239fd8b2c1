"""Size and cold start of the packaged app: ``python benchmarks/bundle.py [--bundle DIR]``.

Copies the onedir bundle (default ``dist/mentormatch``, from ``make dist``) to a scratch
directory, makes a small demo database with the bundled CLI, then starts the bundled
``mentormatch-desktop`` offscreen with ``--exit-when-shown`` and times launch → "window
shown" (main window shown and painted, database check started), each start a fresh
process. The first start after copying is reported separately from the best and the
median of the next ``--runs`` (5) ones. Files just copied are in
the page cache, so "first" is a warm-disk first start; a truly cold disk (after a reboot)
needs root to reproduce (``echo 3 > /proc/sys/vm/drop_caches``).

Targets (issue 16): bundle under 250 MB, first window in under 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE_TARGET_MB = 250
START_TARGET_S = 3.0


def folder_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 1e6


def largest(path: Path, count: int = 25) -> list[tuple[float, str]]:
    """The biggest parts of ``_internal``: where the megabytes go.

    A package and the libraries auditwheel vendored for it (``numpy`` and ``numpy.libs``)
    count as one part; loose shared libraries (Python's, the system's) are one line each.
    """
    internal = path / "_internal"
    sizes: dict[str, float] = {}
    for item in internal.iterdir():
        if item.is_symlink():  # PyInstaller links duplicates (libortools.so.9 -> ortools/.libs)
            continue
        mb = folder_mb(item) if item.is_dir() else item.stat().st_size / 1e6
        owner = item.name.removesuffix(".libs")
        key = owner if owner != item.name and (internal / owner).is_dir() else item.name
        sizes[key] = sizes.get(key, 0.0) + mb
    named = {
        f"{key} (+ {key}.libs)" if (internal / f"{key}.libs").is_dir() else key: mb
        for key, mb in sizes.items()
    }
    return sorted(((mb, name) for name, mb in named.items()), reverse=True)[:count]


def env_for(home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "MENTORMATCH_DATA_DIR": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }


def time_to_window(app: Path, home: Path, database: str) -> float:
    """Seconds from launch to the app's "window shown" line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(app / "mentormatch-desktop"), "--database", database, "--exit-when-shown"],
        cwd=home,
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    elapsed = None
    for line in proc.stdout:
        if line.strip() == "window shown":
            elapsed = time.perf_counter() - started
    proc.wait(timeout=120)
    if elapsed is None:
        raise SystemExit(f"the bundled app exited ({proc.returncode}) without showing a window")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "mentormatch")
    parser.add_argument("--archive", type=Path, nargs="*", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--parts", type=int, default=25, help="largest parts to list")
    args = parser.parse_args()
    if not (args.bundle / "mentormatch-desktop").is_file():
        sys.exit(f"no bundle in {args.bundle}: run `make dist` first")
    archives = args.archive
    if archives is None:
        archives = sorted((args.bundle.parent).glob("mentormatch-*.tar.*"))

    with tempfile.TemporaryDirectory(prefix="mm-bundle-bench-") as scratch:
        home = Path(scratch)
        app = home / "mentormatch"
        shutil.copytree(args.bundle, app, symlinks=True)
        (home / "data").mkdir()
        database = f"sqlite:///{home / 'demo.sqlite3'}"
        subprocess.run(
            [str(app / "mentormatch"), "demo", "-n", "60", "--database", database],
            cwd=home, env=env_for(home), check=True, capture_output=True,
        )  # fmt: skip
        first = time_to_window(app, home, database)
        later = [time_to_window(app, home, database) for _ in range(max(1, args.runs))]
        size = folder_mb(app)

    median = statistics.median(later)
    best = min(later)
    size_row = ("bundle folder (onedir)", f"{size:.0f} MB", f"< {SIZE_TARGET_MB} MB")
    rows: list[tuple[str, str, str, bool | None]] = [(*size_row, size < SIZE_TARGET_MB)]
    for archive in archives:
        rows.append((f"archive {archive.name}", f"{archive.stat().st_size / 1e6:.0f} MB", "", None))
    target = f"< {START_TARGET_S} s"
    rows.append(("first window, first start", f"{first:.2f} s", target, first < START_TARGET_S))
    rows.append(
        (f"first window, best of {len(later)}", f"{best:.2f} s", target, best < START_TARGET_S)
    )
    rows.append(
        (
            f"first window, median of {len(later)}",
            f"{median:.2f} s",
            target,
            median < START_TARGET_S,
        )
    )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("| measure | value | target | met |\n|---|---|---|---|")
    for name, value, target, met in rows:
        print(
            f"| {name} | {value} | {target} | {'' if met is None else ('yes' if met else 'NO')} |"
        )
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} while measuring")
    print("largest parts of _internal:")
    for mb, name in largest(args.bundle, args.parts):
        print(f"  {mb:7.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
