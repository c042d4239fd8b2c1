"""The score matrix: weighted mean of the criteria, hard rules, blocks, pair lookups."""

from __future__ import annotations

import numpy as np
import pytest

from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.cohort import Cohort, PersonRecord
from mentormatch_desktop.matching.scoring import (
    MENTEE_MANAGES,
    MENTOR_MANAGES,
    MUST_NOT_MATCH,
    NO_LANGUAGE,
    SAME_PERSON,
    ScoreModel,
    normalise_weights,
)
from mentormatch_desktop.matching.synthetic_cohort import synthetic_cohort
from mentormatch_plugins.matching.criteria import BUILTIN_CRITERIA

CRITERIA = {c.name: c for c in BUILTIN_CRITERIA.items}
DEFAULTS = {c.name: c.default_weight for c in BUILTIN_CRITERIA.items}


def naive_scores(cohort: Cohort, weights: dict[str, float]) -> np.ndarray:
    """The definition, the slow way: every criterion's full matrix, weighted."""
    w = normalise_weights(weights, sorted(CRITERIA))
    return sum(wt * CRITERIA[n].compute(cohort).astype(np.float64) for n, wt in w.items())


@pytest.mark.parametrize("weights", [DEFAULTS, {**DEFAULTS, "department": 0.5, "skill_fit": 0}])
def test_score_matrix_is_the_weighted_mean_of_criteria(weights):
    cohort = synthetic_cohort(300, 70, seed=5)
    model = ScoreModel(cohort, CRITERIA)
    scores = model.score_matrix(weights)
    expected = naive_scores(cohort, weights)
    allowed = np.isfinite(scores)
    assert 0 < (~allowed).sum() < scores.size / 4  # some pairs forbidden, most allowed
    np.testing.assert_allclose(scores[allowed], expected[allowed], atol=2e-5)
    assert scores[allowed].min() >= 0 and scores[allowed].max() <= 1
    again = model.score_matrix({"skill_fit": 1.0}, out=scores.copy())
    refill = model.score_matrix(weights, out=again)
    assert refill is again
    np.testing.assert_array_equal(refill, scores)
    block = model.blocks(weights)(17, 230)
    # A block is the same product on fewer rows; BLAS may pick another float32 kernel for
    # that shape, so the last bit can differ (seen with numpy 2.4), nothing more.
    np.testing.assert_allclose(block, scores[17:230], rtol=1e-6, atol=1e-7)
    rows, cols = np.nonzero(np.ones_like(scores, dtype=bool))
    np.testing.assert_allclose(model.pair_scores(weights, rows, cols), scores.ravel(), atol=2e-5)


def test_large_tables_are_gathered_and_small_ones_folded():
    cohort = synthetic_cohort(200, 50, seed=8)
    tz = CRITERIA["time_zone"].factors(cohort)
    assert isinstance(tz, F.Table) and tz.foldable
    np.testing.assert_allclose(F.materialise(tz.as_factors()), F.materialise(tz), atol=1e-6)
    rng = np.random.default_rng(0)
    big = F.Table(np.arange(200) % 100, np.arange(300) % 80, rng.random((100, 80)))
    assert not big.foldable
    np.testing.assert_allclose(big.block(3, 9), big.table[3:9][:, np.arange(300) % 80])


def _people():
    mentees = [
        PersonRecord(1, "Ann", reporting_line=(10, 12), languages={"en": "fluent"}),
        PersonRecord(2, "Bob", languages={"de": "native"}),
        PersonRecord(3, "Cy"),  # no languages recorded: unknown, never a reason
        PersonRecord(11, "Dee"),  # Dee is also enrolled as a mentor
    ]
    mentors = [
        PersonRecord(10, "Max", languages={"en": "native"}),  # Ann's manager
        PersonRecord(11, "Dee", reporting_line=(3,)),  # reports to Cy
        PersonRecord(12, "Zoe", languages={"en": "native"}),  # Ann's manager's manager
        PersonRecord(13, "Ned", languages={"en": "native"}),
    ]
    return mentees, mentors


