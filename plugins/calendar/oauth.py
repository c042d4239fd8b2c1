"""OAuth 2.0 for installed apps: authorization code + PKCE (S256) with a loopback redirect.

The protocol work — PKCE verifier and challenge, state, the code exchange and refreshing —
is done by ``authlib``; this module only supplies the desktop parts: a one-shot HTTP server
on 127.0.0.1 that receives the browser's redirect, and the glue that stores the token in
the keyring. Google and Microsoft use it the same way (RFC 8252).

``authlib`` (with httpx and cryptography under it, about half a second), the HTTP server
and the browser launcher are imported only when they are used: loading the plugin, as
every ``mentormatch`` command does, must not pay for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urlparse

from mentormatch_desktop.plugin.api import CalendarAuthError, CalendarCredentials

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client


@dataclass(frozen=True)
class OAuthConfig:
    """Where a provider's endpoints are and what we ask for."""

    client_id: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    client_secret: str | None = None  # installed apps: not a secret, some providers want it
    extra_authorize_params: dict[str, str] = field(default_factory=dict)


def client(config: OAuthConfig, *, redirect_uri: str | None = None, **kwargs: Any) -> OAuth2Client:
    """An authlib client set for PKCE (S256) against ``config``'s token endpoint."""
    from authlib.integrations.httpx_client import OAuth2Client

    return OAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scope=" ".join(config.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint=config.token_url,
        token_endpoint_auth_method="client_secret_post" if config.client_secret else "none",
        **kwargs,
    )


def _callback_handler() -> type:
    """A request handler class of its own for one sign-in (its result and event are class
    attributes, since the server builds a handler per request)."""
    from http.server import BaseHTTPRequestHandler

    class Callback(BaseHTTPRequestHandler):
        result: ClassVar[dict[str, str]] = {}  # fresh per sign-in: the class is
        done: ClassVar[threading.Event] = threading.Event()  # built per call

        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            if "code" not in query and "error" not in query:
                self.send_response(404)
                self.end_headers()
                return
            type(self).result.update(query)
            body = (
                b"<html><body><p>MentorMatch is connected to your calendar. "
                b"You can close this tab.</p></body></html>"
                if "code" in query
                else b"<html><body><p>The calendar was not connected.</p></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            type(self).done.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the browser's request is nobody's business on the console

    return Callback


#: How often a waiting sign-in looks at its cancel flag (seconds).
POLL = 0.2

#: What the providers' documented ``error`` codes mean to the person signing in.
_REFUSALS = {
    "access_denied": "you did not allow MentorMatch to use your calendar",
    "consent_required": "the calendar needs your consent, which was not given",
    "interaction_required": "the provider needs you to sign in again",
}


def authorize(
    config: OAuthConfig,
    *,
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run the whole sign-in: browser → loopback redirect → code exchange. Returns the token.

    ``open_browser`` receives the authorization URL (the desktop app passes one that opens
    the system browser from its GUI thread; tests pass a function that follows it with an
    HTTP client); by default :mod:`webbrowser` opens it. Setting ``cancel`` stops the wait
    (within :data:`POLL` seconds) with a :class:`CalendarAuthError`; so does ``timeout``.
    """
    import time
    import webbrowser
    from http.server import HTTPServer

    from authlib.common.security import generate_token
    from authlib.integrations.base_client.errors import OAuthError

    if open_browser is None:
        open_browser = webbrowser.open
    handler = _callback_handler()
    server = HTTPServer(("127.0.0.1", 0), handler)
    redirect_uri = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with client(config, redirect_uri=redirect_uri) as oauth:
            verifier = generate_token(64)
            url, state = oauth.create_authorization_url(
                config.authorize_url, code_verifier=verifier, **config.extra_authorize_params
            )
            open_browser(url)
            deadline = time.monotonic() + timeout
            while not handler.done.wait(POLL):
                if cancel is not None and cancel.is_set():
                    raise CalendarAuthError("sign-in cancelled")
                if time.monotonic() > deadline:
                    raise CalendarAuthError("no answer from the browser: sign-in timed out")
            result = handler.result
            if "error" in result:
                code = result["error"]
                reason = _REFUSALS.get(code) or result.get("error_description") or code
                raise CalendarAuthError(f"the calendar was not connected: {reason} ({code})")
            if result.get("state") != state:
                raise CalendarAuthError(
                    "the sign-in answer did not match our request (state); nothing was stored."
                    " Try again, and close other sign-in tabs first"
                )
            if cancel is not None and cancel.is_set():
                raise CalendarAuthError("sign-in cancelled")
            try:
                token = oauth.fetch_token(
                    config.token_url, code=result["code"], code_verifier=verifier
                )
            except OAuthError as exc:
                raise CalendarAuthError(
                    f"the calendar refused the sign-in code ({exc.error}): try again"
                ) from exc
            return dict(token)
    finally:
        server.shutdown()
        server.server_close()


def sign_in(
    config: OAuthConfig, open_url: Callable[[str], object], cancel: threading.Event
) -> CalendarCredentials:
    """The :class:`InteractiveSignIn` step of an OAuth connector: the token as the secret.

    The token goes to the keyring as JSON, which is what :func:`secrets.get_token` reads
    back; ``expires_at`` (set by authlib) lets the REST session refresh it in time.
    """
    import json

    token = authorize(config, open_browser=open_url, cancel=cancel)
    return CalendarCredentials(json.dumps(token))
