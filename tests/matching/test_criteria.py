"""The built-in criteria: values that follow their rules, fast forms equal to ``compute``."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.cohort import Cohort, PersonRecord
from mentormatch_desktop.matching.synthetic_cohort import synthetic_cohort
from mentormatch_plugins.matching.criteria import BUILTIN_CRITERIA

CRITERIA = {c.name: c for c in BUILTIN_CRITERIA.items}
WEEK = date(2026, 1, 14)
SKILLS = {1: "SQL", 2: "Leadership", 3: "Public speaking", 4: "Python"}


def cohort(mentees, mentors, **kw) -> Cohort:
    return Cohort.from_records(mentees, mentors, skills=SKILLS, week_start=WEEK, **kw)


def value(name: str, c: Cohort, e: int = 0, m: int = 0) -> float:
    return float(CRITERIA[name].compute(c)[e, m])


def test_plugin_registers_all_criteria_through_the_host(plugin_host):
    names = set(plugin_host.criteria())
    assert set(CRITERIA) <= names
    for crit in CRITERIA.values():
        assert plugin_host.owner_of("register_match_criteria", crit.name).builtin


def test_skill_fit_rewards_two_levels_above_more_than_one():
    mentee = PersonRecord(1, "E", learn={1: 2, 2: 2, 3: 1, 4: 3})
    mentors = [
        PersonRecord(2, "two above", teach={1: 4, 2: 4, 3: 3, 4: 5}),
        PersonRecord(3, "one above", teach={1: 3, 2: 3, 3: 2, 4: 4}),
        PersonRecord(4, "same level", teach={1: 2, 2: 2}),
        PersonRecord(5, "half", teach={1: 5, 3: 5}),
    ]
    values = CRITERIA["skill_fit"].compute(cohort([mentee], mentors))[0]
    assert values.tolist() == pytest.approx([1.0, 0.6, 0.0, 0.5])
    c = cohort([mentee], mentors)
    assert CRITERIA["skill_fit"].explain(c, 0, 3, 0.5) == (
        "Teaches 2 of 4 target skills: SQL, Public speaking"
    )
    assert CRITERIA["skill_fit"].explain(c, 0, 2, 0.0) == "Teaches none of the 4 target skills"


def test_goal_fit_prefers_the_profile_that_matches_the_goals():
    mentee = PersonRecord(1, "E", goal_text="I want to write better SQL queries and reports")
    mentors = [
        PersonRecord(2, "sql", profile_text="Data analyst: SQL queries, reporting, dashboards"),
        PersonRecord(3, "talk", profile_text="Keynote speaker, storytelling on stage"),
        PersonRecord(4, "blank"),
    ]
    c = cohort([mentee], mentors)
    v = CRITERIA["goal_fit"].compute(c)[0]
    assert v[0] > 0.2 and v[1] == 0 and v[2] == 0
    assert CRITERIA["goal_fit"].explain(c, 0, 0, float(v[0])).startswith("Profile matches goals: ")
    assert "sql" in CRITERIA["goal_fit"].explain(c, 0, 0, float(v[0]))


def test_experience_gap_peaks_at_the_preferred_gap():
    mentee = PersonRecord(1, "E", seniority=2)
    mentors = [PersonRecord(10 + s, f"s{s}", seniority=s) for s in (1, 2, 3, 4, 5, 6, 7)]
    v = CRITERIA["experience_gap"].compute(cohort([mentee], mentors))[0]
    assert v.argmax() == 3 and v[3] == 1.0  # seniority 4: gap 2
    assert v[2] == v[4] and v[2] < 1.0  # gap 1 and gap 3 equally far from 2
    assert v[0] == 0.0  # a junior "mentor"
    v3 = CRITERIA["experience_gap"].compute(
        cohort([mentee], mentors, settings={"preferred_seniority_gap": 3})
    )[0]
    assert v3.argmax() == 4
    with pytest.raises(ValueError, match="preferred_seniority_gap"):
        CRITERIA["experience_gap"].compute(
            cohort([mentee], mentors, settings={"preferred_seniority_gap": "lots"})
        )


def test_availability_counts_common_hours_across_time_zones():
    # Berlin Monday 10:00–12:00 is 09:00–11:00 UTC; London 09:00–10:30 local = UTC in winter
    mentee = PersonRecord(1, "E", slots=[(0, 600, 720)], time_zone="Europe/Berlin")
    mentors = [
        PersonRecord(2, "London", slots=[(0, 540, 630)], time_zone="Europe/London"),
        PersonRecord(3, "Tokyo", slots=[(0, 540, 720)], time_zone="Asia/Tokyo"),
        PersonRecord(4, "all day", slots=[(0, 0, 1440)], time_zone="UTC"),
    ]
    c = cohort([mentee], mentors, settings={"availability_target_hours": 3})
    v = CRITERIA["availability"].compute(c)[0]
    assert v.tolist() == pytest.approx([1.5 / 3, 0.0, 2 / 3])
    assert CRITERIA["availability"].explain(c, 0, 0, v[0]) == "1.5 h/week common availability"
    assert CRITERIA["availability"].explain(c, 0, 1, v[1]) == "No common availability"


def test_availability_fast_forms_agree():
    c = synthetic_cohort(60, 20, seed=3)
    rep = CRITERIA["availability"].factors(c)
    direct = c.mentees.availability.astype(np.float32) @ c.mentors.availability.T.astype(np.float32)
    expected = np.minimum(direct / 12.0, 1.0)  # target 3 h = 12 quarter hours
    np.testing.assert_allclose(F.materialise(rep), expected, atol=1e-6)
    rows, cols = np.array([0, 5, 59]), np.array([19, 0, 7])
    np.testing.assert_allclose(rep.values_at(rows, cols), expected[rows, cols], atol=1e-6)


def test_time_zone_distance_wraps_around_the_date_line():
    mentee = PersonRecord(1, "E", time_zone="Pacific/Auckland")  # UTC+13 in January
    mentors = [
        PersonRecord(2, "Honolulu", time_zone="Pacific/Honolulu"),  # UTC-10: 1 h apart
        PersonRecord(3, "Auckland", time_zone="Pacific/Auckland"),
        PersonRecord(4, "London", time_zone="Europe/London"),  # 13 h → 11 h apart
    ]
    c = cohort([mentee], mentors)
    v = CRITERIA["time_zone"].compute(c)[0]
    assert v.tolist() == pytest.approx([1 - 1 / 12, 1.0, 1 - 11 / 12])
    assert CRITERIA["time_zone"].explain(c, 0, 0, v[0]) == "1 time zone apart"
    assert CRITERIA["time_zone"].explain(c, 0, 1, v[1]) == "Same time zone"


def test_language_levels_and_unknowns():
    mentee = PersonRecord(1, "E", languages={"en": "fluent", "de": "working"})
    mentors = [
        PersonRecord(2, "en", languages={"en": "native"}),
        PersonRecord(3, "de", languages={"de": "native"}),
        PersonRecord(4, "fr", languages={"fr": "native"}),
        PersonRecord(5, "unknown"),
    ]
    c = cohort([mentee], mentors)
    assert CRITERIA["language"].compute(c)[0].tolist() == pytest.approx([1.0, 0.7, 0.0, 0.5])
    assert CRITERIA["language"].explain(c, 0, 0, 1.0) == "Shared language: English"


def test_preferences_pairs_and_enrolment_wishes():
    mentees = [
        PersonRecord(1, "cross", department_id=1, preferences={"cross_department": True}),
        PersonRecord(2, "german", preferences={"languages": ["de"]}),
        PersonRecord(3, "none"),
    ]
    mentors = [
        PersonRecord(10, "same dept", department_id=1, languages={"de": "native"}),
        PersonRecord(
            11,
            "other dept",
            department_id=2,
            languages={"en": "native"},
            preferences={"departments": ["Sales"]},
        ),
    ]
    c = cohort(
        mentees,
        mentors,
        departments={1: "Sales", 2: "Support"},
        pair_preferences=[
            (3, 10, "prefer"),
            (10, 3, "prefer"),
            (3, 11, "prefer"),
            (11, 3, "avoid"),
        ],
    )
    v = CRITERIA["preferences"].compute(c)
    assert v[0].tolist() == pytest.approx([0.25, 1.0])  # own wish met; mentor 11 wants Sales
    assert v[1].tolist() == pytest.approx([0.75, 0.25])  # wants German; dept unknown to 11
    assert v[2].tolist() == pytest.approx([1.0, 0.0])  # both prefer; an avoid wins
    assert CRITERIA["preferences"].explain(c, 2, 1, 0.0) == "Asked not to be matched together"
    assert CRITERIA["preferences"].explain(c, 0, 1, 1.0) == (
        "Wished for another department, department Sales"
    )
    rows, cols = np.array([0, 1, 2, 2]), np.array([1, 0, 0, 1])
    rep = CRITERIA["preferences"].factors(c)
    np.testing.assert_allclose(rep.values_at(rows, cols), v[rows, cols], atol=1e-6)


def test_department_scores_cross_department_pairs():
    mentee = PersonRecord(1, "E", department_id=1)
    mentors = [
        PersonRecord(2, "a", department_id=1),
        PersonRecord(3, "b", department_id=2),
        PersonRecord(4, "c"),
    ]
    c = cohort([mentee], mentors, departments={1: "Sales", 2: "Support"})
    assert CRITERIA["department"].compute(c)[0].tolist() == [0.0, 1.0, 0.5]
    assert CRITERIA["department"].explain(c, 0, 1, 1.0) == "Cross-department: Sales ↔ Support"
    assert CRITERIA["department"].default_weight == 0.0


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_values_in_unit_interval_and_fast_forms_match_compute(name):
    c = synthetic_cohort(80, 30, seed=1)
    crit = CRITERIA[name]
    full = crit.compute(c)
    assert full.shape == (80, 30) and full.dtype == np.float32
    assert full.min() >= -1e-6 and full.max() <= 1 + 1e-6
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 80, 200), rng.integers(0, 30, 200)
    np.testing.assert_allclose(crit.factors(c).values_at(rows, cols), full[rows, cols], atol=1e-5)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_peer_pools_are_symmetric(name):
    c = synthetic_cohort(40, 10, seed=2)
    pool = Cohort.from_records(
        [
            PersonRecord(
                int(p),
                str(p),
                teach={1: 4},
                learn={2: 1},
                goal_text=g,
                profile_text=t,
                seniority=int(s),
                department_id=int(d) % 3,
                languages={"en": "fluent"},
            )
            for p, g, t, s, d in zip(
                c.mentees.person_ids,
                c.mentees.goal_texts,
                c.mentors.profile_texts * 4,
                c.mentees.seniority,
                c.mentees.department_ids,
                strict=True,
            )
        ],
        None,
        skills=SKILLS,
        week_start=WEEK,
    )
    full = CRITERIA[name].compute(pool)
    np.testing.assert_allclose(full, full.T, atol=1e-5)
