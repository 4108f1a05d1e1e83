"""Cell declustering (GSLIB declus) and polygonal weights.

References computed independently: a loop-by-loop transcription of the declus algorithm into
plain Python below (cells numbered as the Fortran numbers them), GSLIB's own weights in the
fifth column of cluster.dat, the mean of the exhaustive true.dat, and areas worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.geostats.declustering import (cell_declustering, cell_sizes_gslib,
                                           polygonal_weights)
from orebook.geostats.declustering_plots import plot_declustering
from orebook.io.geoeas import read_geoeas

DATA = Path(__file__).parents[1] / "gslib" / "data"


@pytest.fixture(scope="module")
def cluster():
    d = read_geoeas(DATA / "cluster.dat").data.to_numpy()
    xyz = np.column_stack([d[:, 0], d[:, 1], np.zeros(len(d))])
    return xyz, d[:, 2], d[:, 4]


def declus_reference(x, y, z, vr, ncell, cmin, cmax, noff, anisy=1.0, anisz=1.0,
                     minimum=True, normalise_offsets=True):
    """declus 2.905, one loop at a time, in plain Python floats."""
    nd = len(vr)
    xmin, xmax, ymin, ymax, zmin, zmax = min(x), max(x), min(y), max(y), min(z), max(z)
    vrav = sum(vr) / nd
    vrop, best, wtopt = vrav, 0.0, [1.0] * nd
    xo1, yo1, zo1 = xmin - 0.01, ymin - 0.01, zmin - 0.01
    if ncell == 1:
        cmax = cmin
    xinc = (cmax - cmin) / ncell
    table = []
    for lp in range(ncell + 1):
        xcs = cmin + lp * xinc
        ycs, zcs = xcs * anisy, xcs * anisz
        wt = [0.0] * nd
        ncellx = int((xmax - (xo1 - xcs)) / xcs) + 1
        ncelly = int((ymax - (yo1 - ycs)) / ycs) + 1
        xfac = min(xcs / noff, 0.5 * (xmax - xmin))
        yfac = min(ycs / noff, 0.5 * (ymax - ymin))
        zfac = min(zcs / noff, 0.5 * (zmax - zmin))
        for kp in range(1, noff + 1):
            xo, yo, zo = xo1 - (kp - 1) * xfac, yo1 - (kp - 1) * yfac, zo1 - (kp - 1) * zfac
            cellwt: dict[int, float] = {}
            index = []
            for i in range(nd):
                icellx = int((x[i] - xo) / xcs) + 1
                icelly = int((y[i] - yo) / ycs) + 1
                icellz = int((z[i] - zo) / zcs) + 1
                icell = icellx + (icelly - 1) * ncellx + (icellz - 1) * ncelly * ncellx
                index.append(icell)
                cellwt[icell] = cellwt.get(icell, 0.0) + 1.0
            sumw = sum(1.0 / cellwt[index[i]] for i in range(nd))
            for i in range(nd):
                wt[i] += (1.0 / cellwt[index[i]]) / (sumw if normalise_offsets else 1.0)
        vrcr = sum(w * v for w, v in zip(wt, vr)) / sum(wt)
        table.append((xcs, vrcr))
        if (minimum and vrcr < vrop) or (not minimum and vrcr > vrop) or ncell == 1:
            best, vrop, wtopt = xcs, vrcr, list(wt)
    s = sum(wtopt)
    return np.array(wtopt) * nd / s, best, table


# --------------------------------------------------------------------------- cluster.dat


def test_declus_par_settings_match_the_transcription(cluster):
    xyz, v, _ = cluster
    r = cell_declustering(xyz, v, ncell=24, cmin=1.0, cmax=25.0, noff=5)
    w, best, table = declus_reference(*xyz.T, v, 24, 1.0, 25.0, 5)
    assert r.cell_size == best == 5.0
    np.testing.assert_allclose(r.weights, w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.table[["cell_size", "declustered_mean"]].to_numpy(), table,
                               rtol=0, atol=1e-12)
    assert r.naive_mean == pytest.approx(4.35043, abs=5e-6)  # GSLIB's printed mean
    assert r.weights.sum() == pytest.approx(140)


def test_declustered_mean_close_to_truth(cluster):
    xyz, v, _ = cluster
    r = cell_declustering(xyz, v, ncell=24, cmin=1.0, cmax=25.0, noff=5)
    true_mean = read_geoeas(DATA / "true.dat").data.iloc[:, 0].mean()
    assert true_mean == pytest.approx(2.58, abs=0.001)
    assert r.mean == pytest.approx(2.53, abs=0.01)  # 2.5239
    assert abs(r.mean - true_mean) < 0.06 < r.naive_mean - true_mean


def test_gslib_weights_in_cluster_dat(cluster):
    """cluster.dat's 5th column: a 5.5 m cell, 5 offsets, offsets added unscaled."""
    xyz, v, w5 = cluster
    r = cell_declustering(xyz, v, cell_sizes=[5.5], noff=5, normalize_offsets=False)
    assert np.abs(r.weights - w5).max() < 1e-3  # 6.7e-4: the file prints 3 decimals
    assert r.mean == pytest.approx(np.dot(w5, v) / w5.sum(), abs=1e-4)  # 2.5281
    ref, _, _ = declus_reference(*xyz.T, v, 1, 5.5, 5.5, 5, normalise_offsets=False)
    np.testing.assert_allclose(r.weights, ref, atol=1e-12)
    # declus 2.905 (each offset scaled) at 5.5 m is 3 % away; with declus.par's sizes it
    # chooses 5 m, whose weights differ from the column by up to 0.73 (same mean within 0.005)
    r55 = cell_declustering(xyz, v, cell_sizes=[5.5], noff=5)
    assert 0.02 < np.abs(r55.weights - w5).max() < 0.04
    r5 = cell_declustering(xyz, v, ncell=24, cmin=1.0, cmax=25.0, noff=5)
    assert np.abs(r5.weights - w5).max() == pytest.approx(0.726, abs=0.001)
    assert abs(r5.mean - np.dot(w5, v) / w5.sum()) < 0.005


