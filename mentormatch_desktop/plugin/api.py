"""The one module a MentorMatch plugin imports from.

Everything a plugin may rely on is re-exported here; the rest of ``mentormatch_desktop`` is
internal and may change between releases without notice. The built-in plugins (installed as
``mentormatch_plugins``) import only this module, and an import-linter contract keeps them
to it, so whatever they need is by construction available to third-party plugins too.

What is here, by use:

- **hooks**: :data:`hookimpl` to mark implementations; :class:`PluginHost` is what a hook
  receives as ``host`` (``host.plugin_config(name)`` gives the plugin its settings).
- **criteria** (``register_match_criteria``): :class:`Cohort` and :class:`Participants`
  (the profiles of one program's people, as arrays), :class:`FactorisedCriterion` (a base
  class that derives ``compute`` from a fast factorised form), :mod:`features` (the
  representations that form returns), the helpers :func:`number_setting` and
  :func:`symmetrise`, the pair-preference codes :data:`PREFER` and :data:`AVOID`, and the
  text tools the built-in text criteria use.
- **strategies** (``register_match_strategies``): :class:`MatchProblem` in,
  :class:`MatchSolution` out, with :class:`Progress` and :class:`CancelToken`; the built-in
  solvers (:func:`optimize`, :func:`greedy`, :func:`stable`, :func:`peer_match`) for a
  strategy that wraps or post-processes one.
- **calendar connectors and messaging channels**: their protocols and value types.
- **contracts**: the protocols the host checks each registered object against.
"""

from __future__ import annotations

from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.matching import features
from mentormatch_desktop.matching.cohort import AVOID, PREFER, Cohort, Participants
from mentormatch_desktop.matching.contracts import MatchCriterion, MatchStrategy
from mentormatch_desktop.matching.criterion_base import (
    FactorisedCriterion,
    number_setting,
    symmetrise,
)
from mentormatch_desktop.matching.embeddings import MODEL_NAME, semantic_status
from mentormatch_desktop.matching.phrases import best_phrase_pair, split_phrases
from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution
from mentormatch_desktop.matching.solvers.greedy import greedy
from mentormatch_desktop.matching.solvers.optimizer import optimize
from mentormatch_desktop.matching.solvers.peer import peer_match
from mentormatch_desktop.matching.solvers.stable import stable
from mentormatch_desktop.matching.text_similarity import TfidfSimilarity
from mentormatch_desktop.matching.text_vectors import cohort_vectors, phrase_vectors
from mentormatch_desktop.plugin.contracts import (
    BusyPeriod,
    CalendarAccount,
    CalendarConnector,
    CalendarEvent,
    Delivery,
    DeliveryResult,
    MessagingChannel,
)
from mentormatch_desktop.plugin.hookspecs import hookimpl
from mentormatch_desktop.plugin.host import PluginHost

__all__ = [
    "AVOID",
    "MODEL_NAME",
    "PREFER",
    "BusyPeriod",
    "CalendarAccount",
    "CalendarConnector",
    "CalendarEvent",
    "CancelToken",
    "Cohort",
    "Delivery",
    "DeliveryResult",
    "FactorisedCriterion",
    "MatchCriterion",
    "MatchProblem",
    "MatchSolution",
    "MatchStrategy",
    "MessagingChannel",
    "Participants",
    "PluginHost",
    "Progress",
    "TfidfSimilarity",
    "best_phrase_pair",
    "cohort_vectors",
    "features",
    "greedy",
    "hookimpl",
    "number_setting",
    "optimize",
    "peer_match",
    "phrase_vectors",
    "semantic_status",
    "split_phrases",
    "stable",
    "symmetrise",
]
