"""Every metric against figures worked out by hand from the fixed organisation (conftest)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop import analytics
from mentormatch_desktop.analytics import Filters, UnknownFilterValue

from .conftest import AS_OF, at

ALL = Filters(as_of=AS_OF)


def stages(frame: pl.DataFrame) -> list[int]:
    return frame["participants"].to_list()


def test_funnel_counts_each_stage_cumulatively(session: Session, org: dict[str, int]) -> None:
    frame = analytics.funnel(session, ALL)
    assert frame["stage"].to_list() == [
        "enrolled",
        "matched",
        "first_session",
        "active",
        "completed",
    ]
    # a, b, c, d, e enrolled; d unmatched; e never met; c met once; b completed.
    assert stages(frame) == [5, 4, 3, 2, 1]
    assert frame["share_of_enrolled"].to_list() == [1.0, 0.8, 0.6, 0.4, 0.2]
    assert frame["share_of_previous"][2] == pytest.approx(0.75)


def test_funnel_filters_by_program_cohort_and_department(
    session: Session, org: dict[str, int]
) -> None:
    assert stages(analytics.funnel(session, Filters(program="Alpha", as_of=AS_OF))) == [
        4,
        3,
        3,
        2,
        1,
    ]
    assert stages(analytics.funnel(session, Filters(cohort="2026B", as_of=AS_OF))) == [
        2,
        1,
        1,
        0,
        0,
    ]
    sales = Filters(department=org["sales"], as_of=AS_OF)
    assert stages(analytics.funnel(session, sales)) == [2, 1, 1, 0, 0]
    assert stages(analytics.funnel(session, Filters(department="Sales", as_of=AS_OF))) == [
        2,
        1,
        1,
        0,
        0,
    ]


def test_department_filter_covers_the_departments_below(
    session: Session, org: dict[str, int]
) -> None:
    company = Filters(department="Company", as_of=AS_OF)
    assert stages(analytics.funnel(session, company)) == [5, 4, 3, 2, 1]
    assert analytics.mentorships(session, company).height == 4


def test_unknown_program_name_is_a_clear_error(session: Session, org: dict[str, int]) -> None:
    with pytest.raises(UnknownFilterValue, match="no program named 'Gamma'"):
        analytics.funnel(session, Filters(program="Gamma"))


def test_at_risk_finds_silent_and_overdue_pairs(session: Session, org: dict[str, int]) -> None:
    frame = analytics.at_risk(session, ALL, days=30)
    assert frame["mentorship_id"].to_list() == [org["p4"], org["p1"]]
    silent, overdue = frame.row(0, named=True), frame.row(1, named=True)
    assert silent["days_silent"] == 40  # started 2026-01-20, nothing since
    assert silent["reason"] == "no session or message for 40 days"
    assert overdue["days_silent"] == 8  # last message 2026-02-20 09:00
    assert overdue["milestones_overdue"] == 1
    assert overdue["reason"] == "1 overdue milestone"
    # With a longer tolerance only the overdue milestone keeps p1 on the list.
    assert analytics.at_risk(session, ALL, days=45)["mentorship_id"].to_list() == [org["p1"]]


def test_mentorship_facts(session: Session, org: dict[str, int]) -> None:
    facts = analytics.mentorships(session, ALL).sort("mentorship_id")
    p1 = facts.filter(pl.col("mentorship_id") == org["p1"]).row(0, named=True)
    assert (p1["sessions_held"], p1["messages"], p1["milestones"], p1["milestones_done"]) == (
        3,
        1,
        2,
        1,
    )
    assert p1["mean_rating"] == pytest.approx(4.5)
    assert p1["first_session_at"] == at("2026-01-13", 10)
    assert p1["last_activity_at"] == at("2026-02-20", 9)
    assert p1["cohort"] == "2026A" and p1["department"] == "Engineering"
    p3 = facts.filter(pl.col("mentorship_id") == org["p3"]).row(0, named=True)
    assert (p3["sessions_held"], p3["sessions_missed"]) == (1, 1)


def test_completion_and_early_ending_rates(session: Session, org: dict[str, int]) -> None:
    frame = analytics.completion(session, ALL).sort("program")
    alpha, beta = frame.row(0, named=True), frame.row(1, named=True)
    assert (alpha["mentorships"], alpha["running"], alpha["completed"], alpha["ended_early"]) == (
        3,
        1,
        1,
        1,
    )
    assert alpha["completion_rate"] == 0.5 and alpha["early_end_rate"] == 0.5
    assert beta["completion_rate"] is None  # nothing has ended yet


def test_status_is_judged_as_of_the_reference_time(session: Session, org: dict[str, int]) -> None:
    # On 2026-02-15 p2 (ended 2026-02-20) was still running: m1 had two Alpha mentees.
    earlier = Filters(as_of=at("2026-02-15"))
    load = analytics.mentor_load(session, earlier)
    m1_alpha = load.filter((pl.col("mentor_id") == org["m1"]) & (pl.col("program") == "Alpha"))
    assert m1_alpha["mentees"].to_list() == [2]
    assert analytics.completion(session, earlier, by=None)["completed"].to_list() == [0]


def test_mentor_load_against_capacity(session: Session, org: dict[str, int]) -> None:
    load = analytics.mentor_load(session, ALL)
    rows = {(r["mentor_id"], r["program"]): r for r in load.iter_rows(named=True)}
    assert rows[(org["m1"], "Alpha")]["mentees"] == 1
    assert rows[(org["m1"], "Alpha")]["load"] == 0.5
    assert rows[(org["m1"], "Beta")]["load"] == 1.0
    assert rows[(org["m2"], "Alpha")]["mentees"] == 0
    assert load["load"][0] == 1.0  # fullest first


def test_time_to_match_and_first_session(session: Session, org: dict[str, int]) -> None:
    frame = analytics.time_to_match(session, ALL).sort("mentorship_id")
    assert frame["days_to_match"].to_list() == [10.0, 5.0, 5.0, 15.0]
    firsts = frame["days_to_first_session"].to_list()
    assert firsts[:3] == pytest.approx([2 + 10 / 24, 2 + 15 / 24, 5 + 14 / 24])
    assert firsts[3] is None


def test_engagement_per_week_by_program(session: Session, org: dict[str, int]) -> None:
    frame = analytics.engagement(session, ALL, freq="1w", by="program")
    alpha = frame.filter(pl.col("group") == "Alpha")
    assert alpha["period"].to_list() == [
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
        date(2026, 1, 26),
        date(2026, 2, 2),
        date(2026, 2, 9),
        date(2026, 2, 16),
    ]
    assert alpha["sessions"].to_list() == [1, 1, 3, 1, 1, 0, 0]
    assert alpha["messages"].to_list() == [0, 0, 0, 0, 0, 0, 1]
    assert alpha["events"].to_list() == [1, 1, 3, 1, 3, 0, 1]  # missed + login in week 5
    assert frame.filter(pl.col("group") == "Beta").is_empty()  # Beta has no events


def test_engagement_date_range_and_grouping(session: Session, org: dict[str, int]) -> None:
    feb = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))
    frame = analytics.engagement(session, feb, freq="1w", by=None)
    assert frame["period"].to_list() == [
        date(2026, 1, 26),
        date(2026, 2, 2),
        date(2026, 2, 9),
        date(2026, 2, 16),
        date(2026, 2, 23),
    ]
    assert frame["sessions"].to_list() == [0, 1, 0, 0, 0]
    assert frame["events"].to_list() == [0, 3, 0, 1, 0]
    by_cohort = analytics.engagement(session, ALL, freq="1mo", by="cohort")
    totals = by_cohort.group_by("group").agg(pl.col("sessions").sum()).sort("group")
    assert totals.rows() == [("2026A", 6), ("2026B", 1)]
    by_dept = analytics.engagement(
        session, Filters(department="Sales", as_of=AS_OF), by="department"
    )
    assert by_dept["group"].unique().to_list() == ["Sales"]
    assert int(by_dept["events"].sum()) == 3  # c's session and missed one, d's login


def test_activity_heatmap_uses_each_persons_zone(session: Session, org: dict[str, int]) -> None:
    frame = analytics.activity_heatmap(session, ALL)
    assert frame.height == 7 * 24
    busy = {
        (r["weekday"], r["hour"]): r["events"] for r in frame.iter_rows(named=True) if r["events"]
    }
    # a: Tue 11:00 Berlin ×3, Fri 10:00; b: Thu 15:00 UTC ×3; c: Tue 09:00 New York.
    assert busy == {(1, 11): 3, (4, 10): 1, (3, 15): 3, (1, 9): 1}


def test_milestone_burnup(session: Session, org: dict[str, int]) -> None:
    frame = analytics.milestone_burnup(session, ALL, freq="1w")
    assert frame["period"].to_list()[0] == date(2026, 1, 26)
    assert frame["period"].to_list()[-1] == date(2026, 3, 9)
    assert frame["due"].to_list() == [1, 1, 3, 3, 3, 3, 4]
    # Completion is known up to AS_OF (2026-03-01); later weeks show only the plan.
    assert frame["completed"].to_list() == [1, 1, 2, 2, 2, None, None]
    assert frame["total"].unique().to_list() == [4]


def test_satisfaction_distribution_and_trend(session: Session, org: dict[str, int]) -> None:
    dist = analytics.satisfaction(session, ALL)
    assert dist["responses"].to_list() == [0, 1, 0, 1, 2]
    assert dist["share"].to_list() == [0.0, 0.25, 0.0, 0.25, 0.5]
    trend = analytics.satisfaction_trend(session, ALL, freq="1mo")
    assert trend.rows() == [(date(2026, 1, 1), 1, 4.0), (date(2026, 2, 1), 3, 4.0)]
    alpha_2026b = analytics.satisfaction(session, Filters(cohort="2026B", as_of=AS_OF))
    assert alpha_2026b["responses"].to_list() == [0, 1, 0, 0, 0]


def test_score_vs_outcome_bands(session: Session, org: dict[str, int]) -> None:
    frame = analytics.score_vs_outcome(session, ALL, bins=2)
    low, high = frame.row(0, named=True), frame.row(1, named=True)
    assert (low["score_min"], low["score_max"], low["mentorships"]) == (0.2, 0.5, 2)
    assert low["mean_sessions"] == 2.0 and low["mean_rating"] == 3.5
    assert low["completion_rate"] == 0.5
    assert high["mean_sessions"] == 1.5 and high["mean_rating"] == 4.5
    assert high["completion_rate"] is None


def test_coverage_by_department_and_zone(session: Session, org: dict[str, int]) -> None:
    frame = analytics.coverage(session, ALL, by="department")
    rows = {r["group"]: r for r in frame.iter_rows(named=True)}
    assert (rows["Engineering"]["mentees"], rows["Engineering"]["matched"]) == (3, 3)
    assert rows["Sales"]["coverage"] == 0.5
    assert (rows["Engineering"]["seats"], rows["Engineering"]["seats_taken"]) == (3, 2)
    assert (rows["Sales"]["mentors"], rows["Sales"]["seats"]) == (1, 1)
    zones = {
        r["group"]: r
        for r in analytics.coverage(session, ALL, by="time_zone").iter_rows(named=True)
    }
    assert (zones["America/New_York"]["mentees"], zones["America/New_York"]["mentors"]) == (1, 1)


def test_dashboard_matches_the_single_metrics(engine, org: dict[str, int]) -> None:
    data = analytics.compute_dashboard(engine, ALL)
    k = data.kpis.row(0, named=True)
    assert (k["enrolled"], k["matched"], k["running"], k["at_risk"]) == (5, 4, 2, 2)
    assert (k["sessions"], k["messages"]) == (7, 1)
    assert k["mean_rating"] == 4.0 and k["completion_rate"] == 0.5
    assert k["median_days_to_match"] == 7.5
    assert k["mentor_utilisation"] == 0.5
    assert stages(data.funnel) == [5, 4, 3, 2, 1]
    assert data.heatmap["events"].sum() == 8
    alpha = Filters(program="Alpha", as_of=AS_OF)
    assert stages(analytics.compute_dashboard(engine, alpha).funnel) == [4, 3, 3, 2, 1]


def test_click_through_finds_the_pairs_behind_each_bar(engine, org: dict[str, int]) -> None:
    from mentormatch_desktop.analytics import drill

    data = analytics.compute_dashboard(engine, ALL)
    p1, p2, p3, p4 = (org[k] for k in ("p1", "p2", "p3", "p4"))
    assert sorted(drill.funnel_stage(data, "first_session")) == [p1, p2, p3]
    assert sorted(drill.funnel_stage(data, "completed")) == [p2]
    assert drill.rating(data, 2) == [p3]
    assert sorted(drill.ended_in_program(data, "Alpha")) == [p2, p3]
    bands = data.score_vs_outcome
    listed = [drill.score_band(data, band) for band in bands["band"]]
    assert [len(ids) for ids in listed] == bands["mentorships"].to_list()
    assert sorted(i for ids in listed for i in ids) == sorted(
        data.mentorships.filter(pl.col("match_score").is_not_null())["mentorship_id"]
    )
    assert drill.department(data, "Sales") == [p3]
    assert drill.mentor_load_bin(data, 1.0, 1.25) == [p4]  # m1 is full in Beta
    assert sorted(drill.days_bin(data, 5.0, 6.0)) == [p2, p3]
    assert sorted(drill.at_risk(data)) == [p1, p4]
    assert sorted(drill.running(data)) == [p1, p4]


def test_a_score_band_lists_its_own_pairs_when_scores_tie_across_a_boundary() -> None:
    """Selecting a band by its score range also listed the next band's pairs with the
    boundary score: the click said 2 mentorships, the list showed 4."""
    from types import SimpleNamespace

    from mentormatch_desktop.analytics import drill
    from mentormatch_desktop.analytics.outcomes import score_vs_outcome

    facts = pl.DataFrame({
        "mentorship_id": list(range(1, 12)),
        "match_score": [0.1, 0.2, 0.3, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, None],
        "sessions_held": list(range(11)),
        "mean_rating": [4.0] * 11,
        "status": ["active"] * 11,
    })  # fmt: skip
    bands = score_vs_outcome(facts)  # five bands of two, as the dashboard cuts them
    assert bands["score_max"][1] == bands["score_min"][2] == 0.5  # a shared boundary
    data = SimpleNamespace(mentorships=facts)
    assert drill.score_band(data, 2) == [3, 4]
    assert drill.score_band(data, 3) == [5, 6]
    assert [len(drill.score_band(data, b)) for b in bands["band"]] == bands["mentorships"].to_list()
