"""Import and export of participant files.

Import validates the whole file first (format, then database checks such as unknown
managers or e-mail conflicts) and raises :class:`ImportFailed` with every problem; only a
clean file is written, in the caller's unit of work. People are matched by ``external_id``, then by
e-mail (case-insensitive), so re-importing a file updates and never duplicates. The field
rules live in :mod:`mentormatch_desktop.domain.participants`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from mentormatch_desktop.domain.participants import (
    COLUMNS,
    ImportFailed,
    ImportRowError,
    ParticipantRecord,
    email_key,
    format_availability,
    format_goals,
    format_languages,
    format_skill_levels,
    roles_for_kind,
    validate_table,
)
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.participant_apply import ApplyContext, apply_record
from mentormatch_desktop.services.participant_files import read_table, write_table
from mentormatch_desktop.storage.models import (
    Department,
    Enrolment,
    PairPreference,
    Person,
    Program,
    Skill,
)


@dataclass
class ImportSummary:
    """What an import did. ``created_skills`` are labels that matched no skill or alias."""

    file: str
    program: str | None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_skills: list[str] = field(default_factory=list)
    created_departments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class ExportSummary:
    file: str
    program: str | None
    rows: int


def find_program(session: Session, program: str | int) -> Program | None:
    """A program by id or by name (case-insensitive)."""
    text = str(program).strip()
    if text.isdigit():
        found = session.get(Program, int(text))
        if found is not None:
            return found
    return session.scalars(
        sa.select(Program).where(sa.func.lower(Program.name) == text.lower())
    ).first()


def _resolve_program(session: Session, program: str | int | None, file: str) -> Program | None:
    if program is None:
        return None
    found = find_program(session, program)
    if found is None:
        names = ", ".join(session.scalars(sa.select(Program.name).order_by(Program.name)))
        raise ImportFailed(
            [
                ImportRowError(
                    file,
                    None,
                    "--program",
                    f"unknown program {program!r} (known: {names or 'none'})",
                )
            ]
        )
    return found


def _match_people(
    session: Session, records: Sequence[ParticipantRecord], file: str
) -> tuple[dict[int, int | None], dict[str, int], list[ImportRowError]]:
    """Existing person id per record index (external_id first, then e-mail) and all e-mails."""
    by_external: dict[str, int] = {}
    by_email: dict[str, int] = {}
    external_of: dict[int, str | None] = {}
    for pid, ext, email in session.execute(sa.select(Person.id, Person.external_id, Person.email)):
        if ext:
            by_external[ext] = pid
        by_email[email_key(email)] = pid
        external_of[pid] = ext
    matches: dict[int, int | None] = {}
    errors: list[ImportRowError] = []
    row_of_person: dict[int, int | None] = {}
    for k, rec in enumerate(records):
        by_id = by_external.get(rec.external_id) if rec.external_id else None
        by_mail = by_email.get(email_key(rec.email))
        if by_id is not None and by_mail is not None and by_id != by_mail:
            errors.append(
                ImportRowError(
                    file,
                    rec.row,
                    "email",
                    (
                        f"{rec.email} belongs to another person in the database "
                        f"(external_id {external_of[by_mail] or 'none'}), not to {rec.external_id}"
                    ),
                )
            )
            continue
        if by_id is None and by_mail is not None and rec.external_id and external_of[by_mail]:
            errors.append(
                ImportRowError(
                    file,
                    rec.row,
                    "external_id",
                    (
                        f"{rec.email} is already stored with external_id {external_of[by_mail]}, "
                        f"not {rec.external_id}"
                    ),
                )
            )
            continue
        pid = by_id if by_id is not None else by_mail
        if pid is not None and pid in row_of_person:
            # One stored person reached from two rows (say one by external_id, one by
            # e-mail): applying both would let the last silently win.
            errors.append(
                ImportRowError(
                    file,
                    rec.row,
                    "email" if by_id is None else "external_id",
                    f"this row and row {row_of_person[pid]} both update the stored person "
                    f"{external_of[pid] or ''} ({_email_of(by_email, pid)}); "
                    "keep one of the two rows",
                )
            )
            continue
        if pid is not None:
            row_of_person[pid] = rec.row
        matches[k] = pid
    return matches, by_email, errors


def _email_of(by_email: dict[str, int], pid: int) -> str:
    return next((e for e, p in by_email.items() if p == pid), "?")


@dataclass(frozen=True)
class _RowReferences:
    """What the database checks read from a row that failed a field check (so it has no
    :class:`ParticipantRecord`): its raw manager, must-not-match people and role."""

    row: int
    manager_email: str
    must_not_match: list[str]
    role: str


def _references_of_invalid_rows(
    rows: Sequence[dict[str, str]],
    records: Sequence[ParticipantRecord],
    errors: Sequence[ImportRowError],
) -> list[_RowReferences]:
    """The rows with a field error, read raw for the checks only the database can make.

    Without this, a row with a bad time zone hid that its manager is unknown too, and the
    user met that second problem only after fixing the first: the review is meant to list
    a file's problems in one round. A cell that already has a problem is left out (its
    value is not worth checking further)."""
    valid = {rec.row for rec in records}
    flagged = {(e.row, e.field) for e in errors}
    found = []
    for row, values in enumerate(rows, start=2):
        if row in valid or not any(v.strip() for v in values.values()):
            continue

        def cell(column: str, row: int = row, values: dict[str, str] = values) -> str:
            return "" if (row, column) in flagged else (values.get(column) or "").strip()

        others = [e.strip() for e in cell("must_not_match").split(";") if e.strip()]
        found.append(_RowReferences(row, cell("manager_email"), others, cell("role").lower()))
    return found


def _check_roles(
    records: Sequence[ParticipantRecord | _RowReferences], program: Program | None, file: str
) -> list[ImportRowError]:
    """Every row's role must be one the program's kind has (peer programs: peer only)."""
    if program is None:
        return []
    allowed = roles_for_kind(str(program.kind))
    return [
        ImportRowError(
            file,
            rec.row,
            "role",
            f"{program.name} is a {str(program.kind).replace('_', '-')} program: its roles "
            f"are {', '.join(allowed)}, not {rec.role}",
        )
        for rec in records
        if rec.role and rec.role not in allowed and rec.role in ("mentor", "mentee", "peer")
    ]


def _check_references(
    records: Sequence[ParticipantRecord | _RowReferences], known_emails: set[str], file: str
) -> list[ImportRowError]:
    errors = []
    for rec in records:
        if rec.manager_email and email_key(rec.manager_email) not in known_emails:
            errors.append(
                ImportRowError(
                    file,
                    rec.row,
                    "manager_email",
                    f"unknown manager {rec.manager_email} (not in this file or the database)",
                )
            )
        for other in rec.must_not_match:
            if email_key(other) not in known_emails:
                errors.append(
                    ImportRowError(
                        file,
                        rec.row,
                        "must_not_match",
                        f"unknown person {other} (not in this file or the database)",
                    )
                )
    return errors


# Shares of the whole import, for progress: reading and checking the file, checking it
# against the database, then writing row by row (the commit is the last step).
_CHECKED_FILE, _CHECKED_DB, _WRITTEN = 0.25, 0.35, 0.95


def _write(
    session: Session,
    records: Sequence[ParticipantRecord],
    program: Program | None,
    file: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[ImportSummary, list[int]]:
    """Validate against the database, then apply; raises ImportFailed before any write.

    ``cancel`` is checked between rows; the caller rolls back, so nothing is written."""
    matches, by_email, errors = _match_people(session, records, file)
    known = set(by_email) | {email_key(r.email) for r in records}
    errors += _check_references(records, known, file)
    errors += _check_roles(records, program, file)
    if errors:
        raise ImportFailed(errors)
    report(progress, _CHECKED_DB, "Checked against the database")
    check(cancel)
    summary = ImportSummary(file=file, program=program.name if program else None)
    if program is None and any("role" in r.present and r.role for r in records):
        summary.warnings.append("role, capacity and cohort were ignored: no --program given")
    ctx = ApplyContext.load(session, program, summary.created_skills, summary.created_departments)
    existing_ids = [pid for pid in matches.values() if pid is not None]
    people = (
        {
            p.id: p
            for p in session.scalars(
                sa.select(Person)
                .where(Person.id.in_(existing_ids))
                .options(
                    selectinload(Person.skills),
                    selectinload(Person.languages),
                    selectinload(Person.availability),
                    selectinload(Person.goals),
                )
            )
        }
        if existing_ids
        else {}
    )
    targets: list[tuple[ParticipantRecord, Person, bool]] = []
    for k, rec in enumerate(records):
        pid = matches.get(k)
        person = people[pid] if pid is not None else None
        created = person is None
        if person is None:
            person = Person(
                email=rec.email,
                full_name=rec.full_name,
                time_zone=rec.time_zone,
                skills=[],
                languages=[],
                availability=[],
                goals=[],
            )
            session.add(person)
        targets.append((rec, person, created))
    session.flush()  # new people get ids before references between them are resolved
    ctx.remember_people({email_key(p.email): p.id for _, p, _ in targets})
    ids = []
    total = len(targets)
    step = max(1, total // 100)  # about a hundred reports, whatever the file size
    for k, (rec, person, created) in enumerate(targets):
        if k % step == 0:
            check(cancel)
            fraction = _CHECKED_DB + (_WRITTEN - _CHECKED_DB) * k / total
            report(progress, fraction, f"Saving row {k + 1:,} of {total:,}")
        changed = apply_record(session, ctx, rec, person)
        if created:
            summary.created += 1
        elif changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
        ids.append(person.id)
    return summary, ids


def _in_file_order(errors: Sequence[ImportRowError]) -> list[ImportRowError]:
    """Problems by row, then in the column order of the format (header problems first)."""
    return sorted(
        errors, key=lambda e: (e.row or 0, COLUMNS.index(e.field) if e.field in COLUMNS else -1)
    )


def _database_problems(
    session: Session,
    records: Sequence[ParticipantRecord],
    rows: Sequence[dict[str, str]],
    target: Program | None,
    file: str,
) -> tuple[dict[int, int | None], list[ImportRowError]]:
    """What only the database can tell about valid rows: e-mail/external_id conflicts,
    managers and must-not-match people nobody knows, roles the program does not take.
    Returns the existing person (or None) per record, and the problems."""
    matches, by_email, errors = _match_people(session, records, file)
    known = set(by_email) | {email_key(r.get("email") or "") for r in rows}
    errors += _check_references(records, known, file)
    errors += _check_roles(records, target, file)
    return matches, errors


@dataclass(frozen=True)
class ImportReview:
    """Every problem of a participant file, found without writing anything, and what an
    import would do: how many people it would add and how many it would update."""

    file: str
    header: list[str]
    rows: list[dict[str, str]]
    errors: list[ImportRowError]
    program: str | None = None
    new_people: int = 0
    known_people: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def review_import(
    ctx: ServiceContext,
    path: str | Path,
    *,
    program: str | int | None = None,
    clear_empty: bool = False,
    cancel: CancelToken | None = None,
) -> ImportReview:
    """Check a participant file the way :func:`import_participants` would, in one pass,
    and write nothing: the columns, every row's fields, duplicates within the file, and
    the checks that need the database. The review page of the import wizard shows this,
    so the user fixes every problem of a file in one round."""
    session = ctx.session
    file = str(path)
    try:
        header, rows = read_table(path)
        target = _resolve_program(session, program, file)
    except ImportFailed as failed:
        return ImportReview(file, [], [], failed.errors)
    check(cancel)
    records, errors = validate_table(
        file, header, rows, program_given=target is not None, clear_empty=clear_empty
    )
    check(cancel)
    matches: dict[int, int | None] = {}
    more: list[ImportRowError] = []
    if records:
        matches, more = _database_problems(session, records, rows, target, file)
    invalid = _references_of_invalid_rows(rows, records, errors)
    if invalid:
        stored = {email_key(e) for e in session.scalars(sa.select(Person.email))}
        known = stored | {email_key(r.get("email") or "") for r in rows}
        more += _check_references(invalid, known, file) + _check_roles(invalid, target, file)
    errors = _in_file_order(errors + more)
    known = sum(1 for pid in matches.values() if pid is not None)
    return ImportReview(
        file, list(header), list(rows), errors, target.name if target is not None else None,
        new_people=len(matches) - known, known_people=known,
    )  # fmt: skip


def import_participants(
    ctx: ServiceContext,
    path: str | Path,
    *,
    program: str | int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    clear_empty: bool = False,
) -> ImportSummary:
    """Import a CSV/XLSX participant file (format: ``docs/import-format.md``).

    An empty cell leaves the stored value alone, like an absent column; with
    ``clear_empty`` it clears it (the user asked for that).

    Raises :class:`ImportFailed` listing every problem; in that case nothing is written.
    With ``program``, each row also enrols the person in that program in its ``role``.
    ``progress`` hears the phases (read and validate the file, check it against the
    database, save row by row, flush); ``cancel`` is honoured up to the end and raises
    :class:`~mentormatch_desktop.domain.progress.Cancelled`; the caller's unit of work then
    rolls back, so nothing is written.
    """
    session = ctx.session
    file = str(path)
    report(progress, 0.0, "Reading the file")
    header, rows = read_table(path)
    check(cancel)
    report(progress, 0.05, f"Validating {len(rows):,} rows")
    target = _resolve_program(session, program, file)
    records, errors = validate_table(
        file, header, rows, program_given=target is not None, clear_empty=clear_empty
    )
    report(progress, _CHECKED_FILE, "Checking against the database")
    check(cancel)
    if errors:
        if records:  # also report database problems of the rows that are otherwise fine
            _, more = _database_problems(session, records, rows, target, file)
            errors = _in_file_order(errors + more)
        raise ImportFailed(errors)
    summary, _ = _write(session, records, target, file, progress, cancel)
    report(progress, _WRITTEN, "Saving the transaction")
    session.flush()
    check(cancel)  # the last moment to stop: once the caller commits it is done
    ctx.audit(
        "participants.imported",
        "program" if target is not None else "people",
        target.id if target is not None else None,
        {"file": Path(file).name, "created": summary.created, "updated": summary.updated},
    )
    report(progress, 1.0, f"Imported {summary.rows:,} rows")
    return summary


# ---- export -----------------------------------------------------------------------------


def participant_rows(session: Session, program: Program | None = None) -> list[dict[str, str]]:
    """Every person (or every enrolment of ``program``) in the import column format."""
    if program is not None:
        enrolments = list(
            session.scalars(
                sa.select(Enrolment)
                .where(Enrolment.program_id == program.id)
                .order_by(Enrolment.person_id, Enrolment.id)
            )
        )
        person_ids = sorted({e.person_id for e in enrolments})
    else:
        enrolments = []
        person_ids = list(session.scalars(sa.select(Person.id).order_by(Person.id)))
    skill_names = dict(session.execute(sa.select(Skill.id, Skill.name)).all())
    department_names = dict(session.execute(sa.select(Department.id, Department.name)).all())
    emails = dict(session.execute(sa.select(Person.id, Person.email)).all())
    scope = program.id if program is not None else None
    must_not: dict[int, list[str]] = {}
    for pid, other in session.execute(
        sa.select(PairPreference.person_id, PairPreference.other_person_id).where(
            PairPreference.kind == "must_not",
            PairPreference.program_id.is_(None)
            if scope is None
            else PairPreference.program_id == scope,
        )
    ):
        must_not.setdefault(pid, []).append(emails[other])
    people: dict[int, Person] = {}
    chunk = 5000
    for first in range(0, len(person_ids), chunk):
        for p in session.scalars(
            sa.select(Person)
            .where(Person.id.in_(person_ids[first : first + chunk]))
            .options(
                selectinload(Person.skills),
                selectinload(Person.languages),
                selectinload(Person.availability),
                selectinload(Person.goals),
            )
        ):
            people[p.id] = p
    rows = []
    if program is None:
        pairs = [(pid, None) for pid in person_ids]
    else:
        pairs = [(e.person_id, e) for e in enrolments]
    for pid, enrolment in pairs:
        p = people[pid]
        skills = {"teach": {}, "learn": {}}
        for ps in p.skills:
            skills[str(ps.direction)][skill_names[ps.skill_id]] = ps.level
        rows.append(
            {
                "external_id": p.external_id or "",
                "email": p.email,
                "full_name": p.full_name,
                "preferred_name": p.preferred_name or "",
                "title": p.title or "",
                "department": department_names.get(p.department_id, "") if p.department_id else "",
                "manager_email": emails.get(p.manager_id, "") if p.manager_id else "",
                "time_zone": p.time_zone,
                "languages": format_languages({lang.language: lang.level for lang in p.languages}),
                "role": str(enrolment.role) if enrolment else "",
                "capacity": str(enrolment.capacity) if enrolment else "",
                "cohort": (enrolment.cohort or "") if enrolment else "",
                "teaches": format_skill_levels(skills["teach"]),
                "learns": format_skill_levels(skills["learn"]),
                "goals": format_goals(
                    [
                        (g.description or g.title).strip()
                        for g in sorted(p.goals, key=lambda g: g.id)
                    ]
                ),
                "availability": format_availability(
                    [(s.weekday, s.start_minute, s.end_minute) for s in p.availability]
                ),
                "bio": p.bio or "",
                "must_not_match": "; ".join(sorted(must_not.get(pid, []))),
            }
        )
    return rows


def export_participants(
    ctx: ServiceContext, path: str | Path, *, program: str | int | None = None
) -> ExportSummary:
    """Write participants to CSV/XLSX in the import format (export → import changes nothing)."""
    session = ctx.session
    target = _resolve_program(session, program, str(path))
    rows = participant_rows(session, target)
    if program is None:
        header = [c for c in COLUMNS if c not in ("role", "capacity", "cohort")]
        rows = [{c: r[c] for c in header} for r in rows]
    else:
        header = list(COLUMNS)
    write_table(path, header, rows)
    return ExportSummary(file=str(path), program=target.name if target else None, rows=len(rows))
