"""Kriging, inverse distance and nearest neighbour through the public functions.

References, none taken from orebook's own output:
- properties every kriging answer has (GSLIB's kt3d answers have them too): OK weights sum to
  one, exact interpolation at data points, SK with a distant target returns the mean,
  symmetric configurations give symmetric weights, permuting samples changes nothing,
  scaling the sill scales the variance;
- kt3d's own one-sample formulas and block-covariance rules, worked by hand;
- PyKrige's OrdinaryKriging3D and OrdinaryKriging with ``n_closest_points`` on the same
  neighbours (to 1e-8), and PyKrige's KT3D_H2O oracle (``data/test1_answer.asc``, 1e-5);
- gstat's block kriging of meuse zinc (``data/blockkr.Rout.save``) to the printed digits.
See ``data/README.md`` for the files.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from orebook.errors import ParameterError
from orebook.estimate.kriging import (
    REASONS,
    block_discretisation,
    inverse_distance,
    nearest_neighbour,
    ordinary_kriging,
    simple_kriging,
)
from orebook.geostats.conversions import to_pykrige
from orebook.geostats.models import Structure, VariogramModel

DATA = Path(__file__).parent / "data"


def knn(xyz, targets, k, *, radius=np.inf, transform=None):
    """Neighbour arrays: the k nearest samples within ``radius`` (in the space of
    ``coords @ transform.T``), −1 padded, as the search module returns them."""
    xyz = np.asarray(xyz, float)
    targets = np.asarray(targets, float)
    if xyz.shape[1] == 2:
        xyz = np.c_[xyz, np.zeros(len(xyz))]
        targets = np.c_[targets, np.zeros(len(targets))]
    if transform is not None:
        xyz, targets = xyz @ transform.T, targets @ transform.T
    d, idx = cKDTree(xyz).query(targets, k=k, distance_upper_bound=radius)
    d, idx = d.reshape(len(targets), k), idx.reshape(len(targets), k)
    found = np.isfinite(d)
    return np.where(found, idx, -1), found.sum(axis=1)


def sph(sill=1.0, a=100.0, nugget=0.0, ranges=None, angles=(0.0, 0.0, 0.0)):
    r = ranges if ranges is not None else (a, a, a)
    return VariogramModel(nugget, (Structure("spherical", sill, r, angles),))


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(2024)
    xyz = rng.uniform(0, 300, (400, 3))
    v = np.sin(xyz[:, 0] / 40) + xyz[:, 1] / 300 + rng.normal(0, 0.2, 400)
    targets = rng.uniform(20, 280, (500, 3))
    return xyz, v, targets


NESTED = VariogramModel(0.05, (Structure("spherical", 0.6, (120, 60, 30), (30, -10, 20)),
                               Structure("exponential", 0.4, (300, 300, 90), (120, 0, 0))))


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("disc", [None, (3, 3, 2)])
def test_ok_weights_sum_to_one(cloud, disc):
    """Σ λ = 1 ⟺ adding a constant to the data adds it to every estimate (the variance does
    not move) and a constant field is reproduced exactly."""
    xyz, v, tg = cloud
    idx, cnt = knn(xyz, tg, 24)
    offs = None if disc is None else block_discretisation((10, 10, 5), disc)
    a = ordinary_kriging(xyz, v, tg, NESTED, idx, cnt, disc_offsets=offs)
    b = ordinary_kriging(xyz, v + 1000.0, tg, NESTED, idx, cnt, disc_offsets=offs)
    np.testing.assert_allclose(b.estimate - a.estimate, 1000.0, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.variance, b.variance)
    c = ordinary_kriging(xyz, np.full(len(v), 7.25), tg, NESTED, idx, cnt, disc_offsets=offs)
    np.testing.assert_allclose(c.estimate, 7.25, rtol=1e-13)
    assert (a.reason == 0).all() and (a.negative_weights <= 0).all()
    assert (a.nsamples == 24).all()


@pytest.mark.parametrize("nugget", [0.0, 0.3])
def test_exact_interpolation_at_data_points(cloud, nugget):
    """Point kriging at a datum returns it with zero variance: C(0) = cmax includes the
    nugget (GSLIB's cova3), so the datum's row of the system equals the right-hand side."""
    xyz, v, _ = cloud
    model = sph(1.0 - nugget, 80.0, nugget)
    idx, cnt = knn(xyz, xyz[:60], 16)
    for fn, kw in ((ordinary_kriging, {}), (simple_kriging, {"mean": 0.4})):
        r = fn(xyz, v, xyz[:60], model, idx, cnt, **kw)
        np.testing.assert_allclose(r.estimate, v[:60], rtol=0, atol=1e-12)
        np.testing.assert_allclose(r.variance, 0.0, atol=1e-12)
        np.testing.assert_allclose(r.efficiency, 1.0, atol=1e-12)
        np.testing.assert_allclose(r.slope, 1.0, atol=1e-9)


def test_simple_kriging_far_from_the_data_returns_the_mean(cloud):
    xyz, v, _ = cloud
    model = sph(0.9, 50.0, 0.1)
    far = np.array([[2000.0, 2000.0, 150.0], [-900.0, 150.0, 150.0]])
    idx, cnt = knn(xyz, far, 10)
    r = simple_kriging(xyz, v, far, model, idx, cnt, mean=3.5)
    assert r.estimate.tolist() == [3.5, 3.5]
    assert r.variance.tolist() == [1.0, 1.0]  # C(0): nothing learnt
    assert np.isnan(r.lagrange).all() and np.isnan(r.slope).all()  # var(Z*) = 0
    rb = simple_kriging(xyz, v, far, model, idx, cnt, mean=np.array([3.5, -2.0]),
                        disc_offsets=block_discretisation((10, 10, 10), (2, 2, 2)))
    assert rb.estimate.tolist() == [3.5, -2.0]
    assert rb.variance == pytest.approx([rb.block_covariance] * 2, abs=1e-15)
    # OK with three mutually uncorrelated samples (200 m apart, range 50), all beyond the
    # range: C = I, c = 0, so λ = 1/3, μ = −1/3 and σ² = C(0) − μ = 4/3
    apart = np.array([[0.0, 0, 0], [200.0, 0, 0], [0, 200.0, 0]])
    ro = ordinary_kriging(apart, np.array([1.0, 2.0, 6.0]), far[:1], model,
                          np.array([[0, 1, 2]]), np.array([3]))
    assert ro.estimate[0] == pytest.approx(3.0, rel=1e-15)
    assert ro.lagrange[0] == pytest.approx(-1 / 3, rel=1e-15)
    assert ro.variance[0] == pytest.approx(4 / 3, rel=1e-15)


def test_symmetric_configurations():
    """Four samples 40 m from the target along azimuths 45°, 225° (the major axis of a
    rotated anisotropic model) and 135°, 315° (the minor axis): each opposite pair shares
    one weight, and the major pair weighs more."""
    model = sph(1.0, ranges=(200.0, 50.0, 50.0), angles=(45.0, 0.0, 0.0), nugget=0.1)
    u = 40.0 / math.sqrt(2)
    xyz = np.array([[u, u, 0], [-u, -u, 0], [u, -u, 0], [-u, u, 0]])
    idx, cnt = np.array([[0, 1, 2, 3]]), np.array([4])
    tg = np.zeros((1, 3))

    def est(v):
        return ordinary_kriging(xyz, np.array(v, float), tg, model, idx, cnt).estimate[0]

    w = [est(np.eye(4)[i]) for i in range(4)]  # the weights, one unit datum at a time
    assert w[0] == pytest.approx(w[1], rel=1e-13) and w[2] == pytest.approx(w[3], rel=1e-13)
    assert w[0] > 0.25 > w[2]
    assert sum(w) == pytest.approx(1.0, rel=1e-14)
    # an isotropic square: equal weights, the mean
    iso = sph(1.0, 100.0, 0.2)
    r = ordinary_kriging(xyz, np.array([1.0, 2.0, 4.0, 8.0]), tg, iso, idx, cnt)
    assert r.estimate[0] == pytest.approx(3.75, rel=1e-14)


def test_permuting_samples_changes_nothing(cloud):
    xyz, v, tg = cloud
    idx, cnt = knn(xyz, tg, 20)
    a = ordinary_kriging(xyz, v, tg, NESTED, idx, cnt)
    rng = np.random.default_rng(5)
    perm = rng.permutation(len(xyz))  # new sample i is old sample perm[i]
    inverse = np.argsort(perm)
    idx2 = np.where(idx >= 0, inverse[idx], -1)
    for t in range(len(idx2)):  # and each target's list in another order
        idx2[t, :cnt[t]] = rng.permutation(idx2[t, :cnt[t]])
    b = ordinary_kriging(xyz[perm], v[perm], tg, NESTED, idx2, cnt)
    for f, x in a.columns().items():
        np.testing.assert_allclose(getattr(b, f), x, rtol=1e-10, atol=1e-13, err_msg=f)


@pytest.mark.parametrize("factor", [0.001, 7.5, 1e4])
def test_scaling_the_sill_scales_the_variance(cloud, factor):
    xyz, v, tg = cloud
    idx, cnt = knn(xyz, tg, 20)
    scaled = VariogramModel(NESTED.nugget * factor, tuple(
        Structure(s.kind, s.sill * factor, s.ranges, s.angles) for s in NESTED.structures))
    offs = block_discretisation((10.0, 10.0, 4.0), (2, 2, 2))
    for fn, kw in ((ordinary_kriging, {}), (simple_kriging, {"mean": 0.5})):
        a = fn(xyz, v, tg, NESTED, idx, cnt, disc_offsets=offs, **kw)
        b = fn(xyz, v, tg, scaled, idx, cnt, disc_offsets=offs, **kw)
        np.testing.assert_allclose(b.estimate, a.estimate, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(b.variance, a.variance * factor, rtol=1e-10)
        np.testing.assert_allclose(b.lagrange, a.lagrange * factor, rtol=1e-9)
        np.testing.assert_allclose(b.slope, a.slope, rtol=1e-10)
        np.testing.assert_allclose(b.efficiency, a.efficiency, rtol=1e-10)
        assert b.block_covariance == pytest.approx(a.block_covariance * factor, rel=1e-13)


def test_block_estimate_is_the_mean_of_point_estimates(cloud):
    """OK is linear in the right-hand side: with the same samples and no sample on a
    discretisation point, the block weights are the mean of the point weights."""
    xyz, v, tg = cloud
    offs = block_discretisation((12.0, 8.0, 6.0), (3, 2, 2))
    idx, cnt = knn(xyz, tg[:50], 16)
    block = ordinary_kriging(xyz, v, tg[:50], NESTED, idx, cnt, disc_offsets=offs)
    pts = (tg[:50, None, :] + offs[None]).reshape(-1, 3)
    point = ordinary_kriging(xyz, v, pts, NESTED, np.repeat(idx, len(offs), axis=0),
                             np.repeat(cnt, len(offs)))
    np.testing.assert_allclose(block.estimate, point.estimate.reshape(50, -1).mean(axis=1),
                               rtol=1e-12)
    # the block variance is below the point variance, and C̄(V, V) below C(0)
    assert (block.variance < point.variance.reshape(50, -1).min(axis=1)).all()
    assert block.block_covariance < NESTED.cmax - NESTED.nugget


def test_kt3d_single_sample_formulas():
    """kt3d's branch for one sample: OK est = z, σ² = C̄(V,V) − 2 C̄(x,V) + C(0); SK
    wt = C̄(x,V)/C(0), est = wt·z + (1 − wt)·m, σ² = C̄(V,V) − wt·C̄(x,V)."""
    model = sph(0.8, 100.0, 0.2)
    xyz = np.array([[30.0, 40.0, 0.0]])  # 50 m from the target
    idx, cnt, tg = np.array([[0]]), np.array([1]), np.zeros((1, 3))
    cb = 0.8 * (1 - (1.5 * 0.5 - 0.5 * 0.125))  # C(50) = 0.25
    ok = ordinary_kriging(xyz, np.array([5.0]), tg, model, idx, cnt)
    assert ok.estimate[0] == 5.0
    assert ok.variance[0] == pytest.approx(1.0 - 2 * cb + 1.0, rel=1e-14)
    sk = simple_kriging(xyz, np.array([5.0]), tg, model, idx, cnt, mean=1.0)
    wt = cb / 1.0
    assert sk.estimate[0] == pytest.approx(wt * 5.0 + (1 - wt) * 1.0, rel=1e-14)
    assert sk.variance[0] == pytest.approx(1.0 - wt * cb, rel=1e-14)


def test_kt3d_block_rules_by_hand():
    """A block of 2 points 20 m apart along x, one sample at one of them (10 m from the
    centre): kt3d drops c0 from the sample–point term that coincides, and from the
    diagonal of C̄(V,V). Spherical 0.7 + nugget 0.3, a = 100: C'(0) = 0.7,
    C'(20) = 0.7 (1 − 0.3 + 0.004) = 0.4928; C̄(x,V) = (0.7 + 0.4928)/2 = 0.5964,
    C̄(V,V) = (2·0.7 + 2·0.4928)/4 = 0.5964 too."""
    model = sph(0.7, 100.0, 0.3)
    offs = np.array([[-10.0, 0, 0], [10.0, 0, 0]])
    xyz = np.array([[10.0, 0, 0]])
    r = ordinary_kriging(xyz, np.array([2.0]), np.zeros((1, 3)), model, np.array([[0]]),
                         np.array([1]), disc_offsets=offs)
    assert r.block_covariance == pytest.approx(0.5964, rel=1e-12)
    # one sample, OK: σ² = C̄(V,V) − 2 C̄(x,V) + C(0) = 0.5964 − 1.1928 + 1.0
    assert r.variance[0] == pytest.approx(0.5964 - 2 * 0.5964 + 1.0, rel=1e-12)
    assert r.estimate[0] == 2.0


def test_no_samples_and_singular_targets_are_counted_not_raised():
    model = sph(1.0, 50.0, 0.0)
    xyz = np.array([[0.0, 0, 0], [0.0, 0, 0], [20.0, 0, 0]])  # a duplicated sample
    idx = np.array([[0, 1, 2], [0, 2, -1], [-1, -1, -1]])
    cnt = np.array([3, 2, 0])
    r = ordinary_kriging(xyz, np.array([1.0, 2.0, 3.0]), np.full((3, 3), 5.0), model, idx,
                         cnt)
    assert r.reason.tolist() == [2, 0, 1]
    assert np.isnan(r.estimate[[0, 2]]).all() and np.isfinite(r.estimate[1])
    assert r.summary() == {REASONS[0]: 1, REASONS[1]: 1, REASONS[2]: 1}


def test_chunks_and_progress(cloud):
    xyz, v, tg = cloud
    idx, cnt = knn(xyz, tg, 12)
    seen = []
    a = ordinary_kriging(xyz, v, tg, NESTED, idx, cnt, chunk=77,
                         progress=lambda done, total: seen.append((done, total)))
    b = ordinary_kriging(xyz, v, tg, NESTED, idx, cnt)
    for f, x in a.columns().items():
        np.testing.assert_array_equal(x, getattr(b, f))
    assert seen[0] == (77, 500) and seen[-1] == (500, 500) and len(seen) == 7


# --------------------------------------------------------------------------- PyKrige


@pytest.mark.parametrize("seed", [0, 1])
def test_pykrige_3d_n_closest_points(seed, monkeypatch):
    import pykrige.ok3d
    from pykrige.ok3d import OrdinaryKriging3D

    # skip the cross-validation statistics OrdinaryKriging3D computes on construction
    # (O(n⁴), unused here)
    monkeypatch.setattr(pykrige.ok3d, "_find_statistics",
                        lambda *a, **k: (np.zeros(2), np.ones(2), np.zeros(2)))

    rng = np.random.default_rng(seed)
    s = Structure(("spherical", "exponential")[seed], 0.9, (120.0, 60.0, 30.0),
                  (30.0, -10.0, 20.0))
    model = VariogramModel(0.1, (s,))
    xyz = rng.uniform(0, 200, (150, 3))
    v = rng.normal(size=150)
    tg = rng.uniform(10, 190, (40, 3))
    pk = OrdinaryKriging3D(xyz[:, 0], xyz[:, 1], xyz[:, 2], v,
                           **to_pykrige(model, 3).kwargs)
    z, ss = pk.execute("points", tg[:, 0], tg[:, 1], tg[:, 2], n_closest_points=16,
                       backend="loop")
    # PyKrige picks the 16 nearest in its stretched frame, which is ours up to a factor
    idx, cnt = knn(xyz, tg, 16, transform=s.scaled_rotation)
    r = ordinary_kriging(xyz, v, tg, model, idx, cnt)
    np.testing.assert_allclose(r.estimate, z, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r.variance, ss, rtol=1e-8, atol=1e-10)


def test_pykrige_2d_n_closest_points():
    from pykrige.ok import OrdinaryKriging

    rng = np.random.default_rng(3)
    s = Structure("spherical", 2.0, (150.0, 50.0, 150.0), (65.0, 0.0, 0.0))
    model = VariogramModel(0.5, (s,))
    xy = rng.uniform(0, 300, (200, 2))
    v = rng.normal(size=200)
    tg = rng.uniform(20, 280, (50, 2))
    pk = OrdinaryKriging(xy[:, 0], xy[:, 1], v, **to_pykrige(model, 2).kwargs)
    z, ss = pk.execute("points", tg[:, 0], tg[:, 1], n_closest_points=12, backend="loop")
    idx, cnt = knn(xy, tg, 12, transform=s.scaled_rotation)
    r = ordinary_kriging(xy, v, tg, model, idx, cnt)
    np.testing.assert_allclose(r.estimate, z, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r.variance, ss, rtol=1e-8, atol=1e-10)


def read_asc(path: Path):
    """An ESRI ASCII grid as PyKrige's kriging_tools.read_asc_grid reads it: (rows from south
    to north, x centres, y centres)."""
    lines = path.read_text().splitlines()
    head = {}
    while lines[len(head)].split()[0][0].isalpha():  # KEY value lines
        key, val = lines[len(head)].split()
        head[key.upper()] = float(val)
    nx, ny = int(head["NCOLS"]), int(head["NROWS"])
    body = np.array([[float(x) for x in line.split()]
                     for line in lines[len(head):len(head) + ny]])
    x = head["XLLCENTER"] + head["DX"] * np.arange(nx)
    y = head["YLLCENTER"] + head["DY"] * np.arange(ny)
    return body[::-1], x, y


def test_pykrige_kt3d_h2o_oracle():
    """PyKrige's test_core.py::test_ok: OK of its 15 points, exponential sill 500,
    (practical) range 3000, nugget 0, every point used; KT3D_H2O's grid to rtol 1e-5."""
    data = np.loadtxt(DATA / "test_data.txt")
    answer, gx, gy = read_asc(DATA / "test1_answer.asc")
    assert answer.shape == (100, 100)
    model = VariogramModel(0.0, (Structure("exponential", 500.0, (3000.0,) * 3),))
    X, Y = np.meshgrid(gx, gy)
    tg = np.c_[X.ravel(), Y.ravel()]
    idx = np.tile(np.arange(15), (len(tg), 1))
    r = ordinary_kriging(data[:, :2], data[:, 2], tg, model, idx, np.full(len(tg), 15))
    np.testing.assert_allclose(r.estimate.reshape(100, 100), answer, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------- gstat

GAUSS = np.array([-0.4305681558, -0.1699905218, 0.1699905218, 0.4305681558])
GAUSS_W = np.array([0.1739274226, 0.3260725774, 0.3260725774, 0.1739274226])
"""gstat src/block.c: 4-point Gauss–Legendre abscissae and weights on [−½, ½] (Carr and
Palmer 1993), its default block discretisation."""


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def test_gstat_meuse_block_kriging():
    """krige(zinc ~ 1, meuse, new.locs, vgm(1.34e5, "Sph", 800, nug = 2.42e4),
    block = c(40, 40), nmax = 40): case A with gstat's Gauss quadrature (16 weighted points),
    case B with a regular 4 × 4 discretisation; the 40 samples nearest the block centre.
    gstat, like kt3d, leaves the nugget out of every block term."""
    with open(DATA / "meuse_155.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    xy = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    zinc = np.array([float(r["zinc"]) for r in rows])
    model = VariogramModel(2.42e4, (Structure("spherical", 1.34e5, (800.0,) * 3),))
    with open(DATA / "meuse_zinc_blockkrige_gstat.csv", newline="") as f:
        cases = list(csv.DictReader(f))
    assert len(cases) == 7
    gauss = np.array([[40 * a, 40 * b, 0.0] for a in GAUSS for b in GAUSS])
    gauss_w = np.outer(GAUSS_W, GAUSS_W).ravel()
    regular = block_discretisation((40.0, 40.0, 1.0), (4, 4, 1))
    for case in cases:
        tg = np.array([[float(case["x"]), float(case["y"])]])
        offs, w = (gauss, gauss_w) if case["case"] == "A" else (regular, None)
        idx, cnt = knn(xy, tg, 40)
        r = ordinary_kriging(xy, zinc, tg, model, idx, cnt, disc_offsets=offs,
                             disc_weights=w)
        for col, got in (("var1_pred", r.estimate[0]), ("var1_var", r.variance[0])):
            printed = case[col]
            assert abs(got - float(printed)) <= 0.5 * 10.0 ** -_decimals(printed) + 1e-9, (
                case, col, got)


# --------------------------------------------------------------------------- IDW, NN


def test_inverse_distance_anisotropic_and_nearest():
    xyz = np.array([[10.0, 0, 0], [0, 15.0, 0], [0, 0, 0.0]])
    v = np.array([1.0, 2.0, 3.0])
    tg = np.zeros((2, 3))
    idx, cnt = np.array([[0, 1, -1], [0, 1, 2]]), np.array([2, 3])
    nn = nearest_neighbour(xyz, v, tg, idx, cnt)
    assert nn.sample.tolist() == [0, 2] and nn.estimate.tolist() == [1.0, 3.0]
    assert nn.distance.tolist() == [10.0, 0.0]
    # an ellipsoid with its major axis north, 3× longer: B (15 m north) is 5 units away,
    # A (10 m east) 10 units
    s = Structure("spherical", 1.0, (30.0, 10.0, 10.0), (0.0, 0.0, 0.0)).scaled_rotation
    nn = nearest_neighbour(xyz, v, tg[:1], idx[:1], cnt[:1], scaled_rotation=s)
    assert nn.sample[0] == 1 and nn.distance[0] == pytest.approx(0.5)
    r = inverse_distance(xyz, v, tg[:1], idx[:1], cnt[:1], power=1.0, scaled_rotation=s)
    # weights 1/1.0 and 1/0.5 (reduced distances): (1 + 2·2) / 3
    assert r.estimate[0] == pytest.approx(5.0 / 3.0, rel=1e-14)
    assert r.mean_distance_m[0] == 12.5
    r = inverse_distance(xyz, v, tg, idx, cnt, power=2.0)
    assert r.estimate[1] == 3.0  # a sample on the target takes all the weight
    assert r.summary() == {"estimated": 2}


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize("change, fragment", [
    (lambda a: a.update(nb_index=np.array([[0, 7]])), "not a sample index"),
    (lambda a: a.update(nb_index=np.array([[0, -1]])), "not a sample index"),
    (lambda a: a.update(nb_count=np.array([3])), "nb_count must be in [0, 2]"),
    (lambda a: a.update(values=np.array([1.0, np.nan])), "drop missing samples"),
    (lambda a: a.update(sample_xyz=np.zeros((2, 4))), "shape (n, 3)"),
    (lambda a: a.update(nb_index=np.array([[0.0, 1.0]])), "must be integers"),
    (lambda a: a.update(model="sph"), "VariogramModel"),
    (lambda a: a.update(disc_offsets=np.zeros((2, 3)), disc_weights=[1.0]), "disc_weights"),
    (lambda a: a.update(chunk=0), "chunk"),
])
def test_bad_inputs_are_named(change, fragment):
    args = {"sample_xyz": np.array([[0.0, 0, 0], [1.0, 0, 0]]),
            "values": np.array([1.0, 2.0]), "targets_xyz": np.zeros((1, 3)), "model": sph(),
            "nb_index": np.array([[0, 1]]), "nb_count": np.array([2])}
    change(args)
    with pytest.raises(ParameterError, match=re.escape(fragment)):
        ordinary_kriging(**args)


def test_block_discretisation_is_kt3d():
    """kt3d: xdis = xsiz/nxdis, first point at −xsiz/2 + xdis/2, x slowest, z fastest."""
    o = block_discretisation((10.0, 10.0, 20.0), (4, 4, 2))
    assert o.shape == (32, 3)
    assert sorted(set(o[:, 0])) == [-3.75, -1.25, 1.25, 3.75]
    assert sorted(set(o[:, 2])) == [-5.0, 5.0]
    assert o[:3].tolist() == [[-3.75, -3.75, -5.0], [-3.75, -3.75, 5.0], [-3.75, -1.25, -5.0]]
    with pytest.raises(ParameterError, match="nxdis, nydis, nzdis"):
        block_discretisation((10, 10, 10), (0, 1, 1))
