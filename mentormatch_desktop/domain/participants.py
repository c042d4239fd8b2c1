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
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from email_validator import EmailNotValidError, validate_email

from mentormatch_desktop.domain.languages import ISO_639_1
from mentormatch_desktop.domain.names import PREFERRED_NAME_LIMIT

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
    "preferred_name",
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
    "preferred_name": PREFERRED_NAME_LIMIT,
    "title": 120,
    "department": 120,
    "cohort": 40,
    "bio": 255,
    "goal": 255,
    "email": 254,
    "skill": 120,  # skills.name on PostgreSQL; SQLite would accept more, so we check here
}
# Columns that hold one line of text: no control characters at all (a NUL or an escape
# code in a name breaks exports and shows as garbage). Prose columns may hold tabs and
# line breaks.
SINGLE_LINE_COLUMNS = frozenset(COLUMNS) - {"bio", "goals"}
# C0/C1 controls and the two noncharacters XML (so .xlsx) cannot hold.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_PROSE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


# ---- single fields --------------------------------------------------------------------


def parse_email(text: str) -> str:
    """A syntactically valid address in its one stored form; no DNS lookups.

    This is the only place an e-mail is normalised: Unicode NFKC first (so a full-width
    ``ａ`` or a decomposed ``é`` is the letter a keyboard types), then email-validator's
    form (domain lower-cased, an IDN domain in Unicode whether typed as Unicode or as
    ``xn--`` punycode). Compare addresses with :func:`email_key`.
    """
    if not text:
        raise FieldProblem("an e-mail address is required")
    folded = unicodedata.normalize("NFKC", text).strip()
    if _CONTROL.search(folded):
        raise FieldProblem(f"{text!r} contains a control character")
    try:
        valid = validate_email(folded, check_deliverability=False)
    except EmailNotValidError as exc:
        raise FieldProblem(f"{text!r} is not a valid e-mail address: {exc}") from exc
    except (UnicodeError, ValueError) as exc:  # IDNA codec errors on odd domains
        raise FieldProblem(f"{text!r} is not a valid e-mail address: {exc}") from exc
    local, _, domain = valid.normalized.rpartition("@")
    address = f"{local}@{_unicode_domain(domain)}"
    if len(address) > LIMITS["email"]:
        raise FieldProblem(f"is {len(address)} characters long; at most {LIMITS['email']} fit")
    return address


def _unicode_domain(domain: str) -> str:
    """``xn--bcher-kva.example`` → ``bücher.example``: one spelling per domain."""
    try:
        return domain.encode("ascii").decode("idna").lower()
    except UnicodeError:
        return domain.lower()


def email_key(address: str) -> str:
    """The key two spellings of one address share: compare e-mails only through this.

    Cheap (no validation), so it can key every stored person: NFKC, the domain in its
    Unicode form, case-folded. For an address :func:`parse_email` produced it is that
    address case-folded."""
    folded = unicodedata.normalize("NFKC", address).strip()
    local, _, domain = folded.rpartition("@")
    return f"{local}@{_unicode_domain(domain)}".casefold() if local else folded.casefold()


# Names the tz database ships that are not places: the machine's own zone, the
# placeholder for "zone unknown", and the legacy/POSIX trees.
_NOT_PLACES = {"localtime", "Factory", "posixrules"}


@cache
def _zones() -> frozenset[str]:
    return frozenset(
        z
        for z in zoneinfo.available_timezones()
        if z not in _NOT_PLACES and not z.startswith(("posix/", "right/", "SystemV/"))
    )


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
        if len(label) > LIMITS["skill"]:
            raise FieldProblem(
                f"skill {label[:20]!r}… is {len(label)} characters long; "
                f"at most {LIMITS['skill']} fit"
            )
        if label.lower() in seen:
            raise FieldProblem(f"skill {label!r} is listed twice")
        seen.add(label.lower())
        result[label] = level
    return result


_WINDOW = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(word: str) -> int:
    """``Mon``/``Monday`` (any case) → 0; a word that is neither is named whole."""
    key = word.lower()
    for index, name in enumerate(_DAY_NAMES):
        if key in (name, name[:3]) or (key == name[:4] and key in ("tues", "thur")):
            return index
    raise FieldProblem(f"{word!r} is not a weekday (Mon … Sun or Monday … Sunday)")


def parse_availability(text: str) -> list[tuple[int, int, int]]:
    """``"Mon 09:00-11:00; Wed 14:00-16:00"`` (local time) → [(weekday, start, end) …]."""
    windows: list[tuple[int, int, int]] = []
    for item in _split(text):
        match = _WINDOW.match(item)
        if not match:
            raise FieldProblem(f"{item!r} is not a weekly window like 'Mon 09:00-11:00'")
        day, h1, m1, h2, m2 = match.groups()
        weekday = parse_weekday(day)
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
        if code not in ISO_639_1:
            raise FieldProblem(
                f"{code!r} is not an ISO 639-1 language code (two letters such as en or de)"
            )
        if level not in LANGUAGE_LEVELS:
            raise FieldProblem(
                f"level {level!r} of {code!r} must be one of {', '.join(LANGUAGE_LEVELS)}"
            )
        if code in result:
            raise FieldProblem(f"language {code!r} is listed twice")
        result[code] = level
    return result


