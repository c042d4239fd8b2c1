"""The one check of a strategy's answer, before anyone relies on it.

A strategy is plugin code, built-in or third-party: its :class:`MatchSolution` may name a
person who does not exist, a pair that was never scored or is forbidden, give a mentor
more mentees than the capacity, leave out a locked or required pair, or carry a NaN score.
Nothing in it is taken on trust. Both places that take an answer use this module:

- a match run (``services.matching.run_matching``) calls :func:`check_solution`, which
  refuses an infeasible answer with :class:`InfeasibleSolution` (the run fails naming each
  violation and stores no proposals) and otherwise returns the answer with every score,
  ``matched`` and the totals recomputed from the problem, i.e. from the score model;
- ``mentormatch solve`` calls it with ``rescore=False``: the solution file carries the
  strategy's own numbers, so a score, ``matched`` or ``total_score`` that disagrees with
  the problem is a violation too, and nothing is written.

:func:`violations` lists every violation in words (``[]`` for a valid answer). Checked:
the answer's type and status; each assignment's people, that its pair is scored and not
forbidden (by the problem's forbidden pairs or, given the cohort's ``rules``, a hard rule,
named), except a coordinator's locked pair, which stands even against a rule; no pair
twice and nobody paired with themself; mentor capacities, at most ``mentors_per_mentee``
mentors per mentee, and in a peer pool at most ``group_size - 1`` partners each; locked
and required pairs present in an ``optimal`` or ``feasible`` answer. Attribute quotas,
cross-attribute shares and the minimum score are rules some strategies knowingly ignore;
the comparison table (``solvers.compare.violations``) reports those instead of refusing.

Pure and linear in the answer, so it runs on every answer.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mentormatch_desktop.matching.problem import Assignment, MatchProblem, MatchSolution

if TYPE_CHECKING:
    from mentormatch_desktop.matching.hard_rules import HardRules

STATUSES = ("optimal", "feasible", "infeasible", "cancelled", "error")
#: How many violations of one kind are named before the rest are counted.
SHOWN = 5


class InfeasibleSolution(ValueError):
    """A strategy's answer breaks the problem; ``violations`` lists each way, in words."""

    def __init__(self, strategy: str, violations: list[str]) -> None:
        super().__init__(
            f"strategy {strategy!r} returned an infeasible answer, refused: "
            + "; ".join(violations)
        )
        self.strategy = strategy
        self.violations = violations


def check_solution(
    problem: MatchProblem,
    solution: Any,
    *,
    strategy: str,
    rules: HardRules | None = None,
    rescore: bool = True,
) -> MatchSolution:
    """``solution`` if it answers ``problem`` validly, else :class:`InfeasibleSolution`.

    With ``rescore`` (a match run), the strategy's scores and totals are not judged but
    replaced by the problem's: the returned answer's every assignment carries its pair's
    score (a locked pair outside the pair list scores 0), and ``matched``, ``total_score``
    and ``min_score`` follow. Without it (``mentormatch solve``), they must already agree
    and the answer is returned unchanged. ``rules`` (the cohort's hard rules) lets a
    forbidden pair say *why*; without them a pair outside the problem is still refused.
    An ``error`` or ``cancelled`` answer promises no assignments and is returned as is.
    """
    found = violations(problem, solution, rules=rules, judge_scores=not rescore)
    if found:
        raise InfeasibleSolution(strategy, found)
    if not rescore or solution.status in ("error", "cancelled"):
        return solution
    return _rescored(problem, solution)


