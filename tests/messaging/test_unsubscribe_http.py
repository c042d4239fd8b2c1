"""One-click unsubscribe (RFC 8058) over real HTTP: the server in this process, and the
same endpoint served by a real ``mentormatch worker --http`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from mentormatch_desktop.services import inbox, notifications
from mentormatch_desktop.storage.models import NotificationPreference
from mentormatch_desktop.unsubscribe_http import UnsubscribeServer
from mentormatch_desktop.worker import deliver_due

from .conftest import free_port

ONE_CLICK = b"List-Unsubscribe=One-Click"


def _request(url: str, data: bytes | None = None, content_type: str | None = None):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _email_disabled(engine, person_id: int) -> bool:
    with engine.connect() as c:
        row = c.execute(
            sa.select(NotificationPreference.enabled).where(
                NotificationPreference.person_id == person_id,
                NotificationPreference.channel == "email",
                NotificationPreference.topic == "new_message",
            )
        ).first()
    return row is not None and row.enabled is False


@pytest.fixture
def server(engine, host):
    srv = UnsubscribeServer(engine, ("127.0.0.1", 0), plugins=host).serve_in_thread()
    yield srv
    srv.close()


def test_unsubscribe_http_one_click_post_from_the_emails_link(
    engine, org, as_person, host, smtp, server, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_UNSUBSCRIBE_URL", server.url + "/u/{token}")
    with as_person(org["alan"]) as ctx:
        inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "hello")
    deliver_due(engine, host)
    (mail,) = smtp.messages
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith(server.url + "/u/")

    # A GET (a link scanner, a preview) shows a button and changes nothing.
    status, page = _request(link)
    assert status == 200 and 'method="post"' in page
    assert not _email_disabled(engine, org["ada"])
    # A POST without the RFC 8058 body is refused.
    assert _request(link, b"x=1", "application/x-www-form-urlencoded")[0] == 400
    assert not _email_disabled(engine, org["ada"])

    status, page = _request(link, ONE_CLICK, "application/x-www-form-urlencoded")
    assert status == 200 and "ada@example.org no longer receives" in page
    assert _email_disabled(engine, org["ada"])
    # Using it again is harmless; an unknown token is a 404 that changes nothing.
    assert _request(link, ONE_CLICK, "application/x-www-form-urlencoded")[0] == 200
    bogus = server.url + "/u/" + "x" * 43
    assert _request(bogus, ONE_CLICK, "application/x-www-form-urlencoded")[0] == 404
    assert _request(server.url + "/healthz") == (200, "ok\n")

    # The next message to Ada queues no e-mail.
    with as_person(org["alan"]) as ctx:
        sent = inbox.send_message(ctx, inbox.thread_with(ctx, org["ada"]).id, "again")
    assert sent.deliveries == 0 or deliver_due(engine, host).sent == 0


def test_unsubscribe_http_multipart_body_is_accepted(engine, org, as_person, server):
    """RFC 8058 allows multipart/form-data for the POST as well."""
    with as_person(org["ada"]) as ctx:
        token = notifications.unsubscribe_token(ctx, org["ada"], "email", "new_message")
    boundary = "----mm"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    ).encode()
    status, _ = _request(
        f"{server.url}/u/{token}", body, f"multipart/form-data; boundary={boundary}"
    )
    # The body names the field and its value on separate lines: accept that form too.
    assert status == 200
    assert _email_disabled(engine, org["ada"])


@pytest.mark.slow
def test_unsubscribe_http_served_by_a_real_worker_process(engine, db_url, org, as_person):
    with as_person(org["ada"]) as ctx:
        token = notifications.unsubscribe_token(ctx, org["ada"], "email", "new_message")
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "mentormatch_desktop.cli", "worker", "--database", db_url,
         "--poll", "0.5", "--http", f"127.0.0.1:{port}"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if _request(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and worker.poll() is None, "no HTTP endpoint"
            time.sleep(0.2)
        status, _ = _request(f"{base}/u/{token}", ONE_CLICK, "application/x-www-form-urlencoded")
        assert status == 200
        assert _email_disabled(engine, org["ada"])
        worker.terminate()
        worker.communicate(timeout=60)
        assert worker.returncode == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
