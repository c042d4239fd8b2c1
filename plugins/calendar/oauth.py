"""OAuth 2.0 for installed apps: authorization code + PKCE (S256) with a loopback redirect.

The protocol work — PKCE verifier and challenge, state, the code exchange and refreshing —
is done by ``authlib``; this module only supplies the desktop parts: a one-shot HTTP server
on 127.0.0.1 that receives the browser's redirect, and the glue that stores the token in
the keyring. Google and Microsoft use it the same way (RFC 8252).
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from mentormatch_desktop.plugin.api import CalendarAuthError


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


class _Callback(BaseHTTPRequestHandler):
    result: dict[str, str]
    done: threading.Event

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


def authorize(
    config: OAuthConfig,
    *,
    open_browser: Callable[[str], object] = webbrowser.open,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run the whole sign-in: browser → loopback redirect → code exchange. Returns the token.

    ``open_browser`` receives the authorization URL (tests pass a function that follows
    it with an HTTP client instead of a browser).
    """
    handler = type("Callback", (_Callback,), {"result": {}, "done": threading.Event()})
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
            if not handler.done.wait(timeout):
                raise CalendarAuthError("no answer from the browser: sign-in timed out")
            result = handler.result
            if "error" in result:
                reason = result.get("error_description") or result["error"]
                raise CalendarAuthError(f"the calendar provider refused: {reason}")
            if result.get("state") != state:
                raise CalendarAuthError("sign-in answer did not match our request (state)")
            return dict(
                oauth.fetch_token(config.token_url, code=result["code"], code_verifier=verifier)
            )
    finally:
        server.shutdown()
        server.server_close()
