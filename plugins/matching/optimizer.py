"""Built-in strategy ``optimizer``: most mentees matched, then the best total, proven."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The solver is imported when the strategy runs (``api.optimize``), not when the plugin
# loads: every ``mentormatch`` command loads every plugin.
from mentormatch_desktop.plugin import api
from mentormatch_desktop.plugin.api import hookimpl

if TYPE_CHECKING:
    from mentormatch_desktop.plugin.api import CancelToken, MatchProblem, MatchSolution, Progress


class OptimizerStrategy:
    name = "optimizer"
    label = "Optimizer (OR-Tools)"
    description = (
        "Matches as many mentees as possible, then maximises the total score (or, with the "
        "fair objective, the worst assigned score first) under every program rule. Reports "
        "whether the answer is proven optimal and, when nothing fits, which rule and people "
        "are to blame."
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
        return api.optimize(problem, time_limit=time_limit, progress=progress, cancel=cancel)


@hookimpl
def register_match_strategies() -> list[OptimizerStrategy]:
    return [OptimizerStrategy()]
