"""Build a whole demo organisation in memory, deterministically for a seed and a "now"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np

from mentormatch_desktop.demo.cohorts import ProgramBuilder
from mentormatch_desktop.demo.dataset import DemoDataset
from mentormatch_desktop.demo.history import HistoryBuilder
from mentormatch_desktop.demo.people import build_org
from mentormatch_desktop.demo.recipe import load_recipe
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report

DEFAULT_PARTICIPANTS = 300
DEFAULT_SEED = 7
MIN_PARTICIPANTS = 20


@dataclass(frozen=True)
class DemoConfig:
    """What to generate. ``now`` is the end of the history (aware, UTC).

    The same ``participants``, ``seed`` and ``now`` always give the same rows.
    """

    participants: int = DEFAULT_PARTICIPANTS
    seed: int = DEFAULT_SEED
    now: datetime | None = None

    def resolved_now(self) -> datetime:
        return self.now if self.now is not None else default_now()


def default_now() -> datetime:
    """Midnight UTC of the current day: stable all day, so reruns on one day are identical."""
    return datetime.combine(date.today(), time(0, 0), tzinfo=UTC)


def generate(
    config: DemoConfig,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DemoDataset:
    """Every row of the demo, ids assigned, nothing written yet."""
    if config.participants < MIN_PARTICIPANTS:
        raise ValueError(f"the demo needs at least {MIN_PARTICIPANTS} participants")
    now = config.resolved_now()
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    now = now.astimezone(UTC)
    recipe = load_recipe()
    rng = np.random.default_rng(config.seed)
    ds = DemoDataset()
    report(progress, 0.02, "people and organisation")
    org = build_org(recipe, ds, config.participants, rng, now)
    check(cancel)
    report(progress, 0.15, "programs and past matches")
    ctx = ProgramBuilder(org, ds, rng, now).build()
    check(cancel)
    report(progress, 0.3, "six months of history")
    HistoryBuilder(recipe, org, ctx, ds, rng, now).build()
    ds.tables["audit_log"].add(
        ds.tables["audit_log"].next_id(),
        now,
        None,
        "mentormatch",
        "demo.generated",
        "database",
        None,
        {"participants": config.participants, "seed": config.seed, "now": now.isoformat()},
    )
    check(cancel)
    return ds
