"""Cross-validation equals kriging each sample from the others, computed directly."""

from __future__ import annotations

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.estimate.crossval import STATISTICS, cross_validate, crossval_statistics
from orebook.estimate.search import SearchParams
from orebook.geostats import Structure, VariogramModel

MODEL = VariogramModel(0.05, (Structure("exponential", 1.0, (40.0, 40.0, 40.0)),))


def _ok_by_hand(xyz, v, i, keep):
    """Ordinary kriging of sample i from the samples in ``keep`` (full bordered system)."""
    d = xyz[keep][:, None, :] - xyz[keep][None, :, :]
    n = len(keep)
    a = np.ones((n + 1, n + 1))
    a[:n, :n] = MODEL.covariance_of(d)
    a[n, n] = 0.0
    b = np.ones(n + 1)
    b[:n] = MODEL.covariance_of(xyz[keep] - xyz[i])
    w = np.linalg.solve(a, b)
    return float(w[:n] @ v[keep]), float(MODEL.cmax - w[:n] @ b[:n] - w[n])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    hole = np.repeat(np.array([f"H{i}" for i in range(12)], dtype=object), 6)
    top = rng.uniform(0, 100, (12, 2))
    xyz = np.column_stack([np.repeat(top, 6, axis=0), -np.tile(np.arange(6) * 5.0, 12)])
    v = np.cos(xyz[:, 0] / 30) + 0.1 * xyz[:, 2] / 10 + rng.normal(0, 0.05, len(xyz))
    return xyz, v, hole


def test_leave_one_out_matches_a_direct_solve(data):
    xyz, v, _ = data
    p = SearchParams((1000.0, 1000.0, 1000.0), max_samples=200)  # every other sample
    cv = cross_validate(xyz, v, MODEL, p)
    for i in (0, 17, 40):
        keep = np.array([j for j in range(len(v)) if j != i])
        est, var = _ok_by_hand(xyz, v, i, keep)
        assert cv.table["estimate"][i] == pytest.approx(est, rel=1e-9)
        assert cv.table["variance"][i] == pytest.approx(var, rel=1e-9)
    t = cv.table
    assert cv.statistics["count"] == len(v)
    assert cv.statistics["mean_error"] == pytest.approx(float((t.estimate - t.true).mean()))
    assert cv.statistics["rmse"] == pytest.approx(float(np.sqrt(((t.estimate - t.true) ** 2)
                                                               .mean())))


def test_leave_one_hole_out_uses_no_sample_of_the_hole(data):
    xyz, v, hole = data
    p = SearchParams((1000.0, 1000.0, 1000.0), max_samples=200)
    cv = cross_validate(xyz, v, MODEL, p, hole=hole, by_hole=True)
    for i in (2, 33):
        keep = np.flatnonzero(hole != hole[i])
        est, _ = _ok_by_hand(xyz, v, i, keep)
        assert cv.table["estimate"][i] == pytest.approx(est, rel=1e-9)
    assert (cv.table["nsamples"] == len(v) - 6).all()
    loo = cross_validate(xyz, v, MODEL, p)
    # without its own hole a sample is estimated worse than with its neighbours down the hole
    assert cv.statistics["rmse"] > loo.statistics["rmse"]


def test_errors(data):
    xyz, v, _ = data
    p = SearchParams((10.0, 10.0, 10.0))
    with pytest.raises(ParameterError, match="needs the hole ids"):
        cross_validate(xyz, v, MODEL, p, by_hole=True)
    with pytest.raises(ParameterError, match="needs the mean"):
        cross_validate(xyz, v, MODEL, p, kind="sk")


# ------------------------------------------------------------------------------------------
# statistics, by hand

def test_statistics_by_hand():
    true = np.array([1.0, 2.0, 3.0, 4.0, 9.0])
    est = np.array([1.5, 1.5, 3.5, 3.5, np.nan])  # the last one not estimated
    var = np.array([0.25, 1.0, 0.25, 1.0, 2.0])
    s = crossval_statistics(true, est, var)
    assert list(s) == list(STATISTICS)
    # errors 0.5, -0.5, 0.5, -0.5; standardized 1, -0.5, 1, -0.5
    assert s["count"] == 4 and s["not_estimated"] == 1
    assert s["mean_true"] == pytest.approx(2.5) and s["mean_estimate"] == pytest.approx(2.5)
    assert s["mean_error"] == pytest.approx(0.0, abs=1e-15)
    assert s["mse"] == pytest.approx(0.25) and s["rmse"] == pytest.approx(0.5)
    assert s["mean_standardized_error"] == pytest.approx(0.25)
    assert s["variance_standardized_error"] == pytest.approx(0.5625)
    # deviations: true (−1.5, −0.5, 0.5, 1.5), estimate (−1, −1, 1, 1): covariance sum 4,
    # sums of squares 5 and 4
    assert s["correlation"] == pytest.approx(4 / np.sqrt(20))
    assert s["slope_true_on_estimate"] == pytest.approx(1.0)


