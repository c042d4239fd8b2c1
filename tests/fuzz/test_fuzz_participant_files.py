"""Fuzzing participant files: CSV and XLSX built from the documented columns, then mutated.

Properties, for every generated file, on SQLite and PostgreSQL:

1. the import either succeeds or raises :class:`ImportFailed` whose every error carries a
   message (and a row inside the file when it names one): never any other exception;
2. after a rejected import the database fingerprint (row counts and a hash of every row
   of every table) is unchanged;
3. after an accepted import, export → import reports nothing created or updated and
   leaves the fingerprint unchanged (in CSV and in XLSX).

Budget: see ``tests/fuzz/conftest.py`` (``MENTORMATCH_FUZZ_PROFILE=long`` for a long run).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.participants import COLUMNS, REQUIRED_COLUMNS, ImportFailed
from mentormatch_desktop.services.participants import export_participants, import_participants
from mentormatch_desktop.storage.models import Program
from mentormatch_desktop.testing import UnitOfWork

Fingerprint = Callable[[Engine], dict[str, tuple[int, str]]]
Table = tuple[list[str], list[list[str]]]

# Values a coordinator's spreadsheet plausibly holds, good and bad, plus Unicode edges.
EDGE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
POOLS: dict[str, st.SearchStrategy[str]] = {
    "external_id": st.sampled_from(["E1", "E2", "E3", "", "E" * 70, " E1 "]),
    "email": st.sampled_from(
        [
            "ann@example.com",
            "ben@example.com",
            "cy@example.org",
            "ANN@Example.com",
            "ａnn@example.com",
            "dee@bücher.example",
            "dee@xn--bcher-kva.example",
            "josé@example.com",
            "jose\u0301@example.com",
            "not-an-email",
            "",
            "a@b",
            "x" * 250 + "@example.com",
        ]
    ),
    "full_name": st.one_of(st.sampled_from(["Ann", "Ben Chen", "José Núñez", ""]), EDGE_TEXT),
    "title": st.one_of(st.sampled_from(["Analyst", "", "T" * 130]), EDGE_TEXT),
    "preferred_name": st.one_of(
        st.sampled_from(["Jun Jie", "", "  Max  ", "P" * 90, "two\nlines"]), EDGE_TEXT
    ),
    "department": st.sampled_from(["Finance", "finance", "Platform", "", "D" * 130]),
    "manager_email": st.sampled_from(["", "ann@example.com", "ben@example.com", "boss@x.org"]),
    "time_zone": st.sampled_from(
        ["UTC", "Europe/Berlin", "Asia/Tokyo", "localtime", "Factory", "Mars/Base", ""]
    ),
    "languages": st.sampled_from(["en", "de:native", "pt:native; en", "zz", "en; en", ":", ""]),
    "role": st.sampled_from(["mentor", "mentee", "peer", "boss", ""]),
    "capacity": st.sampled_from(["1", "2", "0", "nan", "inf", "2.0", "-1", "51", "1e3", ""]),
    "cohort": st.sampled_from(["A", "", "C" * 50]),
    "teaches": st.sampled_from(["SQL:4", "Python:2; SQL:1", "ML", "S" * 130 + ":3", "x:9", ""]),
    "learns": st.sampled_from(["Python:2", "SQL:1; sql:2", "k8s", "", "a:b"]),
    "goals": st.sampled_from(["Learn SQL | Lead a team", "", "G" * 300, "Present at all-hands"]),
    "availability": st.sampled_from(
        [
            "Mon 09:00-10:00",
            "Monday 09:00-10:00; Wed 14:00-16:30",
            "Monkey 09:00-10:00",
            "Mon 11:00-09:00",
            "Sun 23:00-24:00",
            "Mon 09:00-11:00; Mon 10:00-12:00",
            "",
        ]
    ),
    "bio": st.one_of(
        st.sampled_from(["Likes data.", "", "line one\r\nline two", "=1+1"]), st.text(max_size=40)
    ),
    "must_not_match": st.sampled_from(["", "ben@example.com", "ann@example.com; cy@example.org"]),
}
MUTATIONS = (
    "none",
    "short_row",
    "long_row",
    "semicolons",
    "latin1",
    "utf16",
    "unclosed_quote",
    "huge_cell",
    "blank_lines",
    "crlf",
    "duplicate_column",
    "unknown_column",
)


@st.composite
def participant_tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    optional = [c for c in COLUMNS if c not in REQUIRED_COLUMNS]
    chosen = draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    header = draw(st.permutations([*REQUIRED_COLUMNS, *chosen]))
    n = draw(st.integers(min_value=1, max_value=4))
    rows = [[draw(POOLS[c]) for c in header] for _ in range(n)]
    return list(header), rows


def _csv_bytes(header: list[str], rows: list[list[str]], mutation: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if mutation == "crlf" else "\n")
    if mutation == "duplicate_column":
        header = [*header, header[0]]
        rows = [[*r, r[0]] for r in rows]
    if mutation == "unknown_column":
        header = [*header, "emial"]
        rows = [[*r, "x"] for r in rows]
    writer.writerow(header)
    for k, row in enumerate(rows):
        if mutation == "short_row" and k == len(rows) - 1 and len(row) > 1:
            row = row[:-1]
        if mutation == "long_row" and k == 0:
            row = [*row, "extra"]
        if mutation == "huge_cell" and k == 0:
            row = [row[0] + "x" * 70_000, *row[1:]]
        writer.writerow(row)
        if mutation == "blank_lines":
            buffer.write("\n")
    text = buffer.getvalue()
    if mutation == "semicolons":
        text = text.replace(",", ";")
    if mutation == "unclosed_quote":
        text = text.replace("\n", '\n"', 1)
    if mutation == "latin1":
        return text.encode("latin-1", errors="replace")
    if mutation == "utf16":
        return text.encode("utf-16")
    return text.encode("utf-8")


def _xlsx_bytes(header: list[str], rows: list[list[str]], mutation: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        cells = []
        for column, value in zip(header, row, strict=True):
            if column == "capacity" and value.isdigit():
                cells.append(int(value))  # a number cell, as a spreadsheet stores it
            else:
                cells.append(value or None)
        # .xlsx cannot hold control characters: a spreadsheet never contains them
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
    if mutation == "short_row" and len(rows) > 1:  # a merged block down the last column
        col = openpyxl.utils.get_column_letter(len(header))
        sheet.merge_cells(f"{col}2:{col}{len(rows) + 1}")
    if mutation == "long_row":  # a formula never calculated
        sheet.cell(row=2, column=1, value='=LOWER("A@EXAMPLE.COM")')
    if mutation == "huge_cell":
        sheet.cell(row=2, column=len(header) + 1, value="stray")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ensure_programs(uow: UnitOfWork) -> None:
    with uow() as ctx:
        if ctx.session.scalar(sa.select(sa.func.count()).select_from(Program)) == 0:
            ctx.session.add_all(
                [Program(name="Pairs", kind="one_to_one"), Program(name="Peers", kind="peer")]
            )


def _check_import(
    engine: Engine,
    uow: UnitOfWork,
    data: bytes,
    suffix: str,
    program: str | None,
    fingerprint: Fingerprint,
) -> None:
    """The properties, through the callers' real path: one unit of work per action."""
    _ensure_programs(uow)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"people{suffix}"
        path.write_bytes(data)
        before = fingerprint(engine)
        try:
            with uow() as ctx:
                import_participants(ctx, path, program=program)
        except ImportFailed as failed:
            assert failed.errors, "ImportFailed without errors"
            for error in failed.errors:
                assert error.message.strip(), f"an error without a message: {error!r}"
                assert error.row is None or error.row >= 1
            assert fingerprint(engine) == before, "a rejected import changed the database"
            return
        for out_suffix in (".csv", ".xlsx"):
            out = Path(scratch) / f"export{out_suffix}"
            with uow() as ctx:
                export_participants(ctx, out, program=program)
            snapshot = fingerprint(engine)
            with uow() as ctx:
                again = import_participants(ctx, out, program=program)
            assert (again.created, again.updated) == (0, 0), (
                f"export → import ({out_suffix}) changed {again.updated} rows"
            )
            # the import's own audit row is the one thing it adds
            after = fingerprint(engine)
            changed = {t for t in after if after[t] != snapshot[t]}
            assert changed <= {"audit_log"}, f"export → import changed {sorted(changed)}"


