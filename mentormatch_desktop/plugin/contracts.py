"""The protocols plugin objects satisfy, and the small value types they exchange.

These are structural (``typing.Protocol``): a plugin needs no base class, only the named
attributes and methods. The host checks the attributes when it loads a plugin, so a
misshapen object is reported at start-up rather than failing deep inside a matching run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from mentormatch_desktop.domain.progress import CancelToken, Progress
    from mentormatch_desktop.matching.cohort import Cohort
    from mentormatch_desktop.matching.problem import MatchProblem, MatchSolution


@runtime_checkable
class MatchCriterion(Protocol):
    """One scoring criterion, e.g. skill fit or common availability.

    ``compute`` returns a ``float32`` array of shape ``(n_mentees, n_mentors)`` with values
    in [0, 1] (for peer programs both axes are the same pool). It must be vectorised over
    the cohort: no Python loop per pair. ``explain`` turns one pair's value into a short
    phrase a coordinator reads at a glance ("Teaches 3 of your 4 target skills: …"), or
    ``None`` when the criterion has nothing worth saying for that pair.
    """

    name: str
    label: str
    description: str
    default_weight: float

    def compute(self, cohort: Cohort) -> np.ndarray: ...

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None: ...


@runtime_checkable
class MatchStrategy(Protocol):
    """A solver that turns a scored problem into assignments.

    ``kinds`` names the program kinds it can solve (``"one_to_one"``, ``"group"``,
    ``"peer"``). ``solve`` must honour every constraint in the problem it claims to
    support, check ``cancel`` between steps, and report ``progress``. It returns a
    solution whose ``status`` says whether the answer is proven optimal.
    """

    name: str
    label: str
    description: str
    kinds: frozenset[str]

    def solve(
        self,
        problem: MatchProblem,
        *,
        time_limit: float | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> MatchSolution: ...


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
