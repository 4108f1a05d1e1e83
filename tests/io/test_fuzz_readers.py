"""Fuzzing the readers: whatever the bytes, the result is data or an OrebookError, and every
row read is either used or reported.

Files are written with ``tempfile`` inside each example (not the ``tmp_path`` fixture, which
hypothesis would share between examples).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from orebook.drillholes import load_drillholes
from orebook.errors import InputError, OrebookError
from orebook.io import DELIMITERS, read_table

# A fixed set of examples in the suite; OREBOOK_FUZZ=5000 searches that many random ones.
_DEEP = int(os.environ.get("OREBOOK_FUZZ", "0"))
FUZZ = settings(deadline=None, max_examples=_DEEP or 150, derandomize=not _DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_XLSX = settings(FUZZ, max_examples=_DEEP // 3 or 60)

SPELLINGS = {
    "hole": ["HOLEID", "hole_id", "BHID", "Hole ID", "DHID"],
    "x": ["XCOLLAR", "x", "EAST", "Easting"],
    "y": ["YCOLLAR", "y", "NORTH", "Northing"],
    "z": ["ZCOLLAR", "z", "RL", "ELEV"],
    "max_depth": ["DEPTH", "EOH", "max_depth"],
    "at": ["AT", "depth", "Distance"],
    "azimuth": ["AZ", "azimuth", "Bearing"],
    "dip": ["DIP", "inclination", "Dip"],
    "from": ["FROM", "depth_from", "mFrom"],
    "to": ["TO", "depth_to", "mTo"],
}
KINDS = {
    "collars": (["hole", "x", "y", "z"], ["max_depth"]),
    "surveys": (["hole", "at", "azimuth", "dip"], []),
    "intervals": (["hole", "from", "to"], []),
}
VALUE_NAMES = ["Cu_pct", "Au_ppm", "Zn %", "Ag g/t", "Mo_ppb", "lith", "comment", "Cu",
               "column_2", "", " "]

holes = st.sampled_from(["A", "B", "C", "DH-1", "", " a "])
numbers = st.one_of(
    st.integers(-100, 400).map(str),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{v:.3g}"),
    st.floats().map(repr),
    st.sampled_from(["", " ", "-999", "-99", "-9999", "<0.01", "< 0.5", "<=1", "0,5", "1e400",
                     "nan", "inf", "-0", "360", "-90", "90", "361", "-91", "1e308", "-1e308",
                     "99999999999999999999999", "abc", "n/a", "1..2", "+5", ".5"]),
)
junk = st.text(max_size=12)
cells_for = {"hole": holes, "text": st.one_of(junk, st.sampled_from(["ox", "su", "fresh"]))}


@st.composite
def header(draw, kind: str, clean: bool = False) -> list[tuple[str, str]]:
    """[(name, role)] for a table of ``kind``: usually the roles it needs, in any spelling;
    with ``clean``, always, and the names are distinct."""
    required, optional = KINDS[kind]
    cols = []
    for role in required + optional:
        if role in required and not clean and draw(st.integers(0, 19)) == 0:
            continue                        # a required column missing now and then
        if role in optional and draw(st.booleans()):
            continue
        cols.append((draw(st.sampled_from(SPELLINGS[role])), role))
    if kind == "intervals":
        for _ in range(draw(st.integers(0, 3))):
            cols.append((draw(st.sampled_from(VALUE_NAMES)), "value"))
    for _ in range(draw(st.integers(0, 1))):
        cols.append((draw(st.one_of(junk, st.sampled_from(sum(SPELLINGS.values(), [])))),
                     "text"))
    if clean:
        cols = list({name.strip().lower(): (name, role) for name, role in reversed(cols)
                     if name.strip()}.values())[::-1]
    return draw(st.permutations(cols))


@st.composite
def table(draw, kind: str, clean: bool = False) -> list[list[str]]:
    """Header and rows of strings; row lengths vary now and then."""
    cols = draw(header(kind, clean))
    rows = [[name for name, _ in cols]]
    for _ in range(draw(st.integers(0, 8))):
        row = []
        for _, role in cols:
            strat = cells_for.get(role, numbers)
            row.append(draw(st.one_of(strat, strat, strat, junk)))
        change = draw(st.integers(-6, 6))
        if change < -4:
            row = row[: max(0, len(row) + change + 4)]
        elif change > 4:
            row += [draw(st.one_of(numbers, st.just("")))] * (change - 4)
        rows.append(row)
    if rows[1:] and draw(st.integers(0, 4)) == 0:
        rows.insert(draw(st.integers(0, len(rows))), [])   # blank line anywhere
    return rows


@st.composite
def csv_bytes(draw, kind: str, clean: bool = False) -> bytes:
    """A CSV file's bytes; with ``clean``, UTF-8 written by csv.writer with a usable header."""
    rows = draw(table(kind, clean))
    delim = draw(st.sampled_from(DELIMITERS))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if clean or draw(st.booleans()):
        buf = io.StringIO()
        csv.writer(buf, delimiter=delim, lineterminator=newline).writerows(rows)
        text = buf.getvalue()
    else:                                    # naive join: stray quotes stay as they are
        text = "".join(delim.join(r) + newline for r in rows)
        if draw(st.booleans()):
            text = text[: draw(st.integers(0, len(text)))]
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig"] if clean else
                               ["utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(enc, errors="replace")


def _excel_value(text: str) -> object:
    try:
        v = float(text)
    except ValueError:
        return ILLEGAL_CHARACTERS_RE.sub("", text) or None
    return v if np.isfinite(v) else text


@st.composite
def xlsx_bytes(draw, kind: str) -> bytes:
    rows = draw(table(kind))
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, row in enumerate(rows, start=1):
        for j, cell in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=_excel_value(cell))
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    # The length varies by a few bytes from run to run (the workbook's save time is in it),
    # so positions are drawn independently of it.
    damage = draw(st.integers(0, 3))
    if damage == 1:                          # truncated
        raw = raw[: draw(st.integers(0, 1 << 20)) % len(raw)]
    elif damage == 2:                        # a few bytes overwritten
        b = bytearray(raw)
        for _ in range(draw(st.integers(1, 4))):
            b[draw(st.integers(0, 1 << 20)) % len(b)] = draw(st.integers(0, 255))
        raw = bytes(b)
    return raw


