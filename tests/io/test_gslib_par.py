"""GSLIB parameter files: the distribution's declus.par and gamv.par, GSLIB's own ways of
writing them, and errors that name the parameter file, the line and the parameter."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError, OrebookError
from orebook.io.gslib_par import (GamvDirection, GamvVariogram, read_declus_par,
                                  read_gamv_par, read_par)

DATA = Path(__file__).parents[1] / "gslib" / "data"

DECLUS = """                   Parameters for DECLUS
                   *********************

START OF PARAMETERS:
{datafile}
1   2   0   3               \\  columns for X, Y, Z, and variable
-1.0e21     1.0e21          \\  trimming limits
declus.sum                  \\file for summary output
declus.out                  \\file for output with data & weights
1.0   1.0                   \\Y and Z cell anisotropy (Ysize=size*Yanis)
0                           \\0=look for minimum declustered mean (1=max)
{cells}
5                           \\number of origin offsets
"""


def _par(tmp_path, text, name="p.par"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_distribution_declus_par():
    p = read_declus_par(DATA / "declus.par")
    assert p.datafile == DATA / "../data/cluster.dat"
    assert (p.col_x, p.col_y, p.col_z, p.col_var) == (1, 2, 0, 3)
    assert (p.tmin, p.tmax) == (-1.0e21, 1.0e21)
    assert p.summary_file == DATA / "declus.sum" and p.output_file == DATA / "declus.out"
    assert (p.anis_y, p.anis_z, p.objective) == (1.0, 1.0, "min")
    assert (p.ncell, p.cmin, p.cmax, p.noff) == (24, 1.0, 25.0, 5)
    assert p.lines["columns"] == 6 and p.lines["cells"] == 12


def test_distribution_gamv_par():
    p = read_gamv_par(DATA / "gamv.par")
    assert p.datafile == DATA / "../data/cluster.dat"
    assert (p.col_x, p.col_y, p.col_z) == (1, 2, 0) and p.var_columns == (3, 4)
    assert p.output_file == DATA / "gamv.out"
    assert (p.nlag, p.xlag, p.xltol) == (10, 5.0, 3.0)
    assert p.directions == (GamvDirection(0.0, 90.0, 50.0, 0.0, 90.0, 50.0),
                            GamvDirection(0.0, 22.5, 25.0, 0.0, 22.5, 25.0),
                            GamvDirection(90.0, 22.5, 25.0, 0.0, 22.5, 25.0))
    assert p.standardize is True
    assert p.variograms == (GamvVariogram(1, 1, 1, None, 19), GamvVariogram(1, 1, -4, None, 20),
                            GamvVariogram(2, 2, 1, None, 21))


def test_gslib_makepar_style_and_file_names(tmp_path):
    # GSLIB's makepar writes "-file with data" comments; names may hold single blanks
    text = DECLUS.format(datafile="my data/cluster.dat   -file with data",
                         cells="24  1.0  25.0               -number of cell sizes")
    p = read_declus_par(_par(tmp_path, text))
    assert p.datafile == tmp_path / "my data" / "cluster.dat"
    assert (p.ncell, p.cmax) == (24, 25.0)
    text = DECLUS.format(datafile=f"{tmp_path / 'abs.dat'} -file", cells="1 2.5 9.0")
    p = read_declus_par(_par(tmp_path, text))
    assert p.datafile == tmp_path / "abs.dat"
    assert (p.ncell, p.cmin, p.cmax) == (1, 2.5, 2.5)  # ncell = 1: cmax = cmin, as GSLIB


def test_blank_lines_and_commas(tmp_path):
    text = DECLUS.format(datafile="d.dat\n", cells="24, 1.0, 25.0")
    p = read_declus_par(_par(tmp_path, text))
    assert p.datafile == tmp_path / "d.dat" and p.cmin == 1.0


def test_lag_tolerance_default(tmp_path):
    text = (DATA / "gamv.par").read_text().replace("3.0                               \\lag "
                                                   "tolerance", "-1  \\lag tolerance")
    assert read_gamv_par(_par(tmp_path, text)).xltol == 2.5


def test_indicator_threshold_is_read(tmp_path):
    text = (DATA / "gamv.par").read_text().replace("2   2   1       ", "2   2   9  1.5")
    assert read_gamv_par(_par(tmp_path, text)).variograms[2] == GamvVariogram(2, 2, 9, 1.5, 21)


@pytest.mark.parametrize("old, new, row, match", [
    ("START OF PARAMETERS:", "BEGIN:", None, "START OF PARAMETERS"),
    ("1   2   0   3 ", "1   2   0    ", 6, "expected 4 values"),
    ("1   2   0   3 ", "1   2   0   x ", 6, "whole number"),
    ("1   2   0   3 ", "1   2   0   0 ", 6, "at least 1"),
    ("1   2   0   3 ", "1   -2  0   3 ", 6, "use 0 for none"),
    ("-1.0e21     1.0e21", "-1.0e21     big", 7, "expected a number"),
    ("1.0   1.0   ", "1.0   0.0   ", 10, "anisotropy must be positive"),
    ("0                           \\0=", "2                           \\0=", 11, "expected 0"),
    ("24  1.0  25.0", "24  30.0  25.0", 12, "below the minimum"),
    ("24  1.0  25.0", "0  1.0  25.0", 12, "at least 1"),
    ("24  1.0  25.0", "2.5  1.0  25.0", 12, "whole number of cell sizes"),
    ("5                           \\number", "0                           \\number", 13,
     "origin offsets"),
    ("5                           \\number of origin offsets\n", "", 13, "ends before"),
    ("../data/cluster.dat         \\file with data", "   \\file with data", 5,
     "empty line"),
])
def test_declus_errors(tmp_path, old, new, row, match):
    text = (DATA / "declus.par").read_text()
    assert old in text
    p = _par(tmp_path, text.replace(old, new))
    with pytest.raises(InputError, match=match) as e:
        read_declus_par(p)
    assert e.value.file == str(p) and e.value.row == row
    if row is not None:
        assert e.value.column  # the parameter is named


@pytest.mark.parametrize("old, new, row, match", [
    ("2   3   4    ", "3   3   4    ", 7, "announces 3 variables but lists 2"),
    ("2   3   4    ", "0   3   4    ", 7, "at least 1"),
    ("10                                \\number of lags",
     "0                                \\number of lags", 10, "at least 1"),
    ("5.0                               \\lag", "0.0                               \\lag", 11,
     "must be positive"),
    ("0.0  22.5 25.0   0.0  22.5  25.0", "0.0  22.5 -1.0   0.0  22.5  25.0", 15,
     "horizontal bandwidth"),
    ("0.0  22.5 25.0   0.0  22.5  25.0", "0.0  22.5 25.0", 15, "expected 6 values"),
    ("2   2   1       ", "3   2   1       ", 21, "between 1 and 2"),
    ("2   2   1       ", "2   2           ", 21, "three whole numbers"),
    ("2   2   1       ", "2   2   10      ", 21, "needs a threshold"),
    ("3                                 \\number of variograms",
     "4                                 \\number of variograms", 22, "ends before"),
])
def test_gamv_errors(tmp_path, old, new, row, match):
    text = (DATA / "gamv.par").read_text()
    assert old in text
    p = _par(tmp_path, text.replace(old, new, 1))
    with pytest.raises(InputError, match=match) as e:
        read_gamv_par(p)
    assert e.value.file == str(p) and e.value.row == row and e.value.column


def test_missing_par_file(tmp_path):
    with pytest.raises(InputError, match="parameter file not found"):
        read_par(tmp_path / "none.par")


@settings(deadline=None, max_examples=int(os.environ.get("OREBOOK_FUZZ", "0")) or 100,
          derandomize="OREBOOK_FUZZ" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(["1 2 0 3", "-1e21 1e21", "x.dat", "", "0", "24 1 25",
                                           "5", "1.0 1.0", "\\c", "-3 a", "1e999 2"]),
                          st.text(max_size=20)), max_size=12))
def test_fuzz_par_files(lines):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.par"
        p.write_text("START OF PARAMETERS:\n" + "\n".join(lines), encoding="utf-8")
        for reader in (read_declus_par, read_gamv_par):
            try:
                reader(p)
            except OrebookError as exc:
                assert isinstance(exc, InputError) and exc.file == str(p)