def parse_role(text: str) -> str:
    role = text.strip().lower()
    if role not in ROLES:
        raise FieldProblem(f"role {text!r} must be one of {', '.join(ROLES)}")
    return role


_WHOLE = re.compile(r"^[+-]?[0-9]{1,6}(?:\.0*)?$")  # "2" or a spreadsheet's "2.0"


def parse_capacity(text: str) -> int:
    """A whole number from 0 to 50; ``nan``, ``inf``, ``1e3`` and ``2.5`` are refused."""
    if not _WHOLE.match(text.strip()):
        raise FieldProblem(f"capacity {text!r} must be a whole number from 0 to 50")
    value = int(text.strip().split(".")[0])
    if not 0 <= value <= 50:
        raise FieldProblem(f"capacity {text!r} must be a whole number from 0 to 50")
    return value


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
    preferred_name: str | None = None
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


def check_characters(column: str, text: str) -> None:
    """Refuse control characters: none in one-line columns, only tab/line breaks in prose."""
    pattern = _PROSE_CONTROL if column not in SINGLE_LINE_COLUMNS else _CONTROL
    bad = pattern.search(text)
    if bad:
        raise FieldProblem(
            f"contains the control character U+{ord(bad.group()):04X} at position "
            f"{bad.start() + 1}; remove it"
        )


def validate_record(
    values: Mapping[str, str],
    *,
    file: str,
    row: int | None,
    program_given: bool,
    clear_empty: bool = False,
) -> tuple[ParticipantRecord | None, list[ImportRowError]]:
    """Validate one participant's values (stripped strings keyed by column).

    An empty cell leaves the stored value alone unless ``clear_empty`` (the user asked
    for empty cells to clear), exactly like an absent column."""
    errors: list[ImportRowError] = []
    parsed: dict[str, object] = {}
    for column, text in values.items():
        if column not in COLUMNS:
            continue
        text = text.strip()
        if column not in SINGLE_LINE_COLUMNS:  # one line ending, whatever the file used
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        try:
            check_characters(column, text)
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
    if any(column not in parsed for column in REQUIRED_COLUMNS):
        return None, []  # the file lacks the column: reported once, on the header row
    record = ParticipantRecord(
        row=row,
        email=str(parsed["email"]),
        full_name=check_length("full_name", str(parsed["full_name"])),
        time_zone=str(parsed["time_zone"]),
        present=frozenset(
            c for c, v in values.items() if c in COLUMNS and (clear_empty or v.strip())
        ),
    )
    for column, value in parsed.items():
        if column not in ("email", "full_name", "time_zone"):
            setattr(record, column, value)
    if record.manager_email and email_key(record.manager_email) == email_key(record.email):
        errors.append(
            ImportRowError(file, row, "manager_email", "a person cannot be their own manager")
        )
    if any(email_key(e) == email_key(record.email) for e in record.must_not_match):
        errors.append(ImportRowError(file, row, "must_not_match", "lists the person themselves"))
    return (None, errors) if errors else (record, [])


def validate_table(
    file: str,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    *,
    program_given: bool,
    clear_empty: bool = False,
) -> tuple[list[ParticipantRecord], list[ImportRowError]]:
    """Columns, every row, and duplicates within the file. Data rows start at row 2.

    Two e-mails are duplicates when they are one address after normalisation
    (:func:`email_key`), so NFC/NFD, full-width and punycode spellings collide here with
    both row numbers, never later on the database's UNIQUE constraint."""
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
    if not rows:
        return [], [
            *errors,
            ImportRowError(file, None, None, "no participant rows below the header"),
        ]
    # A column problem does not stop the check: every row is still validated (unknown
    # columns are ignored, a missing one is reported once above), so a user fixes the
    # whole file in one round rather than one kind of mistake at a time.
    records: list[ParticipantRecord] = []
    first_seen: dict[tuple[str, str], int] = {}
    for k, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values.values()):
            continue  # a blank line in a spreadsheet is not a participant
        record, problems = validate_record(
            values, file=file, row=k, program_given=program_given, clear_empty=clear_empty
        )
        errors.extend(problems)
        raw_email = (values.get("email") or "").strip()
        keys = [("email", email_key(raw_email) if raw_email else "")]
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


# ---- roles per program kind -----------------------------------------------------------


def roles_for_kind(kind: str) -> tuple[str, ...]:
    """The enrolment roles a program of ``kind`` has: peers in a peer program, mentors and
    mentees otherwise (one-to-one and group programs)."""
    return ("peer",) if kind == "peer" else ("mentor", "mentee")
