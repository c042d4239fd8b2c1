"""Calendar connections: sync busy time in, publish sessions out, export ICS.

Connectors are plugins (``register_calendar_connectors``); this module is the only place
the app calls them, through ``ctx.plugins``. A sync replaces exactly what changed: with an
incremental result, busy blocks of the changed or removed events (matched by
``source_uid``) are dropped and the new ones written; with a full result, all of the
connection's blocks are replaced. A failure says what the user can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from mentormatch_desktop.domain.enums import MeetingStatus
from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarConnector,
    CalendarEvent,
    CalendarUnavailable,
)
from mentormatch_desktop.scheduling.ics import calendar_of
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.sessions import session_event, sessions_of
from mentormatch_desktop.storage.models import (
    BusyBlock,
    CalendarConnection,
    Meeting,
    MeetingAttendee,
    Person,
)


class CalendarError(RuntimeError):
    """A calendar step failed; the message is written for the person who owns the calendar."""


@dataclass(frozen=True)
class SyncSummary:
    connection_id: int
    full: bool
    written: int
    removed_events: int


def account_of(conn: CalendarConnection) -> CalendarAccount:
    return CalendarAccount(conn.provider, conn.account, dict(conn.settings), conn.secret_ref)


def _connector(ctx: ServiceContext, provider: str) -> CalendarConnector:
    found = ctx.plugins.calendar_connectors().get(provider)
    if found is None:
        raise CalendarError(f"no calendar connector named {provider!r} is installed")
    return found


def connect_calendar(
    ctx: ServiceContext,
    person_id: int,
    provider: str,
    account: str,
    *,
    settings: dict[str, Any] | None = None,
    secret_ref: str | None = None,
) -> int:
    """Record a connection (its secret is already in the keyring under ``secret_ref``)."""
    _connector(ctx, provider)
    if ctx.session.get(Person, person_id) is None:
        raise CalendarError(f"no person with id {person_id}")
    conn = CalendarConnection(
        person_id=person_id,
        provider=provider,
        account=account,
        settings=settings or {},
        secret_ref=secret_ref,
        sync_state={},
    )
    ctx.session.add(conn)
    ctx.session.flush()
    ctx.audit("calendar.connect", "calendar_connection", conn.id, {"provider": provider})
    return conn.id


def sync_calendar(ctx: ServiceContext, connection_id: int, *, weeks: int = 8) -> SyncSummary:
    """Bring the connection's busy blocks up to date with its calendar."""
    conn = ctx.session.get(CalendarConnection, connection_id)
    if conn is None:
        raise CalendarError(f"no calendar connection with id {connection_id}")
    connector = _connector(ctx, conn.provider)
    now = ctx.now()
    start, end = now - timedelta(days=1), now + timedelta(weeks=weeks)
    try:
        result = connector.sync(account_of(conn), dict(conn.sync_state or {}), start, end)
    except CalendarAuthError as exc:
        raise CalendarError(f"{conn.account}: {exc}. Reconnect your calendar.") from exc
    except CalendarUnavailable as exc:
        raise CalendarError(f"{conn.account}: {exc}. It will be tried again later.") from exc
    gone = set(result.removed) | {b.uid for b in result.busy}
    q = delete(BusyBlock).where(BusyBlock.connection_id == conn.id)
    if not result.full:
        q = q.where(BusyBlock.source_uid.in_(gone))
    if result.full or gone:
        ctx.session.execute(q)
    rows = [
        {
            "person_id": conn.person_id,
            "connection_id": conn.id,
            "starts_at": b.start,
            "ends_at": b.end,
            "source_uid": b.uid[:200] or None,
        }
        for b in result.busy
        if b.end > b.start
    ]
    if rows:
        ctx.session.execute(insert(BusyBlock), rows)
    conn.sync_state = dict(result.state)
    conn.last_synced_at = now
    conn.last_error = ""
    ctx.session.flush()
    return SyncSummary(conn.id, result.full, len(rows), len(set(result.removed)))


def contract_event(ctx: ServiceContext, meeting: Meeting) -> CalendarEvent:
    """The connector contract's view of a session."""
    ev = session_event(ctx, meeting)
    return CalendarEvent(
        uid=ev.uid,
        start=ev.start,
        end=ev.end,
        summary=ev.summary,
        description=ev.description,
        attendees=tuple(a.email for a in ev.attendees),
        rrule=ev.rrule,
        time_zone=ev.time_zone,
        location=ev.location,
        sequence=ev.sequence,
        organizer=ev.organizer.email if ev.organizer else None,
        attendee_status=tuple(a.partstat or "" for a in ev.attendees)
        if any(a.partstat for a in ev.attendees)
        else (),
    )


