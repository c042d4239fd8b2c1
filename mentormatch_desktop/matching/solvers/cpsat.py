"""CP-SAT for what a network flow cannot say: several quota attributes, cohort-wide shares,
and the fair objective combined with those.

One Boolean per free pair; fixed pairs are constants folded into the constraints. The
objective is lexicographic and solved in phases, each fixing the previous optimum: (1) most
assignments, (2) for ``fair`` the highest worst score, (3) the best total. CP-SAT proves each
phase or returns its best bound, which becomes the solution's ``bound``. Scores are scaled
to integers (``SCALE`` per unit), so totals are exact to 1e-5 of a score unit per pair.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from mentormatch_desktop.domain.progress import CancelToken, check
from mentormatch_desktop.matching.problem import MatchSolution
from mentormatch_desktop.matching.solvers.common import (
    Prepared,
    attribute_values,
    build_solution,
    cross_flags,
)

SCALE = 100_000
WORKERS = 4
DEFAULT_TIME_LIMIT = 120.0  # seconds, when the caller gives none


def _int_scores(scores: np.ndarray) -> np.ndarray:
    return np.rint(scores * SCALE).astype(np.int64)


def build_model(prep: Prepared) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """Variables and the hard constraints (no objective yet)."""
    problem = prep.problem
    model = cp_model.CpModel()
    free = prep.free
    x = [model.new_bool_var(f"x{p}") for p in free]
    pe = problem.pair_mentee[free]
    pm = problem.pair_mentor[free]
    by_mentee: dict[int, list[int]] = defaultdict(list)
    by_mentor: dict[int, list[int]] = defaultdict(list)
    for i, (e, m) in enumerate(zip(pe.tolist(), pm.tolist(), strict=True)):
        by_mentee[e].append(i)
        by_mentor[m].append(i)
    for e, idx in by_mentee.items():
        if len(idx) > prep.mentee_room[e]:
            model.add(cp_model.LinearExpr.sum([x[i] for i in idx]) <= int(prep.mentee_room[e]))
    for m, idx in by_mentor.items():
        if len(idx) > prep.mentor_room[m]:
            model.add(cp_model.LinearExpr.sum([x[i] for i in idx]) <= int(prep.mentor_room[m]))
    for q, quota in enumerate(problem.constraints.max_per_mentor_by_attribute):
        values = attribute_values(problem, quota.attribute)
        groups: dict[tuple[int, object], list[int]] = defaultdict(list)
        for i, (e, m) in enumerate(zip(pe.tolist(), pm.tolist(), strict=True)):
            if values[e] is not None:
                groups[(m, values[e])].append(i)
        for key, idx in groups.items():
            left = prep.quota_room[q][key]
            if len(idx) > left:
                model.add(cp_model.LinearExpr.sum([x[i] for i in idx]) <= int(left))
    for share in problem.constraints.min_cross_attribute_share:
        cross = cross_flags(problem, share.attribute)
        # Σ over all pairs (cross − share) ≥ 0, in integer hundredths of a percent
        weight = 10_000
        need = round(share.min_share * weight)
        coef = np.where(cross[free], weight - need, -need).astype(np.int64)
        fixed_part = int(np.where(cross[prep.fixed], weight - need, -need).sum())
        model.add(cp_model.LinearExpr.weighted_sum(x, coef.tolist()) + fixed_part >= 0)
    return model, x


def solve(
    prep: Prepared,
    started: float,
    *,
    time_limit: float | None = None,
    hint: MatchSolution | None = None,
    cancel: CancelToken | None = None,
) -> MatchSolution:
    """Lexicographic phases; status ``optimal`` only when every phase was proven."""
    problem = prep.problem
    model, x = build_model(prep)
    w = _int_scores(problem.pair_score[prep.free])
    if hint is not None:
        chosen = set(problem.find_pairs([(a.mentee, a.mentor) for a in hint.assignments]).tolist())
        for p, v in zip(prep.free.tolist(), x, strict=True):
            model.add_hint(v, p in chosen)
    # without a limit a hard cohort-wide model could run for hours: stop and report the gap
    deadline = started + (DEFAULT_TIME_LIMIT if time_limit is None else time_limit)
    proven = True
    count = _matched_count(model, x, prep)

    def run() -> tuple[cp_model.CpSolver, int]:
        check(cancel)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = WORKERS
        solver.parameters.max_time_in_seconds = max(0.5, deadline - time.perf_counter())
        status = solver.solve(model)
        return solver, status

    model.maximize(count)
    solver, status = run()
    if status == cp_model.INFEASIBLE:
        return _infeasible(prep, started)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return build_solution(
            problem, [], "error", started, diagnosis="CP-SAT found no solution in the time limit"
        )
    proven &= status == cp_model.OPTIMAL
    count_proven = status == cp_model.OPTIMAL
    best_count = round(solver.objective_value)
    _rehint(model, x, solver)
    model.add(count >= best_count)
    details: dict[str, object] = {"method": "CP-SAT"}
    if problem.objective == "fair":
        worst = _add_worst_score(model, x, w, prep)
        model.maximize(worst)
        solver, status = run()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven &= status == cp_model.OPTIMAL
            model.add(worst >= round(solver.objective_value))
            _rehint(model, x, solver)
    model.maximize(cp_model.LinearExpr.weighted_sum(x, w.tolist()))
    solver, status = run()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return build_solution(
            problem, [], "error", started, diagnosis="CP-SAT lost its solution between phases"
        )
    proven &= status == cp_model.OPTIMAL
    values = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    pairs = np.concatenate([prep.fixed, prep.free[values]])
    fixed_total = float(problem.pair_score[prep.fixed].sum())
    bound = solver.best_objective_bound / SCALE + fixed_total
    sol = build_solution(problem, pairs, "optimal" if proven else "feasible", started)
    sol.bound = max(bound, sol.total_score)
    gap = (sol.bound - sol.total_score) / max(abs(sol.bound), 1e-12)
    details["gap"] = gap
    sol.details = details
    if not proven:
        sol.diagnosis = f"time limit reached: within {gap:.4%} of the proven bound"
        if not count_proven:  # the bound then holds only for this many people matched
            sol.diagnosis += f" for {sol.matched} people matched (more may be possible)"
    return sol


def _matched_count(model: cp_model.CpModel, x: list, prep: Prepared) -> cp_model.LinearExpr:
    """Assignments, or with several mentors per mentee the people matched (free part)."""
    problem = prep.problem
    if problem.constraints.mentors_per_mentee <= 1:
        return cp_model.LinearExpr.sum(x)
    already = set(problem.pair_mentee[prep.fixed].tolist())
    by_mentee: dict[int, list] = defaultdict(list)
    for v, e in zip(x, problem.pair_mentee[prep.free].tolist(), strict=True):
        if e not in already:
            by_mentee[e].append(v)
    ys = []
    for e, vs in by_mentee.items():
        y = model.new_bool_var(f"matched{e}")
        model.add(y <= cp_model.LinearExpr.sum(vs))
        ys.append(y)
    return cp_model.LinearExpr.sum(ys)


def _rehint(model: cp_model.CpModel, x: list, solver: cp_model.CpSolver) -> None:
    model.clear_hints()
    for v in x:
        model.add_hint(v, solver.boolean_value(v))


def _add_worst_score(
    model: cp_model.CpModel, x: list, w: np.ndarray, prep: Prepared
) -> cp_model.IntVar:
    """``worst`` ≤ score of every chosen pair (and of every fixed pair)."""
    problem = prep.problem
    top = int(w.max(initial=0))
    low = int(w.min(initial=0))
    if len(prep.fixed):
        fixed_min = int(_int_scores(problem.pair_score[prep.fixed]).min())
        top = min(top, fixed_min) if len(w) else fixed_min
        low = min(low, fixed_min)
    worst = model.new_int_var(low, max(top, low), "worst")
    span = max(top, low) - low
    for c, v in zip(w.tolist(), x, strict=True):
        if span and c < max(top, low):
            # worst ≤ c when the pair is chosen; otherwise the inequality is slack
            model.add(worst <= c + span * (1 - v))
    return worst


def _infeasible(prep: Prepared, started: float) -> MatchSolution:
    problem = prep.problem
    rules = [
        f"at least {s.min_share:.0%} of pairs differing in {s.attribute}"
        for s in problem.constraints.min_cross_attribute_share
    ]
    text = "no assignment satisfies the required/locked pairs together with " + (
        ", ".join(rules) if rules else "the attribute quotas"
    )
    return build_solution(problem, [], "infeasible", started, diagnosis=text)
