""" "Why not?": what forcing a pair (or matching an unmatched mentee) would cost, and why.

The answer comes from the solver, not from a heuristic: the problem is re-solved with the
wish enforced (the pair made required; or, for "why is this mentee unmatched?", the mentee's
pairs given a bonus larger than any score so the optimum matches them if anything can),
and the two optimal answers are compared. The difference names the cost (Δ matched,
Δ total score) and the competing pairs — who would lose their mentor, who moves where —
and the rule in the way (capacity, quota, mentors per mentee, a forbidden pair, a minimum
score, a missing score).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers import flow
from mentormatch_desktop.matching.solvers.common import attribute_values, prepare

MAX_CANDIDATES_TRIED = 25


@dataclass
class Change:
    mentee: int
    before: list[int]  # mentors before
    after: list[int]  # mentors after


@dataclass
class WhyNot:
    mentee: int
    mentor: int | None
    possible: bool
    delta_matched: int = 0
    delta_total: float = 0.0
    best_mentor: int | None = None  # for "match this mentee": the mentor the optimum picks
    obstacles: list[str] = field(default_factory=list)  # rules / competing pairs in the way
    changes: list[Change] = field(default_factory=list)
    forced: MatchSolution | None = field(default=None, repr=False)
    text: str = ""


def why_not(
    problem: MatchProblem,
    solution: MatchSolution,
    mentee: int,
    mentor: int | None = None,
    *,
    time_limit: float | None = None,
) -> WhyNot:
    """Explain why ``mentee`` is not with ``mentor`` (or not matched at all, if ``None``).

    ``solution`` is the answer being questioned, normally the optimizer's; deltas are
    relative to it.
    """
    from mentormatch_desktop.matching.solvers.optimizer import optimize
    from mentormatch_desktop.matching.solvers.peer import peer_match

    peer = problem.kind == "peer"
    solve = peer_match if peer else optimize
    name = problem.mentee_label(mentee)
    current = partners(problem, solution).get(mentee, [])
    if mentor is not None:
        return _why_not_pair(problem, solution, mentee, mentor, current, time_limit, solve)
    mine = np.flatnonzero(
        (problem.pair_mentee == mentee) | ((problem.pair_mentor == mentee) if peer else False)
    )
    answer = WhyNot(mentee, None, possible=False)
    reasons = _candidate_reasons(problem, mentee, mine)
    prep = prepare(problem)
    usable = np.intersect1d(prep.free, mine)
    if not len(usable):
        answer.obstacles = reasons or [f"{name} has no allowed mentor with room left"]
        answer.text = f"{name} cannot be matched: " + "; ".join(answer.obstacles)
        return answer
    if not peer and flow.flow_expressible(prep) and problem.objective == "total":
        # a bonus above any attainable score: the optimum matches the mentee if it can
        bonus = np.where(
            problem.pair_mentee[prep.free] == mentee,
            flow.COST_RANGE * (len(prep.free) + 1),
            0,
        ).astype(np.int64)
        from mentormatch_desktop.matching.solvers.optimizer import solve_total_flow

        forced = solve_total_flow(prep, time.perf_counter(), bonus=bonus)
    else:
        best: MatchSolution | None = None
        order = usable[np.argsort(-problem.pair_score[usable])][:MAX_CANDIDATES_TRIED]
        for p in order:
            other = int(problem.pair_mentor[p])
            if peer and other == mentee:
                other = int(problem.pair_mentee[p])
            trial = _with_required(problem, mentee, other)
            sol = solve(trial, time_limit=time_limit)
            if sol.status in ("optimal", "feasible") and (
                best is None or (sol.matched, sol.total_score) > (best.matched, best.total_score)
            ):
                best = sol
        if best is None:
            answer.obstacles = reasons or ["no candidate mentor can take them under the rules"]
            answer.text = f"{name} cannot be matched: " + "; ".join(answer.obstacles)
            return answer
        forced = best
    after = partners(problem, forced).get(mentee, [])
    if not after:
        answer.obstacles = reasons or ["every mentor who could take them is needed by others"]
        answer.text = f"{name} cannot be matched: " + "; ".join(answer.obstacles)
        return answer
    return _compare(problem, solution, forced, answer, after[0])


def partners(problem: MatchProblem, solution: MatchSolution) -> dict[int, list[int]]:
    """Mentee → mentors (peer: person → partners, whichever side the pair lists them)."""
    out: dict[int, list[int]] = {}
    for a in solution.assignments:
        out.setdefault(a.mentee, []).append(a.mentor)
        if problem.kind == "peer":
            out.setdefault(a.mentor, []).append(a.mentee)
    return out


def _why_not_pair(problem, solution, mentee, mentor, current, time_limit, solve) -> WhyNot:
    e_name, m_name = problem.mentee_label(mentee), problem.mentor_label(mentor)
    answer = WhyNot(mentee, mentor, possible=False)
    if mentor in current:
        answer.possible = True
        answer.text = f"{e_name} is already matched with {m_name}"
        return answer
    p = int(problem.find_pairs([(mentee, mentor)])[0])
    if p < 0:
        answer.obstacles = [
            f"{e_name} – {m_name} has no score: the pair is not allowed "
            "(a hard rule such as no shared language)"
        ]
        answer.text = "; ".join(answer.obstacles)
        return answer
    c = problem.constraints
    forbidden = {tuple(x) for x in c.forbidden}
    if (mentee, mentor) in forbidden or (problem.kind == "peer" and (mentor, mentee) in forbidden):
        answer.obstacles = [f"{e_name} – {m_name} is forbidden by the program rules"]
        answer.text = "; ".join(answer.obstacles)
        return answer
    notes = []
    score = float(problem.pair_score[p])
    if c.min_score is not None and score < c.min_score:
        notes.append(
            f"their score {score:.3f} is below the minimum {c.min_score}; "
            "forcing the pair exempts it"
        )
    forced = solve(_with_required(problem, mentee, mentor), time_limit=time_limit)
    if forced.status in ("infeasible", "error"):
        answer.obstacles = [*notes, forced.diagnosis]
        answer.text = f"{e_name} cannot be paired with {m_name}: " + "; ".join(answer.obstacles)
        return answer
    answer.obstacles.extend(notes)
    return _compare(problem, solution, forced, answer, mentor)


def _with_required(problem: MatchProblem, mentee: int, mentor: int) -> MatchProblem:
    trial = copy.copy(problem)
    trial.constraints = copy.copy(problem.constraints)
    trial.constraints.required = [*problem.constraints.required, (mentee, mentor)]
    return trial


def _candidate_reasons(problem: MatchProblem, mentee: int, mine: np.ndarray) -> list[str]:
    """Why the mentee's candidate pairs are out, counted by rule."""
    c = problem.constraints
    name = problem.mentee_label(mentee)
    if not len(mine):
        return [f"{name} has no scored pair with any mentor (hard rules exclude every mentor)"]
    out = []
    forbidden = {tuple(x) for x in c.forbidden}
    if problem.kind == "peer":
        forbidden |= {(b, a) for a, b in forbidden}
    n_forbidden = sum(
        1
        for p in mine
        if (int(problem.pair_mentee[p]), int(problem.pair_mentor[p])) in forbidden
        or (mentee, int(problem.pair_mentor[p])) in forbidden
    )
    if n_forbidden:
        out.append(f"{n_forbidden} of {len(mine)} candidate pair(s) are forbidden")
    if c.min_score is not None:
        low = int((problem.pair_score[mine] < c.min_score).sum())
        if low:
            out.append(
                f"{low} of {len(mine)} candidate pair(s) score below the minimum {c.min_score}"
            )
    return out


