"""Checking a strategy's answer before anything is stored.

A strategy is a plugin: built-in or third-party, it hands back assignments that the run
would turn into proposals and, on approval, into mentorships. Nothing in that answer is
taken on trust: :func:`check_solution` verifies it against the problem the strategy was
given (every pair allowed and scored, no hard rule broken outside a coordinator's lock,
mentor capacities, at most ``mentors_per_mentee`` mentors per mentee, locked and required
pairs kept, no pair twice) and recomputes every score from the problem's scores, which
come from the score model. An infeasible answer raises :class:`InfeasibleSolution` naming
each violation; the caller records a failed run and stores no proposals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from mentormatch_desktop.matching.hard_rules import HardRules
from mentormatch_desktop.matching.problem import Assignment, MatchProblem, MatchSolution

#: How many violations of one kind are named before the rest are counted.
SHOWN = 5


class InfeasibleSolution(ValueError):
    """A strategy's answer breaks the problem's rules; ``violations`` lists each one."""

    def __init__(self, strategy: str, violations: list[str]) -> None:
        super().__init__(
            f"strategy {strategy!r} returned an infeasible answer, nothing was stored: "
            + "; ".join(violations)
        )
        self.violations = violations


def _named(kind: str, items: list[str]) -> list[str]:
    if not items:
        return []
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return [f"{kind}: {', '.join(items[:SHOWN])}{more}"]


def check_solution(
    problem: MatchProblem,
    solution: MatchSolution,
    *,
    strategy: str,
    rules: HardRules | None = None,
) -> MatchSolution:
    """``solution`` with scores and totals recomputed, or :class:`InfeasibleSolution`.

    ``rules`` (the cohort's hard rules) lets a violation say *why* a pair is forbidden;
    without them a pair outside the problem is still refused.
    """
    c = problem.constraints
    peer = problem.kind == "peer"
    n_e, n_m = problem.n_mentees, problem.n_mentors
    out_of_range = [
        f"({a.mentee}, {a.mentor})"
        for a in solution.assignments
        if not (0 <= a.mentee < n_e and 0 <= a.mentor < n_m)
    ]
    if out_of_range:
        raise InfeasibleSolution(strategy, _named("unknown people", out_of_range))
    pairs = [(int(a.mentee), int(a.mentor)) for a in solution.assignments]
    norm = [(min(e, m), max(e, m)) if peer else (e, m) for e, m in pairs]
    locked = {(min(e, m), max(e, m)) if peer else (e, m) for e, m in c.locked}

    def label(e: int, m: int) -> str:
        return f"{problem.mentee_label(e)} – {problem.mentor_label(m)}"

    violations: list[str] = []
    twice = [label(*p) for p, n in Counter(norm).items() if n > 1]
    violations += _named("pairs given more than once", twice)

    idx = problem.find_pairs(pairs)
    forbidden = {(min(e, m), max(e, m)) if peer else (e, m) for e, m in c.forbidden}
    codes = (
        rules.reasons(np.array([e for e, _ in pairs]), np.array([m for _, m in pairs]))
        if rules is not None and pairs and not peer
        else np.zeros(len(pairs), dtype=np.int8)
    )
    banned, unscored = [], []
    for k, (e, m) in enumerate(pairs):
        if norm[k] in locked:
            continue  # a coordinator's lock stands even against a rule (the run says so)
        if codes[k] > 0 or norm[k] in forbidden:
            why = "" if rules is None or peer else _why(rules, codes[k])
            banned.append(f"{label(e, m)}{why}")
        elif idx[k] < 0:
            unscored.append(label(e, m))
    violations += _named("forbidden pairs", banned)
    violations += _named("pairs the problem does not allow", unscored)

    if peer:
        limit = max(1, c.group_size - 1)
        load = Counter([e for e, _ in pairs] + [m for _, m in pairs])
        over = [f"{problem.mentee_label(p)} in {n} pairs" for p, n in load.items() if n > limit]
        violations += _named(f"peers in more than {limit} pair(s)", over)
    else:
        per_mentor = Counter(m for _, m in pairs)
        over = [
            f"{problem.mentor_label(m)} has {n} mentees (capacity {int(problem.capacity[m])})"
            for m, n in sorted(per_mentor.items())
            if n > int(problem.capacity[m])
        ]
        violations += _named("mentors over capacity", over)
        per_mentee = Counter(e for e, _ in pairs)
        limit = max(1, c.mentors_per_mentee)
        many = [
            f"{problem.mentee_label(e)} has {n} mentors"
            for e, n in sorted(per_mentee.items())
            if n > limit
        ]
        violations += _named(f"mentees with more than {limit} mentor(s)", many)

    if solution.status in ("optimal", "feasible"):
        given = set(norm)
        missing_locked = [label(e, m) for e, m in sorted(locked) if (e, m) not in given]
        required = {(min(e, m), max(e, m)) if peer else (e, m) for e, m in c.required}
        missing_required = [label(e, m) for e, m in sorted(required) if (e, m) not in given]
        violations += _named("locked pairs left out", missing_locked)
        violations += _named("required pairs left out", missing_required)
    if violations:
        raise InfeasibleSolution(strategy, violations)
    return _rescored(problem, solution, idx)


def _why(rules: HardRules, code: int) -> str:
    from mentormatch_desktop.matching import hard_rules as H

    return {
        H.MENTOR_MANAGES: " (reporting line)",
        H.MENTEE_MANAGES: " (reporting line)",
        H.MUST_NOT_MATCH: " (must not be matched)",
        H.SAME_PERSON: " (same person)",
        H.NO_LANGUAGE: " (no shared language)",
    }.get(int(code), "")


def _rescored(problem: MatchProblem, solution: MatchSolution, idx: np.ndarray) -> MatchSolution:
    """The answer with each pair's score taken from the problem (the score model's), not
    from the strategy; a locked pair outside the pair list keeps score 0."""
    scores = [float(problem.pair_score[k]) if k >= 0 else 0.0 for k in idx.tolist()]
    assignments = [
        Assignment(a.mentee, a.mentor, s) for a, s in zip(solution.assignments, scores, strict=True)
    ]
    people = {a.mentee for a in assignments}
    if problem.kind == "peer":
        people |= {a.mentor for a in assignments}
    return replace(
        solution,
        assignments=assignments,
        matched=len(people),
        total_score=float(sum(scores)),
        min_score=min(scores) if scores else None,
    )
