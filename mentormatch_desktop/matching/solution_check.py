"""Checking what a strategy hands back before anyone relies on it.

A strategy is plugin code: its :class:`MatchSolution` may name a mentee that does not
exist, a pair that was never scored or is forbidden, give a mentor more mentees than the
capacity, or carry a NaN score. Written out as it is, such an answer ends in an
``IndexError`` deep in the solution writer or, worse, in a plausible-looking file.
:func:`solution_problems` lists every way the answer breaks the problem, in words, so
the caller can refuse it (``mentormatch solve`` exits 1 naming the strategy).

Pure and cheap (linear in the answer), so it can run on every answer.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution

STATUSES = ("optimal", "feasible", "infeasible", "cancelled", "error")
_SHOWN = 5  # problems of one kind listed before "… and N more"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def solution_problems(problem: MatchProblem, solution: Any) -> list[str]:
    """Every way ``solution`` is not a valid answer to ``problem`` ([] when it is one).

    Checked: the type and status; each assignment's indices, that its pair was scored,
    is not forbidden, and that its score is the pair's (finite); no pair twice; mentor
    capacities and mentors per mentee; required and locked pairs present; ``matched``
    and ``total_score`` consistent with the assignments. Attribute quotas and shares
    are the solvers' own business and not re-derived here."""
    if not isinstance(solution, MatchSolution):
        return [f"returned {type(solution).__name__}, not a MatchSolution"]
    out: list[str] = []
    if solution.status not in STATUSES:
        out.append(f"status {solution.status!r} is not one of {', '.join(STATUSES)}")
    if solution.status in ("infeasible", "error", "cancelled"):
        return out  # no assignments are promised
    if not isinstance(solution.assignments, list):
        return [*out, "assignments is not a list"]
    peer = problem.kind == "peer"
    n_right = problem.n_mentees if peer else problem.n_mentors
    keys = problem.pair_keys()
    score_of = dict(zip(keys.tolist(), problem.pair_score.tolist(), strict=True))
    forbidden = {_key(problem, e, m) for e, m in problem.constraints.forbidden}
    if peer:
        forbidden |= {_key(problem, m, e) for e, m in problem.constraints.forbidden}
    bad: dict[str, list[str]] = {}
    seen: Counter[tuple[int, int]] = Counter()
    load: Counter[int] = Counter()
    per_mentee: Counter[int] = Counter()
    total = 0.0
    for k, a in enumerate(solution.assignments):
        e, m = getattr(a, "mentee", None), getattr(a, "mentor", None)
        if not (_index(e, problem.n_mentees) and _index(m, n_right)):
            bad.setdefault("index", []).append(f"#{k} ({e!r}, {m!r})")
            continue
        e, m = int(e), int(m)
        pair = (min(e, m), max(e, m)) if peer else (e, m)
        seen[pair] += 1
        if peer and e == m:
            bad.setdefault("self", []).append(f"#{k} {problem.mentee_label(e)}")
            continue
        stored = score_of.get(_key(problem, e, m))
        if stored is None and peer:
            stored = score_of.get(_key(problem, m, e))
        if stored is None:
            bad.setdefault("unscored", []).append(_pair(problem, e, m))
            continue
        if _key(problem, e, m) in forbidden:
            bad.setdefault("forbidden", []).append(_pair(problem, e, m))
        score = _number(getattr(a, "score", None))
        if score is None or abs(score - stored) > 1e-6 * max(1.0, abs(stored)):
            bad.setdefault("score", []).append(
                f"{_pair(problem, e, m)} has {getattr(a, 'score', None)!r}, the pair {stored:g}"
            )
        total += stored
        load[m] += 1
        per_mentee[e] += 1
        if peer:
            load[e] += 1
    for pair, count in seen.items():
        if count > 1:
            bad.setdefault("repeat", []).append(_pair(problem, *pair))
    if not peer:
        for m, used in load.items():
            if used > int(problem.capacity[m]):
                bad.setdefault("capacity", []).append(
                    f"{problem.mentor_label(m)} has {used} for capacity {int(problem.capacity[m])}"
                )
        limit = problem.constraints.mentors_per_mentee
        for e, used in per_mentee.items():
            if used > limit:
                bad.setdefault("mentors_per_mentee", []).append(
                    f"{problem.mentee_label(e)} has {used} mentors (at most {limit})"
                )
    elif problem.constraints.group_size == 2:
        for person, used in load.items():
            if used > 1:
                bad.setdefault("capacity", []).append(
                    f"{problem.mentee_label(person)} is in {used} pairs"
                )
    for name in ("required", "locked"):
        for e, m in getattr(problem.constraints, name):
            pair = (min(e, m), max(e, m)) if peer else (e, m)
            if pair not in seen:
                bad.setdefault(name, []).append(_pair(problem, e, m))
    labels = {
        "index": "assignments name people that do not exist",
        "self": "assignments pair someone with themself",
        "unscored": "assignments use pairs the problem does not allow (no score)",
        "forbidden": "assignments use forbidden pairs",
        "score": "assignment scores differ from the pairs' scores",
        "repeat": "pairs appear more than once",
        "capacity": "capacities are exceeded",
        "mentors_per_mentee": "mentees have more mentors than allowed",
        "required": "required pairs are missing",
        "locked": "locked pairs are missing",
    }
    for kind, items in bad.items():
        more = f" … and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
        out.append(f"{labels[kind]}: {', '.join(items[:_SHOWN])}{more}")
    if not bad:
        # ``matched`` counts distinct mentees (a mentee with two mentors once), or the
        # people in pairs/groups for a peer problem
        if peer and solution.groups:
            matched = sum(len(g) for g in solution.groups)
        elif peer:
            matched = len({p for a in solution.assignments for p in (a.mentee, a.mentor)})
        else:
            matched = len({a.mentee for a in solution.assignments})
        if solution.matched != matched:
            what = "people paired" if peer else "mentees assigned"
            out.append(f"matched says {solution.matched!r} but there are {matched} {what}")
        reported = _number(solution.total_score)
        if reported is None or abs(reported - total) > 1e-6 * max(1.0, abs(total)):
            out.append(f"total_score says {solution.total_score!r}, the pairs sum to {total:g}")
    return out


def _index(value: Any, size: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and 0 <= value < size


def _key(problem: MatchProblem, e: int, m: int) -> int:
    return int(e) * max(1, problem.n_mentors) + int(m)


def _pair(problem: MatchProblem, e: int, m: int) -> str:
    return f"{problem.mentee_label(e)}–{problem.mentor_label(m)}"
