"""Every kind of bad participant file gets its precise message and writes nothing."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.participants import ImportFailed
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.participants import import_participants
from mentormatch_desktop.storage.models import Enrolment, Person, Program, Skill

HEADER = "external_id,email,full_name,time_zone"
GOOD = "E0,good.row@example.com,Good Row,Europe/Berlin"


def _people(session: Session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()


def _fail(ctx: ServiceContext, path: Path, program: str | None = None) -> list[str]:
    session = ctx.session
    before = _people(session)
    with pytest.raises(ImportFailed) as caught:
        import_participants(ctx, path, program=program)
    assert _people(session) == before, "a failed import wrote people"
    assert session.execute(sa.select(sa.func.count()).select_from(Skill)).scalar_one() == 0
    return [str(e) for e in caught.value.errors]


def _csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "missing column": (
        "email,full_name\nann@example.com,Ann\n",
        ["{f}:1:time_zone: required column is missing"],
    ),
    "bad email": (
        f"{HEADER}\n{GOOD}\nE1,not-an-email,Ann,UTC\n",
        ["{f}:3:email: 'not-an-email' is not a valid e-mail address: An email address must "
         "have an @-sign."],
    ),
    "unknown time zone": (
        f"{HEADER}\n{GOOD}\nE1,ann@example.com,Ann,Europe/Berlinn\n",
        ["{f}:3:time_zone: unknown IANA time zone 'Europe/Berlinn'; did you mean Europe/Berlin?"],
    ),
    "duplicate external id": (
        f"{HEADER}\n{GOOD}\nE0,other@example.com,Other,UTC\n",
        ["{f}:3:external_id: duplicate external_id 'E0' (also on row 2)"],
    ),
    "duplicate email in another case": (
        f"{HEADER}\n{GOOD}\nE1,GOOD.ROW@example.com,Again,UTC\n",
        ["{f}:3:email: duplicate email 'good.row@example.com' (also on row 2)"],
    ),
    "skill level out of range": (
        f"{HEADER},teaches\n{GOOD},SQL:9\n",
        ["{f}:2:teaches: level 9 of 'SQL' must be from 1 to 5"],
    ),
    "skill level not a number": (
        f"{HEADER},learns\n{GOOD},Python:high\n",
        ["{f}:2:learns: level 'high' of 'Python' must be a whole number from 1 to 5"],
    ),
    "availability backwards": (
        f"{HEADER},availability\n{GOOD},Mon 11:00-09:00\n",
        ["{f}:2:availability: 'Mon 11:00-09:00' ends before it starts"],
    ),
    "availability unreadable": (
        f"{HEADER},availability\n{GOOD},mornings\n",
        ["{f}:2:availability: 'mornings' is not a weekly window like 'Mon 09:00-11:00'"],
    ),
    "unknown manager": (
        f"{HEADER},manager_email\n{GOOD},boss@example.com\n",
        ["{f}:2:manager_email: unknown manager boss@example.com "
         "(not in this file or the database)"],
    ),
    "unknown must-not person": (
        f"{HEADER},must_not_match\n{GOOD},ghost@example.com\n",
        ["{f}:2:must_not_match: unknown person ghost@example.com "
         "(not in this file or the database)"],
    ),
    "unknown column": (
        f"{HEADER},emial\n{GOOD},x\n",
        ["{f}:1:emial: unknown column; did you mean 'email'?"],
    ),
    "missing required value": (
        f"{HEADER}\nE1,ann@example.com,,UTC\n",
        ["{f}:2:full_name: is required and empty"],
    ),
    "header only": (f"{HEADER}\n", ["{f}: no participant rows below the header"]),
    "empty file": ("", ["{f}: file is empty: expected a header row and participant rows"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_csv_reports_file_row_field(
    session: Session, ctx: ServiceContext, tmp_path: Path, case: str
) -> None:
    text, expected = CASES[case]
    path = _csv(tmp_path, text)
    assert _fail(ctx, path) == [e.format(f=path) for e in expected]


def test_every_problem_is_reported_at_once(
    session: Session, ctx: ServiceContext, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        f"{HEADER},teaches\n{GOOD},SQL:3\nE1,bad,Bad Email,Nowhere/Land,SQL:0\n"
        "E1,fine@example.com,Fine,UTC,Go:2\n",
    )
    assert _fail(ctx, path) == [
        f"{path}:3:email: 'bad' is not a valid e-mail address: "
        "An email address must have an @-sign.",
        f"{path}:3:time_zone: unknown IANA time zone 'Nowhere/Land'",
        f"{path}:3:teaches: level 0 of 'SQL' must be from 1 to 5",
        f"{path}:4:external_id: duplicate external_id 'E1' (also on row 3)",
    ]


def test_wrong_encoding_names_the_byte(
    session: Session, ctx: ServiceContext, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nE1,jose@example.com,José,UTC\n".encode("latin-1"))
    position = len(f"{HEADER}\nE1,jose@example.com,Jos".encode())
    assert _fail(ctx, path) == [
        f"{path}:2: not valid UTF-8: byte 0xe9 at byte position {position} (invalid continuation "
        'byte); save the file as UTF-8 ("CSV UTF-8" in Excel)'
    ]


def test_utf16_is_named(session: Session, ctx: ServiceContext, tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(f"{HEADER}\n{GOOD}\n".encode("utf-16"))
    assert _fail(ctx, path) == [
        f'{path}:1: file is UTF-16 encoded; save it as UTF-8 ("CSV UTF-8" in Excel)'
    ]


def test_malformed_xlsx(session: Session, ctx: ServiceContext, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    (message,) = _fail(ctx, path)
    assert message.startswith(f"{path}: not a readable .xlsx workbook (BadZipFile")


def test_bad_xlsx_rows_are_reported_by_row(
    session: Session, ctx: ServiceContext, tmp_path: Path
) -> None:
    path = tmp_path / "people.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "full_name", "time_zone", "role", "capacity"])
    sheet.append(["ann@example.com", "Ann", "UTC", "mentor", "two"])
    sheet.append(["bob@example.com", "Bob", "UTC", "sensei", 1])
    book.save(path)
    session.add(Program(name="Pilot"))
    session.commit()
    assert _fail(ctx, path, program="Pilot") == [
        f"{path}:2:capacity: capacity 'two' must be a whole number from 0 to 50",
        f"{path}:3:role: role 'sensei' must be one of mentor, mentee, peer",
    ]
    assert session.execute(sa.select(sa.func.count()).select_from(Enrolment)).scalar_one() == 0


def test_role_is_required_with_a_program(
    session: Session, ctx: ServiceContext, tmp_path: Path
) -> None:
    session.add(Program(name="Pilot"))
    session.commit()
    path = _csv(tmp_path, f"{HEADER}\n{GOOD}\n")
    assert _fail(ctx, path, program="Pilot") == [f"{path}:1:role: required column is missing"]


def test_unknown_program(session: Session, ctx: ServiceContext, tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER},role\n{GOOD},mentee\n")
    assert _fail(ctx, path, program="Nope") == [
        f"{path}:--program: unknown program 'Nope' (known: none)"
    ]


def test_unsupported_suffix(session: Session, ctx: ServiceContext, tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\n{GOOD}\n", name="people.txt")
    assert _fail(ctx, path) == [f"{path}: unsupported file type '.txt'; use .csv or .xlsx"]
