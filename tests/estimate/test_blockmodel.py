"""BlockModel: columns and run records, Parquet with its metadata, CSV in the Datamine and
Vulcan layouts (round trips, hand-written files, errors with line and column, fuzzing), GeoEAS
grid files."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orebook import __version__
from orebook.errors import InputError, OrebookError, ParameterError
from orebook.estimate.blockmodel import METADATA_KEY, BlockModel
from orebook.estimate.grid import BlockGrid

GRID = BlockGrid((100.0, 200.0, -50.0), (10.0, 5.0, 2.5), (4, 3, 2))


def sample_model(grid: BlockGrid = GRID) -> BlockModel:
    """Every block, then the blocks of domains 1 and 3 only: a sub-set with a gap."""
    n = grid.n_blocks
    m = BlockModel.from_grid(grid, {
        "au_gpt": np.linspace(0.0, 2.3, n),
        "domain": np.arange(n) % 4,
        "lith": np.array(["ox", "su, fresh", "tr\"ans", ""] * (n // 4) + ["ox"] * (n % 4),
                         dtype=object),
    }, {"method": "test", "seed": np.int64(7)})
    m = m.subset(m["domain"] % 2 == 1)
    return m.add_columns({"cu_pct": np.where(m["domain"] == 1, np.nan, 0.25),
                          "estimated": m["domain"] == 3},
                         {"passes": [1, 2], "radius_m": np.array([50.0, 100.0]),
                          "file": Path("a/b.csv")})


def assert_same_blocks(a: BlockModel, b: BlockModel) -> None:
    assert a.grid.isclose(b.grid)
    np.testing.assert_array_equal(a.index, b.index)
    assert list(a.columns) == list(b.columns)
    for k in a.columns:
        if a[k].dtype.kind == "f":
            np.testing.assert_array_equal(a[k], b[k])  # NaN where NaN
        else:
            assert a[k].tolist() == b[k].tolist(), k


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


# -- the model --------------------------------------------------------------------------------


def test_model_columns_and_runs():
    m = sample_model()
    assert len(m) == 12
    np.testing.assert_array_equal(m.index, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23])
    assert list(m.columns) == ["au_gpt", "domain", "lith", "cu_pct", "estimated"]
    assert m["domain"].dtype == np.int64 and m["estimated"].dtype == bool
    assert m["lith"].dtype == object
    assert [r["columns"] for r in m.runs] == [["au_gpt", "domain", "lith"],
                                              ["cu_pct", "estimated"]]
    assert m.runs[0]["parameters"] == {"method": "test", "seed": 7}
    assert m.runs[1]["parameters"] == {"passes": [1, 2], "radius_m": [50.0, 100.0],
                                       "file": str(Path("a/b.csv"))}
    assert m.runs[1]["orebook_version"] == __version__
    assert m.runs[1]["created"].endswith("+00:00")
    with pytest.raises(ValueError):
        m["au_gpt"][0] = 1.0  # columns are read-only


def test_add_columns_returns_a_new_model():
    m = BlockModel.from_grid(GRID)
    m2 = m.add_columns({"a": np.ones(24)}, {"k": 1})
    assert m.columns == {} and m.runs == []
    assert list(m2.columns) == ["a"] and len(m2.runs) == 1
    with pytest.raises(ParameterError, match="already taken"):
        m2.add_columns({"A": np.zeros(24)}, {})
    m3 = m2.add_columns({"A": np.zeros(24)}, {"k": 2}, overwrite=True)
    assert list(m3.columns) == ["A"] and len(m3.runs) == 2
    with pytest.raises(ParameterError, match="23 values for 24 blocks"):
        m.add_columns({"b": np.ones(23)}, {})
    with pytest.raises(ParameterError, match="cannot be saved"):
        m.add_columns({"b": np.ones(24)}, {"f": object()})


@pytest.mark.parametrize("index,columns,words", [
    ([3, 1], {}, "sorted and distinct"),
    ([1, 1], {}, "sorted and distinct"),
    ([0, 24], {}, "0..23"),
    ([0, 1], {"XC": [1.0, 2.0]}, "reserved"),
    ([0, 1], {"Index": [1.0, 2.0]}, "reserved"),
    ([0, 1], {"a": [1.0, np.inf]}, "infinite"),
    ([0, 1], {"a": np.array(["x", None], dtype=object)}, "not text"),
    ([0, 1], {"a": np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]")},
     "cannot be stored"),
    ([0, 1], {"": [1, 2]}, "non-empty"),
])
def test_model_validation(index, columns, words):
    with pytest.raises(ParameterError, match=words):
        BlockModel(GRID, np.asarray(index), columns)


def test_to_frame_by_hand():
    g = BlockGrid((0.0, 0.0, 0.0), (10.0, 20.0, 5.0), (2, 2, 2))
    m = BlockModel(g, np.array([1, 6]), {"v": [0.5, 1.5]})
    df = m.to_frame()
    assert df.columns.tolist() == ["index", "ix", "iy", "iz", "xc", "yc", "zc", "v"]
    assert df.to_numpy().tolist() == [[1, 1, 0, 0, 15.0, 10.0, 2.5, 0.5],
                                      [6, 0, 1, 1, 5.0, 30.0, 7.5, 1.5]]


def test_select_domain():
    m = sample_model()
    d3 = m.select_domain("domain", 3)
    assert set(d3["domain"].tolist()) == {3} and len(d3) == 6
    assert len(m.select_domain("lith", ["ox", ""])) == 6
    with pytest.raises(ParameterError, match="no column 'zone'"):
        m.select_domain("zone", 1)


# -- Parquet ----------------------------------------------------------------------------------


def test_parquet_round_trip_with_metadata(tmp_path):
    m = sample_model(BlockGrid((500.0, 1000.0, 0.0), (5.0, 5.0, 2.0), (4, 3, 2), rotation=30.0))
    p = m.save_parquet(tmp_path / "model.parquet")
    back = BlockModel.load_parquet(p)
    assert back.grid == m.grid
    assert_same_blocks(m, back)
    assert back["domain"].dtype == np.int64 and back["estimated"].dtype == bool
    assert back.runs == m.runs
    # the metadata as any Parquet reader sees it
    meta = json.loads(pq.read_schema(p).metadata[METADATA_KEY.encode()])
    assert meta["grid"] == {"origin": [500.0, 1000.0, 0.0], "size": [5.0, 5.0, 2.0],
                            "count": [4, 3, 2], "rotation": 30.0}
    assert meta["runs"][1]["parameters"]["radius_m"] == [50.0, 100.0]
    # and the table holds the positions for other tools
    df = pd.read_parquet(p)
    np.testing.assert_allclose(df[["xc", "yc", "zc"]].to_numpy(), m.centroids())
    assert [f for f in os.listdir(tmp_path) if f.endswith(".part")] == []


def test_parquet_errors(tmp_path):
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"x": [1.0]}).to_parquet(plain)
    with pytest.raises(InputError, match="not written by BlockModel") as err:
        BlockModel.load_parquet(plain)
    assert err.value.file == str(plain)
    with pytest.raises(InputError, match="file not found"):
        BlockModel.load_parquet(tmp_path / "none.parquet")
    junk = write(tmp_path / "junk.parquet", "not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        BlockModel.load_parquet(junk)
    # a table edited without its grid
    p = sample_model().save_parquet(tmp_path / "m.parquet")
    t = pq.read_table(p)
    xc = t.column("xc").to_numpy().copy()
    xc[2] += 1.0
    t = t.set_column(t.column_names.index("xc"), "xc", pa.array(xc))
    pq.write_table(t, p)
    with pytest.raises(InputError, match="table row 3: xc") as err:
        BlockModel.load_parquet(p)
    assert err.value.column == "xc"
    with pytest.raises(ParameterError, match="cannot write"):
        sample_model().save_parquet(plain / "inside_a_file.parquet")


# -- CSV round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["datamine", "vulcan"])
def test_csv_round_trip(tmp_path, layout):
    m = sample_model()
    p = m.save_csv(tmp_path / f"{layout}.csv", layout=layout)
    back = BlockModel.load_csv(p)
    # the model holds odd block indices (ix = 1, 3): Datamine's prototype fields keep the whole
    # grid, while Vulcan's file gives the blocks' bounding box (ix from 1)
    if layout == "datamine":
        assert back.grid == GRID
    else:
        assert back.grid == BlockGrid((110.0, 200.0, -50.0), (10.0, 5.0, 2.5), (3, 3, 2))
    np.testing.assert_array_equal(back.centroids(), m.centroids())
    expected = BlockModel(back.grid, back.index, {
        k: m[k].astype(np.int64) if m[k].dtype == bool else m[k]  # booleans written as 0/1
        for k in m.columns})
    assert_same_blocks(expected, back)
    (run,) = back.runs
    assert run["parameters"]["layout"] == layout
    assert run["parameters"]["blocks"] == 12
    assert run["columns"] == list(m.columns)


def test_csv_datamine_prototype_keeps_the_grid_of_a_subset(tmp_path):
    m = sample_model().select_domain("domain", 1)  # ix = 1 only, z level 0 and 1
    p = m.save_csv(tmp_path / "dm.csv")
    back = BlockModel.load_csv(p)
    assert back.grid == GRID and back.runs[0]["parameters"]["ijk_checked"]
    np.testing.assert_array_equal(back.index, m.index)
    # without the prototype fields the grid is the blocks' bounding box
    p2 = m.save_csv(tmp_path / "dm2.csv", prototype=False, ijk=False)
    back2 = BlockModel.load_csv(p2)
    np.testing.assert_allclose(back2.centroids(), m.centroids())
    assert back2.grid.count.tolist() == [1, 3, 2]


def test_csv_round_trip_rotated(tmp_path):
    g = BlockGrid((6.5e6 + 0.25, 4.5e5, 100.0), (12.5, 12.5, 5.0), (5, 4, 3), rotation=37.0)
    m = BlockModel.from_grid(g, {"v": np.arange(60) * 0.1}, {})
    with pytest.raises(ParameterError, match="rotated"):
        m.save_csv(tmp_path / "r.csv")
    for layout, kw in (("datamine", {"ijk": False, "prototype": False}), ("vulcan", {})):
        p = m.save_csv(tmp_path / f"r_{layout}.csv", layout=layout, **kw)
        back = BlockModel.load_csv(p, rotation=37.0)
        assert back.grid.isclose(g, atol=1e-6)
        np.testing.assert_array_equal(back.index, m.index)
        np.testing.assert_array_equal(back["v"], m["v"])


# -- CSV files written by hand ----------------------------------------------------------------


def test_datamine_file_by_hand(tmp_path):
    # Datamine technical note: IJK = (I-1)·NY·NZ + (J-1)·NZ + (K-1), 1-based I, J, K
    # Grid 2 × 2 × 2 of 10 × 10 × 10 m at the origin; cells (I, J, K) = (2, 1, 2), (1, 2, 1)
    p = write(tmp_path / "dm.csv",
              "XMORIG,YMORIG,ZMORIG,NX,NY,NZ,XC,YC,ZC,XINC,YINC,ZINC,IJK,AU,ROCK\n"
              "0,0,0,2,2,2,15,5,15,10,10,10,5,1.5,OX\n"
              "0,0,0,2,2,2,5,15,5,10,10,10,2,-,SU\n")
    m = BlockModel.load_csv(p)
    assert m.grid == BlockGrid((0, 0, 0), (10, 10, 10), (2, 2, 2))
    # orebook index = ix + 2·(iy + 2·iz): (1, 0, 1) → 5, (0, 1, 0) → 2; sorted
    np.testing.assert_array_equal(m.index, [2, 5])
    np.testing.assert_array_equal(m["AU"], [np.nan, 1.5])     # "-" is Datamine's absent value
    assert m["ROCK"].tolist() == ["SU", "OX"]
    bad = write(tmp_path / "bad_ijk.csv",
                "XMORIG,YMORIG,ZMORIG,NX,NY,NZ,XC,YC,ZC,XINC,YINC,ZINC,IJK\n"
                "0,0,0,2,2,2,15,5,15,10,10,10,5\n"
                "0,0,0,2,2,2,5,15,5,10,10,10,4\n")
    with pytest.raises(InputError, match="IJK 4.0 does not match .* IJK is 2") as err:
        BlockModel.load_csv(bad)
    assert (err.value.row, err.value.column) == (3, "IJK")


def test_vulcan_file_by_hand(tmp_path):
    p = write(tmp_path / "vulcan.csv",
              "centroid_x,centroid_y,centroid_z,dim_x,dim_y,dim_z,volume,au,rock,code\n"
              "Variable descriptions:,,,,,,,gold,rock type,zone code\n"
              "Variable types:,,,,,,,float,name,integer\n"
              "Variable defaults:,,,,,,,-99,,0\n"
              "2.5,7.5,1,5,5,2,50,0.8,ox,1\n"
              "7.5,7.5,1,5,5,2,50,1.2,17,2\n"
              "\n"
              "2.5,2.5,3,5,5,2,50,,su,3\n")
    m = BlockModel.load_csv(p)
    assert m.grid == BlockGrid((0.0, 0.0, 0.0), (5.0, 5.0, 2.0), (2, 2, 2))
    # (0, 1, 0) → 2, (1, 1, 0) → 3, (0, 0, 1) → 4
    np.testing.assert_array_equal(m.index, [2, 3, 4])
    np.testing.assert_array_equal(m["au"], [0.8, 1.2, np.nan])
    assert m["rock"].tolist() == ["ox", "17", "su"]              # a "name" variable stays text
    assert m["code"].tolist() == [1, 2, 3] and m["code"].dtype == np.int64
    skipped = m.runs[0]["parameters"]["skipped_lines"]
    assert [s["line"] for s in skipped] == [2, 3, 4, 7]           # Vulcan's lines, the blank


@pytest.mark.parametrize("header,text", [
    ("X,Y,Z,DX,DY,DZ,grade", "5,5,5,10,10,10,1\n15,5,5,10,10,10,2\n"),
    ("EAST,NORTH,RL,XSIZE,YSIZE,ZSIZE,grade", "5,5,5,10,10,10,1\n15,5,5,10,10,10,2\n"),
    ("Xcentre,Ycentre,Zcentre,xlength,ylength,zlength,grade",
     "5,5,5,10,10,10,1\n15,5,5,10,10,10,2\n"),
    ("x_c;y_c;z_c;x_inc;y_inc;z_inc;grade", "5,0;5;5;10;10;10;1\n15;5;5;10;10;10;2\n"),
])
def test_common_spellings(tmp_path, header, text):
    m = BlockModel.load_csv(write(tmp_path / "b.csv", header + "\n" + text))
    assert m.grid == BlockGrid((0, 0, 0), (10, 10, 10), (2, 1, 1))
    assert m["grade"].tolist() == [1, 2]


def test_size_and_grid_given(tmp_path):
    p = write(tmp_path / "c.csv", "x,y,z,v\n5,5,5,1\n25,5,5,2\n")
    with pytest.raises(InputError, match="size=") as err:
        BlockModel.load_csv(p)
    assert err.value.file == str(p)
    m = BlockModel.load_csv(p, size=(10, 10, 10))
    assert m.grid.count.tolist() == [3, 1, 1]
    np.testing.assert_array_equal(m.index, [0, 2])
    big = BlockGrid((-10, 0, 0), (10, 10, 10), (5, 2, 2))
    m2 = BlockModel.load_csv(p, grid=big)
    assert m2.grid == big
    np.testing.assert_array_equal(m2.index, [1, 3])
    m3 = BlockModel.load_csv(write(tmp_path / "d.csv", "east_m,YC,ZC,KOD\n0.5,5,5,1\n"),
                             column_map={"x": "EAST_M"}, size=(1, 10, 10))
    assert m3.centroids().tolist() == [[0.5, 5.0, 5.0]] and list(m3.columns) == ["KOD"]
    with pytest.raises(InputError, match="reserved") as err:  # an XC that is not the centroid
        BlockModel.load_csv(write(tmp_path / "e.csv", "east_m,YC,ZC,XC\n0.5,5,5,1\n"),
                            column_map={"x": "east_m"}, size=(1, 10, 10))
    assert err.value.column == "XC"


# -- import errors name the line and the column -----------------------------------------------

HEAD = "XC,YC,ZC,XINC,YINC,ZINC,AU\n"
OK1 = "5,5,5,10,10,10,1\n"
OK2 = "15,5,5,10,10,10,2\n"
PROTO = "XMORIG,YMORIG,ZMORIG,NX,NY,NZ,XC,YC,ZC,XINC,YINC,ZINC\n"


@pytest.mark.parametrize("text,row,column,words", [
    (HEAD + OK1 + OK2 + "25,7,5,10,10,10,3\n", 4, "YC", "not on the grid"),
    (HEAD + OK1 + OK2 + "25,5,5,5,10,10,3\n", 4, "XINC", "sub-blocked"),
    (HEAD + OK1 + "5,5,5,10,10,10,3\n" + OK2, 3, "XC", "given twice, on line 2"),
    (HEAD + OK1 + ",5,5,10,10,10,3\n", 3, "XC", "empty cell"),
    (HEAD + OK1 + "5,abc,5,10,10,10,3\n", 3, "YC", "'abc'"),
    (HEAD + OK1 + "15,5,5,10,10,0,3\n", 3, "ZINC", "> 0"),
    (HEAD + OK1 + "15,5,5,10,10,10,3,4\n", 3, None, "fields"),
    ("YC,ZC,XINC,YINC,ZINC\n5,5,10,10,10\n", 1, None, "centroid's X"),
    ("XC,YC,ZC,XINC,ZINC\n5,5,5,10,10\n", 1, None, "dy"),
    ("XC,YC,ZC,XINC,YINC,ZINC,index\n5,5,5,10,10,10,1\n", 1, "index", "reserved"),
    ("XC,YC,ZC,XINC,YINC,ZINC\n", 2, None, "no blocks"),
    (PROTO + "0,0,0,2,1,1,5,5,5,10,10,10\n0,0,0,3,1,1,15,5,5,10,10,10\n", 3, "NX", "changes"),
    (PROTO + "0,0,0,1,1,1,5,5,5,10,10,10\n0,0,0,1,1,1,15,5,5,10,10,10\n", 3, "XC",
     "outside the grid"),
    ("centroid_x,centroid_y,centroid_z,dim_x,dim_y,dim_z,volume\n5,5,5,10,10,10,500\n",
     2, "volume", "partial blocks"),
])
def test_import_errors_name_row_and_column(tmp_path, text, row, column, words):
    p = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError, match=words) as err:
        BlockModel.load_csv(p)
    assert err.value.file == str(p)
    assert err.value.row == row
    assert err.value.column == column


# -- GeoEAS grid files ------------------------------------------------------------------------


def test_geoeas_by_hand(tmp_path):
    # 2 × 2 × 1 grid: rows are blocks (0,0), (1,0), (0,1), (1,1)
    g = BlockGrid.from_gslib(2, 0.5, 1.0, 2, 0.5, 1.0, 1, 0.5, 1.0)
    p = write(tmp_path / "g.dat", "kt3d output\n2\nEstimate\nEstimationVariance\n"
                                  "1.0 0.1\n2.0 0.2\n-999 -999\n4.0 0.4\n")
    m = BlockModel.load_geoeas(p, g)
    assert len(m) == 4
    np.testing.assert_array_equal(m["Estimate"], [1.0, 2.0, np.nan, 4.0])
    np.testing.assert_array_equal(m.centroids()[1], [1.5, 0.5, 0.5])
    assert m.runs[0]["parameters"]["title"] == "kt3d output"
    with pytest.raises(InputError, match="grid .* has 6 blocks") as err:
        BlockModel.load_geoeas(p, BlockGrid((0, 0, 0), (1, 1, 1), (3, 2, 1)))
    assert err.value.file == str(p)
    with pytest.raises(InputError, match="one too many") as err:
        BlockModel.load_geoeas(p, BlockGrid((0, 0, 0), (1, 1, 1), (3, 1, 1)))
    assert err.value.row == 8


def test_geoeas_round_trip(tmp_path):
    m = sample_model()
    with pytest.raises(ParameterError, match="text"):
        m.save_geoeas(tmp_path / "x.dat")
    p = m.save_geoeas(tmp_path / "m.dat", columns=["au_gpt", "cu_pct", "estimated"])
    lines = p.read_text().splitlines()
    assert lines[1:5] == ["3", "au_gpt", "cu_pct", "estimated"]
    rows = [ln.split() for ln in lines[5:]]
    assert len(rows) == GRID.n_blocks
    assert rows[0] == ["-999.0"] * 3                           # block 0 is not in the model
    assert float(rows[1][0]) == m["au_gpt"][0] and rows[1][1] == "-999.0"
    back = BlockModel.load_geoeas(p, GRID)
    assert len(back) == GRID.n_blocks
    sub = back.subset(np.isin(back.index, m.index))
    np.testing.assert_array_equal(sub["au_gpt"], m["au_gpt"])
    np.testing.assert_array_equal(sub["cu_pct"], m["cu_pct"])
    np.testing.assert_array_equal(sub["estimated"], m["estimated"].astype(float))
    assert np.isnan(back.subset(~np.isin(back.index, m.index))["au_gpt"]).all()


# -- fuzzing the CSV reader -------------------------------------------------------------------

_DEEP = int(os.environ.get("OREBOOK_FUZZ", "0"))
FUZZ = settings(deadline=None, max_examples=_DEEP or 120, derandomize=not _DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = ["XC", "YC", "ZC", "XINC", "YINC", "ZINC", "centroid_x", "centroid_y", "centroid_z",
         "dim_x", "dim_y", "dim_z", "volume", "X", "Y", "Z", "IJK", "NX", "XMORIG", "au",
         "rock", "index", "", "xc", "Variable types:"]
CELLS = st.one_of(
    st.sampled_from(["5", "15", "25", "10", "2.5", "7.5", "0", "-5", "1e400", "nan", "-", "",
                     "ox", "1,5", "-999", "1e30", "Variable descriptions:", "3", "100"]),
    st.integers(-3, 40).map(lambda v: str(v * 5)),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=6),
)


@st.composite
def tables(draw):
    ncol = draw(st.integers(1, 9))
    if draw(st.booleans()):
        header = ["XC", "YC", "ZC", "XINC", "YINC", "ZINC"][:ncol] + draw(
            st.lists(st.sampled_from(NAMES), min_size=max(0, ncol - 6), max_size=max(0, ncol - 6)))
    else:
        header = draw(st.lists(st.sampled_from(NAMES), min_size=ncol, max_size=ncol))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=ncol + 1), max_size=8))
    return header, rows


@st.composite
def near_valid_tables(draw):
    """A valid Datamine or Vulcan-style table of blocks of a small grid, then a few cells
    changed, rows repeated, shortened or lengthened, or blank lines added."""
    size = draw(st.sampled_from([(10.0, 10.0, 5.0), (2.5, 5.0, 1.0)]))
    count = draw(st.tuples(*[st.integers(1, 3)] * 3))
    g = BlockGrid((draw(st.sampled_from([0.0, -12.5, 1e5])), 0.0, 0.0), size, count)
    idx = sorted(draw(st.sets(st.integers(0, g.n_blocks - 1), min_size=1)))
    c = g.centroids(idx)
    vulcan = draw(st.booleans())
    header = (["centroid_x", "centroid_y", "centroid_z", "dim_x", "dim_y", "dim_z", "volume"]
              if vulcan else ["XC", "YC", "ZC", "XINC", "YINC", "ZINC"]) + ["au", "rock"]
    rows = []
    for k in range(len(idx)):
        r = [repr(float(v)) for v in c[k]] + [repr(v) for v in size]
        if vulcan:
            r.append(repr(size[0] * size[1] * size[2]))
        rows.append(r + [str(k * 0.5), ["ox", "su"][k % 2]])
    if vulcan and draw(st.booleans()):
        rows[:0] = [["Variable descriptions:"] + [""] * 8, ["Variable types:"] + [""] * 7
                    + ["float", "name"], ["Variable defaults:"] + [""] * 7 + ["-99", ""]]
    for _ in range(draw(st.integers(0, 3))):
        if not rows:
            break
        i = draw(st.integers(0, len(rows) - 1))
        what = draw(st.sampled_from(["cell", "cell", "repeat", "short", "long", "blank"]))
        if what == "cell" and rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(CELLS)
        elif what == "repeat":
            rows.insert(i, list(rows[i]))
        elif what == "short" and rows[i]:
            rows[i] = rows[i][:-1]
        elif what == "long":
            rows[i] = rows[i] + [draw(CELLS)]
        elif what == "blank":
            rows.insert(i, [])
    return header, rows


@FUZZ
@given(st.one_of(tables(), near_valid_tables()))
def test_fuzz_csv_reader(table):
    header, rows = table
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.csv"
        p.write_text(buf.getvalue(), encoding="utf-8", newline="")
        try:
            m = BlockModel.load_csv(p)
        except InputError as exc:
            assert exc.file == str(p)
            event("InputError")
            return
        except OrebookError as exc:  # pragma: no cover - would be a bug
            raise AssertionError(f"not an InputError naming the file: {exc!r}") from exc
        # every line after the header is a block or reported
        event("read")
        data_lines = buf.getvalue().count("\n") - 1
        reported = len(m.runs[0]["parameters"]["skipped_lines"])
        assert len(m) + reported == data_lines, (len(m), reported, data_lines)
        assert len(np.unique(m.index)) == len(m)
        np.testing.assert_array_equal(m.grid.locate(m.centroids()), m.index)
