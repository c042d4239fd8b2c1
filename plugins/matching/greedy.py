"""Built-in strategy ``greedy``: best-scoring pairs first, the baseline other tools ship."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The solver is imported when the strategy runs (``api.greedy``), not when the plugin
# loads: every ``mentormatch`` command loads every plugin.
from mentormatch_desktop.plugin import api
from mentormatch_desktop.plugin.api import hookimpl

if TYPE_CHECKING:
    from mentormatch_desktop.plugin.api import CancelToken, MatchProblem, MatchSolution, Progress


class GreedyStrategy:
    name = "greedy"
    label = "Greedy (best pairs first)"
    description = (
        "Hands out the highest-scoring pairs first while mentors have room. Fast and "
        "familiar; usually a few percent below the optimizer and may leave people unmatched."
    )
    kinds = frozenset({"one_to_one", "group", "peer"})

    def solve(
        self,
        problem: MatchProblem,
        *,
        time_limit: float | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> MatchSolution:
        return api.greedy(problem, progress=progress, cancel=cancel)


@hookimpl
def register_match_strategies() -> list[GreedyStrategy]:
    return [GreedyStrategy()]
