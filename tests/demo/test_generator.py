"""The demo generator in memory: deterministic, coherent, and following its hidden relation."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import numpy as np
import pytest

from mentormatch_desktop.demo import DemoConfig, Profile, generate, pair_features
from mentormatch_desktop.demo.features import (
    availability_cells,
    common_hours_matrix,
    skill_fit_matrix,
    tz_gap_hours,
)
from mentormatch_desktop.demo.people import NICKNAMES

NOW = datetime(2026, 3, 15, tzinfo=UTC)


def test_same_seed_and_now_give_identical_rows() -> None:
    first = generate(DemoConfig(participants=80, seed=3, now=NOW))
    second = generate(DemoConfig(participants=80, seed=3, now=NOW))
    assert first.counts() == second.counts()
    for name, table in first.tables.items():
        assert table.rows == second.tables[name].rows, name


def test_another_seed_gives_another_organisation() -> None:
    first = generate(DemoConfig(participants=80, seed=3, now=NOW))
    other = generate(DemoConfig(participants=80, seed=4, now=NOW))
    assert first.tables["people"].rows != other.tables["people"].rows


def test_too_few_participants_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(DemoConfig(participants=5, now=NOW))


def test_pair_features_follow_their_definitions() -> None:
    # Berlin is UTC+1 in March before DST, Tokyo UTC+9: 8 hours apart.
    mentee = Profile("Europe/Berlin", ((0, 9 * 60, 11 * 60),), {}, {1: 2, 2: 3, 3: 1})
    mentor = Profile("Asia/Tokyo", ((0, 17 * 60, 19 * 60),), {1: 4, 2: 3, 4: 5}, {})
    features = pair_features(mentee, mentor, NOW)
    # Mentor teaches skill 1 above level 2; skill 2 only at the mentee's level; not skill 3.
    assert features.skill_fit == pytest.approx(1 / 3)
    # Berlin Mon 09–11 = 08–10 UTC; Tokyo Mon 17–19 = 08–10 UTC: two common hours.
    assert features.common_hours == pytest.approx(2.0)
    assert features.tz_gap_hours == pytest.approx(8.0)
    assert tz_gap_hours(-10 * 60, 12 * 60) == pytest.approx(2.0)  # circular distance


def test_vectorised_features_agree_with_the_pair_function() -> None:
    rng = np.random.default_rng(0)
    learn = rng.integers(0, 4, (5, 8)) * (rng.random((5, 8)) < 0.4)
    teach = rng.integers(0, 6, (4, 8)) * (rng.random((4, 8)) < 0.5)
    fit = skill_fit_matrix(learn, teach)
    for i in range(5):
        for j in range(4):
            a = Profile("UTC", (), {}, {s: int(v) for s, v in enumerate(learn[i]) if v})
            b = Profile("UTC", (), {s: int(v) for s, v in enumerate(teach[j]) if v}, {})
            assert fit[i, j] == pytest.approx(pair_features(a, b, NOW).skill_fit)
    cells = np.stack(
        [availability_cells([(1, 600, 720)], 0), availability_cells([(1, 660, 900)], 60)]
    )
    # Tue 10–12 UTC and Tue 11–15 at UTC+1 (= 10–14 UTC) share two hours.
    assert common_hours_matrix(cells, cells)[0, 1] == pytest.approx(2.0)


def test_generated_profiles_are_plausible() -> None:
    ds = generate(DemoConfig(participants=200, seed=9, now=NOW))
    people = ds.tables["people"]
    zone = people.columns.index("time_zone")
    zones = {row[zone] for row in people.rows}
    assert zones <= zoneinfo.available_timezones()
    assert {z.split("/")[0] for z in zones} >= {"Europe", "America", "Asia"}
    emails = [row[people.columns.index("email")] for row in people.rows]
    assert len(set(emails)) == len(emails)
    goals = ds.tables["goals"]
    descriptions = [row[goals.columns.index("description")] for row in goals.rows]
    assert len(set(descriptions)) > 0.9 * len(descriptions)  # prose, not one template
    assert all(len(d) <= 255 for d in descriptions)


def test_preferred_names_follow_the_given_name() -> None:
    """Everyone with a several-word given name is called by all of it (Jun Jie Goh is
    "Jun Jie", never "Jun"); a few go by a short form; most have none. Drawn from nothing
    random, so the rest of the organisation is what it was before preferred names."""
    ds = generate(DemoConfig(participants=2000, seed=7, now=NOW))
    people = ds.tables["people"]
    full = people.columns.index("full_name")
    preferred = people.columns.index("preferred_name")
    chosen = [(row[full], row[preferred]) for row in people.rows if row[preferred]]
    assert 0 < len(chosen) < len(people.rows) // 4
    assert all(n.startswith(c) or c in NICKNAMES.values() for n, c in chosen)
    assert any(c in NICKNAMES.values() for _, c in chosen)
    several_words = ("Jun Jie", "Xin Yi", "Hui Min", "Zhi Hao", "Mei Ling", "Li Na", "Siew Ling")
    multi = [row for row in people.rows if row[full].startswith(several_words)]
    assert multi and all(row[full].startswith(row[preferred] + " ") for row in multi)
