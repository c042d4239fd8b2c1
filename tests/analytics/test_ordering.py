"""Every analytics frame shown in order has one order, whatever the ties and the threads.

Polars' group-bys and joins hand back rows in an order that changes from run to run (they
work on several threads), and its sorts are not stable unless told. A sort on a value
that several rows share (departments with as many mentees, mentors with the same load,
pairs silent for the same number of days) then lists the tied rows differently on each
refresh. The pure-polars tests below use hundreds of tied groups and repeat the
computation, which lists them in a new order nearly every time without a tie-breaker; the
database test checks the documented order end to end, report included, on both backends.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from mentormatch_desktop import analytics
from mentormatch_desktop.analytics import Filters, drill, outcomes, participation
from mentormatch_desktop.analytics.facts import FACTS_SCHEMA
from mentormatch_desktop.domain.enums import EnrolmentRole, MentorshipStatus
from mentormatch_desktop.storage.models import Department, Enrolment, Mentorship, Person

from .conftest import AS_OF, at

RUNS = 12
"""Repeats per check: enough that an unordered result shows itself (it did every time
before the tie-breakers: 12 different orders in 12 runs)."""

SEEKERS = {
    "program_id": pl.Int64,
    "person_id": pl.Int64,
    "department": pl.String,
    "time_zone": pl.String,
}
MENTORS = {
    "program_id": pl.Int64,
    "program": pl.String,
    "mentor_id": pl.Int64,
    "mentor": pl.String,
    "department": pl.String,
    "time_zone": pl.String,
    "capacity": pl.Int64,
    "mentees": pl.Int64,
}


def shuffled_names(prefix: str, n: int, seed: int) -> list[str]:
    """``n`` distinct names whose alphabetical order is not their position."""
    names = [f"{prefix} {i:04d}" for i in range(n)]
    random.Random(seed).shuffle(names)
    return names


def facts(rows: int, **columns: list[object]) -> pl.DataFrame:
    """A facts frame of ``rows`` rows: the given columns, nulls or zeros elsewhere."""
    data: dict[str, list[object]] = {}
    for name, dtype in FACTS_SCHEMA.items():
        default = 0 if dtype == pl.Int64 and name != "mentorship_id" else None
        data[name] = columns.get(name, [default] * rows)
    return pl.DataFrame(data, schema=FACTS_SCHEMA)


def same_every_time(compute, column: str) -> list[object]:
    """The ``column`` of ``compute()``, checked to be identical over :data:`RUNS` runs."""
    first = compute()[column].to_list()
    for run in range(1, RUNS):
        again = compute()[column].to_list()
        assert again == first, f"run {run} listed the rows in another order"
    return first


def test_coverage_bars_that_tie_go_by_name_and_none_last() -> None:
    departments = shuffled_names("Dept", 240, seed=1)
    rows = [
        (1, i * 10 + k, dept, f"Zone/{i % 7}")
        for i, dept in enumerate(departments)
        for k in range(3)
    ]
    rows += [(1, 90_000 + k, None, None) for k in range(3)]  # no department, no zone: tied too
    rows += [(1, 80_000 + k, "Biggest", "Zone/big") for k in range(5)]
    seekers = pl.DataFrame(rows, schema=SEEKERS, orient="row")
    mentors = pl.DataFrame(
        [
            (1, "P", 500 + i, f"M{i}", dept, "Zone/0", 2, 1)
            for i, dept in enumerate(departments[:50])
        ],
        schema=MENTORS,
        orient="row",
    )
    matched = facts(2, program_id=[1, 1], mentee_id=[0, 10], mentorship_id=[1, 2])

    def by_department() -> pl.DataFrame:
        return participation.coverage(seekers, mentors, matched, "department")

    order = same_every_time(by_department, "group")
    assert order == ["Biggest", *sorted(departments), "(none)"]

    def by_zone() -> pl.DataFrame:
        return participation.coverage(seekers, mentors, matched, "time_zone")

    zones = same_every_time(by_zone, "group")
    # Zones 0 and 1 have 35 departments' mentees each, 2 to 6 have 34; then the 5 of
    # Zone/big and the 3 without a zone.
    assert zones == [*[f"Zone/{i}" for i in range(7)], "Zone/big", "(none)"]


def test_mentors_with_the_same_load_go_by_name_then_program() -> None:
    names = shuffled_names("Mentor", 1500, seed=2)
    rows = [
        (1 + i % 2, f"Program {'AB'[i % 2]}", 100 + i, name, "Eng", "UTC", 2, 1)
        for i, name in enumerate(names)
    ]
    rows += [(3, "Program C", 99, "Busy", "Eng", "UTC", 1, 2)]  # over capacity: first
    rows += [(3, "Program C", 98, "No seats", "Eng", "UTC", 0, 0)]  # no load: last
    mentors = pl.DataFrame(rows, schema=MENTORS, orient="row")
    order = same_every_time(lambda: participation.mentor_load(mentors), "mentor")
    assert order == ["Busy", *sorted(names), "No seats"]
    # The same person mentoring in two programs: program name decides.
    twice = pl.concat(
        [
            mentors.head(1),
            mentors.head(1).with_columns(
                program_id=pl.lit(9, pl.Int64), program=pl.lit("Program 0")
            ),
        ]
    )
    assert participation.mentor_load(twice)["program"].to_list() == ["Program 0", "Program A"]


def test_at_risk_pairs_equally_silent_go_by_program_mentor_mentee_and_id() -> None:
    n = 900
    mentees = shuffled_names("Mentee", n, seed=3)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    frame = facts(
        n,
        mentorship_id=list(range(1, n + 1)),
        program=[("Beta", "Alpha")[i % 2] for i in range(n)],
        mentor=[f"Mentor {i % 3}" for i in range(n)],
        mentee=mentees,
        status=[MentorshipStatus.ACTIVE.value] * n,
        started_at=[started] * n,
        milestones_overdue=[0] * n,
    )
    # Two pairs with the same names (people may share a name): the id decides.
    frame = frame.with_columns(
        mentee=pl.when(pl.col("mentorship_id") <= 6).then(pl.lit("Same Name")).otherwise("mentee")
    )
    ids = same_every_time(lambda: outcomes.at_risk(frame, AS_OF, days=30), "mentorship_id")
    expected = frame.sort("program", "mentor", "mentee", "mentorship_id")["mentorship_id"]
    assert ids == expected.to_list()


def test_score_bands_do_not_depend_on_the_order_of_the_rows() -> None:
    # Four pairs with the same score, cut into two bands: the two lower ids make the first.
    four = facts(
        4,
        mentorship_id=[1, 2, 3, 4],
        match_score=[0.5] * 4,
        sessions_held=[0, 0, 10, 10],
        status=["active"] * 4,
    )
    for seed in range(RUNS):
        rows = four.sample(fraction=1.0, shuffle=True, seed=seed)
        bands = outcomes.score_vs_outcome(rows, bins=2)
        assert bands["mean_sessions"].to_list() == [0.0, 10.0], f"row order {seed}"

    n = 3000
    rng = random.Random(4)
    many = facts(
        n,
        mentorship_id=list(range(1, n + 1)),
        match_score=[rng.choice((0.2, 0.4, 0.6, 0.8)) for _ in range(n)],
        sessions_held=[rng.randrange(20) for _ in range(n)],
        status=[rng.choice(("active", "completed", "ended_early")) for _ in range(n)],
    )
    expected = outcomes.score_vs_outcome(many, bins=7)
    for seed in range(RUNS):
        shuffled = many.sample(fraction=1.0, shuffle=True, seed=seed)
        assert outcomes.score_vs_outcome(shuffled, bins=7).equals(expected)


# ---- end to end, on both backends -------------------------------------------------------
def add_tied_departments(session: Session, org: dict[str, int]) -> dict[str, int]:
    """Three departments with two Alpha mentees each, as many as Sales, made in an order
    unlike their names; two mentees without a department. One mentee of each new
    department is paired on 2026-01-20 with Quinn (a new Alpha mentor without a department)
    and never heard from: silent as long as p4.
    """
    quinn = Person(email="quinn@example.org", full_name="Quinn", time_zone="Asia/Tokyo")
    session.add(quinn)
    session.flush()
    session.add(
        Enrolment(
            program_id=org["alpha"],
            person_id=quinn.id,
            role=EnrolmentRole.MENTOR,
            cohort="2026C",
            capacity=3,
            enrolled_at=at("2025-12-01"),
        )
    )
    pairs: dict[str, int] = {}
    for dept_name, mentees in (
        ("Legal", ("Zed", "Amos")),
        ("Design", ("Yara", "Bo")),
        ("Finance", ("Xia", "Cy")),
        (None, ("Wren", "Dee")),
    ):
        dept = None
        if dept_name is not None:
            dept = Department(name=dept_name)
            session.add(dept)
            session.flush()
        for i, name in enumerate(mentees):
            person = Person(
                email=f"{name.lower()}@example.org",
                full_name=name,
                department_id=dept.id if dept else None,
                time_zone="Asia/Tokyo",
            )
            session.add(person)
            session.flush()
            session.add(
                Enrolment(
                    program_id=org["alpha"],
                    person_id=person.id,
                    role=EnrolmentRole.MENTEE,
                    cohort="2026C",
                    enrolled_at=at("2026-01-02"),
                )
            )
            if i == 0 and dept is not None:
                pair = Mentorship(
                    program_id=org["alpha"],
                    mentor_id=quinn.id,
                    mentee_id=person.id,
                    status=MentorshipStatus.ACTIVE,
                    match_score=0.5,
                    started_at=at("2026-01-20"),
                )
                session.add(pair)
                session.flush()
                pairs[name] = pair.id
    session.commit()
    return pairs


def test_dashboard_and_report_list_ties_in_one_documented_order(
    session: Session, org: dict[str, int], tmp_path: Path
) -> None:
    from mentormatch_desktop.services.reports import program_report

    pairs = add_tied_departments(session, org)
    engine = session.get_bind()
    departments = ["Engineering", "Design", "Finance", "Legal", "Sales", "(none)"]
    # Silent 40 days: the Alpha pairs by mentee name (same mentor), then p4 (Beta); then
    # p1, silent 8 days with an overdue milestone.
    at_risk = [pairs["Xia"], pairs["Yara"], pairs["Zed"], org["p4"], org["p1"]]
    for _ in range(3):
        data = analytics.compute_dashboard(engine, Filters(as_of=AS_OF))
        assert data.coverage_department["group"].to_list() == departments
        assert data.coverage_department["mentees"].to_list() == [3, 2, 2, 2, 2, 2]
        # Quinn has no department either: one "(none)" row for mentees and mentors.
        assert data.coverage_department.row(5, named=True)["mentors"] == 1
        assert data.at_risk["mentorship_id"].to_list() == at_risk
    assert analytics.coverage(session, Filters(as_of=AS_OF))["group"].to_list() == departments
    zones = analytics.coverage(session, Filters(as_of=AS_OF), by="time_zone")
    assert zones["group"].to_list() == ["Asia/Tokyo", "UTC", "America/New_York", "Europe/Berlin"]

    # The report's coverage table lists the departments in the same order.
    html = program_report(engine, tmp_path / "r.html", Filters(as_of=AS_OF)).path.read_text()
    table = html[html.index("<h2>Coverage by department</h2>") :]
    places = [table.index(f"<td>{name}</td>") for name in departments]
    assert places == sorted(places)


def test_mentor_load_click_through_lists_pairs_in_mentorship_order(
    session: Session, org: dict[str, int]
) -> None:
    data = analytics.compute_dashboard(session.get_bind(), Filters(as_of=AS_OF))
    n = 4000
    many = facts(
        n,
        mentorship_id=list(range(1, n + 1)),
        program_id=[1] * n,
        mentor_id=[i % 400 for i in range(n)],
        status=[MentorshipStatus.ACTIVE.value] * n,
    )
    load = pl.DataFrame(
        [(1, "P", m, f"M{m}", None, "UTC", 10, 10) for m in range(400)][::-1],
        schema=MENTORS,
        orient="row",
    ).with_columns(load=pl.lit(1.0))
    big = replace(data, mentorships=many, mentor_load=load)
    for _ in range(RUNS):
        assert drill.mentor_load_bin(big, 1.0, 1.25) == list(range(1, n + 1))
