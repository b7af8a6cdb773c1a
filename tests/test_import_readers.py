"""Import files as a table: encodings, BOM, separators, .xlsx, headers NL/EN, cell checks."""
import io
from datetime import date

import pytest
from openpyxl import Workbook

from crm.imports import FileProblem, auto_mapping, read_table
from crm.imports.columns import check_mapping
from crm.imports.parsers import Municipalities, parse_bottlenecks, parse_date, parse_kind
from crm.imports.validate import check_rows

ROWS = [["kvk", "naam", "gemeente"], ["01234567", "Café Één B.V.", "Utrecht"],
        ["07654321", "Bakkerij \u201cDe Zon\u201d", "'s-Hertogenbosch"]]


def _csv(rows, separator=";"):
    return "\r\n".join(separator.join(r) for r in rows) + "\r\n"


@pytest.mark.parametrize("encoding,bom,name", [
    ("utf-8", b"", "UTF-8"), ("utf-8", b"\xef\xbb\xbf", "UTF-8 (BOM)"),
    ("cp1252", b"", "Windows-1252"), ("utf-16-le", b"\xff\xfe", "UTF-16")])
def test_encodings_are_detected_and_accents_kept(encoding, bom, name):
    table = read_table(bom + _csv(ROWS).encode(encoding))
    assert table.encoding == name
    assert table.headers == ["kvk", "naam", "gemeente"]  # no BOM glued to the first header
    assert table.rows == [(2, ROWS[1]), (3, ROWS[2])]


@pytest.mark.parametrize("separator", [";", ",", "\t", "|"])
def test_separators_are_sniffed(separator):
    table = read_table(_csv(ROWS, separator).encode())
    assert table.separator == separator
    assert table.rows[0][1] == ROWS[1]


def test_quoted_cells_with_separators_and_newlines_and_row_numbers():
    text = ('kvk,naam,handelsnamen\n\n01234567,"Jansen, Smit & Co","Een\nTwee"\n'
            '07654321,Tweede,\n')
    table = read_table(text.encode())
    assert table.separator == ","
    # Row numbers as a spreadsheet shows them: the empty line 2 is skipped but counted.
    assert table.rows == [(3, ["01234567", "Jansen, Smit & Co", "Een\nTwee"]),
                          (4, ["07654321", "Tweede", ""])]


