"""Reading the first sheet of an .xlsx workbook as strings, streaming and within limits.

Why not openpyxl or pandas: a 6 KB workbook with one cell at XFD1 and one at A200000
makes them allocate the whole rectangle (more than 3 GB); merged cells come back empty, so
an import would clear stored values; a formula whose value was never cached reads as an
empty cell. This reader parses the sheet XML as a stream (``iterparse``), keeps only the
cells that exist, refuses a sheet beyond :data:`MAX_ROWS` × :data:`MAX_COLUMNS` as soon as
it meets a cell outside, copies each merged range's top-left value into the range, and
names a formula without a cached value.

Problems raise :class:`XlsxProblem` with a message and, where known, the row.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, iterparse

MAX_ROWS = 100_000  # data rows plus the header
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # what Excel itself allows in a cell
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024  # a zip bomb stops here, before it is inflated

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")


class XlsxProblem(ValueError):
    """The workbook cannot be read as a participant sheet; ``row`` is 1-based when known."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True)
class Sheet:
    """Cells by 0-based (row, column); ``rows``/``columns`` bound the used area."""

    cells: dict[tuple[int, int], str]
    rows: int
    columns: int

    def row_values(self, row: int) -> list[str]:
        return [self.cells.get((row, col), "") for col in range(self.columns)]


def column_index(letters: str) -> int:
    """``A`` → 0, ``Z`` → 25, ``AA`` → 26, ``XFD`` → 16383."""
    value = 0
    for ch in letters:
        value = value * 26 + (ord(ch) - 64)
    return value - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _parse_ref(ref: str) -> tuple[int, int]:
    match = _REF.match(ref.upper())
    if not match:
        raise XlsxProblem(f"cell reference {ref!r} is not valid")
    return int(match.group(2)) - 1, column_index(match.group(1))


def _check_limits(row: int, col: int, ref: str) -> None:
    if row >= MAX_ROWS:
        raise XlsxProblem(
            f"the sheet has a cell at {ref}: more than {MAX_ROWS:,} rows are not read; "
            "split the file or delete the stray cells",
            row + 1,
        )
    if col >= MAX_COLUMNS:
        raise XlsxProblem(
            f"the sheet has a cell at {ref}: more than {MAX_COLUMNS} columns are not read; "
            "delete the stray cells",
            row + 1,
        )


def _text_of(element: Element) -> str:
    """The text of a shared string or an inline string (plain or rich text runs)."""
    return "".join(t.text or "" for t in element.iter(f"{_MAIN}t"))


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError as exc:
        raise XlsxProblem("not an .xlsx workbook (no xl/workbook.xml inside)") from exc
    from xml.etree.ElementTree import fromstring

    try:
        sheets = fromstring(workbook).find(f"{_MAIN}sheets")
        targets = {r.get("Id"): r.get("Target", "") for r in fromstring(rels)}
    except ParseError as exc:
        raise XlsxProblem(f"the workbook structure is damaged ({exc})") from exc
    if sheets is None or len(sheets) == 0:
        raise XlsxProblem("the workbook has no sheets")
    target = targets.get(sheets[0].get(f"{_REL}id"), "")
    if not target:
        raise XlsxProblem("the workbook's first sheet cannot be found")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        handle = archive.open("xl/sharedStrings.xml")
    except KeyError:
        return []
    strings: list[str] = []
    with handle:
        for _event, element in iterparse(handle):
            if element.tag == f"{_MAIN}si":
                strings.append(_text_of(element)[: MAX_CELL_CHARS + 1])
                element.clear()
    return strings


