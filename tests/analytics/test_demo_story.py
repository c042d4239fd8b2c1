"""The dashboard on the demo organisation tells a coherent story, on both backends.

The demo here ends on a fixed day (``NOW``), not today: the story must not change with the
date the suite happens to run on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy.engine import Engine

from mentormatch_desktop.analytics import Filters, compute_dashboard
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_desktop.testing import (
    DEMO_PARTICIPANTS,
    DEMO_SEED,
    DatabaseFactory,
    DemoInfo,
    fill_demo_database,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _build(url: str) -> None:
    engine = create_engine(url)
    try:
        upgrade(url, engine=engine)
        fill_demo_database(engine, participants=DEMO_PARTICIPANTS, seed=DEMO_SEED, now=NOW)
    finally:
        engine.dispose()


@pytest.fixture
def demo_info() -> DemoInfo:
    """The demo of this module: the usual size and seed, history up to ``NOW``."""
    return DemoInfo(participants=DEMO_PARTICIPANTS, seed=DEMO_SEED, now=NOW)


@pytest.fixture
def demo_engine(database_factory: DatabaseFactory) -> Iterator[Engine]:
    template = database_factory.template("demo-pinned", _build)
    engine = create_engine(database_factory.create(template=template))
    yield engine
    engine.dispose()


def test_demo_dashboard_is_consistent_and_meaningful(
    demo_engine: Engine, demo_info: DemoInfo
) -> None:
    data = compute_dashboard(demo_engine, Filters(as_of=demo_info.now))
    funnel = data.funnel["participants"].to_list()
    assert funnel[0] > 0 and funnel == sorted(funnel, reverse=True)  # never widens
    k = data.kpis.row(0, named=True)
    assert k["matched"] == funnel[1]
    # Some pairs are at risk, but not every running pair.
    assert 0 < k["at_risk"] < k["running"]
    assert k["sessions"] > 0 and k["messages"] > 0
    assert 1.0 <= k["mean_rating"] <= 5.0
    # Programs differ: the engagement per pair is not the same everywhere.
    per_pair = data.mentorships.group_by("program").agg(pl.col("sessions_held").mean())
    assert per_pair.height >= 2
    assert per_pair["sessions_held"].max() > 1.5 * per_pair["sessions_held"].min()
    # Every panel has something to draw.
    for name, frame in data.frames().items():
        assert not frame.is_empty(), name
    assert data.heatmap["events"].sum() > 0
    assert data.engagement["sessions"].sum() == k["sessions"]


def test_program_filter_narrows_every_panel(demo_engine: Engine, demo_info: DemoInfo) -> None:
    everyone = compute_dashboard(demo_engine, Filters(as_of=demo_info.now))
    program = everyone.mentorships["program"].mode().sort()[0]
    one = compute_dashboard(demo_engine, Filters(program=program, as_of=demo_info.now))
    assert set(one.mentorships["program"].unique()) == {program}
    assert one.funnel["participants"][0] < everyone.funnel["participants"][0]
    assert set(one.engagement["group"].unique()) == {program}
    assert one.heatmap["events"].sum() < everyone.heatmap["events"].sum()
    assert one.at_risk.height <= everyone.at_risk.height