@dataclass
class PublishReport:
    published: dict[int, str] = field(default_factory=dict)  # connection id → event id
    cancelled: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)


def publish_session(ctx: ServiceContext, meeting_id: int) -> PublishReport:
    """Put a session into both sides' (a group session: every attendee's) connected
    calendars, update it, or cancel it there.

    Each connection fails on its own: one revoked token does not stop the other calendar.
    Event ids are kept in ``meetings.external_refs`` keyed by connection id.
    """
    meeting = ctx.session.get(Meeting, meeting_id)
    if meeting is None:
        raise CalendarError(f"no session with id {meeting_id}")
    declined: set[int] = set()
    if meeting.is_group:
        # A group session goes to every attendee's calendars; one who declined gets it
        # removed from theirs (the others keep it).
        answers = dict(
            ctx.session.execute(
                select(MeetingAttendee.person_id, MeetingAttendee.response).where(
                    MeetingAttendee.meeting_id == meeting.id
                )
            ).all()
        )
        people = list(answers)
        declined = {p for p, r in answers.items() if r == "declined"}
    else:
        ms = meeting.mentorship
        people = [ms.mentor_id, ms.mentee_id]
    conns = ctx.session.scalars(
        select(CalendarConnection).where(CalendarConnection.person_id.in_(people))
    ).all()
    event = contract_event(ctx, meeting)
    status = MeetingStatus(meeting.status)
    refs = dict(meeting.external_refs or {})
    report = PublishReport()
    for conn in conns:
        if conn.settings.get("publish", True) is False:
            continue
        key = str(conn.id)
        try:
            connector = _connector(ctx, conn.provider)
            account = account_of(conn)
            if (
                status in (MeetingStatus.CANCELLED, MeetingStatus.DECLINED)
                or conn.person_id in declined
            ):
                if key in refs:
                    connector.cancel_event(account, refs.pop(key), event)
                    report.cancelled.append(conn.id)
            elif status in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
                if key in refs:
                    refs[key] = connector.update_event(account, refs[key], event)
                else:
                    refs[key] = connector.publish_event(account, event)
                report.published[conn.id] = refs[key]
        except (CalendarAuthError, CalendarUnavailable, CalendarError, ValueError) as exc:
            report.failures[conn.id] = str(exc)
    meeting.external_refs = refs
    ctx.session.flush()
    return report


def export_sessions_ics(ctx: ServiceContext, person_id: int) -> bytes:
    """All of a person's proposed and booked sessions as one ``.ics`` (METHOD:PUBLISH)."""
    if ctx.session.get(Person, person_id) is None:
        raise CalendarError(f"no person with id {person_id}")
    keep = (MeetingStatus.PROPOSED, MeetingStatus.SCHEDULED, MeetingStatus.HELD)
    events = [
        session_event(ctx, m)
        for m in sessions_of(ctx, person_id)
        if MeetingStatus(m.status) in keep
    ]
    return calendar_of(events, "PUBLISH").to_ical()


# ------------------------------------------------------------------ periodic sync (worker)
SYNC_EVERY = timedelta(minutes=15)


def claim_due_syncs(
    ctx: ServiceContext, *, every: timedelta = SYNC_EVERY, limit: int = 20
) -> list[int]:
    """Claim connections not tried for ``every``; returns their ids (commit at once).

    The claim stamps ``last_attempt_at``, so a second worker skips them (PostgreSQL: ``FOR
    UPDATE SKIP LOCKED``; SQLite: the statement holds the write lock) and a calendar that
    keeps failing is tried once per period, not on every pass.
    """
    now = ctx.now()
    due = (
        select(CalendarConnection.id)
        .where(
            (CalendarConnection.last_attempt_at.is_(None))
            | (CalendarConnection.last_attempt_at <= now - every)
        )
        .order_by(CalendarConnection.last_attempt_at.is_not(None), CalendarConnection.id)
        .limit(limit)
    )
    if ctx.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = ctx.session.scalars(
        update(CalendarConnection)
        .where(CalendarConnection.id.in_(due.scalar_subquery()))
        .values(last_attempt_at=now)
        .returning(CalendarConnection.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(ids)


def record_sync_failure(ctx: ServiceContext, connection_id: int, error: str) -> None:
    """Keep why the last sync failed (shown with the connection: "reconnect your calendar")."""
    ctx.session.execute(
        update(CalendarConnection)
        .where(CalendarConnection.id == connection_id)
        .values(last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
