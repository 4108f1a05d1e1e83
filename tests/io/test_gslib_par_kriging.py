"""kt3d and kb2d parameter files: the distribution's files read to the right values, bad lines
named, any damage ending in an InputError."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError
from orebook.geostats.models import Structure, VariogramModel
from orebook.io.gslib_par import read_kb2d_par, read_kt3d_par

DATA = Path(__file__).parents[1] / "gslib" / "data"


def test_kt3d_par_of_the_distribution():
    p = read_kt3d_par(DATA / "kt3d.par")
    assert p.datafile == DATA / ".." / "data" / "cluster.dat"
    assert (p.col_dh, p.col_x, p.col_y, p.col_z, p.col_var, p.col_sec) == (0, 1, 2, 0, 3, 0)
    assert (p.tmin, p.tmax) == (-1.0e21, 1.0e21)
    assert p.option == 1 and p.jack_columns == (1, 2, 0, 3, 0)
    assert p.output_file == DATA / "kt3d.out"
    g = p.grid
    assert (g.nx, g.xmn, g.xsiz, g.ny, g.ymn, g.ysiz, g.nz, g.zmn, g.zsiz) == (
        50, 0.5, 1.0, 50, 0.5, 1.0, 1, 0.5, 1.0)
    assert p.discretisation == (1, 1, 1) and (p.ndmin, p.ndmax, p.noct) == (4, 8, 0)
    assert p.radii == (20.0, 20.0, 20.0) and p.search_angles == (0.0, 0.0, 0.0)
    assert (p.ikrige, p.skmean) == (0, 2.302) and p.drift == (0,) * 9 and p.itrend == 0
    assert p.model == VariogramModel(0.2, (Structure("spherical", 0.8, (10.0, 10.0, 10.0)),))


def test_kb2d_par_of_the_distribution():
    p = read_kb2d_par(DATA / "kb2d.par")
    assert (p.col_x, p.col_y, p.col_var) == (1, 2, 3)
    assert (p.grid.nx, p.grid.xmn, p.grid.xsiz, p.grid.ny) == (5, 5.0, 10.0, 5)
    assert p.discretisation == (1, 1) and (p.ndmin, p.ndmax) == (4, 8)
    assert p.radius == 20.0 and (p.isk, p.skmean) == (1, 2.302)
    assert p.model == VariogramModel(2.0, (Structure("spherical", 8.0, (10.0, 10.0, 10.0)),))


def _replace(tmp_path, name, old, new):
    text = (DATA / name).read_text()
    assert old in text
    p = tmp_path / name
    p.write_text(text.replace(old, new, 1))
    return p


def test_nested_anisotropic_and_power_structures(tmp_path):
    p = _replace(tmp_path, "kt3d.par",
                 "1    0.2                         -nst, nugget effect\n"
                 "1    0.8  0.0   0.0   0.0        -it,cc,ang1,ang2,ang3\n"
                 "         10.0  10.0  10.0        -a_hmax, a_hmin, a_vert",
                 "2    0.1\n2  0.5  45 -10 5\n 90 30 10\n4  0.01 0 0 0\n 1.5 0.75 1.5")
    m = read_kt3d_par(p).model
    assert m.nugget == 0.1
    assert m.structures[0] == Structure("exponential", 0.5, (90.0, 30.0, 10.0),
                                        (45.0, -10.0, 5.0))
    # a power model's a_hmax is its exponent; the other ranges give the anisotropy ratios
    assert m.structures[1] == Structure("power", 0.01, (1.0, 0.5, 1.0), exponent=1.5)


@pytest.mark.parametrize("old, new, row, message", [
    ("4    8                           -min, max data", "8    4", 18, "0 ≤ min ≤ max"),
    ("20.0  20.0  20.0                 -maximum search radii", "20.0 x 20", 20,
     "expected a number"),
    ("1    0.8  0.0   0.0   0.0        -it,cc,ang1,ang2,ang3", "5 0.8 0 0 0", 28,
     "structure type 5 is not supported"),
    ("1    1      1                    -x,y and z block", "0 1 1", 17, "discretization"),
])
def test_bad_lines_are_named(tmp_path, old, new, row, message):
    p = _replace(tmp_path, "kt3d.par", old, new)
    with pytest.raises(InputError) as e:
        read_kt3d_par(p)
    assert e.value.row == row and message in str(e.value) and e.value.file == str(p)


def test_truncated_file(tmp_path):
    lines = (DATA / "kb2d.par").read_text().splitlines()
    p = tmp_path / "kb2d.par"
    p.write_text("\n".join(lines[:-1]) + "\n")  # the structure line is missing
    with pytest.raises(InputError, match="ends before the structure 1"):
        read_kb2d_par(p)


@settings(deadline=None, max_examples=150, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), which=st.sampled_from(["kt3d.par", "kb2d.par"]))
def test_damaged_files_end_in_input_errors(data, which):
    lines = (DATA / which).read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        tokens = lines[i].split()
        if tokens and data.draw(st.booleans()):
            j = data.draw(st.integers(0, len(tokens) - 1))
            tokens[j] = data.draw(st.sampled_from(["", "x", "-1", "0", "1e999", "2.5", "-0",
                                                   "nan", "99999999999"]))
            lines[i] = " ".join(tokens)
        else:
            del lines[i]
    fd, name = tempfile.mkstemp(suffix=".par")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    reader = read_kt3d_par if which == "kt3d.par" else read_kb2d_par
    try:
        reader(name)
    except InputError as exc:
        assert exc.file == name
    finally:
        os.unlink(name)
