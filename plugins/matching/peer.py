"""Built-in strategy ``peer``: pairs (or groups of 3–4) within one pool of participants."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The solver is imported when the strategy runs (``api.peer_match``), not when the plugin
# loads: every ``mentormatch`` command loads every plugin.
from mentormatch_desktop.plugin import api
from mentormatch_desktop.plugin.api import hookimpl

if TYPE_CHECKING:
    from mentormatch_desktop.plugin.api import CancelToken, MatchProblem, MatchSolution, Progress


class PeerStrategy:
    name = "peer"
    label = "Peer pairs and groups"
    description = (
        "Pairs people from one pool to maximise the total score (exact, with a certified "
        "bound); groups of 3–4 are formed by a matching-based heuristic with its bound shown."
    )
    kinds = frozenset({"peer"})

    def solve(
        self,
        problem: MatchProblem,
        *,
        time_limit: float | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> MatchSolution:
        return api.peer_match(problem, time_limit=time_limit, progress=progress, cancel=cancel)


@hookimpl
def register_match_strategies() -> list[PeerStrategy]:
    return [PeerStrategy()]
