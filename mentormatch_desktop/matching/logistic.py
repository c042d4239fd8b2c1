"""L2-regularised logistic regression, stratified folds and ROC AUC with NumPy/SciPy.

Why not scikit-learn: weight learning (:mod:`.learning`) used exactly these three pieces of
it, and the app bundle carried 21 MB of scikit-learn (plus joblib) for them. The model is
the same one scikit-learn's ``LogisticRegression(C=C)`` fits:

    minimise  ½‖w‖² + C · Σᵢ log(1 + exp(−sᵢ (xᵢ·w + b)))      (sᵢ = ±1, b unpenalised)

solved with L-BFGS on the exact gradient; the problem is strictly convex in ``w`` and, with
both classes present, has one minimum, so any converged solver lands on the same
coefficients (tests/matching/test_logistic.py checks the optimality conditions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogisticModel:
    coef: np.ndarray  # one per feature
    intercept: float

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of the positive class."""
        return np.asarray(x, dtype=np.float64) @ self.coef + self.intercept

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class (one column, unlike scikit-learn's two)."""
        from scipy.special import expit

        return expit(self.decision_function(x))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, c: float = 1.0) -> LogisticModel:
    """Fit the penalised model above; ``y`` holds 0/1 (or booleans)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    x = np.asarray(x, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(target):
        raise ValueError(f"x must be (n, features) with one label per row, got {x.shape}")
    if len(np.unique(target)) != 2:
        raise ValueError("logistic regression needs both classes among the labels")
    n_features = x.shape[1]
    scale = 1.0 / (c * len(x))  # the same minimum, with a gradient tolerance that means
    # the same thing for any C and any number of rows

    def loss_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:n_features], params[n_features]
        z = x @ w + b
        # log(1 + e^z) − y·z is the log-loss of label y for log-odds z, stable for any z
        loss = c * float(np.sum(np.logaddexp(0.0, z) - target * z)) + 0.5 * float(w @ w)
        residual = c * (expit(z) - target)
        gradient = np.append(x.T @ residual + w, residual.sum())
        return loss * scale, gradient * scale

    result = minimize(
        loss_and_gradient,
        np.zeros(n_features + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 1000, "gtol": 1e-8, "ftol": 1e-12},
    )
    return LogisticModel(coef=result.x[:n_features].copy(), intercept=float(result.x[-1]))


def stratified_folds(
    y: np.ndarray, folds: int, *, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs; each class is shuffled and dealt evenly over the folds,
    so every test fold keeps the overall share of each class (±1 row)."""
    labels = np.asarray(y)
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    offset = 0
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) < folds:
            raise ValueError(f"class {label!r} has {len(members)} rows, fewer than {folds} folds")
        # continue dealing where the previous class stopped, so fold sizes stay even
        fold_of[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    everything = np.arange(len(labels))
    for fold in range(folds):
        test = fold_of == fold
        yield everything[~test], everything[test]


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random
    negative, ties counting half (the Mann-Whitney U statistic, from average ranks)."""
    from scipy.stats import rankdata

    labels = np.asarray(y).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both classes")
    ranks = rankdata(np.asarray(score, dtype=np.float64))
    u = ranks[labels].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))
