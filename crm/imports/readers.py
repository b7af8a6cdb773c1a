"""Reading an uploaded table: CSV (separator and encoding detected) or Excel (.xlsx).

The result is a :class:`Table` of text cells: the header row and the data rows, each with the
row number a spreadsheet would show (the header is row 1). Anything that is not a readable
table raises :class:`FileProblem` with a message for the user (a msgid) — never an exception
from the parser.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from ..journeys.errors import N_, DomainError

#: Separators recognised in CSV files, in order of preference when equally plausible.
SEPARATORS = (";", ",", "\t", "|")
#: More columns than this is not a table of companies, contacts or interventions.
MAX_COLUMNS = 200
#: More data rows than this are refused (split the file).
MAX_ROWS = 1_000_000
#: A cell longer than this is refused rather than silently cut.
MAX_CELL = 100_000


class FileProblem(DomainError):
    """The file cannot be read as a table."""

    message = N_("This file cannot be read as a table.")


@dataclass
class Table:
    headers: list[str]
    #: (row number as a spreadsheet shows it, cells) for every non-empty data row.
    rows: list[tuple[int, list[str]]]
    #: How the file was read: ``csv`` or ``xlsx``.
    format: str = "csv"
    encoding: str | None = None
    separator: str | None = None
    notes: list[str] = field(default_factory=list)


def read_table(data: bytes, filename: str | None = None) -> Table:
    """Read ``data`` (the file's bytes) as CSV or .xlsx, whichever it is."""
    if not data or not data.strip():
        raise FileProblem(N_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(N_("This is an old Excel file (.xls). Save it in Excel as .xlsx or "
                             "as CSV and upload that."))
    if data[:5] == b"%PDF-":
        raise FileProblem(N_("This is a PDF file. Upload a CSV or Excel (.xlsx) file."))
    return read_csv(data)


# --- CSV ---------------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1252. Binary data raises FileProblem."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text, {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "utf-16": "UTF-16",
                      "cp1252": "Windows-1252"}[encoding]
    raise FileProblem(N_("This is not a CSV or Excel (.xlsx) file: it contains binary data. "
                         "Save the sheet as CSV or .xlsx and upload that."))


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    control = sum(1 for c in sample if c < " " and c not in "\t\r\n\f")
    return control > max(2, len(sample) // 200)


def sniff_separator(text: str) -> str:
    """The separator that splits the first lines into the same, largest number of columns."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    sample = "\n".join(lines)
    best, best_score = SEPARATORS[0], (0, 0)
    for separator in SEPARATORS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=separator)
                      if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not counts:
            continue
        header = counts[0]
        consistent = sum(1 for c in counts if c == header)
        # More rows agreeing with the header first, then more columns.
        score = (consistent if header > 1 else 0, header)
        if score > best_score:
            best, best_score = separator, score
    return best


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=False)
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    number = 0
    try:
        for cells in reader:
            number += 1
            joined = "".join(cells)  # one string: blank rows and long cells found in C
            if not joined.strip():
                continue
            if headers is None:
                headers = _headers(cells, number)
                continue
            _check_row(cells, number, len(joined))
            rows.append((number, cells))  # cells are stripped where they are read
    except csv.Error as exc:
        raise FileProblem(N_("Row %(row)d cannot be read: %(problem)s"), row=number + 1,
                          problem=str(exc))
    if headers is None:
        raise FileProblem(N_("The file is empty."))
    return Table(headers, rows, "csv", encoding, separator)


def _headers(cells: list, number: int) -> list[str]:
    headers = [" ".join(str(c or "").split()) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise FileProblem(N_("The file has %(n)d columns; at most %(max)d are read. Is the "
                             "first row the header?"), n=len(headers), max=MAX_COLUMNS)
    return headers


def _check_row(cells: list, number: int, length: int) -> None:
    """``length``: the row's characters, all cells together."""
    if number > MAX_ROWS + 1:
        raise FileProblem(N_("The file has more than %(max)d rows. Split it into smaller "
                             "files."), max=MAX_ROWS)
    if length <= MAX_CELL:
        return
    for cell in cells:
        if len(cell) > MAX_CELL:
            raise FileProblem(N_("Row %(row)d has a cell of more than %(max)d characters."),
                              row=number, max=MAX_CELL)


# --- Excel -------------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A cell value as the text a user typed: whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_xlsx(data: bytes) -> Table:
    """The first worksheet of an .xlsx workbook (read-only, cached values of formulas)."""
    import zipfile

    from openpyxl import load_workbook
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise FileProblem(N_("This Excel file cannot be opened (%(problem)s). Save it again "
                             "as .xlsx or as CSV."), problem=type(exc).__name__)
    except Exception as exc:  # openpyxl raises a variety of errors on damaged files
        raise FileProblem(N_("This Excel file cannot be opened (%(problem)s). Save it again "
                             "as .xlsx or as CSV."), problem=type(exc).__name__)
    try:
        if not workbook.worksheets:
            raise FileProblem(N_("The file is empty."))
        sheet = workbook.worksheets[0]
        headers: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if not any(cells):
                    continue
                if headers is None:
                    headers = _headers(cells, number)
                    continue
                _check_row(cells, number, sum(map(len, cells)))
                rows.append((number, cells))
        except FileProblem:
            raise
        except Exception as exc:
            raise FileProblem(N_("This Excel file cannot be opened (%(problem)s). Save it "
                                 "again as .xlsx or as CSV."), problem=type(exc).__name__)
        if headers is None:
            raise FileProblem(N_("The file is empty."))
        return Table(headers, rows, "xlsx")
    finally:
        workbook.close()