def content(kind: str, xlsx: bool = False) -> st.SearchStrategy[tuple[str, bytes]]:
    """(suffix, bytes) of a file meant as ``kind``: CSV-like mostly, sometimes anything."""
    text = st.one_of(
        csv_bytes(kind), csv_bytes(kind), csv_bytes(kind),
        st.text().map(lambda s: s.encode("utf-8", errors="replace")),
        st.binary(max_size=200),
    )
    options = [st.tuples(st.just(".csv"), text)]
    if xlsx:
        options.append(st.tuples(st.just(".xlsx"), xlsx_bytes(kind)))
        options.append(st.tuples(st.just(".xlsx"), st.binary(max_size=200)))
    return st.one_of(*options)


# ---------------------------------------------------------------------------- the property
def _dropping(problem) -> bool:
    """Problems that take their row out of the data."""
    m = problem.message
    return ("not used" in m or "ignored" in m
            or problem.code == "duplicate_collar")  # "... the first is kept"


def check_accounting(data, report, paths: dict[str, list[str]]) -> None:
    """Every row read is used or reported, and the counts add up, file by file."""
    used_lines = {data.collars.file: data.collars.line}
    if paths["surveys"]:
        used_lines[data.surveys.file] = data.surveys.line
    for iv in data.intervals:
        used_lines[iv.file] = iv.line
    files = paths["collars"] + paths["surveys"] + paths["intervals"]
    assert set(used_lines) == set(files) == set(report.rows_read) == set(report.rows_used)
    for p in report.problems:
        assert p.severity in ("error", "warning")
        assert p.file in files and p.code and p.message
    for f in files:
        raw = read_table(f)
        kept = set(raw.line.tolist())
        dropped_by_reader = {s.line for s in raw.skipped if s.code != "header_not_first"} - kept
        assert report.rows_read[f] == len(kept) + len(dropped_by_reader)
        used = used_lines[f].tolist()
        assert len(set(used)) == len(used) == report.rows_used[f]
        assert set(used) <= kept
        mine = [p for p in report.problems if p.file == f and p.row is not None]
        assert all(1 <= p.row for p in mine)
        dropping = {p.row for p in mine if _dropping(p)}
        # no row is both used and reported as left out; every row left out is reported
        assert not dropping & set(used)
        assert (kept - set(used)) | dropped_by_reader == dropping
        assert report.rows_used[f] + len(dropping) == report.rows_read[f]
        # the literal form: rows used + lines reported as error or empty_row, where every
        # dropping problem is an error or empty_row (identical repeats are warnings)
        err_or_empty = {p.row for p in mine
                        if p.severity == "error" and _dropping(p) or p.code == "empty_row"}
        repeats = {p.row for p in mine if p.severity == "warning" and _dropping(p)
                   and p.code != "empty_row"}
        assert report.rows_used[f] + len(err_or_empty | repeats) == report.rows_read[f]


