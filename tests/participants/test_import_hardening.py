"""Issue 11: participant files that used to lose data silently or end in a traceback.

Each test names the defect it pins. Storage-facing ones run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.participants import (
    FieldProblem,
    ImportFailed,
    email_key,
    parse_availability,
    parse_capacity,
    parse_email,
    parse_languages,
    parse_time_zone,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.participant_files import read_table, write_table
from mentormatch_desktop.services.participants import export_participants, import_participants
from mentormatch_desktop.storage.models import Department, Enrolment, Person, PersonSkill, Program

HEADER = "external_id,email,full_name,time_zone,title,bio,teaches,languages,availability"
ANN = "E1,ann@example.com,Ann,UTC,Analyst,Likes data.,SQL:4,en,Mon 09:00-10:00"
BEN = "E2,ben@example.com,Ben,UTC,Lead,Bio of Ben.,Python:3,de,Tue 09:00-10:00"


def _csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(ctx: ServiceContext, path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_participants(ctx, path, **kwargs)  # type: ignore[arg-type]
    return [str(e) for e in caught.value.errors]


def _person(ctx: ServiceContext, external_id: str) -> Person:
    ctx.session.expire_all()
    return ctx.session.scalars(sa.select(Person).where(Person.external_id == external_id)).one()


# ---- silent data loss ------------------------------------------------------------------


def test_a_short_csv_row_is_an_error_naming_the_row(ctx: ServiceContext, tmp_path: Path) -> None:
    import_participants(ctx, _csv(tmp_path, f"{HEADER}\n{ANN}\n{BEN}\n"))
    short = "E2,ben@example.com,Ben,UTC"  # 4 of 9 fields: bio, skills … would be cleared
    errors = _errors(ctx, _csv(tmp_path, f"{HEADER}\n{ANN}\n{short}\n", "short.csv"))
    assert len(errors) == 1 and ":3: has 4 fields but the header has 9" in errors[0]
    ben = _person(ctx, "E2")
    assert ben.bio == "Bio of Ben." and len(ben.skills) == 1 and len(ben.availability) == 1


def test_a_long_csv_row_is_an_error_too(ctx: ServiceContext, tmp_path: Path) -> None:
    errors = _errors(ctx, _csv(tmp_path, f"{HEADER}\n{ANN},extra\n"))
    assert ":2: has 10 fields but the header has 9" in errors[0]


def test_empty_cells_keep_stored_values_unless_asked_to_clear(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    import_participants(ctx, _csv(tmp_path, f"{HEADER}\n{ANN}\n"))
    blank = "E1,ann@example.com,Ann,UTC,,,,,"
    summary = import_participants(ctx, _csv(tmp_path, f"{HEADER}\n{blank}\n", "b.csv"))
    assert summary.unchanged == 1
    ann = _person(ctx, "E1")
    assert (ann.title, ann.bio, len(ann.skills), len(ann.languages)) == (
        "Analyst",
        "Likes data.",
        1,
        1,
    )
    cleared = import_participants(
        ctx, _csv(tmp_path, f"{HEADER}\n{blank}\n", "c.csv"), clear_empty=True
    )
    assert cleared.updated == 1
    ann = _person(ctx, "E1")
    assert (ann.title, ann.bio, len(ann.skills), len(ann.availability)) == (None, "", 0, 0)


def _xlsx(path: Path, rows: list[list[object]], merge: list[str] = ()) -> Path:  # type: ignore[assignment]
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in merge:
        sheet.merge_cells(ref)
    book.save(path)
    return path


def test_xlsx_merged_cells_are_read_as_their_top_left_value(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    rows = [
        ["email", "full_name", "time_zone", "department"],
        ["a@example.com", "A", "UTC", "Finance"],
        ["b@example.com", "B", "UTC", None],
        ["c@example.com", "C", "UTC", None],
    ]
    path = _xlsx(tmp_path / "merged.xlsx", rows, merge=["D2:D4"])
    _, read = read_table(path)
    assert [r["department"] for r in read] == ["Finance"] * 3
    import_participants(ctx, path)
    names = ctx.session.scalars(
        sa.select(Department.name).join(Person, Person.department_id == Department.id)
    ).all()
    assert names == ["Finance"] * 3


def test_two_rows_resolving_to_one_stored_person_are_refused(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    import_participants(ctx, _csv(tmp_path, f"{HEADER}\n{ANN}\n"))
    by_id = "E1,ann.new@example.com,Ann New,UTC,,,,,"
    by_mail = ",ann@example.com,Ann Old,UTC,,,,,"
    errors = _errors(ctx, _csv(tmp_path, f"{HEADER}\n{by_id}\n{by_mail}\n", "two.csv"))
    assert any(":3:email: this row and row 2 both update the stored person" in e for e in errors)
    assert _person(ctx, "E1").full_name == "Ann"


def test_roles_must_be_roles_of_the_program_kind(ctx: ServiceContext, tmp_path: Path) -> None:
    ctx.session.add(Program(name="Peers", kind="peer"))
    ctx.session.add(Program(name="Pairs", kind="one_to_one"))
    ctx.session.commit()
    text = "email,full_name,time_zone,role\nm@example.com,M,UTC,mentor\np@example.com,P,UTC,peer\n"
    errors = _errors(ctx, _csv(tmp_path, text), program="Peers")
    assert errors == [
        f"{tmp_path / 'people.csv'}:2:role: Peers is a peer program: its roles are peer, not mentor"
    ]
    errors = _errors(ctx, _csv(tmp_path, text), program="Pairs")
    assert len(errors) == 1 and ":3:role: Pairs is a one-to-one program" in errors[0]
    assert ctx.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


# ---- tracebacks that are messages now --------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("josé@example.com", unicodedata.normalize("NFD", "josé@example.com")),
        ("ann@example.com", "ａｎｎ@example.com"),
        ("ann@bücher.example", "ann@xn--bcher-kva.example"),
        ("ann@example.com", "ANN@EXAMPLE.COM"),
    ],
    ids=["nfc-nfd", "full-width", "idn-punycode", "case"],
)
def test_emails_equal_after_normalisation_are_duplicates(
    ctx: ServiceContext, tmp_path: Path, first: str, second: str
) -> None:
    assert email_key(parse_email(first)) == email_key(parse_email(second))
    text = f"email,full_name,time_zone\n{first},A,UTC\n{second},B,UTC\n"
    errors = _errors(ctx, _csv(tmp_path, text))
    assert len(errors) == 1 and ":3:email: duplicate email" in errors[0]
    assert "(also on row 2)" in errors[0]
    # and a later file with the other spelling updates the stored person
    import_participants(ctx, _csv(tmp_path, f"email,full_name,time_zone\n{first},A,UTC\n"))
    again = import_participants(
        ctx, _csv(tmp_path, f"email,full_name,time_zone\n{second},A,UTC\n", "b.csv")
    )
    assert again.created == 0 and again.rows == 1


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e3", "2.5", "NaN", "", "٣"])
def test_capacity_that_is_not_a_whole_number_is_a_message(text: str) -> None:
    with pytest.raises(FieldProblem, match="must be a whole number from 0 to 50"):
        parse_capacity(text)
    assert parse_capacity("2.0") == 2 and parse_capacity("0") == 0


def test_capacity_nan_in_a_file_names_the_row(ctx: ServiceContext, tmp_path: Path) -> None:
    ctx.session.add(Program(name="Pilot"))
    ctx.session.commit()
    text = "email,full_name,time_zone,role,capacity\nm@example.com,M,UTC,mentor,nan\n"
    errors = _errors(ctx, _csv(tmp_path, text), program="Pilot")
    assert errors[0].endswith(":2:capacity: capacity 'nan' must be a whole number from 0 to 50")


def test_an_over_wide_skill_label_is_refused_on_both_backends(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    label = "S" * 121
    text = f"email,full_name,time_zone,teaches\na@example.com,A,UTC,{label}:3\n"
    errors = _errors(ctx, _csv(tmp_path, text))
    assert "is 121 characters long; at most 120 fit" in errors[0]
    ok = f"email,full_name,time_zone,teaches\na@example.com,A,UTC,{'S' * 120}:3\n"
    assert import_participants(ctx, _csv(tmp_path, ok, "ok.csv")).created == 1
    assert ctx.session.scalar(sa.select(sa.func.count()).select_from(PersonSkill)) == 1


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x85"])
def test_control_characters_in_names_are_refused_with_the_row(
    ctx: ServiceContext, tmp_path: Path, char: str
) -> None:
    text = f'email,full_name,time_zone\na@example.com,"An{char}n",UTC\n'
    errors = _errors(ctx, _csv(tmp_path, text))
    assert len(errors) == 1 and ":2:full_name: contains the control character U+" in errors[0]


def test_xlsx_export_names_an_unwritable_cell_and_leaves_the_old_file(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    import_participants(ctx, _csv(tmp_path, f"{HEADER}\n{ANN}\n"))
    out = tmp_path / "out.xlsx"
    export_participants(ctx, out)
    before = out.read_bytes()
    ctx.session.execute(sa.update(Person).values(full_name="An\x01n"))  # written outside import
    ctx.session.commit()
    with pytest.raises(ImportFailed, match="2:full_name: contains the control character U\\+0001"):
        export_participants(ctx, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_export_into_a_missing_folder_is_a_message(ctx: ServiceContext, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_table(tmp_path / "nope" / "out.csv", ["email"], [])


# ---- lenient parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Monkey 09:00-10:00", "'Monkey' is not a weekday"),
        ("Funday 09:00-10:00", "'Funday' is not a weekday"),
        ("Mond 09:00-10:00", "'Mond' is not a weekday"),
    ],
)
def test_weekdays_are_read_strictly(text: str, message: str) -> None:
    with pytest.raises(FieldProblem, match=message):
        parse_availability(text)
    assert parse_availability("Monday 09:00-10:00; tue 10:00-11:00; Thur 08:00-09:00") == [
        (0, 540, 600),
        (1, 600, 660),
        (3, 480, 540),
    ]


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin"])
def test_zones_that_are_not_places_are_refused(zone: str) -> None:
    with pytest.raises(FieldProblem, match="unknown IANA time zone"):
        parse_time_zone(zone)


@pytest.mark.parametrize(
    ("text", "message"),
    [("zz", "'zz' is not an ISO 639-1 language code"), ("en; en:native", "listed twice")],
)
def test_languages_must_exist_and_appear_once(text: str, message: str) -> None:
    with pytest.raises(FieldProblem, match=message):
        parse_languages(text)


def test_a_semicolon_file_is_told_about_the_delimiter(ctx: ServiceContext, tmp_path: Path) -> None:
    errors = _errors(ctx, _csv(tmp_path, "email;full_name;time_zone\na@example.com;A;UTC\n"))
    assert errors == [
        f"{tmp_path / 'people.csv'}:1: the header is separated by semicolons (';'), but the "
        'delimiter must be a comma; save the file as comma-separated CSV ("CSV UTF-8" in Excel)'
    ]


def test_an_unclosed_quote_is_reported_where_it_opens(ctx: ServiceContext, tmp_path: Path) -> None:
    text = 'email,full_name,time_zone\na@example.com,A,UTC\nb@example.com,"B,UTC\nc@x.com,C,UTC\n'
    errors = _errors(ctx, _csv(tmp_path, text))
    assert errors == [
        f"{tmp_path / 'people.csv'}:3: malformed CSV: a quoted field opened on this line is "
        "never closed (a missing '\"')"
    ]


def test_an_xlsx_formula_without_a_cached_value_is_named(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    rows = [["email", "full_name", "time_zone"], ['=LOWER("A@EXAMPLE.COM")', "A", "UTC"]]
    errors = _errors(ctx, _xlsx(tmp_path / "f.xlsx", rows))
    assert len(errors) == 1
    assert (
        ':2: cell A2 holds a formula (=LOWER("A@EXAMPLE.COM")) whose value was never' in (errors[0])
    )


def test_a_sparse_huge_xlsx_is_refused_quickly(ctx: ServiceContext, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "email", "full_name", "time_zone"
    sheet["XFD1"] = "x"
    sheet["A200000"] = "y"
    path = tmp_path / "sparse.xlsx"
    book.save(path)
    assert path.stat().st_size < 20_000
    started = time.perf_counter()
    errors = _errors(ctx, path)
    assert time.perf_counter() - started < 5
    assert "the sheet has a cell at XFD1: more than 200 columns are not read" in errors[0]
