"""Reading and writing participant files (CSV, XLSX) as plain rows of strings.

File-level problems (not found, empty, not UTF-8, not a workbook, broken CSV quoting, a
delimiter other than the comma, rows with more or fewer fields than the header) are raised
as :class:`ImportFailed` naming the file and, where known, the row and byte. Every row
comes back with exactly the header's columns, so a short row can never pass for a row of
empty cells (which an import would store as "clear these fields").

Writing goes to a temporary file next to the target that is renamed over it only when
complete: a failed export leaves any earlier file as it was, never half a file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from mentormatch_desktop.domain.participants import ImportFailed, ImportRowError
from mentormatch_desktop.services.atomic import atomic_path, check_folder
from mentormatch_desktop.services.xlsx_stream import MAX_ROWS, XlsxProblem, read_first_sheet

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
MAX_CSV_FIELD_CHARS = 1_000_000


def _fail(file: str, message: str, row: int | None = None) -> ImportFailed:
    return ImportFailed([ImportRowError(file, row, None, message)])


def _decode(file: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(file, 'file is UTF-16 encoded; save it as UTF-8 ("CSV UTF-8" in Excel)', 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise _fail(
            file,
            f"not valid UTF-8: byte 0x{bad} at byte position {exc.start} ({exc.reason}); "
            'save the file as UTF-8 ("CSV UTF-8" in Excel)',
            line,
        ) from exc


def _csv_records(file: str, text: str) -> list[tuple[int, list[str]]]:
    """(line where the record starts, fields) per CSV record; blank lines are kept as []."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    old_limit = csv.field_size_limit(MAX_CSV_FIELD_CHARS)
    try:
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            records.append((start, fields))
            if len(records) > MAX_ROWS:
                raise _fail(file, f"more than {MAX_ROWS:,} rows; split the file", start)
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message or "EOF" in message:
            message = "a quoted field opened on this line is never closed (a missing '\"')"
        elif "field larger than field limit" in message:
            message = f"a field is longer than {MAX_CSV_FIELD_CHARS:,} characters"
        elif "expected ',' after" in message or "delimiter" in message:
            message = f'a quote inside a field must be doubled (""): {message}'
        raise _fail(file, f"malformed CSV: {message}", start) from exc
    finally:
        csv.field_size_limit(old_limit)
    return records


def _check_delimiter(file: str, header: list[str]) -> None:
    if len(header) != 1:
        return
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "vertical bar")):
        if header[0].count(delimiter) >= 2:
            raise _fail(
                file,
                f"the header is separated by {name}s ({delimiter!r}), but the delimiter must "
                'be a comma; save the file as comma-separated CSV ("CSV UTF-8" in Excel)',
                1,
            )


def _read_csv(file: str, data: bytes) -> list[tuple[int, list[str]]]:
    records = _csv_records(file, _decode(file, data))
    while records and not any(f.strip() for f in records[0][1]):
        records.pop(0)  # blank lines above the header
    if records:
        _check_delimiter(file, records[0][1])
    return records


def _read_xlsx(file: str, data: bytes) -> list[tuple[int, list[str]]]:
    try:
        sheet = read_first_sheet(io.BytesIO(data))
    except XlsxProblem as problem:
        raise _fail(file, problem.message, problem.row) from None
    return [(r + 1, sheet.row_values(r)) for r in range(sheet.rows)]


def read_table(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the data rows (all values as stripped strings) of a CSV/XLSX file.

    Row ``k`` of the result is row ``k + 2`` of the file (row 1 is the header); a blank
    line is an empty row, so the numbers in messages are the ones a spreadsheet shows."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _fail(file, f"unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(file, f"cannot read the file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise _fail(file, "file is empty: expected a header row and participant rows")
    records = _read_csv(file, data) if suffix == ".csv" else _read_xlsx(file, data)
    if not records:
        raise _fail(file, "file is empty: expected a header row and participant rows")
    header_line, raw_header = records[0]
    header = [str(v).strip() for v in raw_header]
    body = records[1:]
    # Spreadsheets often carry empty trailing columns: drop those with no header and no data.
    keep = [
        k
        for k, h in enumerate(header)
        if h or any(k < len(fields) and fields[k].strip() for _, fields in body)
    ]
    while keep and keep[-1] >= len(header):
        keep.pop()
    width = len(header)
    errors: list[ImportRowError] = []
    rows: list[dict[str, str]] = []
    for offset, (line, fields) in enumerate(body):
        record_row = offset + 2
        if not any(f.strip() for f in fields):
            rows.append({header[k]: "" for k in keep})
            continue
        if suffix == ".csv" and len(fields) != width:
            where = f" (line {line})" if line != record_row else ""
            fewer = "fewer" if len(fields) < width else "more"
            errors.append(
                ImportRowError(
                    file,
                    record_row,
                    None,
                    f"has {len(fields)} fields but the header has {width}{where}: {fewer} "
                    "fields than columns; a missing comma or an unquoted comma in a value? "
                    "(nothing from this row was read)",
                )
            )
            continue
        rows.append({header[k]: _cell(fields[k] if k < len(fields) else "") for k in keep})
    if errors:
        raise ImportFailed(errors)
    header = [header[k] for k in keep]
    del header_line
    return header, rows


# A CSV cell starting with one of these is run as a formula by spreadsheet programs
# ("CSV injection"); export writes it behind a single quote and import takes the quote off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What an .xlsx cell cannot hold (XML 1.0 forbids these code points).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text.strip()


def _defuse(value: str) -> str:
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _check_xlsx_cells(file: str, header: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    errors = []
    for k, row in enumerate(rows, start=2):
        for column in header:
            bad = _XLSX_ILLEGAL.search(row.get(column) or "")
            if bad:
                errors.append(
                    ImportRowError(
                        file,
                        k,
                        column,
                        f"contains the control character U+{ord(bad.group()):04X}, which an "
                        ".xlsx file cannot hold; correct it in the profile or export to .csv",
                    )
                )
    if errors:
        raise ImportFailed(errors)


def write_table(path: str | Path, header: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    """Write rows (strings) as UTF-8 CSV or as the first sheet of an .xlsx workbook.

    The file appears complete or not at all (written beside the target, then renamed).
    Raises :class:`ImportFailed` naming the cells an .xlsx file cannot hold, and
    ``ValueError``/``OSError`` with a message for a bad suffix or an unwritable place."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx")
    check_folder(path)
    if suffix == ".xlsx":
        _check_xlsx_cells(str(path), header, rows)
    with atomic_path(path) as temporary:
        if suffix == ".csv":
            with open(temporary, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(list(header))
                for row in rows:
                    writer.writerow([_defuse(row.get(c) or "") for c in header])
        else:
            _write_xlsx(temporary, header, rows)


def _write_xlsx(path: Path, header: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("participants")
    sheet.append(list(header))
    for row in rows:
        cells = []
        for column in header:
            cell = WriteOnlyCell(sheet, value=row.get(column) or None)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
            cells.append(cell)
        sheet.append(cells)
    book.save(path)