def violations(
    problem: MatchProblem,
    solution: Any,
    *,
    rules: HardRules | None = None,
    judge_scores: bool = True,
) -> list[str]:
    """Every way ``solution`` is not a valid answer to ``problem`` ([] when it is one).

    ``judge_scores`` also compares each assignment's score, ``matched`` and
    ``total_score`` with the problem's; :func:`check_solution` turns it off when it
    recomputes them anyway.
    """
    if not isinstance(solution, MatchSolution):
        return [f"returned {type(solution).__name__}, not a MatchSolution"]
    out: list[str] = []
    if solution.status not in STATUSES:
        out.append(f"status {solution.status!r} is not one of {', '.join(STATUSES)}")
    if solution.status in ("error", "cancelled"):
        return out  # no assignments are promised
    if not isinstance(solution.assignments, list):
        return [*out, "assignments is not a list"]

    c = problem.constraints
    peer = problem.kind == "peer"
    n_right = problem.n_mentees if peer else problem.n_mentors
    bad: dict[str, list[str]] = {}

    def note(kind: str, text: str) -> None:
        bad.setdefault(kind, []).append(text)

    def label(e: int, m: int) -> str:
        return f"{problem.mentee_label(e)} – {problem.mentor_label(m)}"

    def norm(e: int, m: int) -> tuple[int, int]:
        return (min(e, m), max(e, m)) if peer else (e, m)

    given: list[tuple[int, Any]] = []  # (position, assignment) of those naming real people
    for k, a in enumerate(solution.assignments):
        e, m = getattr(a, "mentee", None), getattr(a, "mentor", None)
        if _index(e, problem.n_mentees) and _index(m, n_right):
            given.append((k, a))
        else:
            note("unknown", f"#{k} ({e!r}, {m!r})")
    pairs = [(int(a.mentee), int(a.mentor)) for _, a in given]
    idx = problem.find_pairs(pairs)
    locked = {norm(e, m) for e, m in c.locked}
    forbidden = {norm(e, m) for e, m in c.forbidden}
    codes = (
        rules.reasons(np.array([e for e, _ in pairs]), np.array([m for _, m in pairs]))
        if rules is not None and pairs and not peer
        else np.zeros(len(pairs), dtype=np.int8)
    )
    seen: Counter[tuple[int, int]] = Counter()
    total = 0.0
    for (k, a), (e, m), pair_index, code in zip(given, pairs, idx.tolist(), codes, strict=True):
        seen[norm(e, m)] += 1
        if peer and e == m:
            note("self", problem.mentee_label(e))
            continue
        is_locked = norm(e, m) in locked  # a coordinator's lock stands even against a rule
        if not is_locked and (code > 0 or norm(e, m) in forbidden):
            note("forbidden", label(e, m) + ("" if rules is None or peer else _why(code)))
            continue
        if pair_index < 0 and not is_locked:
            note("unscored", label(e, m))
            continue
        stored = float(problem.pair_score[pair_index]) if pair_index >= 0 else 0.0
        total += stored
        score = _number(getattr(a, "score", None))
        if judge_scores and (score is None or abs(score - stored) > 1e-6 * max(1.0, abs(stored))):
            claimed = getattr(a, "score", None)
            note("score", f"#{k} {label(e, m)} has {claimed!r}, the pair {stored:g}")
    for pair, count in seen.items():
        if count > 1:
            note("repeat", label(*pair))

    limits: dict[str, str] = {}
    if peer:
        limit = max(1, c.group_size - 1)
        load = Counter([e for e, m in pairs if e != m] + [m for e, m in pairs if e != m])
        for person, n in sorted(load.items()):
            if n > limit:
                note("peer_load", f"{problem.mentee_label(person)} in {n} pairs")
        limits["peer_load"] = f"peers in more than {limit} pair(s)"
    else:
        for m, n in sorted(Counter(m for _, m in pairs).items()):
            if n > int(problem.capacity[m]):
                note(
                    "capacity",
                    f"{problem.mentor_label(m)} has {n} mentees"
                    f" (capacity {int(problem.capacity[m])})",
                )
        limit = max(1, c.mentors_per_mentee)
        for e, n in sorted(Counter(e for e, _ in pairs).items()):
            if n > limit:
                note("mentors_per_mentee", f"{problem.mentee_label(e)} has {n} mentors")
        limits["mentors_per_mentee"] = f"mentees with more than {limit} mentor(s)"
    if solution.status in ("optimal", "feasible"):
        for kind, forced in (("locked", c.locked), ("required", c.required)):
            for e, m in sorted({norm(e, m) for e, m in forced}):
                if (e, m) not in seen:
                    note(kind, label(e, m))

    headings = {
        "unknown": "unknown people (not in the problem)",
        "self": "someone paired with themself",
        "repeat": "pairs given more than once",
        "forbidden": "forbidden pairs",
        "unscored": "pairs the problem does not allow (no score)",
        "score": "scores that are not the pair's",
        "capacity": "mentors over capacity",
        "locked": "locked pairs left out",
        "required": "required pairs left out",
        **limits,
    }
    for kind, heading in headings.items():
        items = bad.get(kind)
        if items:
            more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
            out.append(f"{heading}: {', '.join(items[:SHOWN])}{more}")
    if judge_scores and not bad:
        out += _bookkeeping(problem, solution, total)
    return out


def _bookkeeping(problem: MatchProblem, solution: MatchSolution, total: float) -> list[str]:
    """``matched`` and ``total_score`` against the assignments (a valid answer's only)."""
    out = []
    # ``matched`` counts distinct mentees (a mentee with two mentors once), or the people
    # in pairs/groups for a peer problem
    if problem.kind == "peer" and solution.groups:
        matched = sum(len(g) for g in solution.groups)
    elif problem.kind == "peer":
        matched = len({p for a in solution.assignments for p in (a.mentee, a.mentor)})
    else:
        matched = len({a.mentee for a in solution.assignments})
    if solution.matched != matched:
        what = "people paired" if problem.kind == "peer" else "mentees assigned"
        out.append(f"matched says {solution.matched!r} but there are {matched} {what}")
    reported = _number(solution.total_score)
    if reported is None or abs(reported - total) > 1e-6 * max(1.0, abs(total)):
        out.append(f"total_score says {solution.total_score!r}, the pairs sum to {total:g}")
    return out


def _rescored(problem: MatchProblem, solution: MatchSolution) -> MatchSolution:
    """The answer with each pair's score taken from the problem (the score model's), not
    from the strategy; a locked pair outside the pair list keeps score 0."""
    idx = problem.find_pairs([(int(a.mentee), int(a.mentor)) for a in solution.assignments])
    scores = [float(problem.pair_score[k]) if k >= 0 else 0.0 for k in idx.tolist()]
    assignments = [
        Assignment(int(a.mentee), int(a.mentor), s)
        for a, s in zip(solution.assignments, scores, strict=True)
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


def _why(code: int) -> str:
    from mentormatch_desktop.matching import hard_rules as H

    return {
        H.MENTOR_MANAGES: " (reporting line)",
        H.MENTEE_MANAGES: " (reporting line)",
        H.MUST_NOT_MATCH: " (must not be matched)",
        H.SAME_PERSON: " (same person)",
        H.NO_LANGUAGE: " (no shared language)",
    }.get(int(code), "")


def _index(value: Any, size: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= value < size


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