def test_xlsx_made_with_openpyxl_is_read_with_numbers_and_dates_as_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["KvK-nummer", "Datum", "Soort", "Werkzame personen"])
    sheet.append([1234567, date(2026, 3, 31), "Scan", 12])
    sheet.append([None, None, None, None])
    sheet.append(["07654321", "31-03-2026", "telefoon", 3.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "bestand.xlsx")
    assert table.format == "xlsx"
    assert table.headers == ["KvK-nummer", "Datum", "Soort", "Werkzame personen"]
    assert table.rows == [(2, ["1234567", "2026-03-31", "Scan", "12"]),
                          (4, ["07654321", "31-03-2026", "telefoon", "3"])]


@pytest.mark.parametrize("data,words", [
    (b"", "empty"), (b"   \n\n", "empty"),
    (b"\x00\x01\x02\x03binary\x00\xff" * 20, "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"PK\x03\x04not really a zip", "Excel"),
    (b"%PDF-1.7\n...", "PDF"),
])
def test_unreadable_files_raise_a_clear_problem(data, words):
    with pytest.raises(FileProblem) as caught:
        read_table(data)
    assert words.lower() in (caught.value.message % caught.value.params).lower()


@pytest.mark.parametrize("headers,expected", [
    (["KVK", "Naam", "SBI", "Omvang", "Gemeente", "Fase", "Werkzame personen", "Website"],
     ["kvk", "name", "sbi_code", "size_class", "municipality", "phase", "employees",
      "website"]),
    (["kvk_number", "Name", "sbi-code", "size_class", "Municipality", "phase", "Employees",
      "Trade names"],
     ["kvk", "name", "sbi_code", "size_class", "municipality", "phase", "employees",
      "trade_names"]),
    (["KvK-nummer", "naam", "naam", "opmerking"], ["kvk", "name", None, None]),
])
def test_dutch_and_english_headers_are_recognised(headers, expected):
    assert auto_mapping("companies", headers) == expected


def test_mapping_problems_name_missing_and_doubled_fields():
    problems = check_mapping("interventions", ["kvk", "kind", "kind"])
    messages = [m % p for m, p in problems]
    assert any("more than one column" in m for m in messages)
    assert any("Date" in m for m in messages)


def test_interventions_headers_and_vocabulary_in_both_languages():
    assert auto_mapping("interventions", ["KvK", "Datum", "Soort", "Knelpunten",
                                          "Onderwerpen", "Samenvatting"]) == [
        "kvk", "occurred_on", "kind", "bottlenecks", "topics", "summary"]
    assert parse_kind("Scans & assessments") == "scans"
    assert parse_kind("telefoongesprek") == "telefoon"  # the Dutch label
    assert parse_kind("WORKSHOPS") == "workshops"
    assert parse_bottlenecks("Weten; kunnen") == ["weten", "kunnen"]


@pytest.mark.parametrize("text,expected", [
    ("31-03-2026", date(2026, 3, 31)), ("1-4-2026", date(2026, 4, 1)),
    ("31/03/2026", date(2026, 3, 31)), ("2026-03-31", date(2026, 3, 31)),
    ("2026-03-31 00:00:00", date(2026, 3, 31))])
def test_dutch_and_iso_dates(text, expected):
    assert parse_date(text) == expected


PLACES = Municipalities([(1, "GM0344", "Utrecht", 10), (2, "GM0796", "'s-Hertogenbosch", 11),
                         (3, "GM1900", "Súdwest-Fryslân", 12)])


def test_rows_are_checked_with_row_number_column_and_value():
    headers = ["KvK", "Naam", "SBI", "Werkzame personen", "Gemeente", "Omvang"]
    rows = [(2, ["01234567", "Goed B.V.", "62.01", "4", "UTRECHT", ""]),
            (3, ["123", "Fout", "00123", "veel", "Atlantis", "reus"]),
            (4, ["7654321", "Nul kwijt", "", "", "sudwest fryslan", ""]),
            (5, ["01234567", "Dubbel", "", "", "GM0796", ""]),
            (6, ["", "Geen nummer", "", "", "796", ""])]
    checked = check_rows("companies", headers, rows, auto_mapping("companies", headers), PLACES)
    assert [n for n, _ in checked.rows] == [2, 4]
    assert checked.rows[0][1] == {"kvk": "01234567", "name": "Goed B.V.", "sbi_code": "6201",
                                  "employees": 4, "municipality": (1, 10)}
    assert checked.rows[1][1]["kvk"] == "07654321"  # the leading zero a spreadsheet dropped
    assert checked.rows[1][1]["municipality"] == (3, 12)  # accents and case ignored
    found = {(e.row, e.column, e.value) for e in checked.errors}
    assert {(3, "KvK", "123"), (3, "SBI", "00123"), (3, "Werkzame personen", "veel"),
            (3, "Gemeente", "Atlantis"), (3, "Omvang", "reus"), (5, "KvK", "01234567"),
            (6, "KvK", "")} <= found
    assert checked.invalid == {3, 5, 6}
    duplicate = next(e for e in checked.errors if e.row == 5)
    assert duplicate.params == {"row": 2}


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(max_size=60), st.text(max_size=60))
def test_fast_search_fields_equal_the_companies_helper_for_any_text(name, trade):
    from crm.imports.write import fast_search_fields
    from crm.journeys.companies import search_fields
    assert fast_search_fields(name, trade) == search_fields(name, trade)


@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_a_table_or_a_clear_problem(data):
    try:
        table = read_table(data)
    except FileProblem as problem:
        assert problem.message % problem.params if problem.params else problem.message
    else:
        assert isinstance(table.headers, list)
        assert all(isinstance(n, int) and isinstance(c, list) for n, c in table.rows)
