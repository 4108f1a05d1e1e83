"""``run_declus``: GSLIB's declus.par run unchanged, its two files in declus's layout, read back
and compared with the library and with the data file line by line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from orebook.errors import InputError
from orebook.geostats.declustering import cell_declustering
from orebook.gslib import run_declus
from orebook.io.geoeas import read_geoeas

DATA = Path(__file__).parent / "data"


@pytest.fixture
def layout(tmp_path):
    """tmp/run/declus.par naming ../data/cluster.dat, as in the GSLIB distribution."""
    (tmp_path / "run").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(DATA / "declus.par", tmp_path / "run" / "declus.par")
    shutil.copy(DATA / "cluster.dat", tmp_path / "data" / "cluster.dat")
    return tmp_path


def _library(values=None):
    d = read_geoeas(DATA / "cluster.dat").data.to_numpy()
    xyz = np.column_stack([d[:, 0], d[:, 1], np.zeros(len(d))])
    return cell_declustering(xyz, d[:, 2] if values is None else values, ncell=24, cmin=1.0,
                             cmax=25.0, noff=5)


def test_declus_par_unchanged(layout):
    paths = run_declus(layout / "run" / "declus.par")
    assert paths == [layout / "run" / "declus.sum", layout / "run" / "declus.out"]
    res = _library()

    summary = paths[0].read_text().splitlines()
    assert summary[:4] == ["Clustered 140 primary and secondary data", "2", "Cell Size",
                           "Declustered Mean"]
    assert summary[4] == "           .000" + "  " + "          4.350"  # equal weights first
    rows = summary[5:]
    assert len(rows) == 25 and all(len(r) == 32 for r in rows)  # F15.3, 2X, F15.3
    table = np.array([[float(x) for x in r.split()] for r in rows])
    np.testing.assert_allclose(table[:, 0], res.table["cell_size"], atol=5e-4)
    np.testing.assert_allclose(table[:, 1], res.table["declustered_mean"], atol=5e-4)
    assert rows[4] == "          5.000" + "  " + "          2.524"  # the chosen size
    assert table[:, 1].argmin() == 4

    out = read_geoeas(paths[1], missing=None)
    assert out.title == "Clustered 140 primary and secondary data"
    assert list(out.data.columns)[-2:] == ["Declustering Weight", "Declustering Weight_2"]
    np.testing.assert_allclose(out.data.iloc[:, 5], res.weights, atol=5e-6)  # F10.5
    # every data line is the input line, a blank and the weight in ten characters
    text_in = (DATA / "cluster.dat").read_text().splitlines()
    text_out = paths[1].read_text().splitlines()
    assert text_out[1] == "  6" and text_out[7] == "Declustering Weight"
    assert text_out[2] == "Xlocation".ljust(40)  # names as GSLIB writes them: A40
    for a, b, w in zip(text_in[7:], text_out[8:], res.weights):
        assert b == a.rstrip() + " " + f"{w:10.5f}".replace(" 0.", "  .")
    # the original five columns come back unchanged, GSLIB's own weights included
    np.testing.assert_array_equal(out.data.iloc[:, :5].to_numpy(),
                                  read_geoeas(DATA / "cluster.dat").data.to_numpy())


def test_leading_zero_and_trimmed_samples(layout):
    par = layout / "run" / "declus.par"
    text = par.read_text().replace("-1.0e21     1.0e21", "0.1     1.0e21")
    par.write_text(text)
    [summ, out] = run_declus(par, leading_zero=True)
    d = read_geoeas(DATA / "cluster.dat").data.to_numpy()
    keep = d[:, 2] >= 0.1
    xyz = np.column_stack([d[keep, 0], d[keep, 1], np.zeros(keep.sum())])
    res = cell_declustering(xyz, d[keep, 2], ncell=24, cmin=1.0, cmax=25.0, noff=5)
    assert summ.read_text().splitlines()[4].startswith("          0.000")
    w = read_geoeas(out, missing=None).data.iloc[:, 5].to_numpy()
    assert (w[~keep] == -999.0).all() and (~keep).sum() == 5
    np.testing.assert_allclose(w[keep], res.weights, atol=5e-6)
    lines = out.read_text().splitlines()[8:]
    assert all(ln.endswith("-999.00000") for ln, k in zip(lines, keep) if not k)
    small = [(ln, x) for ln, x in zip(lines, w) if 0 < x < 1]
    assert small and all(ln[-10:] == f"{x:10.5f}" and ln[-7:-5] == "0." for ln, x in small)


def test_column_out_of_range_names_the_par_line(layout):
    par = layout / "run" / "declus.par"
    par.write_text(par.read_text().replace("1   2   0   3 ", "1   2   0   7 "))
    with pytest.raises(InputError, match="has 5 variables") as e:
        run_declus(par)
    assert e.value.file == str(par) and e.value.row == 6


def test_missing_data_file(layout):
    (layout / "data" / "cluster.dat").unlink()
    with pytest.raises(InputError, match="file not found"):
        run_declus(layout / "run" / "declus.par")
    assert not (layout / "run" / "declus.sum").exists()
