"""The worker as a service: a real ``mentormatch worker`` process stops cleanly on SIGTERM
and SIGINT (exit 0, the delivery in flight recorded, the rest of its claim handed back),
logs JSON lines, and ``mentormatch worker --status`` reports it from the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.services import inbox
from mentormatch_desktop.storage.models import MessageDelivery
from mentormatch_desktop.worker import deliver_due

N = 30


def _cli(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop.cli", *args],
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def _start_worker(db_url: str, smtp_url: str) -> subprocess.Popen:
    env = {**os.environ, "MENTORMATCH_SMTP_URL": smtp_url}
    return subprocess.Popen(
        [sys.executable, "-m", "mentormatch_desktop.cli", "worker", "--database", db_url,
         "--batch", "25", "--poll", "0.2", "--log-format", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _status(db_url: str) -> tuple[int, dict]:
    done = _cli("worker", "--status", "--format", "json", "--database", db_url)
    return done.returncode, json.loads(done.stdout)


def _queue(as_person, org, n: int = N) -> None:
    with as_person(org["alan"]) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
        for k in range(n):
            inbox.send_message(ctx, tid, f"note {k}")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_worker_stops_cleanly_on_signal_and_status_reports_it(
    engine, db_url, org, as_person, host, smtp, sig
):
    _queue(as_person, org)
    smtp.delay = 1.0  # slow enough that the signal lands mid-batch, even on a busy machine
    worker = _start_worker(db_url, smtp.url)
    try:
        smtp.wait_for(3, timeout=120)
        # While it runs, --status (another process, reading the database) says so.
        deadline = time.monotonic() + 60
        while True:
            code, report = _status(db_url)
            if code == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert code == 0, report
        assert [w["state"] for w in report["workers"]] == ["running"]
        assert report["queue"]["pending"] > 0
        worker.send_signal(sig)
        _, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    sent_by_worker = len(smtp.messages)
    assert sent_by_worker < N, "the worker finished before the signal; the test proves nothing"

    # Structured logs: every line is a JSON object; the signal and the stop are logged.
    records = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {"ts", "level", "logger", "message"} <= set(records[0])
    events = [r.get("event") for r in records]
    assert "started" in events and events[-1] == "stopped"
    assert any(r.get("signal") == int(sig) for r in records)
    assert any("released" in r["message"] for r in records), "nothing claimed was handed back"

    # Nothing left reserved: every unsent row is due again now, with its attempt given back.
    now = datetime.now(UTC)
    with engine.connect() as c:
        rows = c.execute(
            sa.select(MessageDelivery.status, MessageDelivery.next_attempt_at,
                      MessageDelivery.attempts)
        ).all()  # fmt: skip
    sent = [r for r in rows if r.status == DeliveryStatus.SENT]
    assert len(sent) == sent_by_worker  # the delivery in flight was finished and recorded
    pending = [r for r in rows if r.status == DeliveryStatus.PENDING]
    assert len(pending) == N - sent_by_worker
    for r in pending:
        due = (
            r.next_attempt_at if r.next_attempt_at.tzinfo else r.next_attempt_at.replace(tzinfo=UTC)
        )
        assert due <= now + timedelta(seconds=1) and r.attempts == 0

    code, report = _status(db_url)
    assert code == 1  # no worker running now
    (w,) = report["workers"]
    assert w["state"] == "stopped" and w["last_success_at"] and not w["last_error"]
    assert w["totals"]["sent"] == sent_by_worker
    assert report["queue"]["pending"] == N - sent_by_worker

    # Another worker delivers the rest, once each.
    smtp.delay = 0.0
    stats = deliver_due(engine, host)
    assert stats.sent == N - sent_by_worker
    assert all(n == 1 for n in Counter(m["X-MentorMatch-Delivery"] for m in smtp.messages).values())
    assert len(smtp.messages) == N


def test_worker_status_without_any_worker_exits_1_and_reports_the_queue(db_url, org, as_person):
    _queue(as_person, org, 3)
    done = _cli("worker", "--status", "--database", db_url)
    assert done.returncode == 1
    assert "queue: 3 pending (3 due now" in done.stdout
    assert "no worker has run against this database lately" in done.stdout
