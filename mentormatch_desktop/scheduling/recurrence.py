"""Standing sessions: RFC 5545 recurrence anchored in one zone's wall clock.

A weekly session at 17:00 Berlin recurs at 17:00 Berlin whatever the other side's clocks do:
``dateutil.rrule`` steps the *wall time* of an aware ``dtstart``, and each occurrence is
then resolved to an instant with :func:`.zones.resolve_local`, which flags a wall time that
falls into a DST gap or fold instead of silently moving it. Expanding calendars read from
ICS files (which carry their own RRULE/EXDATE/RDATE and overridden instances) is left to
``recurring-ical-events``; we do not write our own recurrence engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr

from mentormatch_desktop.scheduling.zones import LocalStatus, resolve_local, zone


class RecurrenceError(ValueError):
    """An RRULE that cannot be read, with the rule quoted."""


@dataclass(frozen=True)
class Occurrence:
    """One instance of a series: its UTC instants, its wall time, and any DST remark."""

    start: datetime  # aware UTC
    end: datetime
    wall: datetime  # naive wall time in the series' zone
    status: LocalStatus
    note: str | None


def parse_rrule(rule: str, dtstart: datetime) -> object:
    """A ``dateutil`` rule set for ``rule`` (with or without the ``RRULE:`` prefix).

    ``dtstart`` is aware in the series' zone: dateutil then steps its wall time, and a
    UTC ``UNTIL`` (what RFC 5545 requires for zoned series) compares correctly. A floating
    ``UNTIL`` written by a sloppy client is accepted by retrying on naive wall times.
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    try:
        try:
            return rrulestr(text, dtstart=dtstart, forceset=True)
        except ValueError as exc:
            if "UNTIL" not in str(exc):
                raise
            tz = dtstart.tzinfo
            naive = rrulestr(text, dtstart=dtstart.replace(tzinfo=None), forceset=True)
            return _Localised(naive, tz)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"cannot read recurrence rule {rule!r}: {exc}") from exc


class _Localised:
    """A naive rule set whose ``between`` takes and returns wall times in one zone."""

    def __init__(self, ruleset: object, tz: object) -> None:
        self.ruleset, self.tz = ruleset, tz

    def between(self, lo: datetime, hi: datetime, inc: bool = False) -> list[datetime]:
        naive = self.ruleset.between(  # type: ignore[attr-defined]
            lo.replace(tzinfo=None), hi.replace(tzinfo=None), inc=inc
        )
        return [d.replace(tzinfo=self.tz) for d in naive]


def occurrences(
    first_start: datetime,
    duration: timedelta,
    rule: str | None,
    time_zone: str,
    window_start: datetime,
    window_end: datetime,
) -> Iterator[Occurrence]:
    """Instances of a series overlapping ``window_start``..``window_end`` (aware datetimes).

    ``first_start`` is the first instance (any aware datetime); the series repeats at its
    wall time in ``time_zone``. Without a ``rule`` the single instance is yielded if it
    overlaps the window.
    """
    tz = zone(time_zone)
    local0 = first_start.astimezone(tz)
    if not rule:
        walls: Iterator[datetime] = iter([local0.replace(tzinfo=None)])
    else:
        ruleset = parse_rrule(rule, local0)
        # Pad the window by a day each side: wall-time arithmetic may be off by an offset.
        lo = window_start.astimezone(tz) - duration - timedelta(days=1)
        hi = window_end.astimezone(tz) + timedelta(days=1)
        found = ruleset.between(lo, hi, inc=True)  # type: ignore[attr-defined]
        walls = (d.replace(tzinfo=None) for d in found)
    for wall in walls:
        resolved = resolve_local(wall, time_zone)
        start = resolved.instant
        end = start + duration
        if end <= window_start.astimezone(UTC) or start >= window_end.astimezone(UTC):
            continue
        yield Occurrence(start, end, wall, resolved.status, resolved.note)


def weekly_rule(count: int | None = None, interval: int = 1, until: datetime | None = None) -> str:
    """A weekly RRULE string (the standing-session case), validated by parsing it."""
    if interval < 1:
        raise RecurrenceError(f"interval must be at least 1, not {interval}")
    parts = ["FREQ=WEEKLY"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if count is not None:
        if count < 1:
            raise RecurrenceError(f"count must be at least 1, not {count}")
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append("UNTIL=" + until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)
