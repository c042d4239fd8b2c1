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

import threading
from collections.abc import Callable
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
    # iTIP PARTSTAT of each attendee, in the order of ``attendees`` (group sessions:
    # NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE); empty when not known (pair sessions).
    attendee_status: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class CalendarCredentials:
    """What an interactive sign-in produced, for the app to keep.

    ``secret`` is opaque text (an OAuth token as JSON, an app password…) that the app puts
    in the OS keyring under a fresh ``secret_ref``; the connector reads it back from there
    (service ``mentormatch-calendar``) in every later call. ``account`` optionally names
    who signed in (an e-mail address), for the app to show when the user typed no label.
    """

    secret: str
    account: str = ""


@runtime_checkable
class InteractiveSignIn(Protocol):
    """The optional sign-in step of a calendar connector (OAuth and the like).

    A connector that has an ``authorise`` method is connected by signing in rather than by
    typing a password: the app calls it off the GUI thread when the user presses
    "Sign in and connect", shows "waiting for you to sign in in your browser" with a
    Cancel button, and stores the returned credentials in the keyring.

    ``open_url(url)`` asks the app to open ``url`` in the user's browser (the desktop app
    hands it to the system browser from its GUI thread; it returns at once). ``cancel`` is
    set when the user gives up: stop waiting promptly (poll it, e.g. every 0.2 s) and
    raise; whatever comes back after a cancel is discarded. Raise
    :class:`CalendarAuthError` with a sentence for the user when the provider refuses
    (access denied, a forged answer) and ``ValueError`` for unusable ``settings``.
    """

    def authorise(
        self,
        settings: dict[str, Any],
        open_url: Callable[[str], object],
        cancel: threading.Event,
    ) -> CalendarCredentials: ...


def supports_sign_in(connector: object) -> bool:
    """Whether ``connector`` is connected through :class:`InteractiveSignIn`."""
    return callable(getattr(connector, "authorise", None))


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
class Attachment:
    """A file that goes with a message, e.g. a session's ICS invitation.

    ``content_type`` is the full MIME type with parameters
    (``text/calendar; method=REQUEST``); channels that cannot carry files ignore it.
    """

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DeliveryItem:
    """One message inside a delivery (a digest carries several)."""

    message_id: int
    thread_id: int
    thread_subject: str
    sender_name: str
    body: str
    sent_at: datetime
    idempotency_key: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """What the outbox hands a channel: one recipient, one or more messages.

    ``idempotency_key`` is the same on every retry of this delivery (for a digest it is
    derived from its items' keys); a channel that can, passes it on (e-mail derives its
    ``Message-ID`` from it) so a retry after a crash is recognisable as the same send.
    ``settings`` are the recipient's settings for this channel (digest, quiet hours…).
    ``thread_url`` links back to the conversation when the deployment has a web address
    for it; ``unsubscribe_url`` is the one-click opt-out for this topic and channel.
    """

    idempotency_key: str
    channel: str
    topic: str
    recipient_id: int
    recipient_address: str
    recipient_name: str
    recipient_time_zone: str
    items: tuple[DeliveryItem, ...]
    attempt: int = 1
    settings: dict[str, Any] = field(default_factory=dict)
    thread_url: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_token: str | None = None

    @property
    def is_digest(self) -> bool:
        return len(self.items) > 1

    @property
    def subject(self) -> str:
        """A subject line for the whole delivery."""
        if self.is_digest:
            threads = {i.thread_id for i in self.items}
            return f"{len(self.items)} new messages in {len(threads)} conversation(s)"
        item = self.items[0]
        return item.thread_subject or f"Message from {item.sender_name}"

    @property
    def thread_id(self) -> int:
        return self.items[0].thread_id


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel reports about one delivery.

    ``ok`` True: delivered. ``ok`` False with ``retry`` True: a temporary failure, try again
    later (after ``retry_after`` seconds when the service said so, e.g. HTTP 429). ``ok``
    False with ``retry`` False: it can never work (bad address, revoked token): the
    delivery becomes a dead letter at once, with ``detail`` kept for the coordinator.
    """

    ok: bool
    retry: bool = False
    detail: str = ""
    retry_after: float | None = None


@runtime_checkable
class MessagingChannel(Protocol):
    """Delivers queued messages (e-mail, chat…) after their transaction has committed.

    ``deliver`` is called from the outbox worker, one call per delivery, never twice at
    once for the same key; it may block on the network (with a timeout) and should report
    failures as a :class:`DeliveryResult` rather than raise (an exception is caught,
    recorded as a retryable failure, and disables a third-party plugin). A channel whose
    ``digest`` attribute is True accepts several items in one delivery (hourly/daily
    digests); other channels always receive one item per delivery.
    """

    name: str
    label: str

    def deliver(self, delivery: Delivery) -> DeliveryResult: ...
