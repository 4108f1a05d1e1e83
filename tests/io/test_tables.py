"""read_table: delimiters, encodings, line numbers, damaged rows, XLSX sheets."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from orebook.errors import InputError, OrebookError
from orebook.io import DELIMITERS, read_table


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def xlsx(path: Path, rows: dict[int, list[object]] | list[list[object]],
         extra_sheet: bool = False) -> Path:
    """A workbook whose first sheet holds ``rows`` (a list from row 1, or {sheet row: cells})."""
    wb = openpyxl.Workbook()
    ws = wb.active
    items = rows.items() if isinstance(rows, dict) else enumerate(rows, start=1)
    for r, cells in items:
        for c, v in enumerate(cells, start=1):
            if v is not None:
                ws.cell(row=r, column=c, value=v)
    if extra_sheet:
        wb.create_sheet("other")["A1"] = "not read"
    wb.save(path)
    return path


def skipped(table) -> list[tuple[int, str, str]]:
    return [(s.line, s.severity, s.code) for s in table.skipped]


# ---------------------------------------------------------------------------- delimiters
@pytest.mark.parametrize("delim", DELIMITERS)
def test_every_common_delimiter_is_detected(tmp_path, delim):
    text = delim.join(["HOLEID", "X", "Y"]) + "\n" + delim.join(["DH1", "10", "20"]) + "\n"
    t = read_table(write(tmp_path / "c.csv", text))
    assert t.delimiter == delim
    assert t.columns == ("HOLEID", "X", "Y")
    assert t.data["HOLEID"].tolist() == ["DH1"]
    assert t.data["Y"].tolist() == ["20"]
    assert t.line.tolist() == [2]
    # a decimal comma is possible only where the comma is not the delimiter
    assert t.decimal_comma is (delim != ",")


def test_semicolon_file_keeps_decimal_commas_in_cells(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole;x\nA;1,5\nB;2\n"))
    assert t.data["x"].tolist() == ["1,5", "2"]
    assert t.decimal_comma


def test_forced_delimiter_wins_over_detection(tmp_path):
    # the header has more commas than pipes, but the user says "|"
    t = read_table(write(tmp_path / "c.txt", "a,b|c\n1,2|3\n"), delimiter="|")
    assert t.columns == ("a,b", "c")
    assert t.data["a,b"].tolist() == ["1,2"]


def test_no_delimiter_reads_one_column(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole\nA\nB\n"))
    assert t.columns == ("hole",)
    assert t.data["hole"].tolist() == ["A", "B"]
    assert t.delimiter == ","


# ---------------------------------------------------------------------------- encodings
def test_utf8_bom_is_not_part_of_the_first_name(tmp_path):
    t = read_table(write(tmp_path / "c.csv", b"\xef\xbb\xbfHOLEID,X\nA,1\n"))
    assert t.columns == ("HOLEID", "X")
    assert t.line.tolist() == [2]


def test_utf8_text_in_cells_is_kept(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,lith\nСКВ-1,гранит\nDH2,pórfido\n"))
    assert t.data["hole"].tolist() == ["СКВ-1", "DH2"]
    assert t.data["lith"].tolist() == ["гранит", "pórfido"]


@pytest.mark.parametrize("raw, line, byte", [
    (b"hole,x\nA,1\nB\xe9,2\n", 3, "0xe9"),      # Latin-1 é on line 3
    (b"h\xf6le,x\nA,1\n", 1, "0xf6"),             # in the header
    (b"\xff\xfeh\x00o\x00", 1, "0xff"),           # UTF-16 with BOM
])
def test_non_utf8_bytes_name_file_and_row(tmp_path, raw, line, byte):
    path = write(tmp_path / "latin.csv", raw)
    with pytest.raises(InputError) as info:
        read_table(path)
    err = info.value
    assert err.file == str(path)
    assert err.row == line
    assert byte in err.message and "UTF-8" in err.message
    assert str(err).startswith(f"{path}, row {line}: ")
    assert isinstance(err, OrebookError) and isinstance(err, ValueError)


def test_crlf_and_lf_count_lines_alike(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,x\r\nA,1\r\n\r\nB,2\r\n"))
    assert t.data["hole"].tolist() == ["A", "B"]
    assert t.line.tolist() == [2, 4]
    assert skipped(t) == [(3, "warning", "empty_row")]


# ---------------------------------------------------------------------------- line numbers
def test_quoted_newlines_keep_line_numbers_exact(tmp_path):
    text = ('hole,comment,x\n'
            'A,"two\nlines",1\n'           # lines 2-3
            'B,ok,2\n'                     # line 4
            'C,"three\r\nmore\nlines",3\n'  # lines 5-7
            '\n'                           # line 8
            'D,"a ""quoted"" word",4\n')   # line 9
    t = read_table(write(tmp_path / "c.csv", text))
    assert t.data["hole"].tolist() == ["A", "B", "C", "D"]
    assert t.line.tolist() == [2, 4, 5, 9]
    assert t.data["comment"].tolist() == ["two\nlines", "ok", "three\r\nmore\nlines",
                                          'a "quoted" word']
    assert skipped(t) == [(8, "warning", "empty_row")]


def test_unclosed_quote_is_an_error_not_a_silent_loss(tmp_path):
    # Without the check, lines 3-4 would vanish into the comment of line 2.
    path = write(tmp_path / "c.csv", 'hole,comment\nA,"oops\nB,fine\nC,fine\n')
    with pytest.raises(InputError) as info:
        read_table(path)
    assert info.value.row == 2
    assert "never closed" in info.value.message


def test_unclosed_quote_on_last_line_without_newline_keeps_the_cell(tmp_path):
    t = read_table(write(tmp_path / "c.csv", 'hole,comment\nA,"oops'))
    assert t.data["comment"].tolist() == ["oops"]
    assert t.line.tolist() == [2]


def test_blank_and_whitespace_lines_are_reported_with_their_line(tmp_path):
    text = "hole,x\n\nA,1\n   \n,,\n ; \nB,2\n\n"
    t = read_table(write(tmp_path / "c.csv", text))
    # line 6 " ; " is a cell with text: kept (one field, padded), not an empty row
    assert t.line.tolist() == [3, 6, 7]
    assert t.data["hole"].tolist() == ["A", ";", "B"]
    assert skipped(t) == [(2, "warning", "empty_row"), (4, "warning", "empty_row"),
                          (5, "warning", "empty_row"), (6, "warning", "too_few_fields"),
                          (8, "warning", "empty_row")]


def test_blank_lines_above_the_header(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "\n\nhole,x\nA,1\n"))
    assert t.columns == ("hole", "x")
    assert t.line.tolist() == [4]
    assert skipped(t) == [(3, "warning", "header_not_first")]


# ---------------------------------------------------------------------------- row shapes
def test_short_rows_are_padded_and_warned(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,x,y,z\nA,1,2\nB\n"))
    assert t.line.tolist() == [2, 3]
    assert t.data["z"].tolist() == ["", ""]
    assert t.data["x"].tolist() == ["1", ""]
    assert [s.code for s in t.skipped] == ["too_few_fields", "too_few_fields"]
    assert "row has 3 fields but the header has 4" in t.skipped[0].message


def test_long_rows_with_data_are_errors_and_not_kept(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,x\nA,1,9\nB,2\nC,3,,\n"))
    assert t.data["hole"].tolist() == ["B", "C"]   # C's extra fields are empty: kept
    assert t.line.tolist() == [3, 4]
    assert skipped(t) == [(2, "error", "too_many_fields")]
    assert "row has 3 fields but the header has 2" in t.skipped[0].message


def test_trailing_delimiter_on_every_line(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole;x;\nA;1;\nB;2;\n"))
    assert t.columns == ("hole", "x")
    assert t.data["x"].tolist() == ["1", "2"]
    assert t.skipped == ()


def test_cells_and_names_are_stripped(tmp_path):
    t = read_table(write(tmp_path / "c.csv", " hole , x \n  A , 1 \n"))
    assert t.columns == ("hole", "x")
    assert t.data["hole"].tolist() == ["A"]
    assert t.data["x"].tolist() == ["1"]


def test_inner_empty_header_cell_gets_a_name(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,,x\nA,note,1\n"))
    assert t.columns == ("hole", "column_2", "x")
    assert t.data["column_2"].tolist() == ["note"]


@pytest.mark.parametrize("header, name, cols", [
    ("hole,x,HOLE", "HOLE", "1 and 3"),
    ("hole,x,x", "x", "2 and 3"),
    ("Au,au ,y", "au", "1 and 2"),
])
def test_duplicate_header_names_are_refused(tmp_path, header, name, cols):
    path = write(tmp_path / "c.csv", header + "\nA,1,2\n")
    with pytest.raises(InputError) as info:
        read_table(path)
    err = info.value
    assert err.file == str(path) and err.row == 1 and err.column == name
    assert f"columns {cols}" in err.message


def test_object_arrays_of_strings_one_per_kept_row(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,x\nA,1\n\nB,\n"))
    assert len(t) == 2
    for col in t.columns:
        assert t.data[col].dtype == object
        assert all(isinstance(v, str) for v in t.data[col])
    assert t.line.dtype == np.int64
    assert t.data["x"].tolist() == ["1", ""]


def test_header_only_file_has_no_rows(tmp_path):
    t = read_table(write(tmp_path / "c.csv", "hole,x\n"))
    assert len(t) == 0 and t.columns == ("hole", "x")
    assert t.data["x"].shape == (0,)


# ---------------------------------------------------------------------------- refused files
@pytest.mark.parametrize("content", ["", "\n\n\n", " , ,\n\n", "\ufeff"])
def test_empty_files_are_refused(tmp_path, content):
    path = write(tmp_path / "empty.csv", content)
    with pytest.raises(InputError, match="file is empty") as info:
        read_table(path)
    assert info.value.file == str(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found") as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.file == str(tmp_path / "nope.csv")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path)


@pytest.mark.parametrize("name", ["old.xls", "OLD.XLS"])
def test_legacy_xls_is_refused(tmp_path, name):
    # even when the content would be readable text
    path = write(tmp_path / name, "hole,x\nA,1\n")
    with pytest.raises(InputError, match=r"\.xls workbooks are not read.*\.xlsx or CSV") as info:
        read_table(path)
    assert info.value.file == str(path)


# ---------------------------------------------------------------------------- XLSX
def test_xlsx_rows_and_line_numbers(tmp_path):
    path = xlsx(tmp_path / "c.xlsx", [
        ["HOLEID", "X", "Y", "Note"],
        ["DH1", 100, 200.5, "a"],
        [None, None, None, None],
        ["DH2", 1.25, -3, None],
    ], extra_sheet=True)
    t = read_table(path)
    assert t.delimiter is None and not t.decimal_comma
    assert t.columns == ("HOLEID", "X", "Y", "Note")
    assert t.line.tolist() == [2, 4]
    assert t.data["HOLEID"].tolist() == ["DH1", "DH2"]
    assert t.data["X"].tolist() == ["100", "1.25"]
    assert t.data["Y"].tolist() == ["200.5", "-3"]
    assert t.data["Note"].tolist() == ["a", ""]
    # a missing trailing cell in a sheet is an empty cell, not a short row
    assert skipped(t) == [(3, "warning", "empty_row")]


def test_xlsx_header_below_blank_rows_and_gaps(tmp_path):
    path = xlsx(tmp_path / "c.xlsx", {
        3: ["hole", "x", "when"],
        4: ["A", 1.5, dt.date(2020, 1, 2)],
        7: ["B", True, None],
    })
    t = read_table(path)
    assert t.columns == ("hole", "x", "when")
    assert t.line.tolist() == [4, 7]
    assert t.data["x"].tolist() == ["1.5", "True"]
    assert t.data["when"].tolist() == ["2020-01-02T00:00:00", ""]
    assert skipped(t) == [(3, "warning", "header_not_first"), (5, "warning", "empty_row"),
                          (6, "warning", "empty_row")]


def test_xlsx_cells_beyond_the_header_are_too_many_fields(tmp_path):
    path = xlsx(tmp_path / "c.xlsx", [["hole", "x"], ["A", 1, "extra"], ["B", 2]])
    t = read_table(path)
    assert t.data["hole"].tolist() == ["B"]
    assert skipped(t) == [(2, "error", "too_many_fields")]


def test_xlsx_with_stale_dimensions_is_read_whole(tmp_path):
    """Some writers store the used range as A1:A1; every cell must still be read."""
    good = xlsx(tmp_path / "good.xlsx", [["hole", "x", "y"], ["A", 1, 2], ["B", 3, 4]])
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(stale, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:A1"/>',
                                  data)
                assert n == 1
            zout.writestr(item, data)
    t = read_table(stale)
    assert t.columns == ("hole", "x", "y")
    assert t.data["y"].tolist() == ["2", "4"]
    assert t.line.tolist() == [2, 3]


def test_empty_workbook_is_refused(tmp_path):
    path = tmp_path / "e.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError, match="file is empty"):
        read_table(path)


def test_xlsx_duplicate_names_refused(tmp_path):
    path = xlsx(tmp_path / "c.xlsx", [["hole", "Hole"], ["A", "B"]])
    with pytest.raises(InputError, match="appears twice") as info:
        read_table(path)
    assert info.value.row == 1


@pytest.mark.parametrize("cut", [0, 10, 100, 1000, -200, -22])
def test_truncated_xlsx_is_an_input_error(tmp_path, cut):
    good = xlsx(tmp_path / "good.xlsx", [["hole", "x"], ["A", 1]])
    raw = good.read_bytes()
    bad = write(tmp_path / "bad.xlsx", raw[:cut])
    with pytest.raises(InputError, match="not a readable XLSX workbook") as info:
        read_table(bad)
    assert info.value.file == str(bad)


def test_text_named_xlsx_is_an_input_error(tmp_path):
    path = write(tmp_path / "c.xlsx", "hole,x\nA,1\n")
    with pytest.raises(InputError, match="XLSX"):
        read_table(path)
