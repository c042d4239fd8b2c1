"""Why a match run proposes nobody, in words a coordinator can act on.

A run with 0 pairs used to be stored with an empty diagnosis when the hard rules left no
allowed pair (every pair forbidden, below the minimum score, no mentor capacity): the
history then showed "0 matched" and nothing else. :func:`empty_run_reason` names the
first thing in the way, from the problem the solver was given.
"""

from __future__ import annotations

from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution


def empty_run_reason(problem: MatchProblem, solution: MatchSolution) -> str | None:
    """The reason a run matched nobody, or None when it matched someone."""
    if solution.matched:
        return None
    peer = problem.kind == "peer"
    if problem.n_mentees == 0:
        who = "participants" if peer else "mentees"
        return f"no pair was possible: the program has no active {who} to match"
    if not peer and problem.n_mentors == 0:
        return "no pair was possible: the program has no active mentors"
    if not peer and int(problem.capacity.sum()) == 0:
        return "no pair was possible: every mentor's capacity is 0"
    if len(problem.pair_score) == 0:
        return (
            "no pair was possible: the matching rules (must-not-match, minimum score, "
            "hard criteria) exclude every pair"
        )
    return solution.diagnosis or "the strategy proposed no pair although pairs were allowed"
