"""Reading and writing participant files (CSV, XLSX) as plain rows of strings.

File-level problems (not found, empty, not UTF-8, not a workbook, broken CSV quoting) are
raised as :class:`ImportFailed` naming the file and, where known, the row and byte.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mentormatch_desktop.domain.participants import ImportFailed, ImportRowError

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


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


def read_table(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the data rows (all values as stripped strings) of a CSV/XLSX file."""
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
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                io.StringIO(_decode(file, data)),
                header=None,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=True,
            )
        else:
            frame = pd.read_excel(
                io.BytesIO(data),
                engine="openpyxl",
                header=None,
                dtype=str,
                keep_default_na=False,
                sheet_name=0,
            )
    except ImportFailed:
        raise
    except pd.errors.EmptyDataError as exc:
        raise _fail(file, "file is empty: expected a header row and participant rows") from exc
    except pd.errors.ParserError as exc:
        raise _fail(file, f"malformed CSV: {str(exc).strip()}") from exc
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        if suffix == ".xlsx":
            raise _fail(
                file, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
            ) from exc
        raise _fail(file, f"cannot parse the file: {exc}") from exc
    except Exception as exc:  # openpyxl raises its own types for broken workbooks
        raise _fail(file, f"not a readable {suffix} file ({type(exc).__name__}: {exc})") from exc
    if frame.empty:
        raise _fail(file, "file is empty: expected a header row and participant rows")
    frame = frame.fillna("")
    header = [str(v).strip() for v in frame.iloc[0].tolist()]
    # Spreadsheets often carry empty trailing columns: drop those with no header and no data.
    keep = [k for k, h in enumerate(header) if h or frame.iloc[1:, k].astype(str).str.strip().any()]
    header = [header[k] for k in keep]
    rows = [
        {header[i]: _cell(values[k]) for i, k in enumerate(keep)}
        for values in frame.iloc[1:].itertuples(index=False, name=None)
    ]
    return header, rows


# A CSV cell starting with one of these is run as a formula by spreadsheet programs
# ("CSV injection"); export writes it behind a single quote and import takes the quote off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text.strip()


def _defuse(value: str) -> str:
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_table(path: str | Path, header: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    """Write rows (strings) as UTF-8 CSV or as the first sheet of an .xlsx workbook."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"unsupported file type {suffix or '(none)'!r}; use .csv or .xlsx")
    frame = pd.DataFrame(list(rows), columns=list(header), dtype=str)
    if suffix == ".csv":
        frame.map(_defuse).to_csv(path, index=False, encoding="utf-8")
    else:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="participants")
            sheet = writer.sheets["participants"]
            for row in sheet.iter_rows(min_row=2):
                for cell in row:  # text that looks like a formula stays text
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
