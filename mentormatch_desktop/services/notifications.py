"""Who is told about what, through which channel, and when.

A person chooses per channel and topic (``new_message``, ``announcement``,
``session_reminder``, ``feedback_request``) whether it reaches them; where they have not
chosen, their program's default applies (set by a coordinator), and where the program says
nothing, everything is on. A channel reaches a person only at an address: their
``contact_channels`` row (enabled), or for e-mail their directory address.

The same module decides *when* a delivery is first due: at once, or at the next hourly or
daily digest, and never inside the person's quiet hours — both in the person's own time
zone, read from ``contact_channels.settings`` (``{"digest": "daily", "digest_hour": 8,
"quiet_hours": ["22:00", "07:00"]}``).

Services here take a :class:`ServiceContext`, flush and never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    ContactChannel,
    NotificationPreference,
    Person,
    ProgramNotificationDefault,
    UnsubscribeToken,
)

TOPICS = ("new_message", "announcement", "session_reminder", "feedback_request")
DIGEST_MODES = ("immediately", "hourly", "daily")
ALL_TOPICS = "*"
DEFAULT_DIGEST_HOUR = 8


class MessagingError(FieldError):
    """A messaging request that cannot be done; ``field`` names the input at fault."""


def check_topic(topic: str) -> str:
    if topic not in TOPICS:
        raise MessagingError("topic", f"unknown topic {topic!r} (use {', '.join(TOPICS)})")
    return topic


def _check_channel(ctx: ServiceContext, channel: str) -> str:
    known = ctx.plugins.messaging_channels()
    if channel not in known:
        names = ", ".join(sorted(known)) or "none installed"
        raise MessagingError("channel", f"no messaging channel named {channel!r} ({names})")
    return channel


def _may_change(ctx: ServiceContext, person_id: int) -> None:
    if ctx.actor.person_id != person_id and not ctx.actor.is_coordinator:
        raise MessagingError(
            "person", "only the person themselves or a coordinator may change this"
        )


# ------------------------------------------------------------------ preferences
def set_preference(
    ctx: ServiceContext, person_id: int, channel: str, topic: str, enabled: bool
) -> None:
    """Turn ``topic`` through ``channel`` on or off for one person (overrides the program)."""
    _may_change(ctx, person_id)
    _check_channel(ctx, channel)
    topics = TOPICS if topic == ALL_TOPICS else (check_topic(topic),)
    for t in topics:
        row = ctx.session.get(NotificationPreference, (person_id, channel, t))
        if row is None:
            ctx.session.add(
                NotificationPreference(
                    person_id=person_id,
                    channel=channel,
                    topic=t,
                    enabled=enabled,
                    updated_at=ctx.now(),
                )
            )
        else:
            row.enabled, row.updated_at = enabled, ctx.now()
    ctx.session.flush()


def set_program_default(
    ctx: ServiceContext, program_id: int, channel: str, topic: str, enabled: bool
) -> None:
    """A coordinator's default for members of ``program_id`` who have not chosen."""
    if not ctx.actor.is_coordinator:
        raise MessagingError("program", "only a coordinator sets a program's defaults")
    _check_channel(ctx, channel)
    row = ctx.session.get(ProgramNotificationDefault, (program_id, channel, check_topic(topic)))
    if row is None:
        ctx.session.add(
            ProgramNotificationDefault(
                program_id=program_id, channel=channel, topic=topic, enabled=enabled
            )
        )
    else:
        row.enabled = enabled
    ctx.audit(
        "notifications.program_default",
        "program",
        program_id,
        {"channel": channel, "topic": topic, "enabled": enabled},
    )
    ctx.session.flush()


def set_delivery_settings(
    ctx: ServiceContext,
    person_id: int,
    channel: str,
    *,
    address: str | None = None,
    enabled: bool | None = None,
    digest: str | None = None,
    digest_hour: int | None = None,
    quiet_hours: tuple[str, str] | None = None,
) -> None:
    """Where and how ``channel`` reaches a person: address, digest mode, quiet hours."""
    _may_change(ctx, person_id)
    _check_channel(ctx, channel)
    if digest is not None and digest not in DIGEST_MODES:
        raise MessagingError("digest", f"unknown digest {digest!r} (use {', '.join(DIGEST_MODES)})")
    if digest_hour is not None and not 0 <= digest_hour <= 23:
        raise MessagingError("digest_hour", "the digest hour is 0–23")
    if quiet_hours is not None:
        for value in quiet_hours:
            _parse_clock(value)
    row = ctx.session.scalar(
        sa.select(ContactChannel).where(
            ContactChannel.person_id == person_id, ContactChannel.channel == channel
        )
    )
    if row is None:
        person = ctx.session.get(Person, person_id)
        if person is None:
            raise MessagingError("person", f"no person with id {person_id}")
        default = person.email if channel == "email" else None
        if not (address or default):
            raise MessagingError("address", f"an address is needed for {channel}")
        row = ContactChannel(
            person_id=person_id, channel=channel, address=address or default, settings={}
        )
        ctx.session.add(row)
    settings = dict(row.settings or {})
    if address is not None:
        row.address = address
    if enabled is not None:
        row.enabled = enabled
    if digest is not None:
        settings["digest"] = digest
    if digest_hour is not None:
        settings["digest_hour"] = digest_hour
    if quiet_hours is not None:
        settings["quiet_hours"] = list(quiet_hours)
    row.settings = settings
    ctx.session.flush()


@dataclass(frozen=True)
class Reach:
    """How one channel reaches one person: the address, their zone and delivery settings."""

    person_id: int
    channel: str
    address: str
    time_zone: str
    settings: dict[str, Any]