def test_anisotropy_maximum_and_single_size_match_the_transcription(cluster):
    xyz, v, _ = cluster
    xyz3 = xyz.copy()
    xyz3[:, 2] = np.arange(len(v)) % 7 * 1.3  # give Z some spread
    r = cell_declustering(xyz3, v, ncell=6, cmin=2.0, cmax=14.0, noff=3, anis_y=0.5,
                          anis_z=2.0, objective="max")
    w, best, table = declus_reference(*xyz3.T, v, 6, 2.0, 14.0, 3, 0.5, 2.0, minimum=False)
    assert r.cell_size == best
    np.testing.assert_allclose(r.weights, w, atol=1e-12)
    np.testing.assert_allclose(r.table.to_numpy(), table, atol=1e-12)
    r1 = cell_declustering(xyz, v, ncell=1, cmin=50.0, cmax=99.0, noff=2)
    w1, best1, table1 = declus_reference(*xyz.T, v, 1, 50.0, 99.0, 2)
    assert r1.cell_size == best1 == 50.0 and len(r1.table) == len(table1) == 2
    np.testing.assert_allclose(r1.weights, w1, atol=1e-12)


# --------------------------------------------------------------------------- hand-made


def test_equal_spacing_gives_equal_weights():
    g = np.array([[x, y, 0.0] for x in range(10) for y in range(8)], float) * 3.0
    v = np.random.default_rng(1).lognormal(size=len(g))
    for noff in (1, 4):
        r = cell_declustering(g, v, cell_sizes=[3.0], noff=noff)
        np.testing.assert_allclose(r.weights, 1.0, atol=1e-12)