def run_load(files: dict[str, list[tuple[str, bytes]]], **kw) -> None:
    with tempfile.TemporaryDirectory() as d:
        paths: dict[str, list[str]] = {}
        for kind, items in files.items():
            paths[kind] = []
            for k, (suffix, raw) in enumerate(items):
                p = Path(d) / f"{kind}{k}{suffix}"
                p.write_bytes(raw)
                paths[kind].append(str(p))
        try:
            data, report = load_drillholes(
                paths["collars"][0], paths["surveys"][0] if paths["surveys"] else None,
                paths["intervals"], **kw)
        except OrebookError as exc:
            event(f"raised {type(exc).__name__}")
            return
        event("loaded")
        check_accounting(data, report, paths)
        report.to_frame()  # the report always renders


@FUZZ
@given(c=content("collars"), s=st.lists(content("surveys"), max_size=1),
       i=st.lists(content("intervals"), max_size=2),
       units=st.sampled_from(["m", "ft"]), dip=st.sampled_from(["auto", "negative", "positive"]),
       rule=st.sampled_from(["half", "limit", "zero", "missing"]))
def test_load_drillholes_on_csv_like_files(c, s, i, units, dip, rule):
    run_load({"collars": [c], "surveys": s, "intervals": i}, units=units, dip_down=dip,
             below_rule=rule)


@FUZZ
@given(c=csv_bytes("collars", True), s=csv_bytes("surveys", True),
       i=st.lists(csv_bytes("intervals", True), min_size=1, max_size=2))
def test_load_drillholes_on_well_formed_tables(c, s, i):
    """Mostly-readable files, so that the checks across tables run often."""
    run_load({"collars": [(".csv", c)], "surveys": [(".csv", s)],
              "intervals": [(".csv", x) for x in i]})


@FUZZ_XLSX
@given(c=content("collars", xlsx=True), s=st.lists(content("surveys", xlsx=True), max_size=1),
       i=st.lists(content("intervals", xlsx=True), max_size=1))
def test_load_drillholes_with_workbooks(c, s, i):
    run_load({"collars": [c], "surveys": s, "intervals": i})


@FUZZ
@given(c=content("collars"), s=content("surveys"), i=content("intervals"),
       mapping=st.dictionaries(st.sampled_from(list(SPELLINGS)),
                               st.one_of(junk, st.sampled_from(sum(SPELLINGS.values(), []))),
                               max_size=4))
