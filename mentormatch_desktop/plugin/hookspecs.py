"""The whole MentorMatch plugin API, in one file.

Every hook here is documented in ``docs/plugins.md`` with the same arguments (a test keeps
the two in step). Plugins are modules or objects registered through the ``mentormatch``
entry-point group; they implement any subset of these hooks with ``@hookimpl``.

The ``register_*`` hooks *add things*: each returns a list of objects that satisfy a small
protocol (see :mod:`mentormatch_desktop.plugin.api`). The host calls every plugin
separately, so one broken plugin is disabled and reported without hiding the others.

Every hook may take ``host`` (the :class:`~mentormatch_desktop.plugin.host.PluginHost`),
datasette-style: a plugin that needs settings (an SMTP host, an OAuth client id) reads them
with ``host.plugin_config("<its entry-point name>")``. As with any pluggy hook, an
implementation declares only the arguments it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from mentormatch_desktop.matching.contracts import MatchCriterion, MatchStrategy
    from mentormatch_desktop.plugin.contracts import CalendarConnector, MessagingChannel
    from mentormatch_desktop.plugin.host import PluginHost

PROJECT_NAME = "mentormatch"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_match_criteria(host: PluginHost) -> list[MatchCriterion]:
    """Return the scoring criteria this plugin adds to matching.

    Called once when the host loads plugins. A criterion turns a cohort (the profiles of
    the mentees and mentors of one program) into a matrix of values in [0, 1], one per
    pair, plus a short human explanation per pair. The program's weights combine the
    criteria into the score the solvers optimise, so a learned or semantic criterion
    feeds every strategy without either knowing about the other.
    """


@hookspec
def register_match_strategies(host: PluginHost) -> list[MatchStrategy]:
    """Return the matching strategies (solvers) this plugin adds.

    Called once when the host loads plugins. A strategy receives a fully scored
    :class:`~mentormatch_desktop.matching.problem.MatchProblem` and returns a
    :class:`~mentormatch_desktop.matching.problem.MatchSolution`; it never reads the
    database. Strategy names must be unique across plugins: the first registered wins and
    a duplicate is reported as a failure of the later plugin.
    """


@hookspec
def register_calendar_connectors(host: PluginHost) -> list[CalendarConnector]:
    """Return the calendar connectors (ICS, CalDAV, Google, Microsoft Graph…) this plugin adds.

    Called once when the host loads plugins. A connector reads a participant's busy
    periods (``busy_periods`` for a window, ``sync`` for what changed since an opaque state
    the app keeps per connection) and writes mentoring sessions as events
    (``publish_event`` → the provider's event id, then ``update_event`` and
    ``cancel_event``). Events carry their IANA time zone, a stable UID and an iTIP
    SEQUENCE. Credentials come from the OS keyring via ``CalendarAccount.secret_ref``;
    ``CalendarAuthError`` means "reconnect", ``CalendarUnavailable`` "try again later".
    A connector users sign in to (OAuth) also has ``authorise(settings, open_url, cancel)``
    (:class:`~mentormatch_desktop.plugin.contracts.InteractiveSignIn`), which the app calls
    off the GUI thread to connect it and whose ``CalendarCredentials`` it keeps in the keyring.
    """


@hookspec
def register_messaging_channels(host: PluginHost) -> list[MessagingChannel]:
    """Return the messaging channels (e-mail, chat…) this plugin adds.

    Called once when the host loads plugins. The delivery worker hands each queued
    :class:`~mentormatch_desktop.plugin.contracts.Delivery` to the channel named on it,
    after the message's transaction has committed, and stores the
    :class:`~mentormatch_desktop.plugin.contracts.DeliveryResult` (sent, retry later —
    after ``retry_after`` if given —, or a dead letter). Pass the idempotency key on where
    the service allows (e-mail: the Message-ID), so a retry after a crash is the same send.
    A channel reads its settings through ``host.plugin_config(name)``.
    """


@hookspec
def plugin_status(host: PluginHost) -> str | None:
    """Return a one-line note on this plugin's state, or ``None`` when all is as expected.

    Called once, the first time the plugin list is read (the plugins view, ``mentormatch
    plugins``), not when the host loads plugins, so a note may cost some work (reading the
    keyring, say) without slowing every command down. Use it to say why a plugin
    registered less than it could (an optional dependency is not installed, say) or which
    of two alternatives is active. The plugins view and ``mentormatch
    plugins`` show the note next to the plugin; an exception disables the plugin.
    """


@hookspec(historic=True)
def mentormatch_started(host: PluginHost) -> None:
    """Announce that the plugin host finished loading.

    Historic: a plugin registered later still receives the call. Use it for one-off set-up
    that needs the other plugins (e.g. a plugin that wraps another's strategy). The return
    value is ignored; an exception disables the plugin.
    """
