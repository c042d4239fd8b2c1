"""Learned weights recover a known relation and beat uniform weights on held-out outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from mentormatch_desktop.matching.learning import (
    NotEnoughOutcomes,
    OutcomeTable,
    drop_protected,
    expected_effect,
    fit_weights,
    outcome_quality,
    rank_correlation,
)

CRITERIA = ["skill_fit", "goal_fit", "availability", "time_zone", "language", "experience_gap"]
TRUTH = {"skill_fit": 2.0, "availability": 1.4, "time_zone": 0.7}


def _table(n: int, seed: int = 1) -> OutcomeTable:
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(CRITERIA)))
    beta = np.array([TRUTH.get(c, 0.0) for c in CRITERIA])
    p = 1 / (1 + np.exp(-(x @ beta * 2.0 - 3.0)))
    good = rng.random(n) < p
    return OutcomeTable(CRITERIA, x, good, good.astype(float), np.zeros(n, dtype=bool))


def test_learned_weights_recover_the_relation_and_beat_uniform() -> None:
    learned = fit_weights(_table(800), {c: 1.0 for c in CRITERIA})
    rho = rank_correlation(learned, {c: TRUTH.get(c, 0.0) for c in CRITERIA})
    assert rho >= 0.8
    assert learned.cv_auc > learned.auc_uniform + 0.03
    order = sorted(learned.suggested, key=learned.suggested.get, reverse=True)
    assert order[:3] == ["skill_fit", "availability", "time_zone"]
    assert sum(learned.suggested.values()) == pytest.approx(len(CRITERIA), abs=1e-3)
    assert all(w >= 0 for w in learned.suggested.values())
    assert learned.better_than_current and "better" in learned.advice()
    evidence = learned.evidence()
    assert evidence["outcomes"] == 800 and evidence["method"] == "l2-logistic-regression"
    for c in learned.criteria:
        assert c.interval[0] <= c.coefficient <= c.interval[1]


def test_too_little_data_says_how_much_is_needed() -> None:
    with pytest.raises(NotEnoughOutcomes, match=r"at least 60 .* this program has 40"):
        fit_weights(_table(40), {})


def test_protected_attributes_never_become_features() -> None:
    kept, dropped = drop_protected(["skill_fit", "same_gender", "age_gap"], ["gender", "age"])
    assert kept == ["skill_fit"]
    assert set(dropped) == {"same_gender", "age_gap"}


def test_outcome_quality_rules() -> None:
    kw = dict(sessions_held=6, sessions_expected=6, mean_rating=5.0, milestones_total=2)
    assert outcome_quality(ended_early=True, milestones_done=2, **kw) == 0.0
    assert outcome_quality(ended_early=False, milestones_done=2, **kw) == 1.0
    # no ratings and no milestones: judged on sessions alone
    assert outcome_quality(
        ended_early=False,
        sessions_held=3,
        sessions_expected=6,
        mean_rating=None,
        milestones_total=0,
        milestones_done=0,
    ) == pytest.approx(0.5)


def test_expected_effect_prefers_the_learned_weights() -> None:
    learned = fit_weights(_table(800), {c: 1.0 for c in CRITERIA})
    rng = np.random.default_rng(3)
    matrices = {c: rng.random((40, 15)).astype(np.float32) for c in CRITERIA}
    effect = expected_effect(matrices, learned)
    assert effect.mentees == 40
    assert effect.suggested_rate >= effect.current_rate
