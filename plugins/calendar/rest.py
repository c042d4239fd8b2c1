"""A JSON REST session for calendar APIs: OAuth token from the keyring, refresh, retries.

What a provider does to a client that we must handle, in one place:
- an access token past its ``expires_at`` is refreshed before the call (authlib does it,
  and the new token goes back to the keyring);
- a ``401`` despite that (revoked early, clock skew) triggers one explicit refresh; if the
  refresh itself is refused the user must reconnect (:class:`CalendarAuthError`);
- ``429`` waits as long as ``Retry-After`` says (capped), ``5xx`` and network errors back
  off exponentially; after ``max_attempts`` the call fails with
  :class:`CalendarUnavailable`.

``httpx`` and ``authlib`` are imported when a session is used, not when the plugin loads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mentormatch_desktop.plugin.api import CalendarAuthError, CalendarUnavailable
from mentormatch_plugins.calendar import oauth, secrets

if TYPE_CHECKING:
    import httpx


class ApiError(RuntimeError):
    """A non-retryable error answer (4xx other than 401/429) with its status and body."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"the calendar answered {status}: {body[:300]}")
        self.status = status
        self.body = body


class RestSession:
    """Calls one provider's API on behalf of one account."""

    def __init__(
        self,
        config: oauth.OAuthConfig,
        secret_ref: str | None,
        base_url: str,
        *,
        max_attempts: int = 5,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 20.0,
    ) -> None:
        self.secret_ref = secret_ref
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.sleep = sleep
        self.config = config
        token = secrets.get_token(secret_ref)
        self.client = oauth.client(config, token=token, update_token=self._store, timeout=timeout)

    def _store(self, token: dict[str, Any], refresh_token: str | None = None, **_: Any) -> None:
        if self.secret_ref:
            stored = dict(token)
            if "refresh_token" not in stored and refresh_token:
                stored["refresh_token"] = refresh_token  # providers may not resend it
            secrets.set_token(self.secret_ref, stored)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RestSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refresh(self) -> None:
        from authlib.integrations.base_client.errors import OAuthError

        token = self.client.token or {}
        refresh = token.get("refresh_token")
        if not refresh:
            raise CalendarAuthError("the calendar token expired and cannot be renewed: reconnect")
        try:
            new = self.client.refresh_token(self.config.token_url, refresh_token=refresh)
        except OAuthError as exc:
            raise CalendarAuthError(
                f"the calendar refused to renew access ({exc.error}): reconnect your calendar"
            ) from exc
        self._store(dict(new), refresh_token=refresh)

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with refresh and retries; returns the response (2xx or one of ``ok_statuses``)."""
        import httpx
        from authlib.integrations.base_client.errors import OAuthError

        full = url if url.startswith("http") else f"{self.base_url}/{url.lstrip('/')}"
        refreshed = False
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = self.client.request(method, full, json=json, params=params)
            except OAuthError as exc:  # the automatic refresh was refused
                raise CalendarAuthError(
                    f"the calendar refused to renew access ({exc.error}): reconnect your calendar"
                ) from exc
            except httpx.TransportError as exc:
                if attempt == self.max_attempts:
                    raise CalendarUnavailable(f"the calendar cannot be reached: {exc}") from exc
                self.sleep(min(self.max_wait, 0.25 * 2**attempt))
                continue
            status = resp.status_code
            if status < 300 or status in ok_statuses:
                return resp
            if status == 401 and not refreshed:
                refreshed = True
                self._refresh()
                continue
            if status == 401:
                raise CalendarAuthError("the calendar no longer accepts our access: reconnect")
            if status == 429 or status >= 500:
                if attempt == self.max_attempts:
                    raise CalendarUnavailable(
                        f"the calendar kept answering {status} after {attempt} attempts"
                    )
                self.sleep(min(self.max_wait, _retry_after(resp, attempt)))
                continue
            raise ApiError(status, resp.text)
        raise CalendarUnavailable("the calendar could not be reached")  # pragma: no cover


def _retry_after(resp: httpx.Response, attempt: int) -> float:
    value = resp.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # an HTTP date: fall back to backoff
    return 0.25 * 2**attempt