def test_cluster_of_k_points_shares_one_cell():
    # 4 isolated samples 10 m apart; 3 more crowd around the sample at x = 20
    pts = np.array([[0, 0], [10, 0], [20, 0], [30, 0], [20.2, 0.1], [20.4, 0.2], [20.1, 0.3]])
    v = np.array([1.0, 1.0, 9.0, 1.0, 9.0, 9.0, 9.0])
    r = cell_declustering(pts, v, cell_sizes=[5.0], noff=1)
    # 4 occupied cells, each of weight 1/4; the cluster's k = 4 samples 1/16 each
    expected = np.array([1 / 4, 1 / 4, 1 / 16, 1 / 4, 1 / 16, 1 / 16, 1 / 16]) * 7
    np.testing.assert_allclose(r.weights, expected, atol=1e-12)
    assert r.mean == pytest.approx(np.dot(expected, v) / 7) == pytest.approx(3.0)
    # with 3 offsets (shifts 0, 5/3, 10/3 m) the cluster never straddles a cell boundary
    r3 = cell_declustering(pts, v, cell_sizes=[5.0], noff=3)
    np.testing.assert_allclose(r3.weights, expected, atol=1e-12)


def test_no_improvement_keeps_equal_weights():
    # clustered in LOW values: every cell size raises the mean; "min" finds nothing better
    pts = np.array([[0, 0], [0.1, 0], [0.2, 0], [10, 0]], float)
    v = np.array([1.0, 1.0, 1.0, 5.0])
    r = cell_declustering(pts, v, cell_sizes=[1.0, 2.0], noff=2)
    assert r.cell_size == 0.0 and (r.weights == 1.0).all() and r.mean == r.naive_mean == 2.0
    r = cell_declustering(pts, v, cell_sizes=[1.0, 2.0], noff=2, objective="max")
    assert r.cell_size == 1.0 and r.mean == pytest.approx(3.0)


def test_stretching_y_is_the_same_as_y_anisotropy():
    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 100, size=(60, 2))
    v = rng.lognormal(size=60)
    a = cell_declustering(pts * [1.0, 3.0], v, cell_sizes=[7.0, 11.0], anis_y=3.0, noff=1)
    b = cell_declustering(pts, v, cell_sizes=[7.0, 11.0], noff=1)
    np.testing.assert_allclose(a.table["declustered_mean"], b.table["declustered_mean"],
                               rtol=1e-12)


@settings(deadline=None, max_examples=60, derandomize=True)
@given(st.integers(2, 40), st.integers(0, 2**31), st.integers(1, 6))
def test_weights_invariants(n, seed, noff):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-50, 50, size=(n, 3)).round(1)
    v = rng.lognormal(size=n)
    r = cell_declustering(pts, v, cell_sizes=[3.0, 10.0, 30.0], noff=noff)
    assert (r.weights > 0).all() and r.weights.sum() == pytest.approx(n)
    perm = rng.permutation(n)
    rp = cell_declustering(pts[perm], v[perm], cell_sizes=[3.0, 10.0, 30.0], noff=noff)
    np.testing.assert_allclose(rp.weights, r.weights[perm], atol=1e-9)
    assert cell_declustering(pts, v, cell_sizes=[1e6], noff=noff).mean == pytest.approx(v.mean())


def test_cell_sizes_gslib():
    assert cell_sizes_gslib(24, 1.0, 25.0).tolist() == list(map(float, range(1, 26)))
    assert cell_sizes_gslib(1, 3.0, 9.0).tolist() == [3.0, 3.0]


