"""Participant profile rules shared by the file import and the profile editor.

Everything here is pure (no database): each ``parse_*`` function turns the text a user
typed into a value or raises :class:`FieldProblem` with a message fit to show next to the
field. :func:`validate_record` applies them to a whole row; file-level checks (columns,
duplicates) live in :func:`validate_table`. Problems are collected, never raised one at a
time, so a user sees every mistake in a file at once.

The column format is documented in ``docs/import-format.md``.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from email_validator import EmailNotValidError, validate_email

# ---- errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRowError:
    """One problem in an input: ``file:row:field: message`` (row 1 is the header row)."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.field:
            where += f":{self.field}"
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    """Raised with every problem found; nothing has been written when it is raised."""

    def __init__(self, errors: Sequence[ImportRowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class FieldProblem(ValueError):
    """A single field's value is not acceptable; the message says why and what would be."""


# ---- columns --------------------------------------------------------------------------

COLUMNS = (
    "external_id",
    "email",
    "full_name",
    "title",
    "department",
    "manager_email",
    "time_zone",
    "languages",
    "role",
    "capacity",
    "cohort",
    "teaches",
    "learns",
    "goals",
    "availability",
    "bio",
    "must_not_match",
)
REQUIRED_COLUMNS = ("email", "full_name", "time_zone")
PROGRAM_COLUMNS = ("role", "capacity", "cohort")
ROLES = ("mentor", "mentee", "peer")
LANGUAGE_LEVELS = ("native", "fluent", "working")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GOAL_SEPARATOR = " | "
LIST_SEPARATOR = ";"
LIMITS = {
    "external_id": 64,
    "full_name": 200,
    "title": 120,
    "department": 120,
    "cohort": 40,
    "bio": 255,
    "goal": 255,
}


# ---- single fields --------------------------------------------------------------------


def parse_email(text: str) -> str:
    """A syntactically valid address, normalised (domain lower-cased); no DNS lookups."""
    if not text:
        raise FieldProblem("an e-mail address is required")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldProblem(f"{text!r} is not a valid e-mail address: {exc}") from exc


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse_time_zone(text: str) -> str:
    if not text:
        raise FieldProblem("a time zone is required (IANA name such as Europe/Berlin)")
    if text in _zones():
        return text
    close = difflib.get_close_matches(text, sorted(_zones()), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise FieldProblem(f"unknown IANA time zone {text!r}{hint}")


def _split(text: str, separator: str = LIST_SEPARATOR) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def parse_skill_levels(text: str, default_level: int = 3) -> dict[str, int]:
    """``"SQL:4; Leadership:3"`` → {"SQL": 4, "Leadership": 3}; a missing level is 3."""
    result: dict[str, int] = {}
    seen: set[str] = set()
    for item in _split(text):
        label, sep, level_text = item.rpartition(":")
        if not sep:
            label, level = item, default_level
        else:
            label = label.strip()
            try:
                level = int(level_text.strip())
            except ValueError:
                raise FieldProblem(
                    f"level {level_text.strip()!r} of {label!r} must be a whole number from 1 to 5"
                ) from None
            if not 1 <= level <= 5:
                raise FieldProblem(f"level {level} of {label!r} must be from 1 to 5")
        if not label:
            raise FieldProblem(f"{item!r} has no skill name before the level")
        if label.lower() in seen:
            raise FieldProblem(f"skill {label!r} is listed twice")
        seen.add(label.lower())
        result[label] = level
    return result


_WINDOW = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")


def parse_availability(text: str) -> list[tuple[int, int, int]]:
    """``"Mon 09:00-11:00; Wed 14:00-16:00"`` (local time) → [(weekday, start, end) …]."""
    windows: list[tuple[int, int, int]] = []
    for item in _split(text):
        match = _WINDOW.match(item)
        if not match:
            raise FieldProblem(f"{item!r} is not a weekly window like 'Mon 09:00-11:00'")
        day, h1, m1, h2, m2 = match.groups()
        try:
            weekday = [d.lower() for d in WEEKDAYS].index(day.lower())
        except ValueError:
            raise FieldProblem(f"{day!r} is not a weekday (Mon … Sun)") from None
        start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
        if int(m1) > 59 or int(m2) > 59 or start > 1440 or end > 1440:
            raise FieldProblem(f"{item!r} has a time outside 00:00–24:00")
        if start >= end:
            raise FieldProblem(f"{item!r} ends before it starts")
        for other in windows:
            if other[0] == weekday and start < other[2] and other[1] < end:
                raise FieldProblem(f"{item!r} overlaps another window on {WEEKDAYS[weekday]}")
        windows.append((weekday, start, end))
    return sorted(windows)


def parse_languages(text: str) -> dict[str, str]:
    """``"en; de:native"`` → {"en": "fluent", "de": "native"} (ISO 639 codes)."""
    result: dict[str, str] = {}
    for item in _split(text):
        code, sep, level = item.partition(":")
        code, level = code.strip().lower(), (level.strip().lower() if sep else "fluent")
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise FieldProblem(f"{code!r} is not an ISO 639 language code such as en or de")
        if level not in LANGUAGE_LEVELS:
            raise FieldProblem(
                f"level {level!r} of {code!r} must be one of {', '.join(LANGUAGE_LEVELS)}"
            )
        result[code] = level
    return result


def parse_role(text: str) -> str:
    role = text.strip().lower()
    if role not in ROLES:
        raise FieldProblem(f"role {text!r} must be one of {', '.join(ROLES)}")
    return role


def parse_capacity(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise FieldProblem(f"capacity {text!r} must be a whole number") from None
    if value != int(value) or value < 0 or value > 50:
        raise FieldProblem(f"capacity {text!r} must be a whole number from 0 to 50")
    return int(value)


def parse_email_list(text: str) -> list[str]:
    return [parse_email(item) for item in _split(text)]


def parse_goals(text: str) -> list[str]:
    goals = [g.strip() for g in text.split(GOAL_SEPARATOR.strip()) if g.strip()]
    for goal in goals:
        if len(goal) > LIMITS["goal"]:
            raise FieldProblem(f"a goal is longer than {LIMITS['goal']} characters")
    return goals


def check_length(column: str, text: str) -> str:
    limit = LIMITS.get(column)
    if limit is not None and len(text) > limit:
        raise FieldProblem(f"is {len(text)} characters long; at most {limit} fit")
    return text


# ---- whole rows -----------------------------------------------------------------------


@dataclass
class ParticipantRecord:
    """A validated row. ``present`` lists the columns the input had: absent columns leave
    stored values alone, present-but-empty cells clear them."""

    row: int | None
    email: str
    full_name: str
    time_zone: str
    present: frozenset[str]
    external_id: str | None = None
    title: str | None = None
    department: str | None = None
    manager_email: str | None = None
    languages: dict[str, str] = field(default_factory=dict)
    role: str | None = None
    capacity: int = 1
    cohort: str | None = None
    teaches: dict[str, int] = field(default_factory=dict)
    learns: dict[str, int] = field(default_factory=dict)
    goals: list[str] = field(default_factory=list)
    availability: list[tuple[int, int, int]] = field(default_factory=list)
    bio: str = ""
    must_not_match: list[str] = field(default_factory=list)


_PARSERS = {
    "email": parse_email,
    "time_zone": parse_time_zone,
    "languages": parse_languages,
    "role": parse_role,
    "capacity": parse_capacity,
    "teaches": parse_skill_levels,
    "learns": parse_skill_levels,
    "goals": parse_goals,
    "availability": parse_availability,
    "must_not_match": parse_email_list,
    "manager_email": parse_email,
}


def validate_record(
    values: Mapping[str, str], *, file: str, row: int | None, program_given: bool
) -> tuple[ParticipantRecord | None, list[ImportRowError]]:
    """Validate one participant's values (stripped strings keyed by column)."""
    errors: list[ImportRowError] = []
    parsed: dict[str, object] = {}
    for column, text in values.items():
        if column not in COLUMNS:
            continue
        text = text.strip()
        try:
            if column in REQUIRED_COLUMNS and not text:
                raise FieldProblem("is required and empty")
            if column == "role" and program_given and not text:
                raise FieldProblem(
                    "is required when importing into a program (mentor, mentee or peer)"
                )
            if not text:
                continue
            parser = _PARSERS.get(column)
            parsed[column] = parser(text) if parser else check_length(column, text)
        except FieldProblem as problem:
            errors.append(ImportRowError(file, row, column, str(problem)))
    if errors:
        return None, errors
    record = ParticipantRecord(
        row=row,
        email=str(parsed["email"]),
        full_name=check_length("full_name", str(parsed["full_name"])),
        time_zone=str(parsed["time_zone"]),
        present=frozenset(c for c in values if c in COLUMNS),
    )
    for column, value in parsed.items():
        if column not in ("email", "full_name", "time_zone"):
            setattr(record, column, value)
    if record.manager_email and record.manager_email.lower() == record.email.lower():
        errors.append(
            ImportRowError(file, row, "manager_email", "a person cannot be their own manager")
        )
    if any(e.lower() == record.email.lower() for e in record.must_not_match):
        errors.append(ImportRowError(file, row, "must_not_match", "lists the person themselves"))
    return (None, errors) if errors else (record, [])


def validate_table(
    file: str, header: Sequence[str], rows: Sequence[Mapping[str, str]], *, program_given: bool
) -> tuple[list[ParticipantRecord], list[ImportRowError]]:
    """Columns, every row, and duplicates within the file. Data rows start at row 2."""
    errors: list[ImportRowError] = []
    names = [h.strip() for h in header]
    for column in REQUIRED_COLUMNS + (("role",) if program_given else ()):
        if column not in names:
            errors.append(ImportRowError(file, 1, column, "required column is missing"))
    for column in names:
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append(ImportRowError(file, 1, column or "(blank)", f"unknown column{hint}"))
    for column in {c for c in names if names.count(c) > 1}:
        errors.append(ImportRowError(file, 1, column, "column appears more than once"))
    if errors:
        return [], errors
    if not rows:
        return [], [ImportRowError(file, None, None, "no participant rows below the header")]
    records: list[ParticipantRecord] = []
    first_seen: dict[tuple[str, str], int] = {}
    for k, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values.values()):
            continue  # a blank line in a spreadsheet is not a participant
        record, problems = validate_record(values, file=file, row=k, program_given=program_given)
        errors.extend(problems)
        keys = [("email", (values.get("email") or "").strip().lower())]
        keys.append(("external_id", (values.get("external_id") or "").strip()))
        for column, key in keys:
            if not key:
                continue
            if (column, key) in first_seen:
                errors.append(
                    ImportRowError(
                        file,
                        k,
                        column,
                        f"duplicate {column} {key!r} (also on row {first_seen[column, key]})",
                    )
                )
            else:
                first_seen[column, key] = k
        if record is not None:
            records.append(record)
    return records, errors


# ---- formatting (export and the profile editor) ---------------------------------------


def format_skill_levels(levels: Mapping[str, int]) -> str:
    return "; ".join(
        f"{name}:{level}" for name, level in sorted(levels.items(), key=lambda x: x[0].lower())
    )


def format_availability(windows: Sequence[tuple[int, int, int]]) -> str:
    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return "; ".join(f"{WEEKDAYS[d]} {hhmm(s)}-{hhmm(e)}" for d, s, e in sorted(windows))


def format_languages(languages: Mapping[str, str]) -> str:
    return "; ".join(f"{code}:{level}" for code, level in sorted(languages.items()))


def format_goals(goals: Sequence[str]) -> str:
    return GOAL_SEPARATOR.join(goals)
