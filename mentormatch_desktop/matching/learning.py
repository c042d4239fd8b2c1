"""Learning criterion weights from mentorship outcomes.

The question a coordinator asks is "which of our criteria actually predict a mentorship
that works?". We answer it with a model they can read: an L2-regularised logistic
regression of *good outcome* on the criterion values each pair had when it was matched.
Criterion values live in [0, 1] and a match score is ``Σ weight × value``, so a positive
coefficient is directly a weight in the score's own units: the suggested weights are the
coefficients clipped at zero and rescaled to the current weights' total.

Everything here is pure (NumPy / SciPy, :mod:`.logistic`; no database): the service in
``services/learning.py`` builds the :class:`OutcomeTable` and stores the result.

What counts as a good outcome is documented in ``docs/ai-matching.md`` and implemented in
:func:`outcome_quality`: ending early is poor; otherwise sessions held against the
program's cadence, ratings and milestones reached combine into a quality in [0, 1], and
quality ≥ :data:`GOOD_QUALITY` is good.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_OUTCOMES = 60
MIN_PER_CLASS = 15
GOOD_QUALITY = 0.6
_C = 1.0  # inverse regularisation strength; cross-validation showed little sensitivity


class NotEnoughOutcomes(ValueError):
    """Too few outcomes to learn from; the message says how many more are needed."""

    def __init__(self, n: int, n_good: int, n_poor: int) -> None:
        self.n, self.n_good, self.n_poor = n, n_good, n_poor
        short = max(MIN_OUTCOMES - n, MIN_PER_CLASS - n_good, MIN_PER_CLASS - n_poor, 0)
        super().__init__(
            f"Learning weights needs at least {MIN_OUTCOMES} mentorships with an outcome, "
            f"including at least {MIN_PER_CLASS} good and {MIN_PER_CLASS} poor ones; this "
            f"program has {n} ({n_good} good, {n_poor} poor). About {short} more outcomes "
            "are needed (finished mentorships, or ongoing ones running for two session "
            "cycles or more)."
        )


def outcome_quality(
    *,
    ended_early: bool,
    sessions_held: int,
    sessions_expected: float,
    mean_rating: float | None,
    milestones_total: int,
    milestones_done: int,
) -> float:
    """Quality of one mentorship in [0, 1]; 0 when it ended early.

    Sessions held against the cadence weigh 0.5, ratings (1–5) 0.3, milestones 0.2; a
    missing signal (no ratings, no milestones) drops out and the others are rescaled, so a
    program that records no ratings is judged on what it does record.
    """
    if ended_early:
        return 0.0
    parts: list[tuple[float, float]] = []
    if sessions_expected > 0:
        parts.append((0.5, min(1.0, sessions_held / sessions_expected)))
    if mean_rating is not None:
        parts.append((0.3, (mean_rating - 1.0) / 4.0))
    if milestones_total > 0:
        parts.append((0.2, milestones_done / milestones_total))
    if not parts:
        return 0.5
    total = sum(w for w, _ in parts)
    return float(sum(w * v for w, v in parts) / total)


@dataclass
class OutcomeTable:
    """One row per mentorship: criterion values at match time and whether it went well."""

    criteria: list[str]
    features: np.ndarray  # float64 (n, k), values in [0, 1]
    good: np.ndarray  # bool (n,)
    quality: np.ndarray  # float64 (n,)
    ongoing: np.ndarray  # bool (n,)
    mentorship_ids: list[int] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # criterion → why it is no feature

    @property
    def n(self) -> int:
        return int(self.features.shape[0])


def drop_protected(
    criteria: Sequence[str], protected: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """Criteria that may be features, and why the others may not.

    Only criterion values are ever features (never ``Person.attributes``); on top of that a
    criterion whose name mentions a protected attribute (a plugin scoring "same gender",
    say) is excluded, so no route lets a protected attribute steer learned weights.
    """
    keys = [p.lower() for p in protected if p]
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for name in criteria:
        hit = next((k for k in keys if k in name.lower()), None)
        if hit:
            dropped[name] = f"uses the protected attribute {hit!r}"
        else:
            kept.append(name)
    return kept, dropped


@dataclass(frozen=True)
class CriterionEvidence:
    """What the model says about one criterion."""

    name: str
    current: float
    suggested: float
    coefficient: float  # log-odds change of a good outcome per unit of criterion value
    interval: tuple[float, float]  # 90 % Wald interval of the coefficient
    importance: float  # |coefficient| × std of the criterion in the data


@dataclass(frozen=True)
class LearnedWeights:
    """Suggested weights next to the current ones, with the evidence behind them."""

    criteria: list[CriterionEvidence]
    n_outcomes: int
    n_good: int
    n_ongoing: int
    cv_auc: float  # held-out AUC of the learned model (mean over folds)
    cv_auc_std: float
    auc_current: float  # held-out AUC of the current weights' score on the same folds
    auc_uniform: float
    confidence: str  # "high" | "medium" | "low"
    dropped: dict[str, str]
    intercept: float

    @property
    def better_than_current(self) -> bool:
        """Did the learned model rank held-out outcomes better than the current weights?"""
        return self.cv_auc > self.auc_current

    def advice(self) -> str:
        """One sentence for the coordinator: apply, treat as a hint, or keep what you have."""
        if not self.better_than_current:
            return (
                f"Keep the current weights: they predicted held-out outcomes as well or better "
                f"(AUC {self.auc_current:.2f} against {self.cv_auc:.2f} for the learned ones)."
            )
        if self.confidence == "low":
            return (
                f"A hint only: {self.n_outcomes} outcomes are too few for firm conclusions "
                f"(AUC {self.cv_auc:.2f} ± {self.cv_auc_std:.2f})."
            )
        return (
            f"The learned weights predicted held-out outcomes better than the current ones "
            f"(AUC {self.cv_auc:.2f} against {self.auc_current:.2f}; uniform weights "
            f"{self.auc_uniform:.2f})."
        )

    @property
    def suggested(self) -> dict[str, float]:
        return {c.name: c.suggested for c in self.criteria}

    @property
    def current(self) -> dict[str, float]:
        return {c.name: c.current for c in self.criteria}

    def evidence(self) -> dict[str, object]:
        """JSON-ready record stored with an applied weight set."""
        return {
            "method": "l2-logistic-regression",
            "outcomes": self.n_outcomes,
            "good": self.n_good,
            "ongoing": self.n_ongoing,
            "cv_auc": round(self.cv_auc, 4),
            "cv_auc_std": round(self.cv_auc_std, 4),
            "auc_current_weights": round(self.auc_current, 4),
            "auc_uniform_weights": round(self.auc_uniform, 4),
            "confidence": self.confidence,
            "advice": self.advice(),
            "coefficients": {c.name: round(c.coefficient, 4) for c in self.criteria},
            "intervals": {c.name: [round(v, 4) for v in c.interval] for c in self.criteria},
            "dropped": self.dropped,
        }


def fit_weights(
    table: OutcomeTable,
    current: Mapping[str, float],
    *,
    folds: int = 5,
    seed: int = 0,
) -> LearnedWeights:
    """Fit and cross-validate the outcome model; raise if the data is too thin."""
    from mentormatch_desktop.matching.logistic import fit_logistic, stratified_folds

    n_good = int(table.good.sum())
    n_poor = table.n - n_good
    if table.n < MIN_OUTCOMES or n_good < MIN_PER_CLASS or n_poor < MIN_PER_CLASS:
        raise NotEnoughOutcomes(table.n, n_good, n_poor)
    x, y = np.asarray(table.features, dtype=np.float64), table.good.astype(int)
    cur = np.array([float(current.get(c, 0.0)) for c in table.criteria])
    uniform = np.ones(len(table.criteria))

    aucs, auc_cur, auc_uni = [], [], []
    for train, test in stratified_folds(y, min(folds, n_good, n_poor), seed=seed):
        model = fit_logistic(x[train], y[train], c=_C)
        aucs.append(_auc(y[test], model.decision_function(x[test])))
        auc_cur.append(_auc(y[test], x[test] @ cur))
        auc_uni.append(_auc(y[test], x[test] @ uniform))

    model = fit_logistic(x, y, c=_C)
    coef = model.coef
    half = 1.645 * _standard_errors(x, model.predict_proba(x))
    lo, hi = coef - half, coef + half

    positive = np.clip(coef, 0.0, None)
    total = cur.sum() if cur.sum() > 0 else 1.0
    suggested = positive / positive.sum() * total if positive.sum() > 0 else cur.copy()
    spread = x.std(axis=0)
    evidence = [
        CriterionEvidence(
            name=name,
            current=float(cur[i]),
            suggested=round(float(suggested[i]), 4),
            coefficient=float(coef[i]),
            interval=(float(lo[i]), float(hi[i])),
            importance=float(abs(coef[i]) * spread[i]),
        )
        for i, name in enumerate(table.criteria)
    ]
    cv_auc = float(np.mean(aucs))
    return LearnedWeights(
        criteria=evidence,
        n_outcomes=table.n,
        n_good=n_good,
        n_ongoing=int(table.ongoing.sum()),
        cv_auc=cv_auc,
        cv_auc_std=float(np.std(aucs)),
        auc_current=float(np.mean(auc_cur)),
        auc_uniform=float(np.mean(auc_uni)),
        confidence=_confidence(table.n, cv_auc, float(np.std(aucs))),
        dropped=dict(table.dropped),
        intercept=model.intercept,
    )


def _standard_errors(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Coefficient standard errors from the penalised Hessian (Wald), intercept included.

    :func:`.logistic.fit_logistic` minimises ½‖w‖² + C·Σ log-loss, so the Hessian is
    I/C + XᵀWX with the intercept unpenalised; its inverse is the usual large-sample covariance.
    """
    design = np.hstack([x, np.ones((x.shape[0], 1))])
    w = p * (1.0 - p)
    hessian = design.T @ (design * w[:, None])
    penalty = np.eye(design.shape[1]) / _C
    penalty[-1, -1] = 0.0
    cov = np.linalg.pinv(hessian + penalty)
    return np.sqrt(np.clip(np.diag(cov)[:-1], 0.0, None))


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from mentormatch_desktop.matching.logistic import roc_auc

    if y.min() == y.max():
        return math.nan
    return roc_auc(y, score)