def _number_text(raw: str) -> str:
    """Numbers as a person typed them: ``3`` not ``3.0``."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return raw


def _cells(
    handle: object, strings: list[str]
) -> Iterator[tuple[str, int, int, str] | tuple[str, str]]:
    """("cell", row, col, text) for each cell with a value, then ("merge", ref) per range."""
    for _event, element in iterparse(handle):  # type: ignore[arg-type]
        tag = element.tag
        if tag == f"{_MAIN}c":
            ref = element.get("r")
            if ref is None:
                raise XlsxProblem("a cell has no reference (the sheet was not saved by Excel?)")
            row, col = _parse_ref(ref)
            kind = element.get("t", "n")
            value = element.find(f"{_MAIN}v")
            formula = element.find(f"{_MAIN}f")
            if kind == "inlineStr":
                inline = element.find(f"{_MAIN}is")
                text = _text_of(inline) if inline is not None else ""
            elif value is None or value.text is None:
                if formula is not None:
                    raise XlsxProblem(
                        f"cell {ref} holds a formula (={formula.text or ''}) whose value was "
                        "never calculated; open the file in a spreadsheet program, save it, "
                        "and import it again (or paste the values only)",
                        row + 1,
                    )
                text = ""
            elif kind == "s":
                try:
                    text = strings[int(value.text)]
                except (ValueError, IndexError):
                    raise XlsxProblem(
                        f"cell {ref} refers to a shared string that does not exist", row + 1
                    ) from None
            elif kind == "b":
                text = "TRUE" if value.text.strip() == "1" else "FALSE"
            elif kind == "e":
                raise XlsxProblem(f"cell {ref} holds the error value {value.text}", row + 1)
            elif kind == "n":
                text = _number_text(value.text)
            else:  # "str" (a formula's text result) and anything else: the text as stored
                text = value.text
            if text:
                _check_limits(row, col, ref)
                if len(text) > MAX_CELL_CHARS:
                    raise XlsxProblem(
                        f"cell {ref} holds more than {MAX_CELL_CHARS:,} characters", row + 1
                    )
                yield ("cell", row, col, text)
            element.clear()
        elif tag == f"{_MAIN}row":
            element.clear()
        elif tag == f"{_MAIN}mergeCell":
            yield ("merge", element.get("ref", ""))


def read_first_sheet(data: zipfile.ZipFile | str | object) -> Sheet:
    """The first sheet of the workbook ``data`` (a path or a binary file object)."""
    try:
        archive = zipfile.ZipFile(data)  # type: ignore[arg-type]
    except zipfile.BadZipFile as exc:
        raise XlsxProblem(f"not a readable .xlsx workbook (BadZipFile: {exc})") from exc
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_UNCOMPRESSED_BYTES:
            raise XlsxProblem(
                f"the workbook unpacks to {total / 1e6:,.0f} MB; at most "
                f"{MAX_UNCOMPRESSED_BYTES / 1e6:,.0f} MB are read"
            )
        try:
            strings = _shared_strings(archive)
            path = _first_sheet_path(archive)
            try:
                handle = archive.open(path)
            except KeyError:
                raise XlsxProblem(f"the workbook's first sheet ({path}) is missing") from None
            cells: dict[tuple[int, int], str] = {}
            merges: list[str] = []
            with handle:
                for item in _cells(handle, strings):
                    if item[0] == "cell":
                        _, row, col, text = item  # type: ignore[misc]
                        cells[row, col] = text
                    else:
                        merges.append(item[1])  # type: ignore[arg-type]
        except ParseError as exc:
            raise XlsxProblem(f"the sheet's XML is damaged ({exc})") from exc
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise XlsxProblem(f"the workbook is damaged ({exc})") from exc
    _expand_merges(cells, merges)
    rows = 1 + max((r for r, _ in cells), default=-1)
    columns = 1 + max((c for _, c in cells), default=-1)
    return Sheet(cells, rows, columns)


def _expand_merges(cells: dict[tuple[int, int], str], merges: list[str]) -> None:
    """A merged range shows its top-left value in every cell it covers, so it is read so."""
    for ref in merges:
        first, _, last = ref.partition(":")
        if not last:
            continue
        (r1, c1), (r2, c2) = _parse_ref(first), _parse_ref(last)
        _check_limits(r2, c2, last)
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_ROWS * 4:
            raise XlsxProblem(f"merged range {ref} is too large to read", r1 + 1)
        value = cells.get((r1, c1), "")
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1) and cells.get((r, c)):
                    raise XlsxProblem(f"merged range {ref} hides a value at "
                                      f"{column_letters(c)}{r + 1}", r + 1)  # fmt: skip
                if value:
                    cells[r, c] = value
