"""The protocols matching plugins satisfy: scoring criteria and strategies (solvers).

Structural (``typing.Protocol``): a plugin needs no base class, only the named attributes
and methods, which the plugin host checks at load time. They live in ``matching`` because
they are written in its terms (cohort, problem, solution) and ``matching`` itself consumes
them (scoring, explanations, strategy comparison); plugin authors import them from
:mod:`mentormatch_desktop.plugin.api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from mentormatch_desktop.domain.progress import CancelToken, Progress
    from mentormatch_desktop.matching.cohort import Cohort
    from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution


@runtime_checkable
class MatchCriterion(Protocol):
    """One scoring criterion, e.g. skill fit or common availability.

    ``compute`` returns a ``float32`` array of shape ``(n_mentees, n_mentors)`` with values
    in [0, 1] (for peer programs both axes are the same pool). It must be vectorised over
    the cohort: no Python loop per pair. ``explain`` turns one pair's value into a short
    phrase a coordinator reads at a glance ("Teaches 3 of your 4 target skills: …"), or
    ``None`` when the criterion has nothing worth saying for that pair.
    """

    name: str
    label: str
    description: str
    default_weight: float

    def compute(self, cohort: Cohort) -> np.ndarray: ...

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None: ...


@runtime_checkable
class MatchStrategy(Protocol):
    """A solver that turns a scored problem into assignments.

    ``kinds`` names the program kinds it can solve (``"one_to_one"``, ``"group"``,
    ``"peer"``). ``solve`` must honour every constraint in the problem it claims to
    support, check ``cancel`` between steps, and report ``progress``. It returns a
    solution whose ``status`` says whether the answer is proven optimal.
    """

    name: str
    label: str
    description: str
    kinds: frozenset[str]

    def solve(
        self,
        problem: MatchProblem,
        *,
        time_limit: float | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> MatchSolution: ...
