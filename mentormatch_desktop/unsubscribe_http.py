"""One-click unsubscribe over HTTP (RFC 8058), for the links in notification e-mails.

``mentormatch worker --http 127.0.0.1:8025`` serves it next to the delivery loop; put it
behind the organisation's HTTPS reverse proxy and set ``MENTORMATCH_UNSUBSCRIBE_URL`` to
``https://mentoring.example.org/u/{token}``. The e-mails then carry
``List-Unsubscribe: <https://…/u/TOKEN>`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click``, so a mail client's "Unsubscribe" button POSTs and is done.

- ``POST /u/TOKEN`` with the body ``List-Unsubscribe=One-Click`` (form-encoded or
  multipart, as RFC 8058 allows) uses the token: 200 and a short page; 404 for an unknown
  token; 400 without that body. No cookie, no sign-in, no redirect, as the RFC asks.
- ``GET /u/TOKEN`` only shows a page with a button that makes that same POST: a GET must
  never unsubscribe, because mail scanners and link previews fetch every link.
- ``GET /healthz`` answers ``ok`` (for the proxy's health check).

The tokens are the ones :func:`~mentormatch_desktop.services.notifications.unsubscribe_token`
creates; using one twice is harmless.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import notifications
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.notifications import MessagingError

log = logging.getLogger(__name__)

LINK_ACTOR = Actor(person_id=None, login="unsubscribe-link", role=AppRole.COORDINATOR)
_PATH = re.compile(r"^/u/([A-Za-z0-9_\-]{16,64})/?$")
_ONE_CLICK = re.compile(rb"(?:^|&)List-Unsubscribe=One-Click(?:&|\s*$)")
_ONE_CLICK_PART = re.compile(
    rb'name="?List-Unsubscribe"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n'
)


def is_one_click(body: bytes, content_type: str) -> bool:
    """Whether a POST body says ``List-Unsubscribe=One-Click`` (form-encoded or multipart)."""
    if content_type.lower().startswith("multipart/form-data"):
        return _ONE_CLICK_PART.search(body) is not None
    return _ONE_CLICK.search(body.strip()) is not None


MAX_BODY = 64 * 1024


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" '
        f'content="noindex"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;max-width:36em;margin:3em auto">'
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


class UnsubscribeServer(ThreadingHTTPServer):
    """The HTTP server; ``serve_in_thread()`` starts it, ``close()`` stops it."""

    daemon_threads = True

    def __init__(self, engine: Engine, address: tuple[str, int], plugins: Any = None) -> None:
        self.engine = engine
        self.plugins = plugins
        self.thread: threading.Thread | None = None
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_in_thread(self) -> UnsubscribeServer:
        self.thread = threading.Thread(
            target=self.serve_forever, name="unsubscribe-http", daemon=True
        )
        self.thread.start()
        return self

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)


def parse_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``PORT`` (loopback) → a socket address."""
    host, _, port = value.rpartition(":")
    try:
        return (host.strip("[]") or "127.0.0.1", int(port))
    except ValueError:
        raise ValueError(f"{value!r}: use HOST:PORT, e.g. 127.0.0.1:8025") from None


class _Handler(BaseHTTPRequestHandler):
    server: UnsubscribeServer
    server_version = "MentorMatch"
    sys_version = ""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The path holds the token, a credential: log the method and the outcome only.
        log.info("unsubscribe http %s %s", self.command, code)

    def log_message(self, fmt: str, *args: Any) -> None:
        log.warning("unsubscribe http: %s", fmt % args)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(HTTPStatus.OK, b"ok\n", "text/plain")
            return
        match = _PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._send(HTTPStatus.NOT_FOUND, _page("Not found", "<p>No such page.</p>"))
            return
        form = (
            f'<form method="post" action="/u/{match.group(1)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Stop these e-mails</button></form>'
        )
        self._send(
            HTTPStatus.OK,
            _page("Unsubscribe", "<p>Stop receiving these MentorMatch e-mails?</p>" + form),
        )

    def do_POST(self) -> None:
        match = _PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._send(HTTPStatus.NOT_FOUND, _page("Not found", "<p>No such page.</p>"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._send(HTTPStatus.BAD_REQUEST, _page("Bad request", "<p>Missing body.</p>"))
            return
        body = self.rfile.read(length)
        if not is_one_click(body, self.headers.get("Content-Type", "")):
            self._send(
                HTTPStatus.BAD_REQUEST,
                _page("Bad request", "<p>Expected List-Unsubscribe=One-Click.</p>"),
            )
            return
        try:
            with unit_of_work(
                self.server.engine, plugins=self.server.plugins, actor=LINK_ACTOR
            ) as ctx:
                done = notifications.unsubscribe(ctx, match.group(1))
        except MessagingError as exc:
            self._send(
                HTTPStatus.NOT_FOUND, _page("Link not valid", f"<p>{html.escape(str(exc))}</p>")
            )
            return
        except Exception:
            log.exception("unsubscribe failed")
            self._send(
                HTTPStatus.SERVICE_UNAVAILABLE,
                _page("Try again later", "<p>The request could not be recorded.</p>"),
            )
            return
        log.info("unsubscribed person %s from %s", done.person_id, done.channel,
                 extra={"person_id": done.person_id, "channel": done.channel})  # fmt: skip
        self._send(
            HTTPStatus.OK,
            _page(
                "Unsubscribed",
                f"<p>{html.escape(done.email)} no longer receives "
                f"{html.escape(', '.join(done.topics))} by {html.escape(done.channel)}.</p>"
                "<p>You can turn them on again in MentorMatch's notification settings.</p>",
            ),
        )
