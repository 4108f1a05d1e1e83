"""Reading composites back: the layout orebook writes, other point tables, bad files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orebook.errors import InputError
from orebook.io.composites import read_composites


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_orebook_composite_layout(tmp_path):
    p = _write(tmp_path, "comp.csv",
               "hole,from,to,length,x,y,z,domain,Cu_pct,Au_ppm\n"
               "A,0,2,2,10,20,100,ox,0.5,\n"
               "A,2,3,1,10,20,98.5,su,1.5,0.2\n")
    c = read_composites(p)
    assert list(c.hole) == ["A", "A"]
    np.testing.assert_array_equal(c.from_m, [0, 2])
    np.testing.assert_array_equal(c.z, [100, 98.5])
    assert list(c.domain) == ["ox", "su"]
    assert set(c.values) == {"Cu_pct", "Au_ppm"}
    np.testing.assert_array_equal(c.coverage["Cu_pct"], [2, 1])
    # a missing value carries no weight
    np.testing.assert_array_equal(c.coverage["Au_ppm"], [0, 1])


def test_points_without_holes_weigh_the_same(tmp_path):
    p = _write(tmp_path, "pts.csv", "EAST;NORTH;ELEV;grade;rock\n1;2;3;0,5;a\n4;5;6;1,5;b\n")
    c = read_composites(p)
    np.testing.assert_array_equal(c.x, [1, 4])
    np.testing.assert_array_equal(c.values["grade"], [0.5, 1.5])
    np.testing.assert_array_equal(c.coverage["grade"], [1, 1])
    assert "rock" not in c.values and list(c.domain) == ["", ""]


def test_parquet(tmp_path):
    df = pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, 0.0], "z": [5.0, 5.0], "v": [3.0, np.nan],
                       "domain": ["a", "b"]})
    p = tmp_path / "s.parquet"
    df.to_parquet(p)
    c = read_composites(p)
    np.testing.assert_array_equal(c.values["v"], [3.0, np.nan])
    assert list(c.domain) == ["a", "b"]


def test_row_without_coordinates_is_named(tmp_path):
    p = _write(tmp_path, "bad.csv", "x,y,z,v\n1,2,3,4\n1,,3,4\n")
    with pytest.raises(InputError) as e:
        read_composites(p)
    assert e.value.row == 3 and e.value.column == "y" and e.value.file == str(p)


def test_unknown_domain_column_and_no_values(tmp_path):
    p = _write(tmp_path, "a.csv", "x,y,z,v\n1,2,3,4\n")
    with pytest.raises(InputError, match="no domain column 'rock'"):
        read_composites(p, domain_column="rock")
    q = _write(tmp_path, "b.csv", "x,y,z,name\n1,2,3,abc\n")
    with pytest.raises(InputError, match="no numeric value column"):
        read_composites(q)


def test_damaged_parquet(tmp_path):
    p = tmp_path / "d.parquet"
    p.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_composites(p)


def test_geoeas_rows_are_named_by_their_line(tmp_path):
    p = _write(tmp_path, "pts.dat", "title\n4\nx\ny\nz\ngrade\n1 2 3 0.5\n4 5 6 1.5\n")
    c = read_composites(p)
    np.testing.assert_array_equal(c.values["grade"], [0.5, 1.5])
    np.testing.assert_array_equal(c.z, [3, 6])
    q = _write(tmp_path, "bad.dat", "title\n4\nx\ny\nz\ngrade\n1 2 3 0.5\n4 5 -999 1.5\n")
    with pytest.raises(InputError) as e:  # -999 is GSLIB's missing value: no z, no sample
        read_composites(q)
    assert e.value.row == 8 and e.value.column == "z"