@pytest.mark.parametrize("kwargs, match", [
    ({}, "give cell_sizes"),
    ({"cell_sizes": [1.0], "ncell": 2, "cmin": 1, "cmax": 2}, "not both"),
    ({"cell_sizes": [0.0]}, "positive sizes"),
    ({"cell_sizes": [1.0], "noff": 0}, "noff"),
    ({"cell_sizes": [1.0], "anis_y": 0}, "anis_y"),
    ({"cell_sizes": [1.0], "objective": "mean"}, "objective"),
    ({"ncell": 3, "cmin": 5.0, "cmax": 1.0}, "cmin <= cmax"),
])
def test_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        cell_declustering(np.zeros((3, 3)), np.ones(3), **kwargs)


def test_data_errors():
    with pytest.raises(ParameterError, match="at least 2"):
        cell_declustering(np.zeros((1, 3)), [1.0], cell_sizes=[1.0])
    with pytest.raises(ParameterError, match="finite"):
        cell_declustering([[0, 0], [np.nan, 1]], [1.0, 2.0], cell_sizes=[1.0])
    with pytest.raises(ParameterError, match="finite"):
        cell_declustering([[0, 0], [1, 1]], [1.0, np.nan], cell_sizes=[1.0])
    with pytest.raises(ParameterError, match="rows but values"):
        cell_declustering([[0, 0], [1, 1]], [1.0, 2.0, 3.0], cell_sizes=[1.0])


def test_plot(cluster, tmp_path):
    xyz, v, _ = cluster
    r = cell_declustering(xyz, v, ncell=24, cmin=1.0, cmax=25.0, noff=5)
    p = plot_declustering(r, tmp_path / "out" / "declus.png", variable="Primary")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    r0 = cell_declustering([[0, 0], [1, 0]], [1.0, 1.0], cell_sizes=[1.0, 2.0])
    assert plot_declustering(r0, tmp_path / "flat.png").is_file()


# --------------------------------------------------------------------------- polygonal


@pytest.mark.parametrize("method, spacing, tol", [("exact", None, 1e-12), ("grid", 0.1, 1e-9),
                                                   ("grid", None, 0.01)])
def test_polygonal_regular_grid_2d(method, spacing, tol):
    g = np.array([[x, y] for x in range(6) for y in range(4)], float) * 2.0
    w = polygonal_weights(g, padding=1.0, method=method, spacing=spacing)
    np.testing.assert_allclose(w, 1.0, atol=tol)
    # without padding the bounding box halves the edge cells and quarters the corners
    w = polygonal_weights(g, method=method, spacing=spacing)
    inner = (g[:, 0] > 0) & (g[:, 0] < 10) & (g[:, 1] > 0) & (g[:, 1] < 6)
    corner = np.isin(g[:, 0], [0, 10]) & np.isin(g[:, 1], [0, 6])
    np.testing.assert_allclose(w[corner] * 4, w[inner][0], rtol=max(tol, 1e-9) * 3)
    # the same grid given as flat 3-D data
    g3 = np.column_stack([g, np.full(len(g), 7.0)])
    np.testing.assert_allclose(polygonal_weights(g3, padding=1.0, method=method,
                                                 spacing=spacing), 1.0, atol=tol)


def test_polygonal_regular_grid_3d():
    g = np.array([[x, y, z] for x in range(4) for y in range(3) for z in range(3)], float)
    w = polygonal_weights(g, padding=0.5, spacing=0.1)
    np.testing.assert_allclose(w, 1.0, atol=1e-9)


def test_polygonal_known_layout_2d():
    # bisectors x = 2, x + 2y = 5.5, -x + 2y = 1.5 meet at (2, 1.75): areas 4.5, 4.5, 7
    pts = np.array([[1.0, 1.0], [3.0, 1.0], [2.0, 3.0]])
    box = [[0.0, 0.0], [4.0, 4.0]]
    exact = np.array([4.5, 4.5, 7.0]) * 3 / 16
    np.testing.assert_allclose(polygonal_weights(pts, box=box), exact, rtol=1e-12)
    np.testing.assert_allclose(polygonal_weights(pts, box=box, method="grid", spacing=0.01),
                               exact, rtol=2e-3)


