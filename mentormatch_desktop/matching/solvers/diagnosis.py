"""Why a problem is infeasible, in terms a coordinator can act on.

A matching problem can only be infeasible through what it *forces*: required and locked
pairs (everything else may simply stay unmatched), plus cohort-wide shares that the forced
pairs already make impossible. So each check here looks at the fixed pairs and names the
constraint and the people: "Ada Lovelace has capacity 2 but 3 required pairs: …".
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mentormatch_desktop.matching.problem import MatchProblem
    from mentormatch_desktop.matching.solvers.common import Conflict


def fixed_pair_conflicts(
    problem: MatchProblem,
    fixed: np.ndarray,
    forbidden_idx: np.ndarray,
    mentee_room: np.ndarray,
    mentor_room: np.ndarray,
) -> list[Conflict]:
    """Conflicts among required/locked pairs: forbidden, over capacity, too many per mentee."""
    from mentormatch_desktop.matching.solvers.common import Conflict

    out: list[Conflict] = []
    forbidden = set(int(p) for p in forbidden_idx if p >= 0)
    for p in fixed:
        if int(p) in forbidden:
            e, m = int(problem.pair_mentee[p]), int(problem.pair_mentor[p])
            out.append(
                Conflict(
                    "forbidden",
                    f"{problem.mentee_label(e)} – {problem.mentor_label(m)} is both required "
                    "(or locked) and forbidden",
                    [e],
                    [m],
                )
            )
    by_mentor: dict[int, list[int]] = defaultdict(list)
    by_mentee: dict[int, list[int]] = defaultdict(list)
    for p in fixed:
        by_mentor[int(problem.pair_mentor[p])].append(int(problem.pair_mentee[p]))
        by_mentee[int(problem.pair_mentee[p])].append(int(problem.pair_mentor[p]))
    peer = problem.kind == "peer"
    for m in np.flatnonzero(mentor_room < 0):
        mentees = by_mentor[int(m)]
        cap = 1 if peer else int(problem.capacity[m])
        names = ", ".join(problem.mentee_label(e) for e in mentees)
        out.append(
            Conflict(
                "capacity",
                f"{problem.mentor_label(int(m))} has capacity {cap} but {len(mentees)} "
                f"required/locked pairs: {names}",
                mentees,
                [int(m)],
            )
        )
    k = problem.constraints.mentors_per_mentee
    for e in np.flatnonzero(mentee_room < 0):
        mentors = by_mentee[int(e)]
        names = ", ".join(problem.mentor_label(m) for m in mentors)
        out.append(
            Conflict(
                "mentors_per_mentee",
                f"{problem.mentee_label(int(e))} may have {k} mentor(s) but {len(mentors)} are "
                f"required/locked: {names}",
                [int(e)],
                mentors,
            )
        )
    if peer:
        out.extend(_peer_double_booking(problem, fixed))
    return out


def _peer_double_booking(problem: MatchProblem, fixed: np.ndarray) -> list[Conflict]:
    """In a peer pool everyone is in at most one pair, whichever side the pair lists them."""
    from mentormatch_desktop.matching.solvers.common import Conflict

    seen: dict[int, list[int]] = defaultdict(list)
    for p in fixed:
        a, b = int(problem.pair_mentee[p]), int(problem.pair_mentor[p])
        seen[a].append(b)
        seen[b].append(a)
    out = []
    for person, partners in seen.items():
        if len(partners) > 1:
            names = ", ".join(problem.mentee_label(x) for x in partners)
            out.append(
                Conflict(
                    "capacity",
                    f"{problem.mentee_label(person)} is required in {len(partners)} peer pairs "
                    f"({names}) but can be in only one",
                    [person, *partners],
                    [],
                )
            )
    return out


def cross_share_conflict(
    problem: MatchProblem,
    attribute: str,
    min_share: float,
    fixed_cross: int,
    fixed_total: int,
    free_cross_max: int,
) -> Conflict | None:
    """A share the fixed pairs already make impossible, even if every extra pair crossed.

    Adding ``x`` crossing pairs to the fixed ones gives share
    ``(fixed_cross + x) / (fixed_total + x)``; with the most crossing pairs the mentors can
    still take it must reach ``min_share``, else nothing the solver does can help.
    """
    from mentormatch_desktop.matching.solvers.common import Conflict

    best_total = fixed_total + free_cross_max
    if best_total == 0 or (fixed_cross + free_cross_max) >= min_share * best_total - 1e-9:
        return None
    return Conflict(
        "cross_share",
        f"at least {min_share:.0%} of pairs must differ in {attribute}, but the required/locked "
        f"pairs give {fixed_cross} of {fixed_total} and at most {free_cross_max} more "
        f"cross-{attribute} pairs fit the remaining capacity",
    )