def reachable(
    ctx: ServiceContext,
    person_ids: Iterable[int],
    topic: str,
    *,
    program_id: int | None = None,
    channels: Iterable[str] | None = None,
) -> list[Reach]:
    """Every (person, channel) that ``topic`` should reach now, with its address.

    Bulk on purpose: an announcement to a 2,000-person program is four queries, not 8,000.
    """
    ids = sorted(set(person_ids))
    names = sorted(channels if channels is not None else ctx.plugins.messaging_channels())
    if not ids or not names:
        return []
    s = ctx.session
    people = dict(s.execute(sa.select(Person.id, Person.email).where(Person.id.in_(ids))).all())
    zones = dict(s.execute(sa.select(Person.id, Person.time_zone).where(Person.id.in_(ids))).all())
    contacts = {
        (c.person_id, c.channel): c
        for c in s.scalars(
            sa.select(ContactChannel).where(
                ContactChannel.person_id.in_(ids), ContactChannel.channel.in_(names)
            )
        )
    }
    chosen = {
        (p.person_id, p.channel): p.enabled
        for p in s.scalars(
            sa.select(NotificationPreference).where(
                NotificationPreference.person_id.in_(ids),
                NotificationPreference.topic == topic,
            )
        )
    }
    defaults: dict[str, bool] = {}
    if program_id is not None:
        defaults = dict(
            s.execute(
                sa.select(
                    ProgramNotificationDefault.channel, ProgramNotificationDefault.enabled
                ).where(
                    ProgramNotificationDefault.program_id == program_id,
                    ProgramNotificationDefault.topic == topic,
                )
            ).all()
        )
    out = []
    for pid in ids:
        if pid not in people:
            continue
        for channel in names:
            wanted = chosen.get((pid, channel), defaults.get(channel, True))
            contact = contacts.get((pid, channel))
            if contact is not None:
                address, on, settings = contact.address, contact.enabled, contact.settings or {}
            elif channel == "email":
                address, on, settings = people[pid], True, {}
            else:
                continue
            if wanted and on and address:
                out.append(Reach(pid, channel, address, zones.get(pid) or "UTC", dict(settings)))
    return out


# ------------------------------------------------------------------ timing
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse_clock(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise MessagingError("quiet_hours", f"{value!r} is not a time of day like 22:00") from None


def first_due(now: datetime, time_zone: str, settings: dict[str, Any]) -> datetime:
    """When a delivery queued at ``now`` may first go out, given digest and quiet hours.

    Computed in the person's own zone (a daily digest at 08:00 stays 08:00 across DST);
    returned in UTC.
    """
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    digest = settings.get("digest", "immediately")
    if digest == "hourly":
        local = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    elif digest == "daily":
        hour = int(settings.get("digest_hour", DEFAULT_DIGEST_HOUR))
        target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if target <= local:
            target = (local + timedelta(days=1)).replace(
                hour=hour, minute=0, second=0, microsecond=0
            )
        local = target
    quiet = settings.get("quiet_hours")
    if quiet:
        start, end = (_parse_clock(v) for v in quiet)
        clock = local.time().replace(tzinfo=None)
        inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
        if inside:
            day = local.date() if (start < end or clock < end) else local.date() + timedelta(1)
            local = datetime.combine(day, end, tzinfo=zone)
    return local.astimezone(now.tzinfo)


# ------------------------------------------------------------------ unsubscribe
def unsubscribe_token(
    ctx: ServiceContext, person_id: int, channel: str, topic: str = ALL_TOPICS
) -> str:
    """The token behind a one-click unsubscribe link (created once, reused after).

    Two workers may ask for the same person's token at once: the insert skips on conflict
    and the token that won is read back, so neither fails.
    """
    query = sa.select(UnsubscribeToken.token).where(
        UnsubscribeToken.person_id == person_id,
        UnsubscribeToken.channel == channel,
        UnsubscribeToken.topic == topic,
    )
    existing = ctx.session.scalar(query)
    if existing:
        return existing
    dialect = ctx.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    ctx.session.execute(
        insert(UnsubscribeToken)
        .values(
            token=secrets.token_urlsafe(32),
            person_id=person_id,
            channel=channel,
            topic=topic,
            created_at=ctx.now(),
        )
        .on_conflict_do_nothing()
    )
    token = ctx.session.scalar(query)
    assert token is not None
    return token


@dataclass(frozen=True)
class Unsubscribed:
    person_id: int
    email: str
    channel: str
    topics: tuple[str, ...]


def unsubscribe(ctx: ServiceContext, token: str) -> Unsubscribed:
    """Use an unsubscribe token: its topic (or every topic) stops reaching that channel.

    Needs no sign-in (whoever holds the link may use it, as with any mailing list); using a
    token twice is harmless.
    """
    row = ctx.session.get(UnsubscribeToken, token.strip())
    if row is None:
        raise MessagingError("token", "this unsubscribe link is not valid (mistyped or expired)")
    topics = TOPICS if row.topic == ALL_TOPICS else (row.topic,)
    for t in topics:
        pref = ctx.session.get(NotificationPreference, (row.person_id, row.channel, t))
        if pref is None:
            ctx.session.add(
                NotificationPreference(
                    person_id=row.person_id,
                    channel=row.channel,
                    topic=t,
                    enabled=False,
                    updated_at=ctx.now(),
                )
            )
        else:
            pref.enabled, pref.updated_at = False, ctx.now()
    row.used_at = ctx.now()
    ctx.audit(
        "notifications.unsubscribed",
        "person",
        row.person_id,
        {"channel": row.channel, "topics": list(topics)},
    )
    ctx.session.flush()
    person = ctx.session.get(Person, row.person_id)
    return Unsubscribed(row.person_id, person.email if person else "", row.channel, topics)
