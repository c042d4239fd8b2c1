"""Structured synthetic cohorts for benchmarks and solver tests.

Uniform random scores make matching look easy: every mentor is equally popular and any
pruning works. Real cohorts are not like that, so scores here have the structure that makes
solvers and pruning earn their keep: a low-rank fit (what mentees want against what mentors
offer), mentor popularity, a same-department affinity, time-zone distance and noise. The
matrix can be produced in row blocks, deterministically, so a 50k × 10k cohort never needs
to exist in memory at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mentormatch_desktop.matching.problem import Constraints, MatchProblem


@dataclass
class SyntheticCohort:
    n_mentees: int
    n_mentors: int
    seed: int = 0
    rank: int = 8
    departments: int = 8
    max_capacity: int = 4
    department_affinity: float = 0.08
    noise: float = 0.05
    mentee_factors: np.ndarray = field(init=False, repr=False)
    mentor_factors: np.ndarray = field(init=False, repr=False)
    popularity: np.ndarray = field(init=False, repr=False)
    mentee_department: np.ndarray = field(init=False, repr=False)
    mentor_department: np.ndarray = field(init=False, repr=False)
    mentee_tz: np.ndarray = field(init=False, repr=False)
    mentor_tz: np.ndarray = field(init=False, repr=False)
    capacity: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        r = self.rank
        self.mentee_department = rng.integers(0, self.departments, self.n_mentees)
        self.mentor_department = rng.integers(0, self.departments, self.n_mentors)
        zones = np.array([-8, -5, 0, 1, 2, 5.5, 8, 9])
        share = [0.2, 0.25, 0.1, 0.2, 0.05, 0.1, 0.05, 0.05]
        self.mentee_tz = rng.choice(zones, self.n_mentees, p=share)
        self.mentor_tz = rng.choice(zones, self.n_mentors, p=share)
        self.capacity = rng.integers(1, self.max_capacity + 1, self.n_mentors).astype(np.int32)
        self.popularity = (0.15 * rng.standard_normal(self.n_mentors)).astype(np.float32)
        # Everything is one matrix product: fit factors, a department one-hot (affinity),
        # time zones on a circle (cos Δ: closer zones score higher) and a wide block of
        # small random factors that acts as pair-level noise.
        noise_rank = 24
        e_parts = [
            rng.standard_normal((self.n_mentees, r)) / np.sqrt(r),
            self.department_affinity * np.eye(self.departments)[self.mentee_department],
            0.1 * _circle(self.mentee_tz),
            self.noise * rng.standard_normal((self.n_mentees, noise_rank)),
        ]
        m_parts = [
            rng.standard_normal((self.n_mentors, r)) / np.sqrt(r),
            np.eye(self.departments)[self.mentor_department],
            _circle(self.mentor_tz),
            rng.standard_normal((self.n_mentors, noise_rank)) / np.sqrt(noise_rank) * 4.0,
        ]
        self.mentee_factors = np.hstack(e_parts).astype(np.float32)
        self.mentor_factors = np.hstack(m_parts).astype(np.float32)

    def block(self, start: int, stop: int) -> np.ndarray:
        """Scores in [0, 1] of mentees ``start:stop`` against every mentor (float32)."""
        raw = self.mentee_factors[start:stop] @ self.mentor_factors.T
        raw += self.popularity[None, :]
        np.multiply(raw, -3.0, out=raw)
        np.exp(raw, out=raw)
        raw += 1.0
        return np.reciprocal(raw, out=raw)

    def dense(self) -> np.ndarray:
        return self.block(0, self.n_mentees)

    def attributes(self) -> tuple[dict[str, list], dict[str, list]]:
        mentees = {"department": [f"D{d}" for d in self.mentee_department]}
        mentors = {"department": [f"D{d}" for d in self.mentor_department]}
        return mentees, mentors


def _circle(tz: np.ndarray) -> np.ndarray:
    angle = np.asarray(tz, dtype=np.float64) / 24.0 * 2.0 * np.pi
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def problem_from_pairs(
    cohort: SyntheticCohort,
    pair_mentee: np.ndarray,
    pair_mentor: np.ndarray,
    pair_score: np.ndarray,
    constraints: Constraints | None = None,
) -> MatchProblem:
    mentee_attrs, mentor_attrs = cohort.attributes()
    return MatchProblem(
        mentee_ids=[f"e{i}" for i in range(cohort.n_mentees)],
        mentor_ids=[f"m{j}" for j in range(cohort.n_mentors)],
        capacity=cohort.capacity.copy(),
        pair_mentee=np.asarray(pair_mentee, dtype=np.int32),
        pair_mentor=np.asarray(pair_mentor, dtype=np.int32),
        pair_score=np.asarray(pair_score, dtype=np.float64),
        mentee_attributes=mentee_attrs,
        mentor_attributes=mentor_attrs,
        constraints=constraints or Constraints(),
    )


def dense_problem(cohort: SyntheticCohort, constraints: Constraints | None = None) -> MatchProblem:
    """Every pair is a candidate (the unpruned problem)."""
    scores = cohort.dense()
    pe, pm = np.nonzero(np.ones_like(scores, dtype=bool))
    return problem_from_pairs(cohort, pe, pm, scores[pe, pm], constraints)


def random_small_problem(
    rng: np.random.Generator,
    n_mentees: int,
    n_mentors: int,
    *,
    density: float = 0.6,
    max_capacity: int = 2,
    attribute_values: int = 2,
) -> MatchProblem:
    """A small random problem (for brute-force checks): sparse pairs, random attributes."""
    mask = rng.random((n_mentees, n_mentors)) < density
    pe, pm = np.nonzero(mask)
    scores = np.round(rng.random(len(pe)), 3)
    return MatchProblem(
        mentee_ids=[f"e{i}" for i in range(n_mentees)],
        mentor_ids=[f"m{j}" for j in range(n_mentors)],
        capacity=rng.integers(1, max_capacity + 1, n_mentors).astype(np.int32),
        pair_mentee=pe.astype(np.int32),
        pair_mentor=pm.astype(np.int32),
        pair_score=scores.astype(np.float64),
        mentee_attributes={
            "department": [f"D{v}" for v in rng.integers(0, attribute_values, n_mentees)],
            "site": [f"S{v}" for v in rng.integers(0, attribute_values, n_mentees)],
        },
        mentor_attributes={
            "department": [f"D{v}" for v in rng.integers(0, attribute_values, n_mentors)],
            "site": [f"S{v}" for v in rng.integers(0, attribute_values, n_mentors)],
        },
    )
