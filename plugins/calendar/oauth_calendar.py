"""What every OAuth calendar connector (Google, Microsoft) does before it speaks its own API:
merge the deployment's defaults with the connection's settings, sign in through the browser,
and open a :class:`~.rest.RestSession` whose token is read from, refreshed into and written
back to the keyring.

A provider subclasses :class:`OAuthCalendar` and names its ``oauth_config`` (settings →
endpoints, scopes, client) and ``base_url``; the REST calls stay in the provider's module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from mentormatch_desktop.plugin.api import CalendarAccount, CalendarCredentials
from mentormatch_plugins.calendar import oauth
from mentormatch_plugins.calendar.oauth import OAuthConfig
from mentormatch_plugins.calendar.rest import RestSession


class OAuthCalendar:
    """The shared half of a connector whose account signs in with OAuth 2.0 + PKCE."""

    #: The provider's API root; a connection's ``base_url`` setting (tests, gateways) wins.
    base_url: ClassVar[str]
    #: Settings → the provider's OAuth endpoints, scopes and client (raises on a missing id).
    oauth_config: ClassVar[Callable[[dict[str, Any]], OAuthConfig]]

    def __init__(
        self, configured: Callable[[], dict[str, Any]] | None = None, **session_options: Any
    ) -> None:
        # ``configured`` gives the deployment's defaults (``[plugins.calendar-<name>]`` in
        # the config file: an organisation's client_id, or a gateway's endpoints); a
        # connection's own settings win. Read on each use: an edited file needs no restart.
        self.configured = configured
        self.session_options = session_options  # tests shorten waits and retries here

    def authorise(
        self,
        settings: dict[str, Any],
        open_url: Callable[[str], object],
        cancel: threading.Event,
    ) -> CalendarCredentials:
        """Sign in through the browser (authorization code + PKCE, loopback redirect)."""
        return oauth.sign_in(type(self).oauth_config(self._settings(settings)), open_url, cancel)

    def _settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return {**(self.configured() if self.configured else {}), **settings}

    def _session(self, account: CalendarAccount) -> RestSession:
        s = self._settings(account.settings)
        return RestSession(
            type(self).oauth_config(s),
            account.secret_ref,
            s.get("base_url", self.base_url),
            **self.session_options,
        )
