"""The outbox queue itself: claiming (SKIP LOCKED on PostgreSQL), leases, backoff, a channel
that raises, a channel that is missing."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop import hookimpl
from mentormatch_desktop.domain.enums import AppRole, DeliveryStatus
from mentormatch_desktop.plugin.contracts import Delivery, DeliveryResult
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox, notifications, outbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import MessageDelivery
from mentormatch_desktop.worker import WORKER_ACTOR, deliver_due


class Pigeon:
    """A third-party channel that records what it is given, or raises when told to."""

    name = "pigeon"
    label = "Carrier pigeon"

    def __init__(self) -> None:
        self.delivered: list[Delivery] = []
        self.explode = False

    def deliver(self, delivery: Delivery) -> DeliveryResult:
        if self.explode:
            raise RuntimeError("the pigeon flew into a window")
        self.delivered.append(delivery)
        return DeliveryResult(ok=True)


class PigeonPlugin:
    def __init__(self) -> None:
        self.channel = Pigeon()

    @hookimpl
    def register_messaging_channels(self) -> list[Pigeon]:
        return [self.channel]


@pytest.fixture
def pigeon_host() -> tuple[PluginHost, Pigeon]:
    host = PluginHost()
    plugin = PigeonPlugin()
    host.register(plugin, "pigeon-post")
    return host.load(), plugin.channel


def _pigeon_messages(engine, host, org, clock, n: int) -> None:
    with unit_of_work(engine, plugins=host, clock=clock) as ctx:
        notifications.set_delivery_settings(ctx, org["ada"], "pigeon", address="loft 7")
        notifications.set_preference(ctx, org["ada"], "email", "*", False)
    actor = Actor(person_id=org["alan"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(engine, plugins=host, actor=actor, clock=clock) as ctx:
        tid = inbox.thread_with(ctx, org["ada"]).id
        for k in range(n):
            inbox.send_message(ctx, tid, f"coo {k}")


def test_outbox_delivers_through_a_plugin_channel_with_its_settings(
    engine, org, clock, pigeon_host
):
    host, pigeon = pigeon_host
    _pigeon_messages(engine, host, org, clock, 2)
    assert deliver_due(engine, host, clock=clock).sent == 2
    first = pigeon.delivered[0]
    assert (first.recipient_address, first.recipient_name, first.topic) == (
        "loft 7",
        "Ada Lovelace",
        "new_message",
    )
    assert first.items[0].body == "coo 0" and first.items[0].sender_name == "Alan Turing"
    assert first.unsubscribe_token and first.attempt == 1


def test_outbox_channel_that_raises_is_contained_and_reported(engine, org, clock, pigeon_host):
    host, pigeon = pigeon_host
    _pigeon_messages(engine, host, org, clock, 2)
    pigeon.explode = True
    stats = deliver_due(engine, host, clock=clock)
    assert (stats.sent, stats.retrying) == (0, 2)
    info = next(p for p in host.plugins() if p.name == "pigeon-post")
    assert info.status == "failed" and "flew into a window" in info.error
    with engine.connect() as c:
        errors = list(c.scalars(sa.select(MessageDelivery.last_error)))
    assert "raised RuntimeError: the pigeon flew into a window" in errors[0]
    # The plugin is disabled for this process: later deliveries wait, naming why.
    assert "no messaging channel 'pigeon' available" in errors[1]
    assert "flew into a window" in errors[1]


def test_outbox_claims_are_disjoint_under_skip_locked(engine, org, clock, pigeon_host):
    if engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite runs one worker")
    host, _ = pigeon_host
    _pigeon_messages(engine, host, org, clock, 30)
    with unit_of_work(engine, plugins=host, actor=WORKER_ACTOR, clock=clock) as first:
        ids_a = set(outbox.claim(first, limit=20))
        # A second worker, while the first still holds its rows locked:
        with unit_of_work(engine, plugins=host, actor=WORKER_ACTOR, clock=clock) as second:
            ids_b = set(outbox.claim(second, limit=20))
    assert len(ids_a) == 20 and len(ids_b) == 10 and not ids_a & ids_b


def test_outbox_lease_returns_rows_of_a_worker_that_vanished(engine, org, clock, pigeon_host):
    host, pigeon = pigeon_host
    _pigeon_messages(engine, host, org, clock, 3)
    with unit_of_work(engine, plugins=host, actor=WORKER_ACTOR, clock=clock) as ctx:
        assert len(outbox.load(ctx, outbox.claim(ctx, lease=timedelta(minutes=2)))) == 3
    # ...and the worker died before sending anything.
    assert deliver_due(engine, host, clock=clock).sent == 0  # still leased
    clock.now += timedelta(minutes=2)
    assert deliver_due(engine, host, clock=clock).sent == 3
    assert [d.attempt for d in pigeon.delivered] == [2, 2, 2]


def test_outbox_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(1)
    for attempts in range(1, 6):
        full = outbox.BASE_DELAY * 2 ** (attempts - 1)
        delays = {outbox.backoff(attempts, rng) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays) and len(delays) > 1
    assert outbox.backoff(30, rng) <= outbox.MAX_DELAY


def test_outbox_counts_show_pending_work_without_a_worker(engine, org, clock, pigeon_host):
    host, _ = pigeon_host
    _pigeon_messages(engine, host, org, clock, 4)
    with unit_of_work(engine, plugins=host, clock=clock) as ctx:
        assert outbox.outbox_counts(ctx) == {DeliveryStatus.PENDING.value: 4}