def test_statistics_agree_with_numpy_fits():
    rng = np.random.default_rng(7)
    t = rng.lognormal(0, 0.5, 50)
    e = 0.6 * t + rng.normal(0, 0.2, 50)
    s = crossval_statistics(t, e)
    assert s["slope_true_on_estimate"] == pytest.approx(np.polyfit(e, t, 1)[0], rel=1e-10)
    assert s["correlation"] == pytest.approx(np.corrcoef(t, e)[0, 1], rel=1e-10)
    assert np.isnan(s["mean_standardized_error"])  # no variances given


def test_statistics_that_are_not_defined_are_nan():
    one = crossval_statistics(np.array([1.0]), np.array([2.0]), np.array([4.0]))
    assert one["count"] == 1 and one["mse"] == 1.0 and one["mean_standardized_error"] == 0.5
    assert np.isnan(one["correlation"]) and np.isnan(one["slope_true_on_estimate"])
    flat = crossval_statistics(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0]))
    assert np.isnan(flat["slope_true_on_estimate"]) and np.isnan(flat["correlation"])
    none = crossval_statistics(np.array([1.0, 2.0]), np.array([np.nan, np.nan]))
    assert none["count"] == 0 and none["not_estimated"] == 2 and np.isnan(none["mean_error"])
    zero_var = crossval_statistics(np.array([1.0]), np.array([1.0]), np.array([0.0]))
    assert np.isnan(zero_var["mean_standardized_error"])
    with pytest.raises(ParameterError):
        crossval_statistics(np.ones(3), np.ones(2))


# ------------------------------------------------------------------------------------------
# passes, domains, inverse distance, reasons


def test_passes_estimate_what_the_first_left(data):
    xyz, v, _ = data
    small = SearchParams((12.0, 12.0, 12.0), min_samples=3, max_samples=8)
    big = SearchParams((1000.0, 1000.0, 1000.0), max_samples=200)
    both = cross_validate(xyz, v, MODEL, [small, big]).table
    first = cross_validate(xyz, v, MODEL, small).table
    second = cross_validate(xyz, v, MODEL, big).table
    p1 = both["pass"].to_numpy() == 1
    assert p1.any() and (~p1).any() and set(both["pass"]) == {1, 2}
    np.testing.assert_array_equal(both["estimate"][p1], first["estimate"][p1])
    np.testing.assert_array_equal(both["estimate"][~p1], second["estimate"][~p1])
    assert first["estimate"][~p1].isna().all()
    assert first["reason"][~p1].str.startswith("search: fewer samples").all()
    assert (first["pass"][~p1] == 0).all() and (first["nsamples"][~p1] == 0).all()


def test_targets_and_a_hard_domain_by_hand(data):
    xyz, v, _ = data
    dom = np.where(xyz[:, 0] < 50, "a", "b")
    va = np.where(dom == "a", v, np.nan)  # hard boundary: only domain a's samples
    p = SearchParams((1000.0, 1000.0, 1000.0), max_samples=200)
    cv = cross_validate(xyz, va, MODEL, p, targets=dom == "a")
    a = np.flatnonzero(dom == "a")
    assert cv.table["sample"].tolist() == a.tolist()
    for r, i in enumerate(a[:3]):
        est, _ = _ok_by_hand(xyz, v, i, a[a != i])
        assert cv.table["estimate"][r] == pytest.approx(est, rel=1e-9)
    # the same through the search's own domains
    cv2 = cross_validate(xyz, v, MODEL, p, domain=dom, targets=dom == "a")
    np.testing.assert_allclose(cv2.table["estimate"], cv.table["estimate"], rtol=1e-12)


