"""Local stand-ins for calendar providers, for tests and benchmarks of calendar connectors.

- :func:`start_cloud`: one HTTP server on loopback speaking the documented subset of Google's
  OAuth endpoints and Calendar v3, and of Microsoft identity + Graph: authorization code with
  PKCE (the S256 challenge is checked), refresh, expired and revoked tokens, 429 with
  Retry-After, 5xx, pagination, sync/delta tokens and their invalidation. Faults are queued
  per path prefix with :meth:`Cloud.fail`.
- :func:`start_radicale`: a real Radicale CalDAV server on a free loopback port.
- :class:`MemoryKeyring`: an in-memory keyring backend (``keyring.set_keyring``).

Shipped with the connectors so a third-party connector or the benchmark can use them too;
nothing in the app imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import keyring
import keyring.backend


# ------------------------------------------------------------------ keyring
class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


# ------------------------------------------------------------------ fake cloud
@dataclass
class Fault:
    prefix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class CloudState:
    """Everything the fake providers know; tests read and poke it directly."""

    client_id: str = "test-client"
    # What the "user" answers on the consent page: "grant", or "deny" (error=access_denied)
    consent: str = "grant"
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (challenge, redirect)
    access: dict[str, float] = field(default_factory=dict)  # token → expiry (epoch seconds)
    refresh: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Google: one calendar; events by id, each with a change counter for sync tokens
    g_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    g_changed: dict[str, int] = field(default_factory=dict)
    g_busy: list[dict[str, str]] = field(default_factory=list)
    clock: itertools.count = field(default_factory=lambda: itertools.count(1))
    dead_tokens: set[str] = field(default_factory=set)
    page_size: int = 250
    # Microsoft
    m_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    m_changed: dict[str, int] = field(default_factory=dict)
    m_schedule: list[dict[str, Any]] = field(default_factory=list)
    transactions: dict[str, str] = field(default_factory=dict)

    def add_google_event(self, event: dict[str, Any]) -> None:
        self.g_events[event["id"]] = event
        self.g_changed[event["id"]] = next(self.clock)

    def add_graph_event(self, event: dict[str, Any]) -> None:
        self.m_events[event["id"]] = event
        self.m_changed[event["id"]] = next(self.clock)

    def expire_all(self) -> None:
        for token in self.access:
            self.access[token] = 0.0


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class CloudHandler(BaseHTTPRequestHandler):
    state: CloudState
    base: str

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---------------------------------------------------------- helpers
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json(self) -> Any:
        raw = self._body()
        return json.loads(raw) if raw else {}

    def _fault(self, path: str) -> bool:
        for f in self.state.faults:
            if path.startswith(f.prefix):
                self.state.faults.remove(f)
                self._send(f.status, f.body or {"error": {"code": f.status}}, f.headers)
                return True
        return False

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        expiry = self.state.access.get(token)
        if expiry is None or expiry < time.time():
            self._send(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
            return False
        return True

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        self.state.requests.append((method, path))
        if self._fault(path):
            return
        if path == "/authorize":
            return self._authorize(query)
        if path == "/token":
            return self._token()
        if not self._authorised():
            return
        if path.startswith("/calendar/v3/"):
            return self._google(method, path.removeprefix("/calendar/v3/"), query)
        if path.startswith("/v1.0/"):
            return self._graph(method, path.removeprefix("/v1.0/"), query)
        self._send(404, {"error": "no such endpoint"})

    do_GET = lambda self: self._route("GET")  # noqa: E731
    do_POST = lambda self: self._route("POST")  # noqa: E731
    do_PATCH = lambda self: self._route("PATCH")  # noqa: E731
    do_DELETE = lambda self: self._route("DELETE")  # noqa: E731

    # ---------------------------------------------------------- OAuth
    def _authorize(self, q: dict[str, str]) -> None:
        """The consent page, answered at once as ``state.consent`` says: like Google and
        Microsoft, redirect to the app's loopback ``redirect_uri`` with ``code`` and
        ``state``, or with ``error=access_denied`` and ``state``."""
        if q.get("client_id") != self.state.client_id or q.get("code_challenge_method") != "S256":
            return self._send(400, {"error": "invalid_request"})
        if q.get("response_type") != "code" or not q.get("code_challenge"):
            return self._send(400, {"error": "invalid_request"})
        redirect = q.get("redirect_uri", "")
        if not redirect.startswith(("http://127.0.0.1:", "http://localhost:")):
            return self._send(400, {"error": "invalid_request", "error_description": "redirect"})
        if self.state.consent == "deny":
            answer = {
                "error": "access_denied",
                "error_description": "The user denied the request",
                "state": q.get("state", ""),
            }
        else:
            code = secrets.token_urlsafe(12)
            self.state.codes[code] = (q["code_challenge"], redirect)
            answer = {"code": code, "state": q.get("state", "")}
        self._send(302, None, {"Location": f"{redirect}?{urlencode(answer)}"})

    def _issue(self) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.state.access[access] = time.time() + 3600
        self.state.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def _token(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        if form.get("grant_type") == "authorization_code":
            challenge, redirect = self.state.codes.pop(form.get("code", ""), ("", ""))
            if not challenge or form.get("redirect_uri") != redirect:
                return self._send(400, {"error": "invalid_grant"})
            if _s256(form.get("code_verifier", "")) != challenge:
                return self._send(400, {"error": "invalid_grant", "error_description": "PKCE"})
            return self._send(200, self._issue())
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.state.refresh:
                return self._send(400, {"error": "invalid_grant", "error_description": "revoked"})
            token = self._issue()
            self.state.refresh.discard(token.pop("refresh_token"))  # like Google: no new one
            return self._send(200, token)
        self._send(400, {"error": "unsupported_grant_type"})

    # ---------------------------------------------------------- Google Calendar v3
    def _google(self, method: str, path: str, q: dict[str, str]) -> None:
        st = self.state
        if path == "freeBusy" and method == "POST":
            body = self._json()
            cal = body["items"][0]["id"]
            return self._send(200, {"calendars": {cal: {"busy": st.g_busy}}})
        parts = path.split("/")  # calendars/{id}/events[/{eventId}]
        if len(parts) >= 3 and parts[0] == "calendars" and parts[2] == "events":
            if len(parts) == 3 and method == "GET":
                return self._google_list(q)
            if len(parts) == 3 and method == "POST":
                body = self._json()
                ev = {**body, "id": secrets.token_hex(8), "status": "confirmed"}
                st.add_google_event(ev)
                return self._send(200, ev)
            event_id = parts[3]
            if event_id not in st.g_events or st.g_events[event_id].get("status") == "cancelled":
                return self._send(410 if method == "DELETE" else 404, {"error": {"code": 404}})
            if method == "PATCH":
                st.g_events[event_id].update(self._json())
                st.g_changed[event_id] = next(st.clock)
                return self._send(200, st.g_events[event_id])
            if method == "DELETE":
                st.g_events[event_id]["status"] = "cancelled"
                st.g_changed[event_id] = next(st.clock)
                return self._send(204)
        self._send(404, {"error": "unknown google path"})

    def _google_list(self, q: dict[str, str]) -> None:
        st = self.state
        token = q.get("syncToken")
        if token is not None and (token in st.dead_tokens or not token.startswith("g")):
            return self._send(
                410, {"error": {"code": 410, "message": "Sync token is no longer valid"}}
            )
        since = int(token[1:]) if token else 0
        ids = sorted((i for i, c in st.g_changed.items() if c > since), key=st.g_changed.get)
        if token is None:  # a full sync does not list deleted events
            ids = [i for i in ids if st.g_events[i].get("status") != "cancelled"]
        start = int(q.get("pageToken", "0"))
        page = ids[start : start + st.page_size]
        body: dict[str, Any] = {"items": [st.g_events[i] for i in page]}
        if start + st.page_size < len(ids):
            body["nextPageToken"] = str(start + st.page_size)
        else:
            body["nextSyncToken"] = f"g{max(st.g_changed.values(), default=0)}"
        self._send(200, body)

    # ---------------------------------------------------------- Microsoft Graph
    def _graph(self, method: str, path: str, q: dict[str, str]) -> None:
        st = self.state
        if path == "me/calendar/getSchedule" and method == "POST":
            body = self._json()
            return self._send(
                200,
                {"value": [{"scheduleId": body["schedules"][0], "scheduleItems": st.m_schedule}]},
            )
        if path == "me/events" and method == "POST":
            body = self._json()
            tx = body.get("transactionId")
            if tx and tx in st.transactions:
                return self._send(201, st.m_events[st.transactions[tx]])
            ev = {**body, "id": "AAMk" + secrets.token_hex(8)}
            st.add_graph_event(ev)
            if tx:
                st.transactions[tx] = ev["id"]
            return self._send(201, ev)
        if path.startswith("me/events/"):
            rest = path.removeprefix("me/events/").split("/")
            event_id = rest[0]
            if event_id not in st.m_events or st.m_events[event_id].get("isCancelled"):
                return self._send(404, {"error": {"code": "ErrorItemNotFound"}})
            if method == "PATCH":
                st.m_events[event_id].update(self._json())
                st.m_changed[event_id] = next(st.clock)
                return self._send(200, st.m_events[event_id])
            if method == "POST" and rest[1:] == ["cancel"]:
                st.m_events[event_id]["isCancelled"] = True
                st.m_changed[event_id] = next(st.clock)
                return self._send(202)
        if path == "me/calendarView/delta" and method == "GET":
            return self._graph_delta(q)
        self._send(404, {"error": "unknown graph path"})

    def _graph_delta(self, q: dict[str, str]) -> None:
        st = self.state
        token = q.get("$deltatoken")
        if token is not None and (token in st.dead_tokens or not token.startswith("d")):
            return self._send(410, {"error": {"code": "SyncStateNotFound", "message": "resync"}})
        if token is None and "$skiptoken" not in q and "startDateTime" not in q:
            return self._send(400, {"error": {"code": "ErrorInvalidParameter"}})
        since = int(q.get("since", token[1:] if token else "0"))
        ids = sorted((i for i, c in st.m_changed.items() if c > since), key=st.m_changed.get)
        start = int(q.get("$skiptoken", "0"))
        page = ids[start : start + st.page_size]
        items = []
        for i in page:
            ev = st.m_events[i]
            if ev.get("isCancelled"):
                items.append({"id": i, "@removed": {"reason": "deleted"}})
            else:
                items.append(ev)
        body: dict[str, Any] = {"value": items}
        base = f"{self.base}/v1.0/me/calendarView/delta"
        if start + st.page_size < len(ids):
            body["@odata.nextLink"] = (
                f"{base}?{urlencode({'$skiptoken': start + st.page_size, 'since': since})}"
            )
        else:
            latest = max(st.m_changed.values(), default=0)
            body["@odata.deltaLink"] = f"{base}?{urlencode({'$deltatoken': f'd{latest}'})}"
        self._send(200, body)


@dataclass
class Cloud:
    state: CloudState
    base: str

    def fail(self, prefix: str, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` requests under ``prefix`` with ``status``."""
        for _ in range(times):
            self.state.faults.append(Fault(prefix, status, headers))

    def settings(self, **extra: Any) -> dict[str, Any]:
        return {
            "client_id": self.state.client_id,
            "authorize_url": f"{self.base}/authorize",
            "token_url": f"{self.base}/token",
            **extra,
        }


@contextmanager
def start_cloud() -> Iterator[Cloud]:
    """Run the fake provider until the block ends."""
    state = CloudState()
    handler = type("Handler", (CloudHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_port}"
    handler.base = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Cloud(state, base)
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ Radicale
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Radicale:
    url: str
    username: str
    password: str


@contextmanager
def start_radicale(root: Path) -> Iterator[Radicale]:
    """Run Radicale (user ``mentor``, password ``secret``) storing under ``root``."""
    users = root / "users"
    users.write_text("mentor:secret\n")
    config = root / "config"
    port = _free_port()
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
        "[logging]\nlevel = warning\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError as exc:
                if proc.poll() is not None:
                    raise RuntimeError(
                        proc.stderr.read().decode() if proc.stderr else "radicale died"
                    ) from exc
                time.sleep(0.1)
        else:
            raise RuntimeError("radicale did not start in 20 s")
        yield Radicale(f"http://127.0.0.1:{port}/", "mentor", "secret")
    finally:
        proc.terminate()
        proc.wait(10)
