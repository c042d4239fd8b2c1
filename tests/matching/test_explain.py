"""One-glance explanations: strongest reasons first, one caveat, unweighted criteria silent."""

from __future__ import annotations

from datetime import date

import numpy as np

from mentormatch_desktop.matching.cohort import Cohort, PersonRecord
from mentormatch_desktop.matching.explain import SEPARATOR, breakdown_record, explain_pair
from mentormatch_desktop.matching.scoring import ScoreModel, normalise_weights
from mentormatch_plugins.matching.criteria import BUILTIN_CRITERIA

CRITERIA = {c.name: c for c in BUILTIN_CRITERIA.items}
SKILLS = {1: "SQL", 2: "Leadership", 3: "Public speaking", 4: "Python"}


def _cohort() -> Cohort:
    mentee = PersonRecord(
        1,
        "Ann",
        learn={1: 1, 2: 2, 3: 1, 4: 3},
        slots=[(0, 9 * 60, 14 * 60)],
        time_zone="Europe/Berlin",
        languages={"en": "fluent"},
        seniority=2,
    )
    mentors = [
        PersonRecord(
            2,
            "Cat",
            teach={1: 4, 2: 4, 3: 5},
            slots=[(0, 6 * 60, 10 * 60 + 30)],
            time_zone="America/New_York",
            languages={"en": "native"},
            seniority=4,
        ),
        PersonRecord(
            3,
            "Dan",
            teach={4: 5},
            time_zone="Asia/Tokyo",
            slots=[(1, 0, 60)],
            languages={"en": "fluent"},
            seniority=4,
        ),
    ]
    return Cohort.from_records([mentee], mentors, skills=SKILLS, week_start=date(2026, 1, 14))


def _explain(weights: dict[str, float], mentor: int) -> str:
    cohort = _cohort()
    model = ScoreModel(cohort, CRITERIA)
    w = normalise_weights(weights, model.names)
    parts = model.breakdown(np.array([0]), np.array([mentor]), list(w))
    values = {n: float(v[0]) for n, v in parts.items()}
    return explain_pair(cohort, CRITERIA, w, values, 0, mentor)


def test_the_issue_example_reads_in_one_glance():
    # Berlin Mon 09:00–14:00 = 08:00–13:00 UTC; New York Mon 06:00–10:30 = 11:00–15:30 UTC
    text = _explain({"skill_fit": 3, "availability": 2, "time_zone": 1}, mentor=0)
    assert text == SEPARATOR.join(
        [
            "Teaches 3 of 4 target skills: SQL, Leadership, Public speaking",
            "2 h/week common availability",
            "6 time zones apart",
        ]
    )


def test_a_weak_heavily_weighted_criterion_is_shown_as_a_caveat():
    text = _explain({"skill_fit": 1, "availability": 3, "language": 1}, mentor=1)
    phrases = text.split(SEPARATOR)
    assert phrases[0] == "Shared language: English"
    assert phrases[-1] == "No common availability"
    assert "time zone" not in text  # not weighted: not mentioned


def test_breakdown_record_is_plain_rounded_json():
    assert breakdown_record({"b": np.float32(0.123456), "a": 1}) == {"a": 1.0, "b": 0.1235}
