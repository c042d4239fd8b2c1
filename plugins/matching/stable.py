"""Built-in strategy ``stable``: mentee-proposing deferred acceptance with capacities."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The solver is imported when the strategy runs (``api.stable``), not when the plugin
# loads: every ``mentormatch`` command loads every plugin.
from mentormatch_desktop.plugin import api
from mentormatch_desktop.plugin.api import hookimpl

if TYPE_CHECKING:
    from mentormatch_desktop.plugin.api import CancelToken, MatchProblem, MatchSolution, Progress


class StableStrategy:
    name = "stable"
    label = "Stable (deferred acceptance)"
    description = (
        "No mentee and mentor would both rather be paired with each other than with whom "
        "they got; best for mentees among all stable matchings. Gives up total score for it."
    )
    kinds = frozenset({"one_to_one", "group"})

    def solve(
        self,
        problem: MatchProblem,
        *,
        time_limit: float | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> MatchSolution:
        return api.stable(problem, progress=progress, cancel=cancel)


@hookimpl
def register_match_strategies() -> list[StableStrategy]:
    return [StableStrategy()]