def test_inverse_distance_leave_one_out_by_hand(data):
    xyz, v, _ = data
    p = SearchParams((1000.0, 1000.0, 1000.0), max_samples=200)
    cv = cross_validate(xyz, v, None, p, kind="idw", power=2.0)
    for i in (1, 50):
        d = np.linalg.norm(np.delete(xyz, i, axis=0) - xyz[i], axis=1)
        w = 1 / d**2
        assert cv.table["estimate"][i] == pytest.approx(w @ np.delete(v, i) / w.sum(),
                                                        rel=1e-9)
    assert cv.table["variance"].isna().all()
    assert np.isnan(cv.statistics["mean_standardized_error"])
    nn = cross_validate(xyz, v, None, p, kind="nn")
    i = 6  # the top of a hole: one nearest sample, the one below
    d = np.linalg.norm(xyz - xyz[i], axis=1)
    d[i] = np.inf
    assert np.sum(d == d.min()) == 1
    assert nn.table["estimate"][i] == v[np.argmin(d)]


# ------------------------------------------------------------------------------------------
# GSLIB kt3d's cross-validation rule (kt3d.for, GSLIB 2.907): octants first, then the
# samples at the datum's location or of its hole are dropped, then the nearest ndmax


def _kt3d_by_hand(xyz, dh, t, tdh, radius, noct, ndmax, ndmin, reverse_ties=False):
    """kt3d's loop written out: every sample in the (isotropic) radius, nearest first (ties
    in input order, or reversed); srchsupr's octant limit; kt3d's drop test in single
    precision; the first ndmax."""
    d = np.round(np.linalg.norm(xyz - t, axis=1), 9)
    rows = np.arange(len(d))
    order = np.lexsort((-rows if reverse_ties else rows, d))
    cand = [i for i in order if d[i] <= radius]
    if noct:
        per, kept = {}, []
        for i in cand:
            dx, dy, dz = xyz[i] - t
            q = (0 if dx <= 0 and dy > 0 else 1 if dx > 0 and dy >= 0 else
                 2 if dx < 0 and dy <= 0 else 3) + (4 if dz < 0 else 0)
            if per.get(q, 0) < noct:
                per[q] = per.get(q, 0) + 1
                kept.append(i)
        cand = kept
    out = []
    for i in cand:
        a, b = xyz[i].astype(np.float32), t.astype(np.float32)
        l1 = (np.abs(a[0] - b[0]) + np.abs(a[1] - b[1])) + np.abs(a[2] - b[2])
        if l1 < np.float32(1e-6):
            continue
        if dh is not None and abs(np.float32(dh[i]) - np.float32(tdh)) < np.float32(1e-6):
            continue
        if len(out) < ndmax:
            out.append(int(i))
    return out if len(out) >= ndmin else []


def test_kt3d_drops_after_the_octant_selection():
    from orebook.gslib.kriging import kt3d_cross_neighbours

    # A at the target; B in A's octant (Δx > 0, Δy < 0, Δz = 0: srchsupr's fourth, upper),
    # nearer than C (another octant)
    xyz = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [-2.0, 2.0, 0.0]])
    p = SearchParams((10.0, 10.0, 10.0), min_samples=1, max_samples=8, max_per_octant=1)
    nb = kt3d_cross_neighbours(xyz, xyz[:1], p)
    assert nb.index[0, :nb.count[0]].tolist() == [2]  # B lost its place to A, then A dropped
    # leaving A out before the selection (orebook's exclude) keeps B
    from orebook.estimate.search import Neighbourhood

    ob = Neighbourhood.build(xyz).query(xyz[:1], SearchParams(
        (10.0, 10.0, 10.0), max_samples=8, max_per_octant=1, octant_frame="world"),
        exclude=np.array([0]))
    assert ob.index[0, :ob.count[0]].tolist() == [1, 2]
    # with drill-hole ids, the datum's hole goes too
    nb = kt3d_cross_neighbours(xyz, xyz[:1], p, dh=np.array([1.0, 2.0, 1.0]),
                               target_dh=np.array([1.0]))
    assert nb.count[0] == 0 and nb.reason[0] == 1  # C is of the same hole; nothing is left


def test_kt3d_location_test_is_single_precision_within_epslon():
    from orebook.gslib.kriging import kt3d_cross_neighbours

    t = np.array([[548000.0, 3622000.0, 100.0]])
    xyz = np.array([[548000.0 + 5e-7, 3622000.0, 100.0],  # < 1e-6: dropped
                    [548000.01, 3622000.0, 100.0],  # one float32 with the target: dropped
                    [548000.0, 3622000.25, 100.0],  # 0.25 m away: kept
                    [548001.0, 3622000.0, 100.0]])
    p = SearchParams((10.0, 10.0, 10.0), min_samples=1, max_samples=8)
    nb = kt3d_cross_neighbours(xyz, t, p)
    assert nb.index[0, :nb.count[0]].tolist() == [2, 3]
    small = np.array([[0.0, 0.0, 0.0], [5e-7, 0.0, 0.0], [2e-6, 0.0, 0.0], [1.0, 0.0, 0.0]])
    nb = kt3d_cross_neighbours(small, small[:1], p)
    assert nb.index[0, :nb.count[0]].tolist() == [2, 3]