def _confidence(n: int, auc: float, auc_std: float) -> str:
    """A plain word for the coordinator: enough data and a model clearly better than chance."""
    if n >= 300 and auc - 2 * auc_std > 0.6:
        return "high"
    if n >= 120 and auc - auc_std > 0.55:
        return "medium"
    return "low"


@dataclass(frozen=True)
class ExpectedEffect:
    """Predicted share of good outcomes among each mentee's best pick, before and after."""

    current_rate: float
    suggested_rate: float
    changed_picks: int  # mentees whose top mentor changes
    mentees: int


def expected_effect(
    matrices: Mapping[str, np.ndarray],
    learned: LearnedWeights,
) -> ExpectedEffect:
    """Estimate the next run's effect from the cohort's criterion matrices.

    Each mentee's top mentor under the current and under the suggested weights (capacity is
    ignored: this is a quick preview, the solver decides) is scored by the fitted outcome
    model; the mean predicted probability of a good outcome is compared.
    """
    names = [c.name for c in learned.criteria if c.name in matrices]
    if not names:
        raise ValueError("none of the learned criteria is computed for this cohort")
    stack = np.stack([np.asarray(matrices[n], dtype=np.float32) for n in names], axis=-1)
    coef = np.array([next(c.coefficient for c in learned.criteria if c.name == n) for n in names])
    cur = np.array([learned.current[n] for n in names], dtype=np.float32)
    sug = np.array([learned.suggested[n] for n in names], dtype=np.float32)
    rows = np.arange(stack.shape[0])
    pick_cur = np.argmax(stack @ cur, axis=1)
    pick_sug = np.argmax(stack @ sug, axis=1)

    def rate(picks: np.ndarray) -> float:
        logit = stack[rows, picks] @ coef + learned.intercept
        return float(np.mean(1.0 / (1.0 + np.exp(-logit))))

    return ExpectedEffect(
        current_rate=rate(pick_cur),
        suggested_rate=rate(pick_sug),
        changed_picks=int(np.sum(pick_cur != pick_sug)),
        mentees=int(stack.shape[0]),
    )


def rank_correlation(learned: LearnedWeights, truth: Mapping[str, float]) -> float:
    """Spearman correlation of learned importances with a known true importance per criterion."""
    from scipy.stats import spearmanr

    names = [c.name for c in learned.criteria if c.name in truth]
    est = [next(c.coefficient for c in learned.criteria if c.name == n) for n in names]
    rho = spearmanr(est, [truth[n] for n in names]).statistic
    return float(rho)
