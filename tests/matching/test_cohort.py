"""The cohort: UTC availability bitmaps, records → arrays, and loading from the database."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    MentorshipStatus,
    PairPreferenceKind,
    ProgramKind,
    SkillDirection,
)
from mentormatch_desktop.matching.cohort import (
    AVOID,
    MUST_NOT,
    PREFER,
    SLOTS_PER_WEEK,
    Cohort,
    PersonRecord,
    reference_week,
    utc_offset_minutes,
    weekly_bitmap,
)
from mentormatch_desktop.matching.cohort_db import CohortError, load_cohort
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Department,
    Enrolment,
    Goal,
    Mentorship,
    PairPreference,
    Person,
    PersonLanguage,
    PersonSkill,
    Program,
    Skill,
)
from mentormatch_desktop.storage.types import utcnow

WINTER = reference_week(date(2026, 1, 14))  # Monday 12 January 2026
SUMMER = reference_week(date(2026, 7, 15))  # Monday 13 July 2026


def on(bits: np.ndarray) -> list[tuple[int, int]]:
    """Runs of set bits as (first slot, end slot)."""
    idx = np.flatnonzero(bits)
    runs, start = [], None
    for a, b in zip(idx, [*idx[1:], -10], strict=True):
        start = a if start is None else start
        if b != a + 1:
            runs.append((int(start), int(a) + 1))
            start = None
    return runs


def test_reference_week_is_a_utc_monday():
    assert WINTER.isoformat() == "2026-01-12T00:00:00+00:00"
    assert reference_week(date(2026, 1, 12)) == WINTER


def test_local_slots_become_utc_bits_and_dst_moves_them_not_the_local_time():
    berlin = [(0, 9 * 60, 11 * 60)]  # Monday 09:00–11:00 local
    assert on(weekly_bitmap(berlin, "Europe/Berlin", WINTER)) == [(32, 40)]  # 08:00–10:00 UTC
    assert on(weekly_bitmap(berlin, "Europe/Berlin", SUMMER)) == [(28, 36)]  # 07:00–09:00 UTC
    assert utc_offset_minutes("Europe/Berlin", WINTER) == 60
    assert utc_offset_minutes("Europe/Berlin", SUMMER) == 120


def test_half_hour_zones_and_windows_wrapping_past_the_week_end():
    kolkata = weekly_bitmap([(2, 9 * 60, 10 * 60)], "Asia/Kolkata", WINTER)  # UTC+5:30
    assert on(kolkata) == [(2 * 96 + 14, 2 * 96 + 18)]  # Wednesday 03:30–04:30 UTC
    tokyo = weekly_bitmap([(0, 60, 180)], "Asia/Tokyo", WINTER)  # Mon 01–03 = Sun 16–18 UTC
    assert on(tokyo) == [(SLOTS_PER_WEEK - 32, SLOTS_PER_WEEK - 24)]
    la = weekly_bitmap([(6, 22 * 60, 24 * 60)], "America/Los_Angeles", WINTER)  # Sun 22–24
    assert on(la) == [(24, 32)]  # Monday 06:00–08:00 UTC: wrapped to the week's start


def test_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        weekly_bitmap([(0, 0, 60)], "Mars/Olympus", WINTER)


def _people() -> tuple[list[PersonRecord], list[PersonRecord]]:
    mentees = [
        PersonRecord(
            10,
            "Ann",
            learn={1: 1, 2: 2},
            time_zone="Europe/Berlin",
            slots=[(0, 540, 600)],
            languages={"en": "fluent"},
            seniority=2,
            department_id=1,
            reporting_line=(20, 99),
        ),
        PersonRecord(11, "Bob", capacity=2, learn={3: 1}, goal_text="learn sql"),
    ]
    mentors = [
        PersonRecord(20, "Cat", capacity=3, teach={1: 5, 3: 4}, profile_text="sql"),
        PersonRecord(21, "Dan", teach={2: 4}),
    ]
    return mentees, mentors


def test_from_records_builds_aligned_arrays():
    mentees, mentors = _people()
    c = Cohort.from_records(
        mentees,
        mentors,
        skills={3: "SQL", 1: "Python", 2: "Leadership"},
        pair_preferences=[
            (10, 21, "prefer"),
            (21, 11, "avoid"),
            (11, 20, "must_not"),
            (10, 999, "prefer"),
        ],
        week_start=WINTER,
    )
    assert c.shape == (2, 2) and not c.is_peer
    assert c.skill_names == ["Python", "Leadership", "SQL"]  # column order = sorted skill ids
    assert c.learn.toarray().tolist() == [[1, 2, 0], [0, 0, 1]]
    assert c.teach.toarray().tolist() == [[5, 0, 4], [0, 4, 0]]
    assert c.mentors.capacity.tolist() == [3, 1] and c.mentees.capacity.tolist() == [1, 2]
    assert c.mentees.index_of(11) == 1
    assert c.mentees.indices_of([11, 5]).tolist() == [1, -1]
    assert c.mentees.availability[0].sum() == 4 and c.mentees.available_hours()[0] == 1.0
    assert c.mentees.department_ids.tolist() == [1, -1]
    assert c.mentees.reporting_lines[0] == (20, 99)
    prefs = c.pair_preferences  # the wish about a stranger (999) is dropped
    assert list(zip(prefs.mentee, prefs.mentor, prefs.kind, prefs.by_mentee, strict=True)) == [
        (0, 1, PREFER, True),
        (1, 1, AVOID, False),
        (1, 0, MUST_NOT, True),
    ]


def test_peer_cohort_is_one_pool_and_duplicates_are_refused():
    mentees, mentors = _people()
    peer = Cohort.from_records(
        mentees + mentors,
        None,
        skills={1: "a", 2: "b", 3: "c"},
        pair_preferences=[(21, 10, "prefer")],
    )
    assert peer.is_peer and peer.mentors is peer.mentees and peer.kind == "peer"
    assert (peer.pair_preferences.mentee[0], peer.pair_preferences.mentor[0]) == (0, 3)
    with pytest.raises(ValueError, match="person 10 appears twice"):
        Cohort.from_records([mentees[0], mentees[0]], mentors, skills={})


def _seed(session: Session) -> dict[str, int]:
    """A program with two mentees, two mentors, a withdrawn mentee and a full mentor."""
    eng = Department(name="Engineering")
    session.add(eng)
    session.flush()
    boss = Person(email="boss@x.org", full_name="Boss", department_id=eng.id, time_zone="UTC")
    session.add(boss)
    session.flush()
    people = {}
    for key, name, tz in [
        ("ann", "Ann", "Europe/Berlin"),
        ("bob", "Bob", "America/New_York"),
        ("cat", "Cat", "Europe/London"),
        ("dan", "Dan", "Asia/Tokyo"),
        ("eve", "Eve", "UTC"),
        ("fay", "Fay", "UTC"),
    ]:
        p = Person(
            email=f"{key}@x.org",
            full_name=name,
            time_zone=tz,
            seniority=3,
            title="Engineer",
            bio=f"{name} likes data",
            department_id=eng.id,
            manager_id=boss.id if key == "cat" else None,
        )
        session.add(p)
        session.flush()
        people[key] = p.id
    session.get(Person, people["ann"]).manager_id = people["cat"]
    sql, lead = Skill(name="SQL"), Skill(name="Leadership")
    session.add_all([sql, lead])
    program = Program(
        name="Spring",
        kind=ProgramKind.ONE_TO_ONE,
        starts_on=date(2026, 1, 14),
        settings={"availability_target_hours": 2},
    )
    session.add(program)
    session.flush()
    roles = {
        "ann": "mentee",
        "bob": "mentee",
        "eve": "mentee",
        "cat": "mentor",
        "dan": "mentor",
        "fay": "mentor",
    }
    for key, role in roles.items():
        session.add(
            Enrolment(
                program_id=program.id,
                person_id=people[key],
                role=EnrolmentRole(role),
                capacity=2 if key == "cat" else 1,
                status=EnrolmentStatus.WITHDRAWN if key == "eve" else EnrolmentStatus.ACTIVE,
                motivation="Grow as a leader" if key == "ann" else "",
                preferences={"cross_department": True} if key == "bob" else {},
            )
        )
    session.add_all(
        [
            PersonSkill(
                person_id=people["ann"], skill_id=sql.id, direction=SkillDirection.LEARN, level=1
            ),
            PersonSkill(
                person_id=people["cat"], skill_id=sql.id, direction=SkillDirection.TEACH, level=5
            ),
            PersonSkill(
                person_id=people["cat"], skill_id=lead.id, direction=SkillDirection.TEACH, level=4
            ),
            Goal(person_id=people["ann"], title="Query data", description="write SQL reports"),
            PersonLanguage(person_id=people["ann"], language="EN", level="fluent"),
            AvailabilitySlot(person_id=people["ann"], weekday=0, start_minute=540, end_minute=660),
            PairPreference(
                program_id=program.id,
                person_id=people["bob"],
                other_person_id=people["dan"],
                kind=PairPreferenceKind.AVOID,
            ),
            PairPreference(
                program_id=None,
                person_id=people["ann"],
                other_person_id=people["dan"],
                kind=PairPreferenceKind.PREFER,
            ),
            Mentorship(
                program_id=program.id,
                mentor_id=people["fay"],
                mentee_id=people["bob"],
                started_at=utcnow(),
                status=MentorshipStatus.ENDED_EARLY,
            ),
            Mentorship(
                program_id=program.id,
                mentor_id=people["fay"],
                mentee_id=people["eve"],
                started_at=utcnow(),
                status=MentorshipStatus.ACTIVE,
            ),
        ]
    )
    session.commit()
    return {**people, "program": program.id, "boss": boss.id, "sql": sql.id, "lead": lead.id}


def test_load_cohort_reads_every_profile_field(session):
    ids = _seed(session)
    c = load_cohort(session, ids["program"])
    assert c.program_name == "Spring" and c.kind == "one_to_one"
    assert c.mentees.person_ids.tolist() == [ids["ann"], ids["bob"]]  # Eve withdrew
    assert c.mentors.person_ids.tolist() == [ids["cat"], ids["dan"]]  # Fay is full
    ann = c.mentees.index_of(ids["ann"])
    cat = c.mentors.index_of(ids["cat"])
    assert c.skill_names[c.learn[ann].indices[0]] == "SQL"
    assert sorted(c.skill_names[j] for j in c.teach[cat].indices) == ["Leadership", "SQL"]
    assert "write SQL reports" in c.goal_texts[ann] and "Grow as a leader" in c.goal_texts[ann]
    assert "Cat likes data" in c.profile_texts[cat] and "Leadership" in c.profile_texts[cat]
    assert c.mentees.languages[ann] == {"en": "fluent"}
    assert c.mentees.available_hours()[ann] == 2.0
    assert c.mentees.utc_offset_minutes[ann] == 60  # Berlin in January (program start)
    assert c.mentees.reporting_lines[ann] == (ids["cat"], ids["boss"])
    assert c.mentors.capacity.tolist() == [2, 1]
    assert c.mentees.preferences[c.mentees.index_of(ids["bob"])] == {"cross_department": True}
    assert c.settings["availability_target_hours"] == 2
    assert c.department_names == {c.mentees.department_ids[ann]: "Engineering"}
    assert len(c.pair_preferences) == 2  # the program's wish and the all-programs one


def test_load_cohort_capacity_in_use_and_missing_program(session):
    ids = _seed(session)
    full = load_cohort(session, ids["program"], exclude_matched=False)
    assert ids["fay"] in full.mentors.person_ids.tolist()
    assert ids["eve"] not in full.mentees.person_ids.tolist()  # withdrawn stays out
    with pytest.raises(CohortError, match="no program with id 12345"):
        load_cohort(session, 12345)
