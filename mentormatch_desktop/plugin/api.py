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
- **calendar connectors and messaging channels**: their protocols and value types (with
  the optional sign-in step, :class:`InteractiveSignIn` → :class:`CalendarCredentials`),
  the errors a connector raises, and the iCalendar helpers the built-in connectors use
  (:func:`calendar_of`, :func:`busy_intervals`, :class:`SessionEvent`).
- **contracts**: the protocols the host checks each registered object against.

Names are imported on first use (PEP 562 ``__getattr__``): loading a plugin that needs only
a solver must not pull in the database layer or the embedding cache, because every
``mentormatch`` command loads every plugin and ``mentormatch solve`` should start in well
under a second. ``from mentormatch_desktop.plugin.api import X`` works as usual (it imports
X's module then); a plugin that wants to defer a heavy name writes ``from
mentormatch_desktop.plugin import api`` and uses ``api.X`` where it needs it. Type checkers
and import-linter read the ``TYPE_CHECKING`` block, which must list the same names as
``_EXPORTS`` (a test checks that).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        Attachment,
        BusyPeriod,
        CalendarAccount,
        CalendarAuthError,
        CalendarConnector,
        CalendarCredentials,
        CalendarEvent,
        CalendarUnavailable,
        Delivery,
        DeliveryResult,
        InteractiveSignIn,
        MessagingChannel,
        SyncResult,
    )
    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_desktop.scheduling.ics import (
        PRODID,
        Attendee,
        CalendarFileError,
        SessionEvent,
        busy_intervals,
        calendar_of,
        parse_calendar,
    )

# ``hookimpl`` is needed by every plugin at import time and costs nothing: import it now.
from mentormatch_desktop.plugin.hookspecs import hookimpl

_M = "mentormatch_desktop.matching"
_EXPORTS: dict[str, str] = {
    # name: the module it comes from (for a module, its package)
    "CancelToken": "mentormatch_desktop.domain.progress",
    "Progress": "mentormatch_desktop.domain.progress",
    "features": _M,
    "AVOID": f"{_M}.cohort",
    "PREFER": f"{_M}.cohort",
    "Cohort": f"{_M}.cohort",
    "Participants": f"{_M}.cohort",
    "MatchCriterion": f"{_M}.contracts",
    "MatchStrategy": f"{_M}.contracts",
    "FactorisedCriterion": f"{_M}.criterion_base",
    "number_setting": f"{_M}.criterion_base",
    "symmetrise": f"{_M}.criterion_base",
    "MODEL_NAME": f"{_M}.embeddings",
    "semantic_status": f"{_M}.embeddings",
    "best_phrase_pair": f"{_M}.phrases",
    "split_phrases": f"{_M}.phrases",
    "MatchProblem": f"{_M}.problem",
    "MatchSolution": f"{_M}.problem",
    "greedy": f"{_M}.solvers.greedy",
    "optimize": f"{_M}.solvers.optimizer",
    "peer_match": f"{_M}.solvers.peer",
    "stable": f"{_M}.solvers.stable",
    "TfidfSimilarity": f"{_M}.text_similarity",
    "cohort_vectors": f"{_M}.text_vectors",
    "phrase_vectors": f"{_M}.text_vectors",
    "Attachment": "mentormatch_desktop.plugin.contracts",
    "BusyPeriod": "mentormatch_desktop.plugin.contracts",
    "CalendarAccount": "mentormatch_desktop.plugin.contracts",
    "CalendarConnector": "mentormatch_desktop.plugin.contracts",
    "CalendarCredentials": "mentormatch_desktop.plugin.contracts",
    "InteractiveSignIn": "mentormatch_desktop.plugin.contracts",
    "CalendarEvent": "mentormatch_desktop.plugin.contracts",
    "Delivery": "mentormatch_desktop.plugin.contracts",
    "DeliveryResult": "mentormatch_desktop.plugin.contracts",
    "MessagingChannel": "mentormatch_desktop.plugin.contracts",
    "CalendarAuthError": "mentormatch_desktop.plugin.contracts",
    "CalendarUnavailable": "mentormatch_desktop.plugin.contracts",
    "SyncResult": "mentormatch_desktop.plugin.contracts",
    "PRODID": "mentormatch_desktop.scheduling.ics",
    "Attendee": "mentormatch_desktop.scheduling.ics",
    "CalendarFileError": "mentormatch_desktop.scheduling.ics",
    "SessionEvent": "mentormatch_desktop.scheduling.ics",
    "busy_intervals": "mentormatch_desktop.scheduling.ics",
    "calendar_of": "mentormatch_desktop.scheduling.ics",
    "parse_calendar": "mentormatch_desktop.scheduling.ics",
    "PluginHost": "mentormatch_desktop.plugin.host",
}

# Literal, so linters and IDEs see the names; a test checks it matches _EXPORTS.
__all__ = [
    "AVOID",
    "MODEL_NAME",
    "PREFER",
    "PRODID",
    "Attachment",
    "Attendee",
    "BusyPeriod",
    "CalendarAccount",
    "CalendarAuthError",
    "CalendarConnector",
    "CalendarCredentials",
    "CalendarEvent",
    "CalendarFileError",
    "CalendarUnavailable",
    "CancelToken",
    "Cohort",
    "Delivery",
    "DeliveryResult",
    "FactorisedCriterion",
    "InteractiveSignIn",
    "MatchCriterion",
    "MatchProblem",
    "MatchSolution",
    "MatchStrategy",
    "MessagingChannel",
    "Participants",
    "PluginHost",
    "Progress",
    "SessionEvent",
    "SyncResult",
    "TfidfSimilarity",
    "best_phrase_pair",
    "busy_intervals",
    "calendar_of",
    "cohort_vectors",
    "features",
    "greedy",
    "hookimpl",
    "number_setting",
    "optimize",
    "parse_calendar",
    "peer_match",
    "phrase_vectors",
    "semantic_status",
    "split_phrases",
    "stable",
    "symmetrise",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its module on first use, then keep it as a module attribute."""
    source = _EXPORTS.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(source)
    try:
        value = getattr(module, name)
    except AttributeError:  # a submodule not imported by its package yet
        value = importlib.import_module(f"{source}.{name}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
