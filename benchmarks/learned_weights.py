"""Learned weights on a large organisation: how long *Learn* takes (issue 12: under 30 s on
20,000 people; it once never finished, stuck "reading outcomes of program 1").

``python benchmarks/learned_weights.py --database sqlite:///demo-20000.sqlite [--program N]``
runs the same job the *Learned weights* dialog starts in its own process
(``services.process_jobs.suggest_weights_job``) for each program (or just ``--program``),
and prints the wall and CPU seconds per program with the time of each progress step, then
the load average (the machine is shared: report it with the figures). Build the database
with ``mentormatch demo --participants 20000 --database URL`` (or keep the one
``benchmarks/gui_stalls.py --keep DIR`` builds).
"""

from __future__ import annotations

import argparse
import os
import time

TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of the organisation")
    parser.add_argument("--program", type=int, help="only this program id")
    args = parser.parse_args()

    import sqlalchemy as sa

    from mentormatch_desktop.matching.learning import NotEnoughOutcomes
    from mentormatch_desktop.services.process_jobs import suggest_weights_job

    engine = sa.create_engine(args.database)
    with engine.connect() as conn:
        people = conn.scalar(sa.text("SELECT count(*) FROM people"))
        programs = [
            (int(i), str(n)) for i, n in conn.execute(sa.text("SELECT id, name FROM programs"))
        ]
    engine.dispose()
    if args.program is not None:
        programs = [p for p in programs if p[0] == args.program]
        if not programs:
            raise SystemExit(f"no program {args.program} in {args.database}")
    print(f"{people:,} people, {len(programs)} program(s)")

    worst = 0.0
    for program_id, name in programs:
        started, cpu = time.perf_counter(), time.process_time()

        def progress(fraction: float, message: str, started: float = started) -> None:
            print(f"    {time.perf_counter() - started:6.1f} s  {fraction:4.0%}  {message}")

        try:
            result = suggest_weights_job(args.database, program_id, progress=progress)
            outcome = f"{result.learned.n_outcomes} outcomes, CV AUC {result.learned.cv_auc:.3f}"
        except NotEnoughOutcomes as exc:
            outcome = f"not enough outcomes ({exc})"
        wall = time.perf_counter() - started
        worst = max(worst, wall)
        print(f"program {program_id} ({name}): {wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU — {outcome}")  # fmt: skip
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} CPUs")
    mark = "" if worst <= TARGET_S else f" (over the {TARGET_S:.0f} s target)"
    print(f"slowest: {worst:.1f} s{mark}")


if __name__ == "__main__":
    main()
