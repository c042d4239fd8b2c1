"""The demo's hidden relation: how pair features drive what happens in a mentorship.

Documented for users in ``docs/demo-data.md``; the learning/analytics work (issue 7) is
expected to rediscover it from the generated data. All coefficients live here so the
generator, the documentation and the tests agree.

Per mentorship, with ``fit`` = skill fit, ``hours`` = min(common weekly hours, 10),
``gap`` = time-zone gap in hours and ``eps`` ~ Normal(0, 0.5) drawn once per pair:

* engagement  ``z = -1.1 + 2.6·fit + 0.17·hours + program_effect + eps``
* each planned session (one per program cadence) is *held* with probability
  ``sigmoid(z)``, otherwise missed or cancelled – so sessions held per month rise with
  fit and common hours (a logistic relation with noise);
* messages: Poisson with mean ``months_active · 2.5 · exp(0.5·z)``;
* each milestone due while the pair is active is reached with probability
  ``sigmoid(3.3 + 1.6·z)``;
* rating (1–5) of each feedback: ``round(3.25 + 1.6·fit + 0.1·hours +
  0.6·(eps + program_effect) + N(0, 0.8))`` clipped to 1–5;
* ending early: probability ``sigmoid(-2.6 + 0.22·gap - 1.2·fit + program_end_effect)``;
* going quiet (an active pair stops meeting and messaging 31–75 days before "now"):
  probability ``sigmoid(-4.0 - 1.1·(z - 1))``.

The intercepts (``*_BASE``) set how well things go on average (tuned so the default demo
looks like a real organisation's programs, see ``docs/demo-data.md``); the slopes carry the
relation and are what the learning work must recover.
"""

from __future__ import annotations

import numpy as np

HOURS_CAP = 10.0
NOISE_SD = 0.5
RATING_NOISE_SD = 0.8

ENGAGEMENT_BASE = -1.1
RATING_BASE = 3.25
MILESTONE_BASE = 3.3
MILESTONE_SLOPE = 1.6
QUIET_BASE = -4.0
EARLY_END_BASE = -2.6


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def engagement(
    fit: np.ndarray, hours: np.ndarray, program_effect: np.ndarray | float, eps: np.ndarray
) -> np.ndarray:
    return ENGAGEMENT_BASE + 2.6 * fit + 0.17 * np.minimum(hours, HOURS_CAP) + program_effect + eps


def held_probability(z: np.ndarray) -> np.ndarray:
    return sigmoid(z)


def message_rate_per_month(z: np.ndarray) -> np.ndarray:
    return 2.5 * np.exp(0.5 * z)


def milestone_probability(z: np.ndarray | float) -> np.ndarray:
    """Each milestone due while the pair is active is reached with this probability: steep
    in ``z``, so engaged pairs keep to their plan and the misses gather in weak pairs."""
    return sigmoid(MILESTONE_BASE + MILESTONE_SLOPE * np.asarray(z))


def rating(
    fit: np.ndarray | float,
    hours: np.ndarray | float,
    eps: np.ndarray | float,
    noise: np.ndarray | float,
    program_effect: np.ndarray | float = 0.0,
) -> np.ndarray:
    """The 1–5 rating; ``noise`` is the per-feedback N(0, RATING_NOISE_SD) draw (passed in so
    scalar callers can use a fast scalar generator)."""
    raw = (
        RATING_BASE
        + 1.6 * np.asarray(fit)
        + 0.1 * np.minimum(hours, HOURS_CAP)
        + 0.6 * (np.asarray(eps) + np.asarray(program_effect))
    )
    return np.clip(np.rint(raw + noise), 1, 5).astype(int)


def early_end_probability(
    gap: np.ndarray, fit: np.ndarray, program_end_effect: np.ndarray | float
) -> np.ndarray:
    return sigmoid(EARLY_END_BASE + 0.22 * gap - 1.2 * fit + program_end_effect)


def quiet_probability(z: np.ndarray) -> np.ndarray:
    return sigmoid(QUIET_BASE - 1.1 * (z - 1.0))
