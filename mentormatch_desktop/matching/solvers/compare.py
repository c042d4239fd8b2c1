"""Strategy comparison: the table a coordinator reads before choosing.

Every strategy solves the same problem; each answer is then checked independently against
every constraint (:func:`violations`), so a strategy cannot look good by quietly ignoring a
rule — the table shows what it broke.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.contracts import MatchStrategy
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers.common import attribute_values, cross_flags


@dataclass
class ComparisonRow:
    strategy: str
    status: str
    matched: int
    total_score: float
    min_score: float | None
    quantiles: dict[str, float]  # p10, p25, median, p75, p90 of assigned scores
    violations: list[str]
    seconds: float
    bound: float | None = None
    ratio_to_best: float | None = None  # total score / best total in the table
    solution: MatchSolution | None = field(default=None, repr=False)


def violations(problem: MatchProblem, solution: MatchSolution) -> list[str]:
    """Every rule the solution breaks, in words (empty when it honours them all)."""
    out: list[str] = []
    c = problem.constraints
    pairs = [(a.mentee, a.mentor) for a in solution.assignments]
    idx = problem.find_pairs(pairs)
    missing = int((idx < 0).sum())
    if missing:
        out.append(f"{missing} assignment(s) without a score (not allowed)")
    if len(set(pairs)) < len(pairs):
        out.append("duplicate assignments")
    peer = problem.kind == "peer"
    if peer and not solution.groups:
        load = Counter([e for e, _ in pairs] + [m for _, m in pairs])
        over = sum(1 for n in load.values() if n > 1)
        if over:
            out.append(f"{over} participant(s) in more than one pair")
    elif not peer:
        mentor_load = Counter(m for _, m in pairs)
        over = [m for m, n in mentor_load.items() if n > problem.capacity[m]]
        if over:
            out.append(f"{len(over)} mentor(s) over capacity")
        mentee_load = Counter(e for e, _ in pairs)
        extra = [e for e, n in mentee_load.items() if n > c.mentors_per_mentee]
        if extra:
            out.append(f"{len(extra)} mentee(s) with more than {c.mentors_per_mentee} mentor(s)")
    chosen = set(pairs) | ({(m, e) for e, m in pairs} if peer else set())
    bad = sum(1 for p in c.forbidden if tuple(p) in chosen)
    if bad:
        out.append(f"{bad} forbidden pair(s) assigned")
    for name, forced in (("required", c.required), ("locked", c.locked)):
        lost = sum(1 for p in forced if tuple(p) not in chosen)
        if lost:
            out.append(f"{lost} {name} pair(s) missing")
    if c.min_score is not None:
        fixed = {tuple(p) for p in [*c.required, *c.locked]}
        low = sum(
            1
            for a in solution.assignments
            if a.score < c.min_score - 1e-9 and (a.mentee, a.mentor) not in fixed
        )
        if low:
            out.append(f"{low} pair(s) below the minimum score {c.min_score}")
    if not peer:
        for quota in c.max_per_mentor_by_attribute:
            values = attribute_values(problem, quota.attribute)
            load = Counter((m, values[e]) for e, m in pairs if values[e] is not None)
            over = sum(1 for n in load.values() if n > quota.max)
            if over:
                out.append(f"{over} mentor(s) over the {quota.attribute} quota of {quota.max}")
    for share in c.min_cross_attribute_share:
        good = idx[idx >= 0]
        if len(good):
            got = float(cross_flags(problem, share.attribute)[good].mean())
            if got < share.min_share - 1e-9:
                out.append(f"cross-{share.attribute} share {got:.1%} < {share.min_share:.0%}")
    return out


def quantiles(scores: np.ndarray) -> dict[str, float]:
    if len(scores) == 0:
        return {}
    q = np.quantile(scores, [0.1, 0.25, 0.5, 0.75, 0.9])
    return dict(zip(["p10", "p25", "median", "p75", "p90"], map(float, q), strict=True))


def compare_strategies(
    problem: MatchProblem,
    strategies: Iterable[MatchStrategy],
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[ComparisonRow]:
    """Run each strategy on ``problem``; one row each, in the order given.

    A strategy that raises is reported as an ``error`` row with the message in
    ``violations`` rather than aborting the comparison.
    """
    strategies = list(strategies)
    rows: list[ComparisonRow] = []
    for i, strategy in enumerate(strategies):
        check(cancel)
        report(progress, i / max(1, len(strategies)), f"Running {strategy.name}")
        started = time.perf_counter()
        try:
            sol = strategy.solve(problem, time_limit=time_limit, cancel=cancel)
        except Exception as exc:
            rows.append(
                ComparisonRow(
                    strategy.name,
                    "error",
                    0,
                    0.0,
                    None,
                    {},
                    [f"{type(exc).__name__}: {exc}"],
                    time.perf_counter() - started,
                )
            )
            continue
        scores = np.array([a.score for a in sol.assignments])
        rows.append(
            ComparisonRow(
                strategy=strategy.name,
                status=sol.status,
                matched=sol.matched,
                total_score=sol.total_score,
                min_score=sol.min_score,
                quantiles=quantiles(scores),
                violations=violations(problem, sol)
                if sol.status not in ("infeasible", "error")
                else [sol.diagnosis],
                seconds=sol.seconds,
                bound=sol.bound,
                solution=sol,
            )
        )
    best = max((r.total_score for r in rows if r.status in ("optimal", "feasible")), default=0.0)
    for r in rows:
        r.ratio_to_best = r.total_score / best if best > 0 else None
    report(progress, 1.0, "Comparison done")
    return rows


def format_table(rows: list[ComparisonRow]) -> str:
    """A plain-text table (CLI, notebooks, logs)."""
    header = [
        "strategy",
        "status",
        "matched",
        "total",
        "vs best",
        "min",
        "median",
        "p10",
        "violations",
        "seconds",
    ]
    lines = [header]
    for r in rows:
        lines.append(
            [
                r.strategy,
                r.status,
                str(r.matched),
                f"{r.total_score:.3f}",
                "" if r.ratio_to_best is None else f"{r.ratio_to_best:.2%}",
                "" if r.min_score is None else f"{r.min_score:.3f}",
                f"{r.quantiles.get('median', float('nan')):.3f}" if r.quantiles else "",
                f"{r.quantiles.get('p10', float('nan')):.3f}" if r.quantiles else "",
                "; ".join(r.violations) or "none",
                f"{r.seconds:.3f}",
            ]
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in lines
    )
