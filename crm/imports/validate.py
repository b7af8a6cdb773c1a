"""Checking every row of an import: pure Python over text cells, no database.

Each field has a parser (:mod:`.parsers`) that turns a non-empty cell into the stored value or
raises :class:`Bad`. A row's errors name the row number, the column as the file calls it and
the offending value (:class:`RowError`).
"""
from dataclasses import dataclass, field

from ..journeys.errors import N_
from .columns import fields_of
from .parsers import (Bad, Municipalities, parse_bool, parse_bottlenecks, parse_date,
                      parse_email, parse_employees, parse_establishment, parse_kind,
                      parse_kvk, parse_name, parse_phase, parse_phone, parse_sbi, parse_size,
                      parse_past_date, parse_score, parse_text, parse_topics,
                      parse_trade_names, parse_website)


@dataclass
class RowError:
    #: Row number as a spreadsheet shows it (the header is row 1).
    row: int
    #: The column as the file names it ('' when the problem is the row as a whole).
    column: str
    #: The offending value as it was in the file.
    value: str
    #: An English msgid, translated where it is shown; and its parameters.
    message: str
    params: dict = field(default_factory=dict)


@dataclass
class Checked:
    """The rows that passed, with their values, and every error found."""

    #: (row number, {field: value}) for rows without errors; only non-empty cells.
    rows: list[tuple[int, dict]]
    errors: list[RowError]
    #: Row numbers with at least one error.
    invalid: set[int]
    #: Number of data rows in the file.
    total: int

    def reject(self, row: int, column: str, value: str, message: str, **params) -> None:
        """Add an error found later (against the database); the row is dropped."""
        self.errors.append(RowError(row, column, value, message, params))
        self.invalid.add(row)


def memo(parse):
    """``parse`` remembering its answers: for columns with few distinct values (SBI code,
    municipality, size class, kind), so 100,000 rows cost a few hundred parses."""
    answers: dict = {}

    def parse_once(text: str):
        answer = answers.get(text)
        if answer is None:
            try:
                answer = answers[text] = (True, parse(text))
            except Bad as problem:
                answer = answers[text] = (False, problem)
        if answer[0]:
            return answer[1]
        raise answer[1]
    return parse_once


def parsers(kind: str, municipalities: Municipalities | None) -> dict:
    """Field → parser for one kind of import."""
    if kind == "companies":
        if municipalities is None:
            raise ValueError("a company import needs the municipalities")
        return {"kvk": parse_kvk, "name": parse_name, "trade_names": parse_trade_names,
                "establishment_number": parse_establishment, "sbi_code": memo(parse_sbi),
                "employees": memo(parse_employees), "size_class": memo(parse_size),
                "phase": memo(parse_phase), "municipality": memo(municipalities.parse),
                "website": parse_website, "non_mailing": memo(parse_bool)}
    if kind == "contacts":
        return {"kvk": parse_kvk, "name": parse_name, "email": parse_email,
                "phone": parse_phone, "role": parse_text(100)}
    if kind == "interventions":
        return {"kvk": parse_kvk, "occurred_on": memo(parse_date), "kind": memo(parse_kind),
                "bottlenecks": memo(parse_bottlenecks), "topics": memo(parse_topics),
                "summary": parse_text(8000), "internal_note": parse_text(8000)}
    if kind == "dma":
        from ..models.vocabulary import DMA_DIMENSION_NAMES
        return {"kvk": parse_kvk, "assessed_on": memo(parse_past_date),
                **{d: memo(parse_score) for d in DMA_DIMENSION_NAMES}}
    raise ValueError(kind)


def check_rows(kind: str, headers: list[str], rows, mapping: list[str | None],
               municipalities: Municipalities | None = None,
               first_rows: dict[str, int] | None = None) -> Checked:
    """Parse every mapped, non-empty cell of every row; required fields must be filled in.

    A company's KVK number may be in the file once: a later row with the same number is an
    error naming the first. ``first_rows`` (KVK number → its first row in the whole file, see
    :func:`first_rows_by_kvk`) lets the rows be checked in parts and in any order."""
    table = parsers(kind, municipalities)
    columns = [(i, key, headers[i] if i < len(headers) else "", table[key])
               for i, key in enumerate(mapping) if key]
    kvk_column = next((header for _, key, header, _ in columns if key == "kvk"), "kvk")
    valid: list[tuple[int, dict]] = []
    errors: list[RowError] = []
    invalid: set[int] = set()
    seen_kvk: dict[str, int] = {} if first_rows is None else first_rows
    unique_kvk = kind == "companies"
    required = {f.key: N_("Fill in this cell: it is required.")
                for f in fields_of(kind) if f.required}
    required["kvk"] = N_("Enter the KVK number.")
    for number, cells in rows:
        values: dict = {}
        bad = False
        width = len(cells)
        for index, key, header, parse in columns:
            text = cells[index].strip() if index < width else ""
            if not text:
                if key in required:
                    errors.append(RowError(number, header, "", required[key]))
                    bad = True
                continue
            try:
                values[key] = parse(text)
            except Bad as problem:
                errors.append(RowError(number, header, text, problem.message, problem.params))
                bad = True
        if "kvk" not in values and not bad:
            errors.append(RowError(number, kvk_column, "", N_("Enter the KVK number.")))
            bad = True
        if unique_kvk and "kvk" in values:
            first = seen_kvk.setdefault(values["kvk"], number)
            if first != number:
                errors.append(RowError(number, kvk_column, values["kvk"], N_(
                    "This KVK number is also in row %(row)d; a company can be in the file "
                    "only once."), {"row": first}))
                bad = True
        if bad:
            invalid.add(number)
        else:
            valid.append((number, values))
    return Checked(valid, errors, invalid, len(rows))


def first_rows_by_kvk(rows, index: int) -> dict[str, int]:
    """KVK number → the first row it is in, for the KVK numbers in column ``index`` that
    parse (the others are reported when their row is checked)."""
    first: dict[str, int] = {}
    for number, cells in rows:
        text = cells[index].strip() if index < len(cells) else ""
        if text:
            try:
                first.setdefault(parse_kvk(text), number)
            except Bad:
                pass
    return first