def test_polygonal_known_layout_3d_and_1d():
    # in the box [0, 4] × [0, 2] × [0, 2], (1, 1, 1) is nearer than (2, .5, 1.5) where
    # x − y/2 + z/2 < 1.75: a volume of ∫∫ (1.75 + (y − z)/2) dy dz = 7 of 16
    pts = np.array([[1.0, 1.0, 1.0], [2.0, 0.5, 1.5]])
    w = polygonal_weights(pts, box=[[0, 0, 0], [4, 2, 2]], spacing=0.05)
    np.testing.assert_allclose(w, [2 * 7 / 16, 2 * 9 / 16], atol=2e-3)
    # samples on a line at x = 0, 1, 4 in [0, 4]: cells 0.5, 2, 1.5 long
    line = np.array([[0.0, 0, 0], [1.0, 0, 0], [4.0, 0, 0]])
    np.testing.assert_allclose(polygonal_weights(line, spacing=0.01), [0.375, 1.5, 1.125],
                               atol=1e-9)


def test_polygonal_duplicates_and_degenerate():
    pts = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    w = polygonal_weights(pts, padding=1.0)
    np.testing.assert_allclose(w, np.array([0.5, 0.5, 1, 1, 1]) * 5 / 4)
    # on one line in 2-D: bisectors x + y = 1 and x + y = 4 cut [0, 3]² into 0.5, 6.5, 2
    col = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]])
    expected = np.array([0.5, 6.5, 2.0]) / 3
    np.testing.assert_allclose(polygonal_weights(col, box=[[0, 0], [3, 3]]), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(polygonal_weights(col, box=[[0, 0], [3, 3]], method="grid",
                                                 spacing=0.01), expected, rtol=5e-3)
    np.testing.assert_allclose(polygonal_weights(col[1:], box=[[0, 0], [3, 3]]), [14 / 9, 4 / 9])
    assert polygonal_weights(np.zeros((3, 3))).tolist() == [1.0, 1.0, 1.0]


def test_polygonal_exact_agrees_with_grid():
    rng = np.random.default_rng(11)
    pts = np.vstack([rng.uniform(0, 100, (40, 2)), rng.normal(30, 3, (20, 2))])
    a = polygonal_weights(pts, padding=5.0)
    b = polygonal_weights(pts, padding=5.0, method="grid", spacing=0.2)
    np.testing.assert_allclose(a, b, rtol=0.03, atol=0.01)
    assert a[40:].mean() < a[:40].mean()  # clustered samples weigh less


@pytest.mark.parametrize("kwargs, match", [
    ({"box": [[1, 1], [2, 2]]}, "outside the box"),
    ({"box": [[0, 0], [-1, 5]]}, "min ≤ max"),
    ({"box": [0, 1]}, "box: expected"),
    ({"method": "delaunay"}, "method"),
    ({"method": "exact", "box": [[0, 0, 0], [5, 5, 5]]}, "2-D"),
    ({"spacing": 1e-4, "method": "grid"}, "max_nodes"),
    ({"padding": -1.0}, "padding"),
])
def test_polygonal_errors(kwargs, match):
    pts = np.array([[0.0, 0.0], [3.0, 1.0], [1.0, 4.0]])
    with pytest.raises(ParameterError, match=match):
        polygonal_weights(pts, **kwargs)


def test_polygonal_cluster_dat(cluster):
    xyz, v, _ = cluster
    box = [[0.0, 0.0], [50.0, 50.0]]  # the area of true.dat
    a = polygonal_weights(xyz[:, :2], box=box)
    b = polygonal_weights(xyz[:, :2], box=box, method="grid", spacing=0.05)
    assert np.abs(a - b).max() < 2e-3
    assert a.sum() == pytest.approx(140)
    assert np.dot(a, v) / 140 < 2.6 < v.mean()  # 2.29: declustered, below the truth
