"""Logistic regression, stratified folds and ROC AUC (mentormatch_desktop/matching/logistic.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from mentormatch_desktop.matching.logistic import fit_logistic, roc_auc, stratified_folds


def _data(n: int = 400, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4))
    y = rng.random(n) < expit(x @ np.array([3.0, -2.0, 0.0, 1.0]) - 1.0)
    return x, y.astype(int)


@pytest.mark.parametrize("c", [0.1, 1.0, 100.0])
def test_the_fit_meets_the_optimality_conditions(c: float) -> None:
    """At the minimum of ½‖w‖² + C·Σ log-loss the gradient vanishes:
    C·Xᵀ(p − y) + w = 0 and Σ(p − y) = 0 (the intercept is not penalised)."""
    x, y = _data()
    model = fit_logistic(x, y, c=c)
    residual = model.predict_proba(x) - y
    n = len(y)  # gradient per row and per unit of C: ~1 far from the optimum
    assert (c * x.T @ residual + model.coef) / (c * n) == pytest.approx(np.zeros(4), abs=1e-6)
    assert residual.sum() / n == pytest.approx(0.0, abs=1e-6)
    assert model.decision_function(x) == pytest.approx(x @ model.coef + model.intercept)


def test_the_fit_recovers_the_signs_and_shrinks_with_a_stronger_penalty() -> None:
    x, y = _data(3000)
    loose, tight = fit_logistic(x, y, c=100.0), fit_logistic(x, y, c=0.001)
    assert np.sign(loose.coef[[0, 1, 3]]).tolist() == [1.0, -1.0, 1.0]
    assert abs(loose.coef[2]) < 0.5
    assert np.linalg.norm(tight.coef) < np.linalg.norm(loose.coef)


def test_one_class_only_is_refused() -> None:
    with pytest.raises(ValueError, match="both classes"):
        fit_logistic(np.ones((5, 2)), np.ones(5))


def test_folds_partition_the_rows_and_keep_the_class_shares() -> None:
    y = np.array([1] * 30 + [0] * 70)
    seen = []
    for train, test in stratified_folds(y, 5, seed=3):
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 100
        assert y[test].sum() == 6 and len(test) == 20
        seen.append(test)
    assert sorted(np.concatenate(seen).tolist()) == list(range(100))
    again = [t.tolist() for _, t in stratified_folds(y, 5, seed=3)]
    assert again == [t.tolist() for t in seen]
    with pytest.raises(ValueError, match="fewer than 5 folds"):
        list(stratified_folds(np.array([1, 1, 0, 0, 0, 0, 0]), 5))


def test_auc_counts_ordered_pairs_and_ties_as_half() -> None:
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 0]), np.array([2.0, 1.0])) == 1.0
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(np.array([1, 1]), np.array([0.1, 0.2]))
