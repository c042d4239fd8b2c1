"""A real worker process SIGKILLed in the middle of a batch loses nothing; the only
duplicates are deliveries that were in flight, and they carry the same Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import DeliveryStatus
from mentormatch_desktop.services import inbox
from mentormatch_desktop.storage.models import MessageDelivery
from mentormatch_desktop.worker import deliver_due

N = 40


@pytest.mark.slow
def test_crash_sigkill_mid_batch_loses_nothing(
    engine, db_url, org, as_person, host, smtp, monkeypatch
):
    with as_person(org["alan"]) as ctx:  # the fixture clock is fixed: every row is due now
        tid = inbox.thread_with(ctx, org["ada"]).id
        for n in range(N):
            inbox.send_message(ctx, tid, f"note {n}")
    smtp.delay = 0.05  # each e-mail takes a moment, so the kill lands mid-batch
    env = {**os.environ, "MENTORMATCH_SMTP_URL": smtp.url}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mentormatch_desktop.cli",
            "worker",
            "--database",
            db_url,
            "--batch",
            "25",
            "--lease",
            "1",
            "--poll",
            "0.2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        smtp.wait_for(12, timeout=120)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    before = len(smtp.messages)
    assert before < N, "the worker finished before it was killed; the test proves nothing"
    with engine.connect() as c:
        sent_at_kill = c.scalar(
            sa.select(sa.func.count()).where(MessageDelivery.status == DeliveryStatus.SENT)
        )
    assert sent_at_kill <= before  # every row marked sent really went out

    time.sleep(1.2)  # the dead worker's lease runs out
    smtp.delay = 0.0
    stats = deliver_due(engine, host, lease=timedelta(seconds=30))
    assert stats.failed == 0 and stats.retrying == 0

    with engine.connect() as c:
        rows = c.execute(sa.select(MessageDelivery.idempotency_key, MessageDelivery.status)).all()
    assert {status for _, status in rows} == {DeliveryStatus.SENT}
    keys = Counter(m["X-MentorMatch-Delivery"] for m in smtp.messages)
    assert set(keys) == {key for key, _ in rows}  # nothing lost
    duplicated = [k for k, n in keys.items() if n > 1]
    assert len(duplicated) <= 1  # at most the one in flight when the kill came
    for key in duplicated:
        ids = {m["Message-ID"] for m in smtp.messages if m["X-MentorMatch-Delivery"] == key}
        assert len(ids) == 1
    assert len(smtp.messages) == N + len(duplicated)
