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
    """A time range in which a person cannot meet (aware datetimes, compared in UTC).

    ``uid`` names the calendar event it came from (all instances of a recurring event share
    it), so an incremental sync can replace or drop exactly that event's busy time.
    """

    start: datetime
    end: datetime
    summary: str = ""
    uid: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """A mentoring session as a connector writes it.

    ``time_zone`` is the IANA zone the session recurs in (a weekly 17:00 Berlin session
    stays at 17:00 Berlin); connectors write start and end in that zone. ``uid`` is stable
    for the life of the session and ``sequence`` grows with every change (iTIP), so an
    update replaces the event instead of adding another.
    """

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    attendees: tuple[str, ...] = ()
    rrule: str | None = None
    time_zone: str = "UTC"
    location: str = ""
    sequence: int = 0
    organizer: str | None = None


@dataclass(frozen=True)
class CalendarAccount:
    """Where a calendar lives; secrets are looked up in the keyring by ``secret_ref``."""

    provider: str
    account: str
    settings: dict[str, Any] = field(default_factory=dict)
    secret_ref: str | None = None


@dataclass(frozen=True)
class SyncResult:
    """What changed in a calendar since the state a connector was given.

    ``busy`` holds the current busy periods of every event that is new or changed (all its
    instances); ``removed`` the uids of events that are gone or became free. With ``full``
    the connector could not sync incrementally (first sync, or the server invalidated the
    token): the caller replaces all busy time of the connection by ``busy``. ``state`` is
    opaque to the app and handed back on the next call (a sync token, a delta link…).
    """

    busy: list[BusyPeriod]
    removed: list[str]
    state: dict[str, Any]
    full: bool = False


class CalendarAuthError(RuntimeError):
    """The calendar refused our credentials for good: the user must reconnect it."""


class CalendarUnavailable(RuntimeError):
    """The calendar could not be reached or kept failing; try again later."""


@runtime_checkable
class CalendarConnector(Protocol):
    """Reads busy time from, and writes sessions to, one kind of calendar.

    ``publish_event`` returns the provider's id for the event; the app stores it on the
    session and passes it to ``update_event`` and ``cancel_event``. Connectors raise
    :class:`CalendarAuthError` when the user must reconnect and :class:`CalendarUnavailable`
    for failures worth retrying; both carry a sentence the app shows as is.
    """

    name: str
    label: str

    def busy_periods(
        self, account: CalendarAccount, start: datetime, end: datetime
    ) -> list[BusyPeriod]: ...

    def publish_event(self, account: CalendarAccount, event: CalendarEvent) -> str: ...

    def update_event(
        self, account: CalendarAccount, event_id: str, event: CalendarEvent
    ) -> str: ...

    def cancel_event(
        self, account: CalendarAccount, event_id: str, event: CalendarEvent
    ) -> None: ...

    def sync(
        self, account: CalendarAccount, state: dict[str, Any], start: datetime, end: datetime
    ) -> SyncResult: ...


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