def _compare(
    problem: MatchProblem, before: MatchSolution, after: MatchSolution, answer: WhyNot, mentor: int
) -> WhyNot:
    answer.possible = True
    answer.forced = after
    answer.best_mentor = mentor
    answer.delta_matched = after.matched - before.matched
    answer.delta_total = after.total_score - before.total_score
    old = partners(problem, before)
    new = partners(problem, after)
    for e in sorted(set(old) | set(new)):
        if sorted(old.get(e, [])) != sorted(new.get(e, [])):
            answer.changes.append(Change(e, sorted(old.get(e, [])), sorted(new.get(e, []))))
    # the competing pairs: who held the mentor's places in the questioned solution
    holders = [a for a in before.assignments if a.mentor == mentor and a.mentee != answer.mentee]
    if problem.kind == "peer":  # the partner's current pair, whichever side lists them
        holders += [
            type(a)(a.mentor, a.mentee, a.score)
            for a in before.assignments
            if a.mentee == mentor and a.mentor != answer.mentee
        ]
    cap = int(problem.capacity[mentor]) if problem.kind != "peer" else 1
    m_name = problem.mentor_label(mentor)
    if len(holders) >= cap:
        held = ", ".join(f"{problem.mentee_label(a.mentee)} ({a.score:.3f})" for a in holders)
        answer.obstacles.append(f"{m_name} is at capacity {cap} with {held}")
    for quota in problem.constraints.max_per_mentor_by_attribute:
        values = attribute_values(problem, quota.attribute)
        v = values[answer.mentee]
        same = [a for a in holders if v is not None and values[a.mentee] == v]
        if v is not None and len(same) >= quota.max:
            answer.obstacles.append(
                f"{m_name} already has {len(same)} mentee(s) with {quota.attribute} = {v!r} "
                f"(quota {quota.max})"
            )
    k = problem.constraints.mentors_per_mentee
    mine = [
        (a.mentor if a.mentee == answer.mentee else a.mentee, a.score)
        for a in before.assignments
        if answer.mentee in (a.mentee, a.mentor if problem.kind == "peer" else -1)
    ]
    if len(mine) >= k:
        held = ", ".join(f"{problem.mentor_label(m)} ({score:.3f})" for m, score in mine)
        answer.obstacles.append(f"{problem.mentee_label(answer.mentee)} already has {held}")
    answer.text = _sentence(problem, answer)
    return answer


def _sentence(problem: MatchProblem, answer: WhyNot) -> str:
    e_name = problem.mentee_label(answer.mentee)
    m_name = problem.mentor_label(answer.best_mentor) if answer.best_mentor is not None else "?"
    wish = (
        f"Pairing {e_name} with {m_name}"
        if answer.mentor is not None
        else f"Matching {e_name} (best with {m_name})"
    )
    cost = (
        f"changes matched by {answer.delta_matched:+d} and total score by {answer.delta_total:+.3f}"
    )
    moves = []
    for ch in answer.changes[:6]:
        if ch.mentee == answer.mentee:
            continue
        before = ", ".join(problem.mentor_label(m) for m in ch.before) or "unmatched"
        after = ", ".join(problem.mentor_label(m) for m in ch.after) or "unmatched"
        moves.append(f"{problem.mentee_label(ch.mentee)}: {before} → {after}")
    text = f"{wish} {cost}"
    if answer.obstacles:
        text += ". In the way: " + "; ".join(answer.obstacles)
    if moves:
        more = len(answer.changes) - 1 - len(moves)
        text += ". It moves " + "; ".join(moves) + (f" (+{more} more)" if more > 0 else "")
    return text + "."
