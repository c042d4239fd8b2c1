"""One way to write dates and times everywhere in the app ("12 Mar 2026", "12 Mar 2026 14:05").

Screens used to mix "86 days ago" with dates and ISO strings; every screen now formats
through these helpers so a coordinator reads one format, with relative wording only as
an addition ("12 Mar 2026 · 86 days ago").
"""

from __future__ import annotations

from datetime import date, datetime

MISSING = "—"


def format_date(value: date | datetime | None) -> str:
    """``7 Mar 2026``; a dash for nothing."""
    return f"{value.day} {value:%b %Y}" if value is not None else MISSING


def format_datetime(value: datetime | None) -> str:
    """``7 Mar 2026 14:05`` (in the time the value carries); a dash for nothing."""
    return f"{format_date(value)} {value:%H:%M}" if value is not None else MISSING


def days_ago(days: int | None) -> str:
    """``today``, ``yesterday``, ``86 days ago``; empty for unknown."""
    if days is None:
        return ""
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``1 session`` / ``3 sessions``: never ``session(s)``."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n:,} {word}"


def pair_sides(peer: bool | None) -> tuple[str, str]:
    """What the two people of a pair are called: ``("Mentee", "Mentor")``, in a peer
    program ``("Peer A", "Peer B")`` (nobody mentors anybody there), and when a list mixes
    both kinds (``None``) ``("Mentee / Peer A", "Mentor / Peer B")``."""
    if peer is None:
        return "Mentee / Peer A", "Mentor / Peer B"
    return ("Peer A", "Peer B") if peer else ("Mentee", "Mentor")
