"""GeoEAS (GSLIB) files: reading, missing values, errors that name file, line and column,
atomic writing, round trips and fuzzing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError, ParameterError
from orebook.io.geoeas import (GeoEASFile, fortran_f, fortran_i, parse_fortran_real,
                               read_geoeas, write_geoeas)

DATA = Path(__file__).parents[1] / "gslib" / "data"
FUZZ = settings(deadline=None, max_examples=int(os.environ.get("OREBOOK_FUZZ", "0")) or 150,
                derandomize="OREBOOK_FUZZ" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _write(tmp_path, text, name="f.dat", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_cluster_dat():
    g = read_geoeas(DATA / "cluster.dat")
    assert g.title == "Clustered 140 primary and secondary data"
    assert list(g.data.columns) == ["Xlocation", "Ylocation", "Primary", "Secondary",
                                    "Declustering Weight"]
    assert g.data.shape == (140, 5) and (g.data.dtypes == np.float64).all()
    # first data row is line 8 (title, count, 5 names); values as printed in the file
    assert g.line[0] == 8 and g.line[-1] == 147
    assert g.data.iloc[0].tolist() == [39.5, 18.5, 0.06, 0.22, 1.619]
    assert g.data["Primary"].sum() == pytest.approx(609.06)  # 140 × 4.35043 (GSLIB's mean)


def test_true_dat_mean():
    g = read_geoeas(DATA / "true.dat")
    assert g.data.shape == (2500, 2)
    assert g.data.iloc[:, 0].mean() == pytest.approx(2.58, abs=0.005)


def test_missing_codes_and_trimming(tmp_path):
    p = _write(tmp_path, "t\n3\nx\ny\nv\n1 2 -999\n-999 5 0.5\n2 3 1e21\n")
    g = read_geoeas(p)
    assert np.isnan(g.data["v"][0]) and np.isnan(g.data["x"][1])
    assert g.data["v"][2] == 1e21
    g = read_geoeas(p, missing=None)
    assert g.data["v"][0] == -999.0
    # GSLIB trimming: kept when tmin <= v < tmax, here on the variable only
    g = read_geoeas(p, missing=None, tmin=-998, tmax=1e21, trim=["v"])
    assert np.isnan(g.data["v"][[0, 2]]).all() and g.data["v"][1] == 0.5
    assert g.data["x"][1] == -999.0  # coordinates untouched
    g = read_geoeas(p, missing=[-999.0, 0.5], trim=[2])
    assert np.isnan(g.data["v"][:2]).all() and g.data["x"][1] == -999.0
    with pytest.raises(ParameterError, match="no column 'w'"):
        read_geoeas(p, trim=["w"])


def test_layout_variants(tmp_path):
    # CRLF line ends, a gridded header ("nvar nx ny nz"), blank lines, Fortran reals
    p = _write(tmp_path, "grid\r\n2 3 1 1\r\na\r\nb\r\n\r\n1.5D2 .5\r\n  \r\n+3. -4e-1\r\n")
    g = read_geoeas(p)
    assert g.data["a"].tolist() == [150.0, 3.0] and g.data["b"].tolist() == [0.5, -0.4]
    assert g.line.tolist() == [6, 8]


def test_latin1_title_and_names(tmp_path):
    p = _write(tmp_path, "Teneur moyenne °\n1\nteneur (g/t) é\n1\n", encoding="latin-1")
    g = read_geoeas(p)
    assert g.encoding == "latin-1" and g.title.endswith("°")
    assert list(g.data.columns) == ["teneur (g/t) é"]


def test_empty_and_repeated_names(tmp_path):
    g = read_geoeas(_write(tmp_path, "t\n3\nv\n\nv\n1 2 3\n"))
    assert list(g.data.columns) == ["v", "column_2", "v_2"]
    assert g.names == ("v", "", "v")


def test_no_data_rows(tmp_path):
    g = read_geoeas(_write(tmp_path, "t\n2\na\nb\n"))
    assert len(g) == 0 and list(g.data.columns) == ["a", "b"]


@pytest.mark.parametrize("text, row, column, match", [
    ("", None, None, "file is empty"),
    ("title only\n", 2, None, "number of variables on line 2"),
    ("t\n\n", 2, None, "empty line"),
    ("t\nthree\n", 2, None, "found 'three'"),
    ("t\n0\n", 2, None, "whole number ≥ 1"),
    ("t\n1.5\nx\n", 2, None, "whole number"),
    ("t\n99999999999\n", 2, None, "whole number"),
    ("t\n3\nx\ny\n", 5, None, "announces 3 variables"),
    ("t\n2\nx\ny\n1 2\n3\n", 6, "y", "expected 2 numbers, found 1"),
    ("t\n2\nx\ny\n1 2 3\n", 5, None, "expected 2 numbers, found 3"),
    ("t\n2\nx\ny\n1 2\n1 abc\n", 6, "y", "'abc' is not a number"),
    ("t\n2\nx\ny\n1 nan\n", 5, "y", "'nan' is not a number"),
    ("t\n2\nx\ny\ninf 1\n", 5, "x", "'inf' is not a number"),
    ("t\n2\nx\ny\n1e999 1\n", 5, "x", "is not a number"),
    ("t\n2\nx\ny\n1,5 2\n", 5, "x", "is not a number"),
    ("t\n2\nx\ny\n1_0 2\n", 5, "x", "is not a number"),
])
def test_errors_name_file_line_and_column(tmp_path, text, row, column, match):
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=match) as e:
        read_geoeas(p)
    assert e.value.file == str(p) and e.value.row == row and e.value.column == column


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_geoeas(tmp_path / "none.dat")
    with pytest.raises(InputError, match="cannot read"):
        read_geoeas(tmp_path)


def test_parse_fortran_real():
    assert parse_fortran_real("90.") == 90.0 and parse_fortran_real("-1.0e21") == -1e21
    assert parse_fortran_real("1d-3") == 0.001
    for bad in ("", ".", "e5", "1e", "0x10", "Infinity", "1.2.3", "--1", "١"):
        assert parse_fortran_real(bad) is None


def test_fortran_formats():
    assert fortran_f(0.0, 15, 3) == "           .000"
    assert fortran_f(0.0, 15, 3, leading_zero=True) == "          0.000"
    assert fortran_f(-0.4, 10, 5) == "   -.40000"
    assert fortran_f(12345.678, 8, 3) == "********"
    assert fortran_f(float("nan"), 6, 2) == "   NaN"
    assert fortran_i(1234, 3) == "***" and fortran_i(-5, 3) == " -5"


# --------------------------------------------------------------------------- writing


def test_write_layout(tmp_path):
    p = write_geoeas(tmp_path / "sub" / "o.dat",
                     {"x": [1.0, 10.5], "grade": [0.25, np.nan], "n": np.array([1, 2])},
                     title="demo")
    assert p.read_text() == ("demo\n3\nx\ngrade\nn\n 1.0   0.25 1.0\n10.5 -999.0 2.0\n")
    p = write_geoeas(tmp_path / "f.dat", pd.DataFrame({"a": [1 / 3]}), float_format="10.4f")
    assert p.read_text().splitlines()[-1] == "    0.3333"


def test_round_trip_cluster(tmp_path):
    g = read_geoeas(DATA / "cluster.dat")
    p = write_geoeas(tmp_path / "c.dat", g.data, title=g.title)
    h = read_geoeas(p)
    assert h.title == g.title
    pd.testing.assert_frame_equal(h.data, g.data)


@pytest.mark.parametrize("data, match", [
    ({}, "no columns"),
    ({"a": ["x", "y"]}, "not numeric"),
    ({"a": [1.0, np.inf]}, "infinite"),
    ({"a": [1.0], "b": [1.0, 2.0]}, "has 2 values"),
    ({"a\nb": [1.0]}, "one line"),
])
def test_write_refuses(tmp_path, data, match):
    with pytest.raises(ParameterError, match=match):
        write_geoeas(tmp_path / "o.dat", data)
    assert not list(tmp_path.iterdir())


def test_write_is_atomic(tmp_path):
    target = tmp_path / "o.dat"
    target.write_text("old\n")
    with pytest.raises(ParameterError, match="title must be one line"):
        write_geoeas(target, {"a": [1.0]}, title="two\nlines")
    with pytest.raises(ParameterError, match="not a float format"):
        write_geoeas(target, {"a": [1.0]}, float_format="q")
    assert target.read_text() == "old\n"
    (tmp_path / "dir.dat").mkdir()
    with pytest.raises(ParameterError, match="cannot write"):
        write_geoeas(tmp_path / "dir.dat", {"a": [1.0]})
    assert sorted(x.name for x in tmp_path.iterdir()) == ["dir.dat", "o.dat"]


finite = st.floats(allow_nan=False, allow_infinity=False)


@FUZZ
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                        max_size=12), min_size=1, max_size=4),
       st.data())
def test_round_trip_property(names, data):
    n = data.draw(st.integers(0, 6))
    cols = {f"{i}:{nm}": data.draw(st.lists(st.one_of(finite, st.just(np.nan)), min_size=n,
                                             max_size=n)) for i, nm in enumerate(names)}
    with tempfile.TemporaryDirectory() as d:
        p = write_geoeas(Path(d) / "r.dat", cols, title="round trip")
        g = read_geoeas(p, missing=None)
    written = [np.where(np.isnan(np.asarray(v, float)), -999.0, v) for v in cols.values()]
    assert list(g.data.columns) == [k.strip() for k in cols]
    for col, v in zip(g.data.columns, written):
        np.testing.assert_array_equal(g.data[col].to_numpy(), v)


def _read_bytes(raw: bytes):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "z.dat"
        p.write_bytes(raw)
        try:
            return read_geoeas(p)
        except OrebookError as exc:
            assert isinstance(exc, InputError) and exc.file == str(p)
            return exc


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_any_bytes(raw):
    r = _read_bytes(raw)
    assert isinstance(r, (GeoEASFile, InputError))


token = st.one_of(st.sampled_from(["1", "-999", ".5", "1e21", "1.0D0", "x", "", "nan", "3.",
                                   "1,5", "+2", "\t", "  ", "-", "1e400"]),
                  finite.map(repr))


@FUZZ
@given(st.integers(-1, 4), st.lists(st.lists(token, max_size=5), max_size=6),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_near_valid(nvar, rows, eol):
    names = [f"v{i}" for i in range(max(nvar, 0))]
    text = eol.join(["title", str(nvar), *names, *[" ".join(r) for r in rows]])
    r = _read_bytes(text.encode())
    if isinstance(r, GeoEASFile):
        assert r.data.shape[1] == nvar
        assert len(r.line) == len(r.data) and (np.diff(r.line) > 0).all()
    else:
        assert r.row is not None