@given(
    table=participant_tables(),
    mutation=st.sampled_from(MUTATIONS),
    program=st.sampled_from([None, "Pairs", "Peers"]),
)
@example(
    table=(["email", "full_name", "time_zone"], [["ann@example.com", "Ann", "UTC"]]),
    mutation="none",
    program=None,
)
def test_csv_import_is_precise_atomic_and_round_trips(
    engine: Engine,
    uow: UnitOfWork,
    db_fingerprint: Fingerprint,
    table: Table,
    mutation: str,
    program: str | None,
) -> None:
    header, rows = table
    _check_import(engine, uow, _csv_bytes(header, rows, mutation), ".csv", program, db_fingerprint)


@given(
    table=participant_tables(),
    mutation=st.sampled_from(["none", "short_row", "long_row", "huge_cell"]),
    program=st.sampled_from([None, "Pairs"]),
)
def test_xlsx_import_is_precise_atomic_and_round_trips(
    engine: Engine,
    uow: UnitOfWork,
    db_fingerprint: Fingerprint,
    table: Table,
    mutation: str,
    program: str | None,
) -> None:
    header, rows = table
    _check_import(
        engine, uow, _xlsx_bytes(header, rows, mutation), ".xlsx", program, db_fingerprint
    )


@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes_are_refused_precisely(
    engine: Engine, uow: UnitOfWork, db_fingerprint: Fingerprint, data: bytes, suffix: str
) -> None:
    _check_import(engine, uow, data, suffix, None, db_fingerprint)