def test_hard_rules_forbid_reporting_lines_wishes_language_and_self():
    mentees, mentors = _people()
    cohort = Cohort.from_records(
        mentees, mentors, skills={}, pair_preferences=[(3, 13, "must_not")]
    )
    model = ScoreModel(cohort, CRITERIA)
    scores = model.score_matrix(DEFAULTS)
    codes = model.rules.reasons(*np.nonzero(np.ones((4, 4), dtype=bool)))
    expected = np.zeros((4, 4), dtype=np.int8)
    expected[0, 0] = expected[0, 2] = MENTOR_MANAGES
    expected[2, 1] = MENTEE_MANAGES
    expected[2, 3] = MUST_NOT_MATCH
    expected[3, 1] = SAME_PERSON
    expected[1, [0, 2, 3]] = NO_LANGUAGE
    np.testing.assert_array_equal(codes.reshape(4, 4), expected)
    np.testing.assert_array_equal(np.isinf(scores), expected > 0)
    assert model.rules.reason(cohort, 0, 2) == "Zoe is in Ann's reporting line"
    assert model.rules.reason(cohort, 2, 1) == "Cy is in Dee's reporting line"
    assert model.rules.reason(cohort, 1, 0) == "Bob and Max share no language"
    assert model.rules.reason(cohort, 0, 3) is None
    assert np.isinf(model.pair_scores(DEFAULTS, np.array([0]), np.array([0])))[0]


def test_peer_pool_forbids_self_pairs_and_is_symmetric():
    c = synthetic_cohort(30, 5, seed=4)
    pool = Cohort.from_records(
        [
            PersonRecord(int(p), str(p), department_id=int(d), seniority=int(s))
            for p, d, s in zip(
                c.mentees.person_ids, c.mentees.department_ids, c.mentees.seniority, strict=True
            )
        ],
        None,
        skills={},
        pair_preferences=[(int(c.mentees.person_ids[3]), int(c.mentees.person_ids[7]), "must_not")],
    )
    scores = ScoreModel(pool, CRITERIA).score_matrix(DEFAULTS)
    assert np.isinf(np.diag(scores)).all()
    assert np.isinf(scores[3, 7]) and np.isinf(scores[7, 3])
    np.testing.assert_allclose(scores, scores.T, atol=1e-5)


class OnlyCompute:
    """A third-party criterion without a fast form: the scorer uses its matrix as is."""

    name, label, description, default_weight = "ones", "Ones", "all ones", 1.0

    def __init__(self, value: float = 1.0, shape=None) -> None:
        self.value, self.shape = value, shape

    def compute(self, cohort):
        return np.full(self.shape or cohort.shape, self.value, dtype=np.float32)

    def explain(self, cohort, mentee, mentor, value):
        return "ones"


def test_plain_compute_criteria_join_the_score_and_are_validated():
    cohort = synthetic_cohort(40, 12, seed=6)
    model = ScoreModel(cohort, {**CRITERIA, "ones": OnlyCompute()})
    with_ones = model.score_matrix({"skill_fit": 1.0, "ones": 1.0})
    only_skill = model.score_matrix({"skill_fit": 1.0})
    ok = np.isfinite(only_skill)
    np.testing.assert_allclose(with_ones[ok], (only_skill[ok] + 1.0) / 2, atol=1e-6)
    bad = ScoreModel(cohort, {"ones": OnlyCompute(2.0)})
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        bad.score_matrix({"ones": 1.0})
    wrong = ScoreModel(cohort, {"ones": OnlyCompute(shape=(3, 3))})
    with pytest.raises(ValueError, match="shape"):
        wrong.score_matrix({"ones": 1.0})


def test_criteria_are_built_lazily_only_when_weighted():
    cohort = synthetic_cohort(20, 5, seed=1)
    model = ScoreModel(cohort, {**CRITERIA, "ones": OnlyCompute()})
    model.score_matrix({"skill_fit": 1.0})
    assert set(model.representations) == {"skill_fit"}
    assert set(model.breakdown(np.array([0]), np.array([1]))) == {*CRITERIA, "ones"}


def test_weights_are_validated_and_normalised():
    names = ["a", "b", "c"]
    assert normalise_weights({"a": 1, "b": 3, "zzz": 5}, names) == {"a": 0.25, "b": 0.75}
    with pytest.raises(ValueError, match="at least one criterion"):
        normalise_weights({"a": 0}, names)
    with pytest.raises(ValueError, match="'b'"):
        normalise_weights({"b": -1}, names)


def test_column_dedupe_keeps_the_product_and_drops_empty_columns():
    rng = np.random.default_rng(2)
    hourly = rng.random((30, 24)) < 0.3  # each hour repeated 4 times: 96 quarter columns
    a = np.repeat(hourly, 4, axis=1)
    b = np.repeat(rng.random((20, 24)) < 0.3, 4, axis=1)
    b[:, :8] = False  # nobody on the mentor side is free in the first two hours
    (da, db), counts = F.dedupe_columns(a, b)
    assert da.shape[1] <= 22
    np.testing.assert_allclose(
        (da * counts) @ db.T.astype(np.float32), a.astype(np.float32) @ b.T.astype(np.float32)
    )
