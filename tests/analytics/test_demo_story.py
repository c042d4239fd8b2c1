"""The dashboard on the demo organisation tells a coherent story, on both backends."""

from __future__ import annotations

import polars as pl
from sqlalchemy.engine import Engine

from mentormatch_desktop.analytics import Filters, compute_dashboard
from mentormatch_desktop.testing import DemoInfo


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
