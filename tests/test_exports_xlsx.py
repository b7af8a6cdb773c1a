"""The streaming .xlsx writer: a workbook Excel and openpyxl read, text that stays text."""
import warnings

from openpyxl import load_workbook

from crm.xlsx import write_xlsx


def test_writer_output_reads_back_exactly(tmp_path):
    path = tmp_path / "x.xlsx"
    rows = [("Café <Één> & zonen", 12, 3.5), (None, "", -7), ("=SUM(A1:A9)", "+31 6", 0),
            ("regel 1\nregel 2", "tab\there", 10**12), ("x\x01y\x1fz", "ok", None)]
    write_xlsx(str(path), 'Bedrijven: [alle] / "export"', ["Naam", "Aantal", "Bedrag"], rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "no default style" or other complaints
        workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet.title == 'Bedrijven   alle    "export"'  # [ ] : / are not allowed
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Naam", "Aantal", "Bedrag"]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert values[1] == ["Café <Één> & zonen", 12, 3.5]
    assert values[2] == [None, None, -7]
    assert values[3] == ["=SUM(A1:A9)", "+31 6", 0]
    assert sheet["A4"].data_type == "s"  # text, never a formula
    assert values[4] == ["regel 1\nregel 2", "tab\there", 10**12]
    assert values[5] == ["xyz", "ok", None]  # characters XML cannot hold are dropped


def test_many_rows_in_batches(tmp_path):
    path = tmp_path / "big.xlsx"
    write_xlsx(str(path), "Groot", ["n"], ((n,) for n in range(5003)))
    sheet = load_workbook(path, read_only=True).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == list(range(5003))