def test_kt3d_rule_matches_the_loop_written_out():
    from orebook.gslib.kriging import kt3d_cross_neighbours

    rng = np.random.default_rng(11)
    holes = np.repeat(np.arange(15.0), 5)
    tops = rng.uniform(0, 60, (15, 2))
    xyz = np.column_stack([np.repeat(tops, 5, axis=0) + rng.normal(0, 0.5, (75, 2)),
                           -np.tile(np.arange(5) * 4.0, 15) + rng.normal(0, 0.1, 75)])
    xyz[7] = xyz[30]  # two samples at one place, of two holes
    for noct, ndmax, ndmin, dh in ((0, 6, 2, None), (1, 6, 3, None), (2, 10, 4, holes),
                                   (1, 4, 1, holes)):
        p = SearchParams((25.0, 25.0, 25.0), min_samples=ndmin, max_samples=ndmax,
                         max_per_octant=noct, octant_frame="world")
        nb = kt3d_cross_neighbours(xyz, xyz, p, dh=dh, target_dh=dh)
        for i in range(len(xyz)):
            want = _kt3d_by_hand(xyz, dh, xyz[i], None if dh is None else dh[i], 25.0, noct,
                                 ndmax, ndmin)
            assert nb.index[i, :nb.count[i]].tolist() == want, (noct, i)
            assert (nb.index[i, nb.count[i]:] == -1).all()


def test_run_kt3d_cross_validation_uses_kt3d_rule(tmp_path):
    """cluster.dat (2-D: every separation in the upper octants) with one sample per octant:
    each datum holds one of the four octant places itself, so kt3d kriges from at most 3."""
    import shutil
    from pathlib import Path

    from orebook.estimate.kriging import simple_kriging
    from orebook.gslib.kriging import kt3d_cross_neighbours, run_kt3d
    from orebook.io.geoeas import read_geoeas
    from orebook.io.gslib_par import read_kt3d_par

    data = Path(__file__).parents[1] / "gslib" / "data"
    (tmp_path / "run").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(data / "cluster.dat", tmp_path / "data" / "cluster.dat")
    lines = (data / "kt3d.par").read_text().split("\n")
    assert lines[17].startswith("4    8") and lines[18].startswith("0 ")
    lines[17] = "3    8".ljust(33) + "-min, max data for kriging"
    lines[18] = "1".ljust(33) + "-max per octant (0-> not used)"
    par = tmp_path / "run" / "kt3d.par"
    par.write_text("\n".join(lines))
    got = read_geoeas(run_kt3d(par)[0], missing=None).data.to_numpy()
    c = read_geoeas(data / "cluster.dat", missing=None).data.to_numpy()
    xyz = np.column_stack([c[:, 0], c[:, 1], np.full(len(c), 0.5)])
    p = read_kt3d_par(par)
    nb = kt3d_cross_neighbours(xyz, xyz, SearchParams(
        p.radii, p.search_angles, min_samples=3, max_samples=8, max_per_octant=1,
        octant_frame="world"))
    res = simple_kriging(xyz, c[:, 2], xyz, p.model, nb.index, nb.count, mean=2.302)
    est = nb.count > 0
    assert nb.count.max() == 3 and est.any() and (~est).any()
    np.testing.assert_allclose(got[est, 4], res.estimate[est], atol=0.0005 + 1e-9)
    assert (got[~est, 4] == -999).all()
    # the loop written out picks the same samples wherever the order of equally distant
    # samples (cluster.dat lies on a grid) does not change the choice
    checked = 0
    for i in range(len(c)):
        want = _kt3d_by_hand(xyz, None, xyz[i], None, 20.0, 1, 8, 3)
        if sorted(want) != sorted(_kt3d_by_hand(xyz, None, xyz[i], None, 20.0, 1, 8, 3,
                                                reverse_ties=True)):
            continue
        assert sorted(nb.index[i, :nb.count[i]].tolist()) == sorted(want), i
        checked += 1
    assert checked > 100
