"""CLI start-up: ``mentormatch --help`` and a small ``mentormatch solve``, end to end.

``python benchmarks/cli_startup.py [--runs N]`` runs each command N times (default 7) as a
fresh process, the way a user does, and prints the median and the best wall time and the
median CPU time (user + system) of the child. On a shared machine the best run is the
closest to what the command costs; the CPU time does not depend on how busy the machine is.
The problem solved is a random 40 × 12 one-to-one problem
(about 290 scored pairs), written in the documented solve format to a scratch file.

Targets (issue 10): ``--help`` under 0.3 s, the small ``solve`` under 0.8 s. On a shared
machine wall time follows the load, so the script also times a bare ``python -c pass`` as
a yardstick: when that takes far more than ~0.02 s, other processes are eating the CPU.

Bytecode: an installed wheel has its ``.pyc`` files; an editable checkout run with
``PYTHONDONTWRITEBYTECODE=1`` compiles every module of the app on every start (about
0.1–0.2 s more). The script says which case it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mentormatch_desktop.matching.solve_format import problem_document
from mentormatch_desktop.matching.solvers.synthetic import random_small_problem

TARGETS = {"--help": 0.3, "solve 40 × 12": 0.8}


def mentormatch_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("mentormatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("mentormatch")
    return [found] if found else [sys.executable, "-m", "mentormatch_desktop.cli"]


def timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run; fails loudly if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(args: list[str], cwd: Path, runs: int) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) of ``runs`` runs after one uncounted warm-up."""
    timed(args, cwd)  # warm the file cache; not counted
    samples = [timed(args, cwd) for _ in range(runs)]
    walls = [w for w, _ in samples]
    return statistics.median(walls), min(walls), statistics.median(c for _, c in samples)


def bytecode_note() -> str:
    """Whether the app's own modules start from cached bytecode."""
    import importlib.util

    import mentormatch_desktop.cli.solve as probe

    cached = Path(importlib.util.cache_from_source(probe.__file__)).exists()
    writes = not os.environ.get("PYTHONDONTWRITEBYTECODE")
    if cached:
        return "app bytecode cached (as in an installed wheel)"
    if writes:
        return "app bytecode written by the warm-up run"
    return "PYTHONDONTWRITEBYTECODE set and no app bytecode: every run compiles the app"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median)")
    runs = parser.parse_args().runs

    command = mentormatch_command()
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        problem = random_small_problem(np.random.default_rng(10), 40, 12, max_capacity=4)
        problem_file = cwd / "problem.json"
        problem_file.write_text(json.dumps(problem_document(problem)))
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "--help": [*command, "--help"],
            "solve 40 × 12": [*command, "solve", str(problem_file)],
        }
        print(
            f"{runs} runs each; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
            + bytecode_note()
        )
        print(f"{'command':<16} {'median s':>9} {'best s':>7} {'cpu s':>6} {'target s':>9}  met")
        for name, args in cases.items():
            wall, best, cpu = median_of(args, cwd, runs)
            target = TARGETS.get(name)
            verdict = "" if target is None else ("yes" if wall < target else "no")
            shown = "" if target is None else f"{target:.1f}"
            print(f"{name:<16} {wall:>9.3f} {best:>7.3f} {cpu:>6.3f} {shown:>9}  {verdict}")


if __name__ == "__main__":
    main()
