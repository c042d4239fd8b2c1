"""The e-mail channel against a real SMTP server on loopback (aiosmtpd): headers, multipart,
outage and recovery, STARTTLS with authentication, digests, refusals."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, DeliveryStatus
from mentormatch_desktop.services import inbox, notifications, outbox
from mentormatch_desktop.storage.models import MessageDelivery
from mentormatch_desktop.worker import deliver_due
from mentormatch_plugins.messaging.mail import message_id, thread_reference


def _rows(engine) -> list:
    with engine.connect() as c:
        return c.execute(sa.select(MessageDelivery).order_by(MessageDelivery.id)).all()


def _write(as_person, org, texts, sender="alan", to="ada"):
    with as_person(org[sender]) as ctx:
        tid = inbox.thread_with(ctx, org[to]).id
        return tid, [inbox.send_message(ctx, tid, t).message_id for t in texts]


def test_smtp_sends_multipart_with_stable_message_id_and_thread_headers(
    engine, org, as_person, host, smtp, clock, monkeypatch
):
    monkeypatch.setenv("MENTORMATCH_UNSUBSCRIBE_URL", "https://mentoring.example.org/u/{token}")
    monkeypatch.setenv("MENTORMATCH_THREAD_URL", "https://mentoring.example.org/t/{thread_id}")
    tid, _ = _write(as_person, org, ["Hello Ada,\nsee https://example.org/plan <b>now</b>", "2nd"])
    stats = deliver_due(engine, host, clock=clock)
    assert (stats.sent, stats.retrying, stats.failed) == (2, 0, 0)
    rows = _rows(engine)
    assert all(r.status == DeliveryStatus.SENT and r.sent_at == clock.now for r in rows)
    first, second = smtp.messages
    assert first["To"] == "Ada Lovelace <ada@example.org>"
    assert first["Message-ID"] == message_id(rows[0].idempotency_key, "127.0.0.1")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["In-Reply-To"] == first["References"] == thread_reference(tid, "127.0.0.1")
    assert second["References"] == first["References"]  # one thread in the mail client
    assert first["List-Unsubscribe"].strip().startswith("<https://mentoring.example.org/u/")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    assert "Alan Turing wrote" in text and "see https://example.org/plan <b>now</b>" in text
    assert '<a href="https://example.org/plan">' in html and "&lt;b&gt;now" in html
    assert "https://mentoring.example.org/t/" in html


def test_smtp_outage_then_everything_is_delivered_once(engine, org, as_person, host, smtp, clock):
    smtp.stop()
    _write(as_person, org, [f"message {n}" for n in range(5)])
    for attempt in range(3):  # down for a while: every pass fails and backs off
        if attempt:
            clock.now += timedelta(hours=2)
        stats = deliver_due(engine, host, clock=clock)
        assert (stats.sent, stats.retrying) == (0, 5)
    rows = _rows(engine)
    assert all(r.status == DeliveryStatus.PENDING and r.attempts == 3 for r in rows)
    assert all("Connection refused" in r.last_error or "Errno" in r.last_error for r in rows)
    smtp.start()
    assert deliver_due(engine, host, clock=clock).sent == 0  # backed off: not due yet
    clock.now += timedelta(hours=6)
    assert deliver_due(engine, host, clock=clock).sent == 5
    bodies = [m.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in smtp.messages]
    assert len(bodies) == 5
    assert all(sum(f"\n\nmessage {n}\n" in b for b in bodies) == 1 for n in range(5))
    assert all(r.status == DeliveryStatus.SENT and r.last_error == "" for r in _rows(engine))
    clock.now += timedelta(days=1)
    assert deliver_due(engine, host, clock=clock).sent == 0  # nothing sent twice


def test_outbox_dead_letter_after_max_attempts_keeps_the_error(
    engine, org, as_person, host, smtp, clock
):
    smtp.stop()
    _write(as_person, org, ["doomed"])
    for _ in range(3):
        deliver_due(engine, host, clock=clock, max_attempts=3)
        clock.now += timedelta(hours=7)
    [row] = _rows(engine)
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error.startswith("gave up after 3 attempts: SMTP 127.0.0.1")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        [dead] = outbox.dead_letters(ctx)
        assert (dead.recipient, dead.attempts) == ("ada@example.org", 3)
        assert outbox.retry_dead_letters(ctx, [dead.id]) == 1
    smtp.start()
    assert deliver_due(engine, host, clock=clock).sent == 1
    with as_person(org["alan"]) as ctx, pytest.raises(notifications.MessagingError):
        outbox.dead_letters(ctx)


def test_smtp_refused_recipient_is_a_dead_letter_at_once(engine, org, as_person, host, smtp, clock):
    smtp.refuse.add("ada@example.org")
    _write(as_person, org, ["hi"])
    assert deliver_due(engine, host, clock=clock).failed == 1
    [row] = _rows(engine)
    assert row.status == DeliveryStatus.DEAD and "550" in row.last_error


def test_smtp_daily_digest_sends_one_email_at_the_persons_morning(
    engine, org, as_person, host, smtp, clock
):
    with as_person(org["ada"]) as ctx:  # Ada lives in London; clock is 12:00 UTC = 13:00 BST
        notifications.set_delivery_settings(ctx, org["ada"], "email", digest="daily")
    _write(as_person, org, ["one", "two", "three"])
    assert deliver_due(engine, host, clock=clock).sent == 0
    clock.now += timedelta(hours=18, minutes=59)  # 06:59 UTC = 07:59 BST: not yet
    assert deliver_due(engine, host, clock=clock).sent == 0
    clock.now += timedelta(minutes=1)  # 08:00 in London
    stats = deliver_due(engine, host, clock=clock)
    assert stats.sent == 3 and len(smtp.messages) == 1
    [digest] = smtp.messages
    assert digest["Subject"] == "3 new messages in 1 conversation(s)"
    body = digest.get_body(("plain",)).get_content()
    assert body.index("one") < body.index("two") < body.index("three")
    assert "In-Reply-To" not in digest


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_smtp_starttls_with_authentication(
    engine, org, as_person, host, clock, tmp_path, monkeypatch, smtp_recorder_class
):
    SmtpRecorder = smtp_recorder_class
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpRecorder(tls_context=context, require_starttls=True, auth_required=True)
    server.options["authenticator"] = server.authenticate
    server.start()
    try:
        monkeypatch.setenv("MENTORMATCH_SMTP_URL", f"smtp://mentor-bot@127.0.0.1:{server.port}")
        monkeypatch.setenv("MENTORMATCH_SMTP_CA_FILE", str(cert))
        monkeypatch.setenv("MENTORMATCH_SMTP_PASSWORD", "wrong")
        _write(as_person, org, ["secret plans"])
        stats = deliver_due(engine, host, clock=clock)
        assert stats.retrying == 1 and "535" in stats.errors[0]
        monkeypatch.setenv("MENTORMATCH_SMTP_PASSWORD", "s3cret")
        clock.now += timedelta(hours=1)
        assert deliver_due(engine, host, clock=clock).sent == 1
        assert server.logins[-1] == ("mentor-bot", "s3cret") and len(server.messages) == 1
    finally:
        host.messaging_channels()["email"].close()
        server.stop()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_smtp_a_changed_setting_counts_from_the_next_email_on_a_kept_connection(
    engine, org, as_person, host, smtp, clock, monkeypatch
):
    # The channel reuses its resolved settings while a connection is open, but only as long
    # as the environment and the config table they came from are unchanged.
    _write(as_person, org, ["first"])
    assert deliver_due(engine, host, clock=clock).sent == 1
    monkeypatch.setenv("MENTORMATCH_SMTP_FROM", "Mentoring Office <office@example.org>")
    _write(as_person, org, ["second"])
    assert deliver_due(engine, host, clock=clock).sent == 1
    first, second = smtp.messages
    assert first["From"] == "MentorMatch <mentormatch@127.0.0.1>"
    assert second["From"] == "Mentoring Office <office@example.org>"
    assert second["Message-ID"].endswith("@example.org>")
