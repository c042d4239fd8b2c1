"""Fixtures for messaging tests: a small organisation with one running mentorship."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import Actor, ServiceContext, unit_of_work
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Mentorship

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_smtp_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "MENTORMATCH_SMTP_URL",
        "MENTORMATCH_SMTP_PASSWORD",
        "MENTORMATCH_SMTP_FROM",
        "MENTORMATCH_SLACK_BOT_TOKEN",
        "MENTORMATCH_UNSUBSCRIBE_URL",
        "MENTORMATCH_THREAD_URL",
        "MENTORMATCH_TEAMS_WEBHOOK_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MENTORMATCH_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost().load()


@pytest.fixture
def org(engine: Engine, ui_seed) -> dict[str, int]:
    """Ada mentors Alan (a running mentorship); Grace, Mary, Zora are enrolled too."""
    ids = ui_seed.seed_small_org(engine)
    with transaction(engine) as s:
        m = Mentorship(
            program_id=ids["program"],
            mentor_id=ids["ada"],
            mentee_id=ids["alan"],
            started_at=NOW,
        )
        s.add(m)
        s.flush()
        ids["mentorship"] = m.id
    return ids


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


UnitOfWork = Callable[..., AbstractContextManager[ServiceContext]]


@pytest.fixture
def as_person(engine: Engine, host: PluginHost, clock: Clock) -> UnitOfWork:
    """``with as_person(pid) as ctx:`` one unit of work acting as that person."""

    def open_(
        person_id: int | None, role: AppRole = AppRole.PARTICIPANT
    ) -> Iterator[ServiceContext]:
        actor = Actor(person_id=person_id, login=None, role=role)
        return unit_of_work(engine, plugins=host, actor=actor, clock=clock)

    return open_


@pytest.fixture
def logins(org, engine: Engine, host, login_names: list[str]) -> Iterator[dict[str, Engine]]:
    """Ada, Alan, Mary and Zora each signed in through a participant login of their own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    from mentormatch_desktop.services.org import grant_login

    token = uuid.uuid4().hex[:8]
    engines: dict[str, Engine] = {}
    try:
        for name in ("ada", "alan", "mary", "zora"):
            login = f"mm_{name}_{token}"
            with unit_of_work(engine, plugins=host) as ctx:
                grant_login(ctx, f"{name}@example.org", "participant", login=login)
            login_names.append(login)
            url = make_url(engine.url).set(username=login, password=None)
            engines[name] = create_engine(url.render_as_string(False))
        yield engines
    finally:
        for e in engines.values():
            e.dispose()


# ---- a real SMTP server on loopback (aiosmtpd) -----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpRecorder:
    """An aiosmtpd server that keeps every e-mail it accepted; can be stopped and restarted."""

    def __init__(self, **controller_options: Any) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.delay = 0.0
        self.refuse: set[str] = set()
        self.logins: list[tuple[str, str]] = []
        self.options = controller_options
        self.controller: Any = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=default_policy
        )
        with self._lock:
            self.messages.append(msg)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: the server answers 535 itself on failure.
        return AuthResult(success=(login, password) == ("mentor-bot", "s3cret"), handled=False)

    def start(self) -> SmtpRecorder:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} e-mails arrived, expected {n}")
            time.sleep(0.02)


@pytest.fixture
def smtp_recorder_class() -> type[SmtpRecorder]:
    return SmtpRecorder


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, host: PluginHost) -> Iterator[SmtpRecorder]:
    """A running loopback SMTP server, set as MENTORMATCH_SMTP_URL."""
    server = SmtpRecorder().start()
    monkeypatch.setenv("MENTORMATCH_SMTP_URL", server.url)
    yield server
    host.messaging_channels()["email"].close()
    server.stop()


# ---- a local HTTP server speaking the Slack / Teams subset -----------------------------
class ChatServer:
    """Answers POSTs from a script of (status, headers, body, delay) and records requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str], str, float]] = []
        self.default: tuple[int, dict[str, str], str, float] = (200, {}, "ok", 0.0)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                recorder.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
                )
                status, headers, body, delay = (
                    recorder.script.pop(0) if recorder.script else recorder.default
                )
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    data = body.encode()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()