def test_load_drillholes_with_random_column_maps(c, s, i, mapping):
    run_load({"collars": [c], "surveys": [s], "intervals": [i]}, column_map=mapping)


# ---------------------------------------------------------------------------- read_table alone
def check_table(t, n_lines: int | None) -> None:
    lines = t.line.tolist()
    assert lines == sorted(set(lines))
    assert all(line >= 2 for line in lines)
    if n_lines is not None:
        assert all(line <= n_lines for line in lines)
    assert len(set(c.lower() for c in t.columns)) == len(t.columns)
    for c in t.columns:
        assert t.data[c].shape == (len(t),)
        assert all(isinstance(v, str) and v == v.strip() for v in t.data[c])
    for s in t.skipped:
        assert s.severity in ("error", "warning")
        assert (s.line in lines) == (s.code == "too_few_fields")


def read_bytes(raw: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"t{suffix}"
        p.write_bytes(raw)
        try:
            return read_table(p)
        except InputError as exc:
            assert exc.file == str(p)
            return None


def physical_lines(raw: bytes) -> int:
    return len(re.findall(rb"\r\n|\r|\n", raw)) + 1


@FUZZ
@given(raw=st.one_of(st.binary(max_size=300),
                     st.text().map(lambda s: s.encode("utf-8", errors="replace")),
                     csv_bytes("intervals"), csv_bytes("collars")))
def test_read_table_on_any_bytes(raw):
    t = read_bytes(raw, ".csv")
    if t is not None:
        check_table(t, physical_lines(raw))


@FUZZ_XLSX
@given(raw=st.one_of(xlsx_bytes("intervals"), st.binary(max_size=300)))
def test_read_table_on_any_workbook(raw):
    t = read_bytes(raw, ".xlsx")
    if t is not None:
        check_table(t, None)


safe_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
any_cell = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)


@FUZZ
@given(data=st.data(), delim=st.sampled_from(DELIMITERS),
       newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), quote_all=st.booleans())
def test_read_table_round_trip(data, delim, newline, bom, quote_all):
    """Cells written by csv.writer come back stripped, each row with the line it starts on."""
    names = data.draw(st.lists(safe_name, min_size=2, max_size=5,
                               unique_by=lambda s: s.lower()))
    rows = data.draw(st.lists(st.lists(any_cell, min_size=len(names), max_size=len(names)),
                              max_size=8))
    if not quote_all:
        # csv.writer (Python 3.11) leaves a lone "\r" unquoted when the line ends in "\n"
        rows = [[c.replace("\r", "") for c in row] for row in rows]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator=newline,
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows([names] + rows)
    raw = buf.getvalue().encode("utf-8-sig" if bom else "utf-8")
    t = read_bytes(raw, ".csv")
    assert t is not None
    assert t.columns == tuple(names) and t.delimiter == delim
    line, want_lines, want_rows, blank = 2, [], [], []
    for row in rows:
        if any(c.strip() for c in row):
            want_lines.append(line)
            want_rows.append([c.strip() for c in row])
        else:
            blank.append(line)
        line += sum(len(re.findall(r"\r\n|\r|\n", c)) for c in row) + 1
    assert t.line.tolist() == want_lines
    assert [[t.data[n][i] for n in names] for i in range(len(t))] == want_rows
    assert [(s.line, s.code) for s in t.skipped] == [(b, "empty_row") for b in blank]


@pytest.mark.parametrize("cut", range(0, 4000, 97))
def test_every_truncation_of_a_workbook_is_an_input_error(cut):
    wb = openpyxl.Workbook()
    for row in [["HOLEID", "X", "Y", "Z"], ["A", 1, 2, 3], ["B", 4, 5, 6]]:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    if cut >= len(raw):
        pytest.skip("workbook shorter than the cut")
    assert read_bytes(raw[:cut], ".xlsx") is None
