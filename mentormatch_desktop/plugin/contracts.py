"""The protocols plugin objects satisfy, and the small value types they exchange.

These are structural (``typing.Protocol``): a plugin needs no base class, only the named
attributes and methods. The host checks the attributes when it loads a plugin, so a
misshapen object is reported at start-up rather than failing deep inside a matching run.

The matching protocols (``MatchCriterion``, ``MatchStrategy``) speak in cohorts and problems,
so they live with them in :mod:`mentormatch_desktop.matching.contracts`; this module sits
below ``matching`` and must not import it. Plugin authors get both from
:mod:`mentormatch_desktop.plugin.api`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class BusyPeriod:
    """A time range in which a person cannot meet (UTC-aware datetimes)."""

    start: datetime
    end: datetime
    summary: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """A mentoring session as a calendar connector writes it."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    attendees: tuple[str, ...] = ()
    rrule: str | None = None


@dataclass(frozen=True)
class CalendarAccount:
    """Where a calendar lives; secrets are looked up in the keyring by ``secret_ref``."""

    provider: str
    account: str
    settings: dict[str, Any] = field(default_factory=dict)
    secret_ref: str | None = None


@runtime_checkable
class CalendarConnector(Protocol):
    """Reads busy time from, and writes sessions to, one kind of calendar."""

    name: str
    label: str

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]: ...

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str: ...


@dataclass(frozen=True)
class Delivery:
    """One queued delivery of a message to one recipient through one channel."""

    idempotency_key: str
    channel: str
    recipient_address: str
    recipient_name: str
    sender_name: str
    subject: str
    body: str
    thread_id: int
    message_id: int


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel reports: ``ok`` False with ``retry`` True means try again later."""

    ok: bool
    retry: bool = False
    detail: str = ""


@runtime_checkable
class MessagingChannel(Protocol):
    """Delivers queued messages (in-app, e-mail, chat…)."""

    name: str
    label: str

    def deliver(self, delivery: Delivery) -> DeliveryResult: ...
