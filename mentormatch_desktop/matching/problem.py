"""The solver-facing contract: a scored matching problem and its solution.

This mirrors the documented JSON format (``docs/solve-format.md``) one to one, so the
``mentormatch solve`` command, database-backed runs and notebooks hand solvers the very
same object. Pairs are sparse: a (mentee, mentor) pair absent from ``pair_mentee`` /
``pair_mentor`` is not allowed at all.

Indices, not ids, are used inside: ``pair_mentee[k]`` indexes ``mentee_ids`` and
``pair_mentor[k]`` indexes ``mentor_ids``. For a peer problem both sides are the same pool
(``mentor_ids is mentee_ids``) and each unordered pair appears once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Objective = Literal["total", "fair"]
SolveStatus = Literal["optimal", "feasible", "infeasible", "cancelled", "error"]


@dataclass(frozen=True)
class AttributeQuota:
    """At most ``max`` mentees sharing one value of ``attribute`` per mentor."""

    attribute: str
    max: int


@dataclass(frozen=True)
class CrossAttributeShare:
    """A cohort-wide rule: at least ``min_share`` of pairs differ on ``attribute``.

    Breaks the network-flow structure, so solvers that claim it use CP-SAT or a relaxation
    with a certified gap.
    """

    attribute: str
    min_share: float


@dataclass
class Constraints:
    forbidden: list[tuple[int, int]] = field(default_factory=list)
    required: list[tuple[int, int]] = field(default_factory=list)
    locked: list[tuple[int, int]] = field(default_factory=list)
    min_score: float | None = None
    mentors_per_mentee: int = 1
    max_per_mentor_by_attribute: list[AttributeQuota] = field(default_factory=list)
    min_cross_attribute_share: list[CrossAttributeShare] = field(default_factory=list)
    group_size: int = 2  # peer programs: 2 for pairs, 3–4 for small groups


@dataclass
class MatchProblem:
    mentee_ids: list[str]
    mentor_ids: list[str]
    capacity: np.ndarray  # int32, one per mentor (peer: ignored)
    pair_mentee: np.ndarray  # int32 indices into mentee_ids
    pair_mentor: np.ndarray  # int32 indices into mentor_ids
    pair_score: np.ndarray  # float64 scores, same length
    mentee_attributes: dict[str, list[Any]] = field(default_factory=dict)
    mentor_attributes: dict[str, list[Any]] = field(default_factory=dict)
    constraints: Constraints = field(default_factory=Constraints)
    objective: Objective = "total"
    kind: Literal["bipartite", "peer"] = "bipartite"
    # Optional display names for diagnoses and "why not?" answers (ids are used when absent).
    mentee_names: list[str] | None = None
    mentor_names: list[str] | None = None
    # Optional side-specific preferences per pair (same length as ``pair_score``): the
    # stable strategy ranks by these when given (a mentee's own ranking may differ from
    # the cohort score); every other strategy optimises ``pair_score``.
    mentee_preference: np.ndarray | None = None
    mentor_preference: np.ndarray | None = None

    @property
    def n_mentees(self) -> int:
        return len(self.mentee_ids)

    @property
    def n_mentors(self) -> int:
        return len(self.mentor_ids)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_score)

    def mentee_label(self, i: int) -> str:
        """How a diagnosis names mentee ``i``: its display name, else its id."""
        return self.mentee_names[i] if self.mentee_names else self.mentee_ids[i]

    def mentor_label(self, j: int) -> str:
        """How a diagnosis names mentor ``j`` (for peer problems, a pool member)."""
        if self.kind == "peer":
            return self.mentee_label(j)
        return self.mentor_names[j] if self.mentor_names else self.mentor_ids[j]

    def pair_keys(self) -> np.ndarray:
        """One int64 key per pair (``mentee * n_mentors + mentor``) for fast lookups."""
        return self.pair_mentee.astype(np.int64) * max(1, self.n_mentors) + self.pair_mentor

    def _sorted_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Pair keys sorted once per set of pair arrays (a 20M-pair sort takes seconds)."""
        ends = (
            self.pair_mentee[:4],
            self.pair_mentee[-4:],
            self.pair_mentor[:4],
            self.pair_mentor[-4:],
        )
        tag = (
            id(self.pair_mentee),
            id(self.pair_mentor),
            len(self.pair_mentee),
            self.n_mentors,
            tuple(int(x) for part in ends for x in part),  # guards against a reused id()
        )
        cached = self.__dict__.get("_key_cache")
        if cached is None or cached[0] != tag:
            keys = self.pair_keys()
            order = np.argsort(keys, kind="stable")
            cached = (tag, order, keys[order])
            self.__dict__["_key_cache"] = cached
        return cached[1], cached[2]

    def find_pairs(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        """Pair index of each ``(mentee, mentor)`` in ``pairs``, or -1 when it has no score."""
        if not pairs:
            return np.zeros(0, dtype=np.int64)
        if self.n_pairs == 0:  # nothing is scored (indexing an empty order would fail)
            return np.full(len(pairs), -1, dtype=np.int64)
        order, sorted_keys = self._sorted_keys()
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)

        def lookup(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            wanted = a * max(1, self.n_mentors) + b
            pos = np.minimum(np.searchsorted(sorted_keys, wanted), max(0, len(sorted_keys) - 1))
            found = (len(sorted_keys) > 0) & (sorted_keys[pos] == wanted)
            return np.where(found, order[pos], -1)

        idx = lookup(arr[:, 0], arr[:, 1])
        if self.kind == "peer":  # unordered pairs: either orientation may be stored
            idx = np.where(idx >= 0, idx, lookup(arr[:, 1], arr[:, 0]))
        return idx


@dataclass
class Assignment:
    mentee: int
    mentor: int
    score: float


@dataclass
class MatchSolution:
    status: SolveStatus
    assignments: list[Assignment]
    matched: int
    total_score: float
    min_score: float | None
    seconds: float
    diagnosis: str = ""
    bound: float | None = None  # proven upper bound on the objective, when known
    groups: list[list[int]] = field(default_factory=list)  # peer groups of 3–4 (indices)
    details: dict[str, Any] = field(default_factory=dict)
