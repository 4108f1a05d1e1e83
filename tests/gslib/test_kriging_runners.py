"""``run_kt3d`` and ``run_kb2d``: GSLIB's kt3d.par and kb2d.par run unchanged (or with one line
changed), the output in the programs' GeoEAS layout, read back and compared with orebook's
search and kriging called directly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from orebook.errors import InputError
from orebook.estimate.kriging import ordinary_kriging, simple_kriging
from orebook.estimate.search import Neighbourhood, SearchParams
from orebook.gslib.kriging import run_kb2d, run_kt3d
from orebook.io.geoeas import read_geoeas
from orebook.io.gslib_par import read_kb2d_par, read_kt3d_par

DATA = Path(__file__).parent / "data"
CROSS = ["X", "Y", "Z", "True", "Estimate", "EstimationVariance", "Error: est-true"]
# kt3d.par's lines (1-based): 8 option, 22 kriging type, 23 drift terms, 24 itrend
OPTION, IKRIGE, DRIFT, ITREND = 8, 22, 23, 24
HALF = 0.0005 + 1e-9  # F*.3 rounding


@pytest.fixture
def layout(tmp_path):
    """tmp/run/*.par naming ../data/cluster.dat, as in the GSLIB distribution."""
    (tmp_path / "run").mkdir()
    (tmp_path / "data").mkdir()
    for name in ("kt3d.par", "kb2d.par"):
        shutil.copy(DATA / name, tmp_path / "run" / name)
    shutil.copy(DATA / "cluster.dat", tmp_path / "data" / "cluster.dat")
    return tmp_path


def _edit(par: Path, line: int, text: str) -> Path:
    lines = par.read_text().split("\n")
    comment = lines[line - 1][lines[line - 1].index("-"):] if "-" in lines[line - 1] else ""
    lines[line - 1] = text.ljust(33) + comment
    par.write_text("\n".join(lines))
    return par


def _cluster() -> np.ndarray:
    return read_geoeas(DATA / "cluster.dat", missing=None).data.to_numpy()


def test_kt3d_cross_validation_unchanged(layout):
    out = run_kt3d(layout / "run" / "kt3d.par")[0]
    assert out == layout / "run" / "kt3d.out"
    text = out.read_text().split("\n")
    assert text[0].startswith("KT3D ESTIMATES WITH:  Clustered 140")
    assert len(text[0]) == 80
    assert text[1] == "    7"
    assert text[9].endswith(" ") and len(text[9]) == 7 * 13
    g = read_geoeas(out, missing=None)
    assert list(g.data.columns) == CROSS
    assert len(g.data) == 140
    d, c = g.data.to_numpy(), _cluster()
    # exactness: the locations and true values are the data file's
    np.testing.assert_allclose(d[:, 0], c[:, 0], atol=HALF)
    np.testing.assert_allclose(d[:, 1], c[:, 1], atol=HALF)
    np.testing.assert_allclose(d[:, 2], 0.5)  # no Z column: kt3d puts the data at zmn
    np.testing.assert_allclose(d[:, 3], c[:, 2], atol=HALF)
    est = d[:, 4] != -999
    assert est.all()
    np.testing.assert_allclose(d[est, 6], d[est, 4] - d[est, 3], atol=3 * HALF)
    assert (d[:, 5] > 0).all()

    # SK estimates: orebook's kriging called directly, leaving each datum out
    p = read_kt3d_par(layout / "run" / "kt3d.par")
    xyz = np.column_stack([c[:, 0], c[:, 1], np.full(len(c), 0.5)])
    nb = Neighbourhood.build(xyz).query(
        xyz, SearchParams(p.radii, p.search_angles, min_samples=4, max_samples=8,
                          max_per_octant=0, octant_frame="world"), exclude=np.arange(len(c)))
    res = simple_kriging(xyz, c[:, 2], xyz, p.model, nb.index, nb.count, mean=2.302)
    np.testing.assert_allclose(d[:, 4], res.estimate, atol=HALF)
    np.testing.assert_allclose(d[:, 5], res.variance, atol=HALF)


def test_kt3d_ordinary_kriging_equals_library(layout):
    par = _edit(layout / "run" / "kt3d.par", IKRIGE, "1     2.302")
    g = read_geoeas(run_kt3d(par)[0], missing=None)
    assert list(g.data.columns) == CROSS and len(g.data) == 140
    d, c = g.data.to_numpy(), _cluster()
    p = read_kt3d_par(par)
    assert p.ikrige == 1
    xyz = np.column_stack([c[:, 0], c[:, 1], np.full(len(c), 0.5)])
    nb = Neighbourhood.build(xyz).query(
        xyz, SearchParams(p.radii, p.search_angles, min_samples=p.ndmin,
                          max_samples=p.ndmax, max_per_octant=p.noct, octant_frame="world"),
        exclude=np.arange(len(c)))
    res = ordinary_kriging(xyz, c[:, 2], xyz, p.model, nb.index, nb.count)
    ok = nb.count >= 2
    assert ok.sum() > 100
    np.testing.assert_allclose(d[ok, 4], res.estimate[ok], atol=HALF)
    np.testing.assert_allclose(d[ok, 5], res.variance[ok], atol=HALF)
    assert (d[~ok, 4] == -999).all() and (d[~ok, 6] == -999).all()
    np.testing.assert_allclose(d[:, 3], c[:, 2], atol=HALF)


def test_kt3d_grid_mode(layout):
    par = _edit(layout / "run" / "kt3d.par", OPTION, "0")
    out = run_kt3d(par)[0]
    text = out.read_text().split("\n")
    assert text[1] == "    2   50   50    1"
    assert len(text[4]) == 19
    g = read_geoeas(out, missing=None)
    assert list(g.data.columns) == ["Estimate", "EstimationVariance"]
    assert len(g.data) == 2500
    d, c = g.data.to_numpy(), _cluster()
    # node (ix, iy) = (0.5 + ix, 0.5 + iy), x fastest; SK from the library
    gx, gy = np.meshgrid(0.5 + np.arange(50), 0.5 + np.arange(50))
    tgt = np.column_stack([gx.ravel(), gy.ravel(), np.full(2500, 0.5)])
    xyz = np.column_stack([c[:, 0], c[:, 1], np.full(len(c), 0.5)])
    p = read_kt3d_par(par)
    nb = Neighbourhood.build(xyz).query(
        tgt, SearchParams(p.radii, p.search_angles, min_samples=4, max_samples=8,
                          octant_frame="world"))
    res = simple_kriging(xyz, c[:, 2], tgt, p.model, nb.index, nb.count, mean=2.302)
    est = nb.count > 0
    np.testing.assert_allclose(d[est, 0], res.estimate[est], atol=HALF)
    np.testing.assert_allclose(d[est, 1], res.variance[est], atol=HALF)
    assert (d[~est] == -999).all()


def test_kb2d_unchanged(layout):
    out = run_kb2d(layout / "run" / "kb2d.par")[0]
    assert out == layout / "run" / "kb2d.out"
    text = out.read_text().split("\n")
    assert text[:4] == ["KB2D Output", "    2    5    5    1", " Estimate",
                        "Estimation Variance"]
    assert len(text[4]) == 17
    g = read_geoeas(out, missing=None)
    assert list(g.data.columns) == ["Estimate", "Estimation Variance"]
    assert len(g.data) == 25
    d, c = g.data.to_numpy(), _cluster()
    p = read_kb2d_par(layout / "run" / "kb2d.par")
    gx, gy = np.meshgrid(5.0 + 10.0 * np.arange(5), 5.0 + 10.0 * np.arange(5))
    tgt = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(25)])
    xyz = np.column_stack([c[:, 0], c[:, 1], np.zeros(len(c))])
    nb = Neighbourhood.build(xyz).query(
        tgt, SearchParams((20.0, 20.0, 20.0), min_samples=4, max_samples=8))
    res = ordinary_kriging(xyz, c[:, 2], tgt, p.model, nb.index, nb.count)
    est = nb.count > 0
    assert est.all()
    np.testing.assert_allclose(d[:, 0], res.estimate, atol=HALF)
    np.testing.assert_allclose(d[:, 1], res.variance, atol=HALF)


def test_kb2d_exact_at_a_datum_without_nugget(layout):
    """Point kriging without nugget honours a datum at a node: estimate = datum, variance 0."""
    c = _cluster()
    par = layout / "run" / "kb2d.par"
    _edit(par, 17, "1   0.0")  # nugget 0
    # a 1 × 1 grid whose node sits on the first datum
    _edit(par, 11, f"1    {c[0, 0]}  1.0")
    _edit(par, 12, f"1    {c[0, 1]}  1.0")
    g = read_geoeas(run_kb2d(par)[0], missing=None)
    d = g.data.to_numpy()
    assert len(d) == 1
    assert abs(d[0, 0] - c[0, 2]) <= HALF
    assert abs(d[0, 1]) <= HALF


@pytest.mark.parametrize("line, text, what", [
    (DRIFT, "1 0 0 0 0 0 0 0 0", "drift"),
    (IKRIGE, "3     2.302", "external drift"),
    (IKRIGE, "2     2.302", "non-stationary"),
    (ITREND, "1", "trend"),
    (OPTION, "2", "jackknife"),
])
def test_kt3d_refuses_unsupported_options(layout, line, text, what):
    par = layout / "run" / "kt3d.par"
    if line == DRIFT:
        _edit(par, IKRIGE, "1     2.302")  # kt3d ignores drift terms with SK
    _edit(par, line, text)
    with pytest.raises(InputError) as e:
        run_kt3d(par)[0]
    assert e.value.row == line
    assert e.value.file == str(par)
    assert what in str(e.value)
    assert not (layout / "run" / "kt3d.out").exists()


def test_kt3d_drift_terms_ignored_with_simple_kriging(layout):
    """kt3d switches the drift terms off for SK: the same output as without them."""
    plain = run_kt3d(layout / "run" / "kt3d.par")[0].read_text()
    par = _edit(layout / "run" / "kt3d.par", DRIFT, "1 1 0 0 0 0 0 0 0")
    assert run_kt3d(par)[0].read_text() == plain
