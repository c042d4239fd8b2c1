"""Posting JSON to chat services and reading their answer as a delivery result.

Shared by the Slack and Teams channels. Plain ``urllib`` with a timeout: the worker makes a
few requests per second at most, and no extra dependency is worth that. ``urllib.request``
(with ``http.client`` and ``ssl``) is imported when a request is sent, not when the plugin
loads.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mentormatch_desktop.plugin.api import DeliveryResult

if TYPE_CHECKING:
    from email.message import Message

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Message
    body: str


def post_json(
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> HttpAnswer:
    """POST ``payload`` as JSON; HTTP errors come back as answers, network errors raise."""
    import urllib.error
    import urllib.request

    data = json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
            return HttpAnswer(response.status, response.headers, body)
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace") if exc.fp is not None else ""
        return HttpAnswer(exc.code, exc.headers, body)


def retry_after(answer: HttpAnswer) -> float | None:
    """Seconds from a ``Retry-After`` header (only the delta form services send here)."""
    value = answer.headers.get("Retry-After") if answer.headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def classify(answer: HttpAnswer, service: str) -> DeliveryResult:
    """2xx delivered; 429, 408 and 5xx retry later; any other 4xx can never work."""
    snippet = answer.body.strip()[:200]
    if 200 <= answer.status < 300:
        return DeliveryResult(ok=True, detail=snippet)
    if answer.status == 429:
        return DeliveryResult(
            ok=False,
            retry=True,
            retry_after=retry_after(answer),
            detail=f"{service} rate limit (HTTP 429)",
        )
    if answer.status == 408 or answer.status >= 500:
        return DeliveryResult(
            ok=False,
            retry=True,
            retry_after=retry_after(answer),
            detail=f"{service} answered HTTP {answer.status}: {snippet}",
        )
    return DeliveryResult(
        ok=False, retry=False, detail=f"{service} refused it (HTTP {answer.status}): {snippet}"
    )


def network_failure(exc: BaseException, service: str) -> DeliveryResult:
    """A timeout or connection failure: try again later.

    After a timeout the service may have posted anyway; chat services offer no idempotency
    key on these endpoints, so a retry can duplicate that one message (said in the docs).
    """
    if isinstance(exc, (TimeoutError, socket.timeout)) or "timed out" in str(exc):
        return DeliveryResult(ok=False, retry=True, detail=f"{service} timed out")
    return DeliveryResult(ok=False, retry=True, detail=f"cannot reach {service}: {exc}")
