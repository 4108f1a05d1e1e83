"""Readers of the classical methods' tables: layouts, errors that name file, row and column,
and fuzzing (any bytes end in data or an OrebookError naming the file, never another
exception).

Files are written with ``tempfile`` inside each example (not the ``tmp_path`` fixture, which
hypothesis would share between examples).
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.resources import classical as cl
from orebook.resources.classical_io import (
    grade_unit_of,
    read_intercepts,
    read_outlines,
    read_samples,
    read_sections,
    read_triangles,
    write_report,
)

DATA = Path(__file__).parent / "data" / "classical"
# A fixed set of examples in the suite; OREBOOK_FUZZ=5000 searches that many random ones.
_DEEP = int(os.environ.get("OREBOOK_FUZZ", "0"))
FUZZ = settings(deadline=None, max_examples=_DEEP or 60, derandomize=not _DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------- layouts
def test_read_the_sample_deposit():
    h = read_intercepts(DATA / "intercepts.csv")
    assert h.hole.tolist() == [f"H{i}" for i in range(1, 8)]
    assert h.grade_unit == "%"
    assert h.line.tolist() == list(range(2, 9))
    assert h.thickness_m.tolist() == [2, 4, 3, 2.5, 3.5, 1.5, 5]
    blocks = read_outlines(DATA / "outlines.csv")
    assert [(b.id, b.category, b.density_tpm3, b.line) for b in blocks] == [
        ("B1", "C1", 2.5, 2), ("B2", "C2", 2.6, 6)]
    # the closing vertex of B2 (= its first) is dropped: 6 vertices, 60 × 30 + 30 × 20 m²
    assert len(blocks[1].vertices) == 6
    assert blocks[1].area_m2 == 2400.0
    s = read_samples(DATA / "samples.csv")
    assert s.factor.tolist() == [1.0] * 4
    sec = read_sections(DATA / "sections.csv")
    assert sec.grade_unit == "g/t" and sec.end.tolist() == ["wedge", "", "cone"]
    t = read_triangles(DATA / "triangles.csv")
    assert t.holes.tolist() == [["H4", "H5", "H6"]]


def test_other_spellings_xlsx_and_semicolons(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BHID", "X", "Z", "Thickness (m)", "Au g/t", "Cat", "Block"])
    ws.append(["A", 1.5, -200, 2, 3.25, "B", "K1"])
    wb.save(tmp_path / "ic.xlsx")
    h = read_intercepts(tmp_path / "ic.xlsx")
    assert (h.u[0], h.v[0], h.thickness_m[0], h.grade[0]) == (1.5, -200.0, 2.0, 3.25)
    assert h.grade_unit == "g/t" and h.block.tolist() == ["K1"] and h.category.tolist() == ["B"]
    p = write(tmp_path, "ic.csv", "hole;u;v;thickness_m;grade\nA;1,5;2;3;0,25\n")
    h = read_intercepts(p)
    assert (h.u[0], h.grade[0], h.grade_unit) == (1.5, 0.25, None)


def test_grade_unit_of():
    assert [grade_unit_of(c) for c in ["cu_pct", "Cu %", "au_gpt", "Au g/t", "ag_ppm",
                                       "grade", "ppm"]] == ["%", "%", "g/t", "g/t", "ppm",
                                                            None, None]


@pytest.mark.parametrize("text,row,column,match", [
    ("hole,u,v,thickness_m,grade_pct\nA,1,2,3,x\n", 2, "grade_pct", "number"),
    ("hole,u,v,thickness_m,grade_pct\nA,1,2,-3,1\n", 2, "thickness_m", "≥ 0"),
    ("hole,u,v,thickness_m,grade_pct\nA,1,2,3,101\n", 2, "grade_pct", "≤ 100"),
    ("hole,u,v,thickness_m,grade_pct\nA,1,2,3,1\nA,2,2,3,1\n", 3, "hole", "second"),
    ("hole,u,v,thickness_m,grade_pct\n,1,2,3,1\n", 2, "hole", "empty"),
    ("hole,u,v,thickness_m,grade_pct\nA,1,,3,1\n", 2, "v", "empty"),
    ("hole,u,v,grade_pct\nA,1,2,1\n", 1, None, "thickness"),
    ("hole,u,v,thickness_m,grade_pct\nA,1,2,3,1,9\n", 2, None, "fields"),
])
def test_intercept_errors_name_row_and_column(tmp_path, text, row, column, match):
    p = write(tmp_path, "ic.csv", text)
    with pytest.raises(InputError, match=match) as e:
        read_intercepts(p)
    assert (e.value.file, e.value.row, e.value.column) == (str(p), row, column)


@pytest.mark.parametrize("text,row,match", [
    ("block,category,u,v\nB,C1,0,0\nB,,1,0\n", 2, "at least 3"),
    ("block,category,u,v\nB,C1,0,0\nB,,1,1\nB,,1,0\nB,,0,1\n", 2, "crosses"),
    ("block,category,u,v\nB,,0,0\nB,,1,0\nB,,0,1\n", 2, "no category"),
    ("block,category,u,v\nB,C1,0,0\nB,C2,1,0\nB,,0,1\n", 3, "one category"),
    ("block,category,u,v,density\nB,C1,0,0,0\nB,,1,0,\nB,,0,1,\n", 2, "> 0"),
])
def test_outline_errors(tmp_path, text, row, match):
    p = write(tmp_path, "ol.csv", text)
    with pytest.raises(InputError, match=match) as e:
        read_outlines(p)
    assert (e.value.file, e.value.row) == (str(p), row)


@pytest.mark.parametrize("text,row,match", [
    ("hole,from,to,grade_pct\nA,0,1,1\nA,0.5,2,1\n", 3, "overlap"),
    ("hole,from,to,grade_pct\nA,2,1,1\n", 2, "greater"),
    ("hole,from,to,grade_pct,factor\nA,0,1,1,1.5\n", 2, "≤ 1"),
])
def test_sample_errors(tmp_path, text, row, match):
    p = write(tmp_path, "s.csv", text)
    with pytest.raises(InputError, match=match) as e:
        read_samples(p)
    assert e.value.row == row


@pytest.mark.parametrize("text,row,match", [
    ("block,category,section,position_m,area_m2,grade,end\nB,C1,S,0,1,1,pyramid\n", 2, "wedge"),
    ("block,category,section,position_m,area_m2,grade,end\nB,C1,S,0,1,1,cone\n", 2, "length"),
])
def test_section_errors(tmp_path, text, row, match):
    p = write(tmp_path, "s.csv", text)
    with pytest.raises(InputError, match=match) as e:
        read_sections(p)
    assert e.value.row == row


def test_write_report_csv_xlsx_and_refused_suffix(tmp_path):
    df = pd.DataFrame({"block": ["B1"], "ore_t": [13500.25]})
    write_report(df, tmp_path / "r.csv")
    write_report(df, tmp_path / "r.xlsx")
    assert pd.read_csv(tmp_path / "r.csv").equals(df)
    assert pd.read_excel(tmp_path / "r.xlsx").equals(df)
    with pytest.raises(ParameterError):
        write_report(df, tmp_path / "r.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.xlsx"]


# ---------------------------------------------------------------------------- fuzzing
numbers = st.one_of(
    st.integers(-50, 150).map(str),
    st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: f"{v:.3g}"),
    st.floats().map(repr),
    st.sampled_from(["", " ", "-1", "0", "1e400", "nan", "inf", "abc", "1e308", "-1e308",
                     "0,5", "1e9", "100.0001", "wedge", "cone"]))
ids = st.sampled_from(["A", "B", "H1", "H2", "B1", "", "C1", "P1", " x "])
LAYOUTS = {
    "intercepts": ["hole", "u", "v", "thickness_m", "grade_pct", "category", "block"],
    "outlines": ["block", "category", "u", "v", "density_tpm3"],
    "samples": ["hole", "from", "to", "grade_pct", "factor"],
    "sections": ["block", "category", "section", "position_m", "area_m2", "grade_gpt",
                 "density_tpm3", "end", "end_length_m"],
    "triangles": ["hole1", "hole2", "hole3"],
}
TEXT_COLS = {"hole", "category", "block", "section", "end", "hole1", "hole2", "hole3"}
READERS = {"intercepts": read_intercepts, "outlines": read_outlines, "samples": read_samples,
           "sections": read_sections, "triangles": read_triangles}


@st.composite
def table(draw, kind: str):
    cols = [c for c in LAYOUTS[kind] if draw(st.integers(0, 9)) > 0]  # sometimes one missing
    rows = draw(st.lists(st.tuples(*[ids if c in TEXT_COLS else numbers for c in cols]),
                         max_size=10))
    return cols, rows


def _to_file(folder: str, name: str, cols, rows, xlsx: bool, garble: bytes | None) -> Path:
    if xlsx:
        p = Path(folder) / f"{name}.xlsx"
        wb = openpyxl.Workbook()
        wb.active.append(cols)
        for r in rows:
            wb.active.append(list(r))
        wb.save(p)
        return p
    p = Path(folder) / f"{name}.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)
    data = buf.getvalue().encode()
    if garble:
        data = data[: len(data) // 2] + garble + data[len(data) // 2:]
    p.write_bytes(data)
    return p


def _ok_or_named(fn, path: Path):
    try:
        return fn(path)
    except OrebookError as exc:
        assert str(path) in str(exc)
        return None


@FUZZ
@given(kind=st.sampled_from(sorted(LAYOUTS)), data=st.data(), xlsx=st.booleans(),
       garble=st.one_of(st.none(), st.binary(max_size=6)))
def test_fuzz_each_reader(kind, data, xlsx, garble):
    cols, rows = data.draw(table(kind))
    with tempfile.TemporaryDirectory() as d:
        got = _ok_or_named(READERS[kind], _to_file(d, kind, cols, rows, xlsx, garble))
    if got is not None and kind == "intercepts":
        assert np.isfinite(got.u).all() and (got.thickness_m >= 0).all()
    if got is not None and kind == "outlines":
        assert all(cl.is_simple(b.vertices) for b in got)


# mostly usable values, now and then a bad one: so that the chain gets past the readers
good = st.one_of(st.integers(0, 100).map(str), st.floats(0, 100).map(lambda v: f"{v:.2f}"))
plausible = st.one_of(good, good, good, numbers)


@st.composite
def usable_intercepts(draw):
    n = draw(st.integers(1, 12))
    junk = not draw(st.integers(0, 3))
    u = plausible if junk else st.floats(20, 140).map(lambda v: f"{v:.2f}")
    v = plausible if junk else st.floats(20, 80).map(lambda v: f"{v:.2f}")
    m = plausible if junk else good
    named = draw(st.booleans()) and draw(st.booleans())   # a block column now and then
    cols = LAYOUTS["intercepts"]
    rows = [(f"H{i}" if draw(st.integers(0, 30)) else draw(ids), draw(u), draw(v), draw(m),
             draw(st.sampled_from(["0", "0.5", "1", "3"])),
             draw(st.sampled_from(["C1", "C2", "P1", ""])),
             draw(st.sampled_from(["", "B1", "B2", "B9"])) if named else "")
            for i in range(n)]
    return cols, rows


@settings(FUZZ, max_examples=_DEEP or 100)
@given(data=st.data(), method=st.sampled_from(["blocks", "polygons", "triangles"]),
       cutoff=st.sampled_from([0.0, 0.5, 2.0]), min_m=st.sampled_from([0.0, 1.0, 3.0]))
def test_fuzz_the_chain_ends_in_a_result_or_an_orebook_error(data, method, cutoff, min_m):
    """Intercepts and outlines from the fuzzer, through conditions, a method and the report."""
    cols, rows = data.draw(usable_intercepts())
    ocols = LAYOUTS["outlines"][:4]
    coord = good if data.draw(st.integers(0, 3)) else plausible
    ring = []
    for k, b in enumerate(["B1", "B2"][:data.draw(st.integers(1, 2))]):
        # vertices in order of angle around a centre: usually a simple outline
        cat = data.draw(st.sampled_from(["C1", "C2", "P1"]))
        n = data.draw(st.integers(4, 7))   # one vertex per sector: no gap reaches π
        ang = [2 * math.pi * (j + f) / n
               for j, f in enumerate(data.draw(st.lists(st.floats(0, 0.99), min_size=n,
                                                        max_size=n)))]
        rad = data.draw(st.lists(st.floats(5, 60), min_size=n, max_size=n))
        ring += [(b, cat, f"{50 + 60 * k + r * math.cos(a):.2f}", f"{50 + r * math.sin(a):.2f}")
                 for a, r in zip(ang, rad)]
    if coord is plausible:
        i = data.draw(st.integers(0, len(ring) - 1))
        ring[i] = (*ring[i][:3], data.draw(numbers))
    with tempfile.TemporaryDirectory() as d:
        try:
            h = read_intercepts(_to_file(d, "ic", cols, rows, False, None))
            blocks = read_outlines(_to_file(d, "ol", ocols, ring, False, None))
        except OrebookError:
            return
        try:
            h = cl.apply_conditions(h, cl.Conditions(cutoff, min_m, 0.0))
            fn = {"blocks": cl.geological_blocks, "polygons": cl.polygons_method,
                  "triangles": cl.triangles_method}[method]
            res = fn(h, blocks, density_tpm3=2.5)
            rep = cl.summary_table(res)
            out = Path(d) / "report.csv"
            write_report(rep, out)
        except OrebookError:
            return
    e = res.elements
    assert (e.ore_t >= 0).all() and np.isfinite(e.ore_t).all()
    total = rep[rep.level == "total"].iloc[0]
    assert total.ore_t == math.fsum(e[~e.category.isin(["P1", "P2", "P3"])].ore_t)


@st.composite
def usable_sections(draw):
    rows = []
    junk = not draw(st.integers(0, 3))
    num = plausible if junk else good
    for b in ["B1", "B2"][:draw(st.integers(1, 2))]:
        cat = draw(st.sampled_from(["C1", "C2", "P1"]))
        n = draw(st.integers(1, 5))
        for j in range(n):
            edge = j in (0, n - 1) or not draw(st.integers(0, 20))   # ends: mostly allowed
            end = draw(st.sampled_from(["", "wedge", "cone"])) if edge else ""
            rows.append((b, cat if draw(st.integers(0, 20)) else "C2", f"S{j}",
                         f"{10 * j}" if not junk else draw(num), draw(num),
                         draw(st.sampled_from(["0", "1.5", "3"])),
                         draw(st.sampled_from(["", "", "2.7"])), end, draw(num) if end else ""))
    return LAYOUTS["sections"], rows


@st.composite
def usable_samples(draw):
    rows = []
    junk = not draw(st.integers(0, 3))
    for h in ["H1", "H2", "H3"][:draw(st.integers(1, 3))]:
        depth = draw(st.integers(0, 50))
        for _ in range(draw(st.integers(1, 8))):
            step = draw(st.sampled_from([0.5, 1.0, 1.0, 2.0]))
            gap = draw(st.sampled_from([0, 0, 0, 0.5]))
            rows.append((h, f"{depth + gap:g}", f"{depth + gap + step:g}",
                         draw(numbers if junk else st.sampled_from(["0", "0.4", "1.2", "3"])),
                         draw(st.sampled_from(["", "1", "0.8"]))))
            depth += gap + step
    return LAYOUTS["samples"], rows


@settings(FUZZ, max_examples=_DEEP or 100)
@given(data=st.data(), density=st.sampled_from([None, 2.6]))
def test_fuzz_sections_and_samples_chains(data, density):
    """Sections through the method and the report; samples through the conditions."""
    cols, rows = data.draw(usable_sections())
    scols, srows = data.draw(st.one_of(usable_samples(), table("samples")))
    with tempfile.TemporaryDirectory() as d:
        try:
            sec = read_sections(_to_file(d, "sec", cols, rows, False, None))
            rep = cl.summary_table(cl.parallel_sections(sec, density_tpm3=density))
            assert (rep.volume_m3 >= 0).all()
        except OrebookError as exc:
            assert "sec.csv" in str(exc) or "density" in str(exc)
        try:
            smp = read_samples(_to_file(d, "smp", scols, srows, False, None))
        except OrebookError:
            return
    holes = cl.Intercepts.build(sorted(set(smp.hole)), *[[0.0] * len(set(smp.hole))] * 4)
    got = cl.apply_conditions(holes, cl.Conditions(1.0, 2.0, 1.0), smp)
    assert np.isfinite(got.thickness_m).all() and (got.grade >= 0).all()
