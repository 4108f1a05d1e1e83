"""Experimental variograms: gamv's rules on hand-made point sets, the numba kernel against its
NumPy twin, and the peers' published numbers (gstat's meuse variogram, GSTools' literature
case, GSTools and scikit-gstat on random data), GSLIB's cluster.dat runs of gamv.par against
a brute-force loop written here.

Expected values are worked out by hand in the comments or recomputed independently in this
file, never taken from the code's own output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.drillholes.composite import Composites
from orebook.errors import InputError, ParameterError
from orebook.geostats.experimental import (
    OMNI,
    VARIOGRAM_TYPES,
    Direction,
    ExperimentalVariogram,
    Lags,
    downhole_variogram,
    experimental_variogram,
    gstat_default_lags,
    variogram_map,
)

DATA = Path(__file__).parent / "data"
GSLIB_DATA = Path(__file__).parents[1] / "gslib" / "data"  # cluster.dat, gamv.par
NAN = math.nan
EAST = Direction(90.0, 22.5)  # along +x, not omnidirectional: each pair once, tail to the west


def one(coords, tail, head=None, **kw) -> ExperimentalVariogram:
    kw.setdefault("directions", [EAST])
    [ev] = experimental_variogram(coords, tail, head, **kw)
    return ev


# --------------------------------------------------------------------------------------------
# directional selection on hand-made sets


def _star():
    """P0 at the origin and four points 10 m away: north (0°), 20° and 30° east of north, and
    south. Every other pair is closer than 9 m or farther than 11 m, so the class centred on
    10 m (tolerance 1 m) holds exactly the four pairs P0–Pk."""
    pts = [(0.0, 0.0)] + [(10 * math.sin(math.radians(a)), 10 * math.cos(math.radians(a)))
                          for a in (0.0, 20.0, 30.0, 180.0)]
    return np.array(pts), np.array([1.0, 2.0, 4.0, 8.0, 16.0])


LAG10 = Lags(1, 10.0, 1.0)  # classes: 1 (h = 0), 2 (h ≤ 1), 3 (9 ≤ h ≤ 11)


def test_azimuth_tolerance_and_horizontal_bandwidth():
    xy, v = _star()
    evs = experimental_variogram(xy, v, lags=LAG10, directions=[
        Direction(0.0, 22.5), Direction(0.0, 35.0), Direction(0.0, 22.5, 3.0),
        Direction(0.0, 22.5, 3.5), Direction(90.0, 22.5)])
    # 0°, 20° and 180° are within 22.5° of north (both senses); 30° is not, but within 35°;
    # the 20° pair is 10·sin 20° = 3.42 m off the line: out with a 3 m band, in with 3.5 m
    assert [int(ev.pairs[2]) for ev in evs] == [3, 4, 2, 3, 0]
    # every point with itself, once (not omnidirectional)
    assert [int(ev.pairs[0]) for ev in evs] == [5] * 5
    assert [int(ev.pairs[1]) for ev in evs] == [0] * 5


def test_tail_and_head_follow_the_direction():
    xy, v = _star()
    [north] = experimental_variogram(xy, v, lags=LAG10, directions=[Direction(0.0, 22.5)])
    # pairs P0→P1 and P0→P2 point north: tail P0 (1), heads 2 and 4; P0→P4 points south, so
    # its tail is P4 (16) and its head P0 (1)
    assert north.tail_mean[2] == pytest.approx((1 + 1 + 16) / 3)
    assert north.head_mean[2] == pytest.approx((2 + 4 + 1) / 3)
    assert north.value[2] == pytest.approx(((1 - 2) ** 2 + (1 - 4) ** 2 + (16 - 1) ** 2) / 6)
    assert north.distance[2] == pytest.approx(10.0)


def test_omnidirectional_counts_each_pair_in_both_orders():
    xy, v = _star()
    [omni] = experimental_variogram(xy, v, lags=LAG10, directions=[OMNI])
    assert omni.pairs.tolist() == [10, 0, 8]
    # the four pairs, each twice: Σ d² = 2·(1 + 9 + 49 + 225), over 2·8
    assert omni.value[2] == pytest.approx(284 / 8)
    # tail and head means both take every value of every pair
    assert omni.tail_mean[2] == pytest.approx(34 / 8)
    assert omni.head_mean[2] == pytest.approx(34 / 8)
    assert omni.value[0] == 0.0


def _dipping():
    """P0 at the origin and three points 10 m away towards north, dipping 30°, 10° and 80°
    downwards; the pairs between those three are 3.5, 8.5 and 11.5 m long (out of class 3)."""
    pts = [(0.0, 0.0, 0.0)]
    for dip in (30.0, 10.0, 80.0):
        r = math.radians(dip)
        pts.append((0.0, 10 * math.cos(r), -10 * math.sin(r)))
    return np.array(pts), np.array([1.0, 2.0, 4.0, 8.0])


def test_dip_tolerance_and_vertical_bandwidth():
    xyz, v = _dipping()
    dirs = [
        Direction(0.0, 22.5, math.inf, 0.0, 22.5),  # horizontal: only the 10° pair
        Direction(0.0, 22.5, math.inf, -30.0, 10.0),  # the 30° pair
        Direction(0.0, 22.5, math.inf, -30.0, 25.0),  # 30° and 10° (20° away)
        Direction(0.0, 22.5, math.inf, 30.0, 10.0),  # dipping up to the north: none
        Direction(0.0, 22.5, math.inf, 0.0, 45.0, 1.0),  # band 1 m: 10° pair is 1.74 m off
        Direction(0.0, 22.5, math.inf, 0.0, 45.0, 2.0),  # band 2 m: the 10° pair only
        Direction(0.0, 90.0, math.inf, -90.0, 15.0),  # vertical: the 80° pair
    ]
    evs = experimental_variogram(xyz, v, lags=LAG10, directions=dirs)
    assert [int(ev.pairs[2]) for ev in evs] == [1, 1, 2, 0, 0, 1, 2]
    # the vertical direction has azimuth tolerance 90°: gamv counts the pair twice
    assert evs[6].value[2] == pytest.approx((1 - 8) ** 2 / 2)
    # along the dip the upper point is the tail
    assert evs[1].tail_mean[2] == 1.0 and evs[1].head_mean[2] == 2.0


def test_tolerance_of_zero_means_45_degrees():
    pts = np.array([(0.0, 0.0)] + [(10 * math.sin(math.radians(a)), 10 * math.cos(
        math.radians(a))) for a in (40.0,)] + [(100.0, 0.0), (100 + 10 * math.sin(
            math.radians(50.0)), 10 * math.cos(math.radians(50.0)))])
    ev = one(pts, np.arange(4.0), lags=LAG10, directions=[Direction(0.0, 0.0)])
    assert ev.pairs[2] == 1  # 40° is in, 50° is out


def test_zero_distance_class():
    # two points at the same place and one 1 m east of them
    xy = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    v = np.array([1.0, 3.0, 5.0])
    [omni, north] = experimental_variogram(xy, v, lags=Lags(1, 1.0),
                                           directions=[OMNI, Direction(0.0, 22.5)])
    # three self-pairs and the duplicate pair, in every direction; twice when omnidirectional
    assert omni.pairs[0] == 8 and north.pairs[0] == 4
    assert omni.value[0] == pytest.approx(2 * 4 / 16)
    assert north.value[0] == pytest.approx(4 / 8)
    assert omni.distance[0] == 0.0
    # the east pairs are not north of each other
    assert north.pairs[2] == 0 and omni.pairs[2] == 4


# --------------------------------------------------------------------------------------------
# lag classes


def test_overlapping_lag_classes():
    # 1-D points; the 10 pair distances: 1 1 1 1.5 | 2 2 2.5 | 3 3.5 | 4.5
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.5])
    ev = one(x, np.zeros(5), lags=Lags(2, 2.0, 1.5))
    # class 2: |h| ≤ 1.5; class 3: 0.5 ≤ h ≤ 3.5; class 4: 2.5 ≤ h ≤ min(5.5, (2 + ½)·2 = 5)
    assert ev.lag.tolist() == [1, 2, 3, 4]
    assert ev.pairs.tolist() == [5, 4, 9, 4]
    np.testing.assert_allclose(ev.distance, [0.0, 4.5 / 4, 17.5 / 9, 13.5 / 4])


def test_pairs_beyond_n_plus_half_lags_are_dropped():
    # Lags(2, 2, 1.5): class 4 reaches 5.5 m but gamv drops pairs beyond (2 + ½)·2 = 5 m
    x = np.array([0.0, 5.0, 5.25])
    ev = one(x, np.zeros(3), lags=Lags(2, 2.0, 1.5))
    assert ev.pairs.tolist() == [3, 1, 0, 1]  # 0.25 m in class 2; 5 m in class 4; 5.25 dropped


def test_boundaries_are_inclusive():
    # regular spacing 1 m, lags of 2 m with tolerance 1 m: a 1 m pair sits on the boundary of
    # classes 2 (|h| ≤ 1) and 3 (1 ≤ h ≤ 3) and counts in both
    x = np.arange(4.0)
    ev = one(x, np.zeros(4), lags=Lags(1, 2.0, 1.0))
    assert ev.pairs.tolist() == [4, 3, 6]


def test_lags_defaults_and_checks():
    assert Lags(4, 2.0).tolerance == 1.0
    assert Lags(4, 2.0, 0.0).tolerance == 1.0  # gamv: xltol ≤ 0 → xlag / 2
    assert Lags(4, 2.0).n_classes == 6 and Lags(4, 2.0, mode="gstat").n_classes == 4
    np.testing.assert_allclose(Lags(2, 5.0).centres, [0, 0, 5, 10])
    for bad in [{"n": 0, "width": 1.0}, {"n": 2.5, "width": 1.0}, {"n": 2, "width": 0.0},
                {"n": 2, "width": NAN}, {"n": 2, "width": 1.0, "mode": "skgstat"}]:
        with pytest.raises(ParameterError):
            Lags(**bad)


def test_direction_checks():
    with pytest.raises(ParameterError, match="bandwidth_h"):
        Direction(bandwidth_h=-1.0)
    with pytest.raises(ParameterError, match="azimuth"):
        Direction(azimuth=NAN)
    assert Direction().omnidirectional and not Direction(0, 22.5).omnidirectional
    # a gamv.par row as it is
    d = Direction(*[0.0, 22.5, 25.0, 0.0, 22.5, 25.0])
    assert (d.azimuth_tol, d.bandwidth_v) == (22.5, 25.0)
    np.testing.assert_allclose(Direction(90.0, 10.0, dip=-30.0).unit_vector(),
                               [math.cos(math.radians(30)), 0.0, -0.5], atol=1e-15)


def test_input_checks():
    x = np.arange(3.0)
    with pytest.raises(ParameterError, match="kind"):
        one(x, x, lags=Lags(1, 1.0), kind="madogram")
    with pytest.raises(ParameterError, match="as_variogram"):
        one(x, x, lags=Lags(1, 1.0), as_variogram=True)
    with pytest.raises(InputError, match="coordinates"):
        one(np.arange(4.0), x, lags=Lags(1, 1.0))
    with pytest.raises(InputError, match="finite"):
        one(np.array([0.0, NAN, 1.0]), x, lags=Lags(1, 1.0))
    with pytest.raises(InputError, match="head"):
        one(x, x, np.arange(2.0), lags=Lags(1, 1.0))
    with pytest.raises(ParameterError, match="Direction"):
        experimental_variogram(x, x, lags=Lags(1, 1.0), directions=[])


# --------------------------------------------------------------------------------------------
# each kind's value by hand: x = 0 1 2 3 (east), a = 1 3 6 4, b = 2 2 5 1, lag 1 m:
# three pairs (0,1) (1,2) (2,3), tail to the west: tails 1 3 6, heads 3 6 4

X4 = np.arange(4.0)
A4 = np.array([1.0, 3.0, 6.0, 4.0])
B4 = np.array([2.0, 2.0, 5.0, 1.0])
L1 = Lags(1, 1.0)


def test_semivariogram_by_hand():
    ev = one(X4, A4, lags=L1)
    assert ev.pairs[2] == 3
    assert ev.value[2] == pytest.approx((4 + 9 + 4) / 6)
    assert ev.tail_mean[2] == pytest.approx(10 / 3)
    assert ev.head_mean[2] == pytest.approx(13 / 3)
    var = np.var(A4)  # 3.25, population variance as gamv
    std = one(X4, A4, lags=L1, standardize=True)
    assert std.standardized and std.sill == 1.0
    assert std.value[2] == pytest.approx((17 / 6) / var)
    assert ev.sill == pytest.approx(3.25)


def test_covariance_by_hand():
    ev = one(X4, A4, lags=L1, kind="covariance")
    assert ev.value[2] == pytest.approx((3 + 18 + 24) / 3 - (10 / 3) * (13 / 3))  # 5/9
    inv = one(X4, A4, lags=L1, kind="covariance", as_variogram=True)
    assert inv.value[2] == pytest.approx(3.25 - 5 / 9)
    # omnidirectional: each pair also reversed, so both means are over all six values
    [omni] = experimental_variogram(X4, A4, lags=L1, kind="covariance")
    assert omni.pairs[2] == 6
    assert omni.value[2] == pytest.approx(15 - (23 / 6) ** 2)
    # standardisation does not apply to covariances (as gamv)
    assert not one(X4, A4, lags=L1, kind="covariance", standardize=True).standardized


def test_correlogram_by_hand():
    ev = one(X4, A4, lags=L1, kind="correlogram")
    var_t, var_h = 38 / 9, 14 / 9  # (1 + 9 + 36)/3 − (10/3)², (9 + 36 + 16)/3 − (13/3)²
    assert ev.tail_variance[2] == pytest.approx(var_t)
    assert ev.head_variance[2] == pytest.approx(var_h)
    rho = (5 / 9) / math.sqrt(var_t * var_h)
    assert ev.value[2] == pytest.approx(rho)
    assert one(X4, A4, lags=L1, kind="correlogram", as_variogram=True).value[2] == \
        pytest.approx(1 - rho)
    frame = ev.to_frame()
    assert list(frame.columns) == ["lag", "distance", "value", "pairs", "tail_mean",
                                   "head_mean", "tail_variance", "head_variance"]


def test_correlogram_of_a_constant_is_zero():
    ev = one(X4, np.ones(4), lags=L1, kind="correlogram")
    assert ev.value[2] == 0.0  # gamv: σ_t·σ_h < EPSLON → 0


def test_pairwise_relative_by_hand():
    ev = one(X4, A4, lags=L1, kind="pairwise_relative")
    # (2·(1−3)/4)² + (2·(3−6)/9)² + (2·(6−4)/10)² = 1 + 4/9 + 4/25, over 2·3
    assert ev.value[2] == pytest.approx((1 + 4 / 9 + 4 / 25) / 6)
    # a pair whose sum is zero is left out
    ev = one(np.arange(3.0), np.array([1.0, -1.0, 3.0]), lags=L1, kind="pairwise_relative")
    assert ev.pairs[2] == 1
    assert ev.value[2] == pytest.approx((2 * (-1 - 3) / 2) ** 2 / 2)


def test_cross_variogram_by_hand():
    ev = one(X4, A4, B4, lags=L1, kind="cross")
    # Σ (a_j − a_i)(b_j − b_i) = 2·0 + 3·3 + (−2)(−4) = 17, over 2·3
    assert ev.value[2] == pytest.approx(17 / 6)
    # means of the pair averages (a_i + a_j)/2 and (b_i + b_j)/2
    assert ev.tail_mean[2] == pytest.approx((2 + 4.5 + 5) / 3)
    assert ev.head_mean[2] == pytest.approx((2 + 3.5 + 3) / 3)
    # the same with the directions of the pairs reversed, and omnidirectional: once each
    [omni] = experimental_variogram(X4, A4, B4, lags=L1, kind="cross")
    assert omni.pairs[2] == 3 and omni.value[2] == pytest.approx(17 / 6)
    # a cross variogram of a variable with itself is its semivariogram
    assert one(X4, A4, A4, lags=L1, kind="cross").value[2] == pytest.approx(17 / 6)
    assert ev.sill == pytest.approx(np.mean((A4 - A4.mean()) * (B4 - B4.mean())))


def test_semivariogram_between_two_variables_tail_at_tail():
    # gamv type 1 with different tail and head variables: Σ (a_tail − b_head)² / 2N
    ev = one(X4, A4, B4, lags=L1)
    assert ev.value[2] == pytest.approx(((1 - 2) ** 2 + (3 - 5) ** 2 + (6 - 1) ** 2) / 6)
    assert not one(X4, A4, B4, lags=L1, standardize=True).standardized


def test_missing_values_are_skipped_pair_by_pair():
    a = np.array([1.0, NAN, 6.0, 4.0])
    ev = one(X4, a, lags=L1)
    assert ev.pairs.tolist() == [3, 0, 1]
    assert ev.value[2] == pytest.approx(2.0)
    # cross: a pair needs both variables at both points
    b = np.array([2.0, 2.0, NAN, 1.0])
    cross = one(X4, A4, b, lags=L1, kind="cross")
    assert cross.pairs[2] == 1  # only (0, 1)
    assert np.isnan(ev.distance[1]) and np.isnan(ev.value[1])  # empty class
    # the variance used for standardising ignores missing values
    std = one(X4, a, lags=L1, standardize=True)
    assert std.value[2] == pytest.approx(2.0 / np.var([1.0, 6.0, 4.0]))


def test_to_frame_columns():
    frame = one(X4, A4, lags=L1).to_frame()
    assert list(frame.columns) == ["lag", "distance", "value", "pairs", "tail_mean",
                                   "head_mean"]
    assert frame["lag"].tolist() == [1, 2, 3]


# --------------------------------------------------------------------------------------------
# the numba kernel and its NumPy twin

_DIRS = [OMNI, Direction(0.0, 22.5), Direction(45.0, 30.0, 2.0), Direction(90.0, 45.0, 1.0),
         Direction(0.0, 90.0, math.inf, -90.0, 30.0, 1.5), Direction(135.0, 22.5, math.inf,
                                                                    -45.0, 22.5, 1.0),
         Direction(10.0, 0.0, 3.0, 20.0, 0.0, 3.0), Direction(0.0, 90.0, math.inf, 0.0, 20.0)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 45),
    seed=st.integers(0, 2**32 - 1),
    dirs=st.lists(st.sampled_from(_DIRS), min_size=1, max_size=4),
    lag=st.sampled_from([(3, 1.0, None), (4, 1.0, 0.8), (2, 2.0, 1.0), (5, 1.5, 0.3),
                         (3, 1.0, None, "gstat"), (6, 0.7, None, "gstat")]),
    kind=st.sampled_from(VARIOGRAM_TYPES),
    grid=st.booleans(),
)
def test_numba_kernel_agrees_with_numpy_twin(n, seed, dirs, lag, kind, grid):
    rng = np.random.default_rng(seed)
    # integer coordinates make ties: duplicates, pairs exactly on lag and angle boundaries
    xyz = (rng.integers(0, 6, (n, 3)) * np.array([1.0, 1.0, 0.5]) if grid
           else rng.uniform(0, 6, (n, 3)))
    a = rng.normal(2.0, 1.0, n)
    b = rng.normal(1.0, 1.0, n)
    a[rng.random(n) < 0.1] = NAN
    b[rng.random(n) < 0.1] = NAN
    head = b if kind == "cross" or rng.random() < 0.3 else None
    lags = Lags(*lag)
    kw = {"lags": lags, "directions": dirs, "kind": kind, "standardize": True}
    fast = experimental_variogram(xyz, a, head, **kw)
    slow = experimental_variogram(xyz, a, head, engine="numpy", **kw)
    for f, s in zip(fast, slow):
        np.testing.assert_array_equal(f.pairs, s.pairs)
        for name in ("distance", "value", "tail_mean", "head_mean", "tail_variance",
                     "head_variance"):
            np.testing.assert_allclose(getattr(f, name), getattr(s, name), rtol=1e-9,
                                       atol=1e-9, err_msg=name)


def test_the_cell_size_does_not_change_the_pairs():
    rng = np.random.default_rng(7)
    xyz = rng.uniform(0, [60, 40, 10], (800, 3))
    v = rng.normal(size=800)
    kw = {"lags": Lags(8, 2.5, 2.0), "directions": _DIRS[:4]}
    ref = experimental_variogram(xyz, v, engine="numpy", **kw)
    for sub in (1, 2, 3, 5):
        for a, b in zip(experimental_variogram(xyz, v, subdivide=sub, **kw), ref):
            np.testing.assert_array_equal(a.pairs, b.pairs)
            np.testing.assert_allclose(a.value, b.value, rtol=1e-10)


def test_far_apart_and_degenerate_layouts():
    # points spread over 100 km with 1 m lags (the cell grid is capped), a single point,
    # all points at one place
    x = np.array([0.0, 0.5, 1.0, 1e5, 1e5 + 1.0])
    ev = one(x, np.arange(5.0), lags=Lags(2, 1.0))
    # 0.5 0.5 | 0.5 0.5 1 1 (class 3: 0.5 ≤ h ≤ 1.5) | none; nothing across the 100 km
    assert ev.pairs.tolist() == [5, 2, 4, 0]
    ev = one(np.zeros(1), np.ones(1), lags=Lags(2, 1.0))
    assert ev.pairs.tolist() == [1, 0, 0, 0]
    ev = one(np.zeros((4, 3)), np.arange(4.0), lags=Lags(2, 1.0))
    assert ev.pairs[0] == 10


# --------------------------------------------------------------------------------------------
# gstat: meuse log(zinc) with gstat's default binning


def test_meuse_log_zinc_reproduces_gstat():
    meuse = pd.read_csv(DATA / "meuse_155.csv")
    ref = pd.read_csv(DATA / "meuse_logzinc_variogram_gstat.csv")
    xy = meuse[["x", "y"]].to_numpy(float)
    lags = gstat_default_lags(xy)
    assert lags.mode == "gstat" and lags.n == 15
    [ev] = experimental_variogram(xy, np.log(meuse["zinc"].to_numpy(float)), lags=lags)
    assert ev.lag.tolist() == ref["lag"].tolist()
    np.testing.assert_array_equal(ev.pairs, ref["np"])
    # to the printed digits: 5 decimals for dist, 7 significant digits for gamma
    np.testing.assert_allclose(ev.distance, ref["dist"], rtol=0, atol=0.5e-5 + 1e-9)
    np.testing.assert_allclose(ev.value, ref["gamma"], rtol=0, atol=0.5e-7 + 1e-12)


# --------------------------------------------------------------------------------------------
# GSTools and scikit-gstat


def test_gstools_literature_values():
    # GSTools' test_variogram.py: x = 1..10, bins of 1 → γ(1) = 0.4917, γ(2) = 0.7625
    z = np.array([41.2, 40.2, 39.7, 39.2, 40.1, 38.3, 39.1, 40.0, 41.1, 40.3])
    [ev] = experimental_variogram(np.arange(1.0, 11.0), z, lags=Lags(2, 1.0))
    assert round(float(ev.value[2]), 4) == 0.4917
    assert round(float(ev.value[3]), 4) == 0.7625
    assert ev.pairs[2:].tolist() == [18, 16]  # 9 and 8 pairs, each twice (omnidirectional)


def _unit(az):
    return [math.sin(math.radians(az)), math.cos(math.radians(az))]


def test_agrees_with_gstools_on_random_2d_data():
    gs = pytest.importorskip("gstools")
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 100, (400, 2))
    v = np.sin(xy[:, 0] / 15) + rng.normal(0, 0.3, 400)
    w, nlag = 4.0, 10
    edges = (np.arange(nlag + 1) + 0.5) * w  # gamv classes 3 … n + 2: [k·w − w/2, k·w + w/2]
    azimuths, tol, band = (0.0, 60.0, 135.0), 22.5, 8.0
    gam, cnt = gs.vario_estimate(xy.T, v, edges, direction=[_unit(a) for a in azimuths],
                                 angles_tol=math.radians(tol), bandwidth=band,
                                 return_counts=True)[1:]
    evs = experimental_variogram(xy, v, lags=Lags(nlag, w),
                                 directions=[Direction(a, tol, band) for a in azimuths])
    for k, ev in enumerate(evs):
        np.testing.assert_array_equal(ev.pairs[2:nlag + 2], cnt[k][:nlag])
        np.testing.assert_allclose(ev.value[2:nlag + 2], gam[k][:nlag], rtol=1e-10)
    # omnidirectional: GSTools counts each pair once, gamv twice
    g_omni, c_omni = gs.vario_estimate(xy.T, v, edges, return_counts=True)[1:]
    [omni] = experimental_variogram(xy, v, lags=Lags(nlag, w))
    np.testing.assert_array_equal(omni.pairs[2:nlag + 2], 2 * c_omni[:nlag])
    np.testing.assert_allclose(omni.value[2:nlag + 2], g_omni[:nlag], rtol=1e-10)


def test_agrees_with_gstools_vertically_in_3d():
    # a vertical direction (azimuth tolerance 90°) is a cone about z in both definitions, and
    # the vertical bandwidth is the horizontal distance from the axis
    gs = pytest.importorskip("gstools")
    rng = np.random.default_rng(12)
    xyz = rng.uniform(0, [40, 40, 80], (500, 3))
    v = xyz[:, 2] / 20 + rng.normal(0, 0.5, 500)
    w, nlag = 5.0, 8
    edges = (np.arange(nlag + 1) + 0.5) * w
    gam, cnt = gs.vario_estimate(xyz.T, v, edges, direction=[[0, 0, 1]],
                                 angles_tol=math.radians(20.0), bandwidth=6.0,
                                 return_counts=True)[1:]
    [ev] = experimental_variogram(xyz, v, lags=Lags(nlag, w), directions=[
        Direction(0.0, 90.0, math.inf, -90.0, 20.0, 6.0)])
    # (GSTools returns 1-D arrays for a single direction)
    np.testing.assert_array_equal(ev.pairs[2:nlag + 2], 2 * cnt[:nlag])
    np.testing.assert_allclose(ev.value[2:nlag + 2], gam[:nlag], rtol=1e-10)


def test_agrees_with_scikit_gstat_omnidirectional():
    skg = pytest.importorskip("skgstat")
    rng = np.random.default_rng(13)
    xy = rng.uniform(0, 100, (300, 2))
    v = rng.normal(size=300)
    vg = skg.Variogram(xy, v, n_lags=12, maxlag=60.0, bin_func="even", fit_method=None)
    [ev] = experimental_variogram(xy, v, lags=Lags(12, 5.0, mode="gstat"))
    np.testing.assert_array_equal(ev.pairs, vg.bin_count)
    np.testing.assert_allclose(ev.value, vg.experimental, rtol=1e-10)


# --------------------------------------------------------------------------------------------
# GSLIB cluster.dat with gamv.par, against a brute-force gamv written here


def _read_geoeas(path):
    lines = path.read_text().splitlines()
    nvar = int(lines[1].split()[0])
    names = [s.strip() for s in lines[2:2 + nvar]]
    return names, np.loadtxt(path, skiprows=2 + nvar)


def _read_gamv_par(path):
    rows = []
    started = False
    for line in path.read_text().splitlines():
        if started:
            rows.append(line.split("\\")[0].split())
        started |= line.startswith("START")
    it = iter(rows)
    par = {"datafile": next(it)[0], "xyz": [int(s) for s in next(it)]}
    var = [int(s) for s in next(it)]
    par["columns"] = var[1:1 + var[0]]
    par["trim"] = [float(s) for s in next(it)]
    next(it)  # output file
    par["nlag"], par["xlag"], par["xltol"] = int(next(it)[0]), float(next(it)[0]), float(
        next(it)[0])
    ndir = int(next(it)[0])
    par["dirs"] = [[float(s) for s in next(it)[:6]] for _ in range(ndir)]
    par["isill"] = int(next(it)[0])
    nvarg = int(next(it)[0])
    par["variograms"] = [[int(s) for s in next(it)[:3]] for _ in range(nvarg)]
    return par


def _brute_gamv(xyz, vr, nlag, xlag, xltol, dirs, tail, head, ivtype, isill):
    """gamv, pair by pair, as its Fortran reads (without its single precision)."""
    eps = 1e-20
    n = len(xyz)
    size = nlag + 2
    sills = [float(np.var(vr[:, k])) for k in range(vr.shape[1])]
    results = []
    for azm, atol, bandh, dip, dtol, bandv in dirs:
        a = math.radians(90 - azm)
        uvx, uvy = math.cos(a), math.sin(a)
        csatol = math.cos(math.radians(45.0 if atol <= 0 else atol))
        d = math.radians(90 - dip)
        uvz, uvh = math.cos(d), math.sin(d)
        csdtol = math.cos(math.radians(45.0 if dtol <= 0 else dtol))
        omni = atol >= 90
        acc = {k: [0.0] * size for k in ("np", "dis", "gam", "hm", "tm", "hv", "tv")}
        dismxs = ((nlag + 0.5) * xlag) ** 2
        for i in range(n):
            for j in range(i, n):
                dx, dy, dz = (xyz[j][0] - xyz[i][0], xyz[j][1] - xyz[i][1],
                              xyz[j][2] - xyz[i][2])
                hs = dx * dx + dy * dy + dz * dz
                if hs > dismxs:
                    continue
                h = math.sqrt(hs)
                if h <= eps:
                    lags = [1]
                else:
                    lags = [il for il in range(2, nlag + 3)
                            if xlag * (il - 2) - xltol <= h <= xlag * (il - 2) + xltol]
                    if not lags:
                        continue
                dxy = math.sqrt(dx * dx + dy * dy)
                dcazm = 1.0 if dxy < eps else (dx * uvx + dy * uvy) / dxy
                if abs(dcazm) < csatol and atol < 90:
                    continue
                if abs(uvx * dy - uvy * dx) > bandh:
                    continue
                if dcazm < 0:
                    dxy = -dxy
                if lags[0] == 1:
                    dcdec = 0.0
                else:
                    dcdec = (dxy * uvh + dz * uvz) / h
                    if abs(dcdec) < csdtol and dtol < 90:
                        continue
                if abs(uvh * dz - uvz * dxy) > bandv:
                    continue
                if dcazm >= 0 and dcdec >= 0:
                    vrh, vrt, vrtpr, vrhpr = vr[i][tail], vr[j][head], vr[i][head], vr[j][tail]
                else:
                    vrh, vrt, vrtpr, vrhpr = vr[j][tail], vr[i][head], vr[j][head], vr[i][tail]
                contributions = [(vrh, vrt)] + ([(vrhpr, vrtpr)] if omni else [])
                for il in lags:
                    for t, hd in contributions:
                        k = il - 1
                        acc["np"][k] += 1
                        acc["dis"][k] += h
                        acc["hm"][k] += t
                        acc["tm"][k] += hd
                        acc["hv"][k] += t * t
                        acc["tv"][k] += hd * hd
                        acc["gam"][k] += (t - hd) ** 2 if abs(ivtype) == 1 else t * hd
        out = {"np": [], "dis": [], "gam": [], "hm": [], "tm": []}
        for k in range(size):
            m = acc["np"][k]
            if m == 0:
                for key, column in out.items():
                    column.append(0 if key == "np" else NAN)
                continue
            dis, gam, hm, tm = (acc[key][k] / m for key in ("dis", "gam", "hm", "tm"))
            hv, tv = acc["hv"][k] / m, acc["tv"][k] / m
            if ivtype == 1:
                if isill == 1 and tail == head and sills[tail] > 0:
                    gam /= sills[tail]
                gam *= 0.5
            else:  # correlogram, ±4
                sh = math.sqrt(max(hv - hm * hm, 0.0))
                st_ = math.sqrt(max(tv - tm * tm, 0.0))
                gam = 0.0 if sh * st_ < eps else (gam - hm * tm) / (sh * st_)
                if ivtype < 0:
                    gam = 1.0 - gam
            for key, val in (("np", m), ("dis", dis), ("gam", gam), ("hm", hm), ("tm", tm)):
                out[key].append(val)
        results.append(out)
    return results


def test_cluster_dat_with_gamv_par_against_brute_force():
    par = _read_gamv_par(GSLIB_DATA / "gamv.par")
    assert Path(par["datafile"]).name == "cluster.dat"
    names, data = _read_geoeas(GSLIB_DATA / "cluster.dat")
    assert len(data) == 140 and names[2] == "Primary"
    ix, iy, iz = par["xyz"]
    xyz = np.column_stack([data[:, c - 1] if c > 0 else np.zeros(len(data)) for c in (ix, iy,
                                                                                      iz)])
    vr = data[:, [c - 1 for c in par["columns"]]]
    assert par["nlag"] == 10 and par["xlag"] == 5.0 and par["xltol"] == 3.0  # overlapping
    dirs = [Direction(*row) for row in par["dirs"]]
    lags = Lags(par["nlag"], par["xlag"], par["xltol"])
    for tail, head, ivtype in par["variograms"]:
        kind = {1: "semivariogram", 4: "correlogram"}[abs(ivtype)]
        evs = experimental_variogram(xyz, vr[:, tail - 1], vr[:, head - 1], lags=lags,
                                     directions=dirs, kind=kind, standardize=par["isill"] == 1,
                                     as_variogram=ivtype < 0)
        brute = _brute_gamv(xyz, vr, par["nlag"], par["xlag"], par["xltol"], par["dirs"],
                            tail - 1, head - 1, ivtype, par["isill"])
        for ev, ref in zip(evs, brute):
            np.testing.assert_array_equal(ev.pairs, ref["np"])
            np.testing.assert_allclose(ev.distance, ref["dis"], rtol=1e-12)
            np.testing.assert_allclose(ev.value, ref["gam"], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(ev.tail_mean, ref["hm"], rtol=1e-12)
            np.testing.assert_allclose(ev.head_mean, ref["tm"], rtol=1e-12)
        # facts that can be reasoned out: every point with itself in class 1 (twice in the
        # omnidirectional first direction); the tolerance 3 > 5/2 makes classes overlap
        assert [int(ev.pairs[0]) for ev in evs] == [280, 140, 140]
        assert evs[0].standardized == (kind == "semivariogram")
    # with classes [5k − 3, 5k + 3], pairs 2–3 m apart count in classes 2 and 3
    i, j = np.triu_indices(140, 1)
    h = np.hypot(*(xyz[j, :2] - xyz[i, :2]).T)
    [omni] = experimental_variogram(xyz, vr[:, 0], lags=lags, directions=[OMNI])
    assert omni.pairs[1] == 2 * np.sum((h > 0) & (h <= 3))
    assert omni.pairs[2] == 2 * np.sum((h >= 2) & (h <= 8))


# --------------------------------------------------------------------------------------------
# downhole


def _comps(rows, values):
    """Composites from (hole, from, to, x, y) rows; z = 0."""
    hole, frm, to, x, y = (np.array(c) for c in zip(*rows))
    n = len(rows)
    return Composites(hole.astype(object), frm.astype(float), to.astype(float),
                      x.astype(float), y.astype(float), np.zeros(n), np.array(["ore"] * n,
                                                                             dtype=object),
                      {k: np.asarray(v, float) for k, v in values.items()})


def test_downhole_variogram_by_hand():
    # hole A: 1 m composites 0–6 m, values 1 2 4 7 11 16; hole B (0.5 m from A in space,
    # listed between A's rows): 2 m composites, values 3 3 5; hole C far away, one composite
    rows = ([("A", k, k + 1, 0.0, 0.0) for k in range(3)]
            + [("B", 2 * k, 2 * k + 2, 0.5, 0.0) for k in range(3)]
            + [("A", k, k + 1, 0.0, 0.0) for k in range(3, 6)] + [("C", 0, 1, 500.0, 0.0)])
    cu = [1, 2, 4, 3, 3, 5, 7, 11, 16, 9]
    ev = downhole_variogram(_comps(rows, {"cu": cu}), "cu", lags=Lags(4, 1.0))
    # class 2 (h ≤ 0.5): none; class 3 (1 m): A's five neighbours
    assert ev.pairs.tolist() == [10, 0, 5, 6, 3, 3]
    assert ev.value[2] == pytest.approx((1 + 4 + 9 + 16 + 25) / 10)
    # class 4 (2 m): A 1–4, 2–7, 4–11, 7–16 and B 3–3, 3–5; tails are the shallower samples
    assert ev.value[3] == pytest.approx((9 + 25 + 49 + 81 + 0 + 4) / 12)
    assert ev.tail_mean[3] == pytest.approx((1 + 2 + 4 + 7 + 3 + 3) / 6)
    assert ev.head_mean[3] == pytest.approx((4 + 7 + 11 + 16 + 3 + 5) / 6)
    # class 5 (3 m): A 1–7, 2–11, 4–16; class 6 (4 m): A 1–11, 2–16 and B 3–5
    assert ev.value[4] == pytest.approx((36 + 81 + 144) / 6)
    assert ev.distance[5] == pytest.approx(4.0)
    assert ev.label.startswith("downhole") and ev.direction.dip == -90.0


def test_downhole_variogram_options():
    rows = [("A", k, k + 1, 0.0, 0.0) for k in range(4)]
    comps = _comps(rows, {"cu": [1, NAN, 4, 8], "au": [1, 2, 3, 4]})
    ev = downhole_variogram(comps, "cu", lags=Lags(1, 1.0))
    assert ev.pairs.tolist() == [3, 0, 1]  # only 4–8
    cross = downhole_variogram(comps, "au", head="au", lags=Lags(1, 1.0), kind="cross")
    assert cross.value[2] == pytest.approx(0.5)
    with pytest.raises(ParameterError, match="variables"):
        downhole_variogram(comps, "zn", lags=Lags(1, 1.0))
    with pytest.raises(ParameterError, match="domain"):
        downhole_variogram(comps, "cu", lags=Lags(1, 1.0), domain="waste")
    assert downhole_variogram(comps, "cu", lags=Lags(1, 1.0), domain="ore").pairs[2] == 1


# --------------------------------------------------------------------------------------------
# variogram maps


def test_variogram_map_by_hand():
    # three points on an east–west line, values 0 1 3: pairs at +1 m (γ 1/2 and 4/2) and +2 m
    # (9/2), each also at −h
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    gamma, pairs = variogram_map(xy, np.array([0.0, 1.0, 3.0]), nx=2, ny=1, cell=1.0)
    assert gamma.shape == (3, 5)
    assert pairs[1].tolist() == [1, 2, 0, 2, 1] and pairs[0].sum() == pairs[2].sum() == 0
    np.testing.assert_allclose(gamma[1], [4.5, 1.25, NAN, 1.25, 4.5])
    # the same in the plane of azimuth 90° (its major axis east): the line lies along v
    gamma, pairs = variogram_map(xy, np.array([0.0, 1.0, 3.0]), nx=1, ny=2, cell=1.0,
                                 plane=(90.0, 0.0, 0.0))
    np.testing.assert_allclose(gamma[:, 1], [4.5, 1.25, NAN, 1.25, 4.5])
    # a thickness across the plane keeps only the pairs close to it
    xyz = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 5.0]])
    _, pairs = variogram_map(xyz, np.ones(3), nx=1, ny=1, cell=1.0, thickness=1.0)
    assert pairs.sum() == 2
    _, pairs = variogram_map(xyz, np.ones(3), nx=1, ny=1, cell=1.0)
    assert pairs.sum() == 6


def test_variogram_map_numba_agrees_with_numpy():
    rng = np.random.default_rng(5)
    xyz = rng.uniform(0, [50, 30, 10], (600, 3))
    v = rng.normal(size=600)
    v[::13] = NAN
    for kw in ({"nx": 6, "ny": 4, "cell": (3.0, 2.5)}, {"nx": 3, "ny": 3, "cell": 4.0, "thickness": 2.0,
                                                        "plane": (30.0, -20.0, 10.0)}):
        g1, p1 = variogram_map(xyz, v, **kw)
        g2, p2 = variogram_map(xyz, v, engine="numpy", **kw)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_allclose(g1, g2, rtol=1e-10)
        np.testing.assert_array_equal(p1, p1[::-1, ::-1])  # symmetric through the centre
    with pytest.raises(ParameterError):
        variogram_map(xyz, v, nx=-1, ny=2, cell=1.0)
    with pytest.raises(ParameterError):
        variogram_map(xyz, v, nx=1, ny=2, cell=0.0)
