"""Numerical tests of desurvey: positions along drill holes from collars and surveys.

Every expected position is computed here, independently of ``orebook.drillholes.desurvey``:
straight holes from the conventions (collar + depth × unit vector), circular arcs from their
closed form, minimum curvature elsewhere by numerical integration (Simpson) of a tangent that
turns at a uniform rate between stations (spherical linear interpolation), and the agreement of
the three methods on real holes from bounds derived from the survey angles.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers_synthetic import copper_creek_curved, make_collars, make_surveys, unit
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orebook.drillholes.desurvey import METHODS, Trajectories, desurvey, direction
from orebook.errors import ParameterError

COLLAR = np.array([1000.0, 2000.0, 300.0])


def locate(collars, surveys, hole, depths, method):
    depths = np.asarray(depths, dtype=float)
    return Trajectories.build(collars, surveys, method).locate(np.full(len(depths), hole,
                                                                       dtype=object), depths)


def angle_between(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Angle (rad) between unit vectors, from atan2(|t1 × t2|, t1 · t2) (row-wise)."""
    return np.arctan2(np.linalg.norm(np.cross(t1, t2), axis=-1), np.sum(t1 * t2, axis=-1))


# --------------------------------------------------------------------------------------------
# reference: minimum curvature as the integral of a uniformly turning tangent

def _turning_tangents(t1, t2, beta, f):
    """Tangents after a fraction f of a course that turns uniformly from t1 to t2."""
    if beta < 1e-12:
        t = t1[None, :] * (1 - f)[:, None] + t2[None, :] * f[:, None]
        return t / np.linalg.norm(t, axis=1, keepdims=True)
    return (np.sin((1 - f) * beta)[:, None] * t1 + np.sin(f * beta)[:, None] * t2) / np.sin(beta)


def _simpson(t1, t2, course, m, n=64):
    """∫_0^m t(s) ds along a course of length ``course``, Simpson's rule with n panels."""
    if m == 0:
        return np.zeros(3)
    s = np.linspace(0.0, m, 2 * n + 1)
    w = np.ones(2 * n + 1)
    w[1:-1:2], w[2:-1:2] = 4, 2
    t = _turning_tangents(t1, t2, float(angle_between(t1, t2)), s / course)
    return (w[:, None] * t).sum(axis=0) * (m / (6 * n))


def reference_mincurv(collar, stations, depths):
    """Positions by integrating the turning tangent; stations are (depth, az, dip) rows."""
    st_ = sorted(stations)
    d = [0.0] + [s[0] for s in st_ if s[0] > 0]
    t = [unit(*st_[0][1:])] + [unit(s[1], s[2]) for s in st_ if s[0] > 0]
    pos = [np.asarray(collar, float)]
    for i in range(1, len(d)):
        pos.append(pos[-1] + _simpson(t[i - 1], t[i], d[i] - d[i - 1], d[i] - d[i - 1]))
    out = []
    for q in depths:
        i = max(0, int(np.searchsorted(d, q, side="right")) - 1)
        m = q - d[i]
        if i == len(d) - 1 or m < 0:  # past the last station, or above the collar
            out.append(pos[i] + m * t[i])
        else:
            out.append(pos[i] + _simpson(t[i], t[i + 1], d[i + 1] - d[i], m))
    return np.array(out)


# --------------------------------------------------------------------------------------------
# conventions and straight holes

@pytest.mark.parametrize(("az", "dip", "expected"), [
    (0, 0, (0, 1, 0)),  # north, horizontal
    (90, 0, (1, 0, 0)),  # east
    (180, -45, (0, -math.sqrt(0.5), -math.sqrt(0.5))),  # south, down at 45°
    (270, 30, (-math.sqrt(3) / 2, 0, 0.5)),  # west, upwards
    (30, -60, (0.25, math.sqrt(3) / 4, -math.sqrt(3) / 2)),
    (123, -90, (0, 0, -1)),  # vertical down, any azimuth
])
def test_direction_follows_conventions(az, dip, expected):
    got = direction(np.array([az], float), np.array([dip], float))[0]
    np.testing.assert_allclose(got, expected, atol=1e-15)


@pytest.mark.parametrize("method", METHODS)
def test_straight_inclined_hole_is_exact(method):
    """az 30°, dip −60° at every station: collar + depth × (¼, √3/4, −√3/2) for all methods."""
    collars = make_collars({"S": tuple(COLLAR)})
    surveys = make_surveys([("S", d, 30.0, -60.0) for d in (0.0, 50.0, 120.0, 300.0)])
    depths = np.array([0.0, 10.0, 50.0, 77.7, 120.0, 299.99, 300.0, 450.0])
    u = np.array([0.25, math.sqrt(3) / 4, -math.sqrt(3) / 2])
    got = locate(collars, surveys, "S", depths, method)
    np.testing.assert_allclose(got, COLLAR + depths[:, None] * u, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_hole_without_survey_is_vertical(method):
    collars = make_collars({"V": (5.0, -7.0, 120.0), "W": (0.0, 0.0, 0.0)})
    surveys = make_surveys([("W", 0.0, 45.0, -45.0)])
    depths = np.array([0.0, 1.5, 33.0, 250.0])
    got = locate(collars, surveys, "V", depths, method)
    np.testing.assert_allclose(got, np.c_[np.full(4, 5.0), np.full(4, -7.0), 120.0 - depths],
                               atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_first_survey_below_collar_extends_up_to_collar(method):
    """First station at 40 m (az 120°, dip −45°): the hole above it, and above the collar, runs
    in that orientation whatever the next station says."""
    collars = make_collars({"B": tuple(COLLAR)})
    surveys = make_surveys([("B", 40.0, 120.0, -45.0), ("B", 100.0, 150.0, -70.0)])
    t1 = np.array([math.sqrt(0.5) * math.sin(math.radians(120)),
                   math.sqrt(0.5) * math.cos(math.radians(120)), -math.sqrt(0.5)])
    depths = np.array([-10.0, 0.0, 12.0, 39.0, 40.0])
    got = locate(collars, surveys, "B", depths, method)
    np.testing.assert_allclose(got, COLLAR + depths[:, None] * t1, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_past_last_station_hole_runs_straight(method):
    collars = make_collars({"C": tuple(COLLAR)})
    rows = [("C", 0.0, 10.0, -80.0), ("C", 60.0, 40.0, -65.0), ("C", 130.0, 75.0, -50.0)]
    tr = Trajectories.build(collars, make_surveys(rows), method)
    end = tr.locate(np.array(["C"], object), np.array([130.0]))[0]
    beyond = np.array([130.0, 131.0, 200.0, 1000.0])
    got = tr.locate(np.full(4, "C", object), beyond)
    np.testing.assert_allclose(got, end + (beyond - 130.0)[:, None] * unit(75.0, -50.0),
                               atol=1e-9)


def test_unknown_hole_and_missing_depth_give_nan():
    collars = make_collars({"A": (0.0, 0.0, 0.0)})
    got = desurvey(collars, make_surveys([]), np.array(["A", "nope", "A"], object),
                   np.array([10.0, 10.0, np.nan]))
    np.testing.assert_allclose(got[0], [0.0, 0.0, -10.0])
    assert np.isnan(got[1]).all() and np.isnan(got[2]).all()


def test_surveys_of_uncollared_holes_are_ignored_and_collar_order_is_free():
    """Holes listed out of alphabetical order; a survey of a hole without collar is dropped."""
    collars = make_collars({"Z": (0.0, 0.0, 0.0), "A": (10.0, 0.0, 0.0)})
    surveys = make_surveys([("A", 0.0, 90.0, 0.0), ("ghost", 0.0, 0.0, 0.0),
                            ("Z", 0.0, 0.0, -45.0)])
    tr = Trajectories.build(collars, surveys)
    got = tr.locate(np.array(["A", "Z", "ghost"], object), np.array([5.0, 2.0, 1.0]))
    np.testing.assert_allclose(got[0], [15.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(got[1], [0.0, math.sqrt(2), -math.sqrt(2)], atol=1e-12)
    assert np.isnan(got[2]).all()


def test_unknown_method_is_a_parameter_error():
    collars = make_collars({"A": (0.0, 0.0, 0.0)})
    with pytest.raises(ParameterError):
        Trajectories.build(collars, make_surveys([]), "radius_of_curvature")


# --------------------------------------------------------------------------------------------
# constant curvature: minimum curvature is exact, also between stations

ARC_STATIONS = np.array([0.0, 12.5, 30.0, 31.0, 75.0, 160.0, 161.5, 300.0, 420.0, 600.0])
ARC_QUERIES = np.union1d(np.linspace(0.0, 600.0, 241), ARC_STATIONS + 0.37)


def test_vertical_plane_arc_is_exact_with_mincurv():
    """Dip from −90° to −30° linearly over 600 m at azimuth 135°: a circle of radius 1/k in a
    vertical plane, inclination θ = k s from vertical; horizontal offset (1 − cos ks)/k towards
    the azimuth and drop sin(ks)/k."""
    k, az = math.radians(60.0) / 600.0, math.radians(135.0)
    collars = make_collars({"ARC": tuple(COLLAR)})
    surveys = make_surveys([("ARC", s, 135.0, -90.0 + math.degrees(k * s))
                            for s in ARC_STATIONS])
    s = ARC_QUERIES[ARC_QUERIES <= 600.0]
    h = (1 - np.cos(k * s)) / k
    expected = COLLAR + np.c_[h * math.sin(az), h * math.cos(az), -np.sin(k * s) / k]
    got = locate(collars, surveys, "ARC", s, "mincurv")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)
    # the other methods are not exact on a curve
    for method in ("tangent", "balanced"):
        err = np.abs(locate(collars, surveys, "ARC", s, method) - expected).max()
        assert err > 1e-3


@pytest.mark.parametrize(("az0", "turn"), [(340.0, 90.0), (20.0, -80.0), (100.0, 170.0)])
def test_horizontal_arc_across_north_is_exact_with_mincurv(az0, turn):
    """Dip 0, azimuth turning at a constant rate (crossing 360°/0°): a horizontal circle,
    east = (cos a0 − cos a)/k, north = (sin a − sin a0)/k with a = a0 + k s."""
    k = math.radians(turn) / 600.0
    collars = make_collars({"H": tuple(COLLAR)})
    surveys = make_surveys([("H", s, (az0 + math.degrees(k * s)) % 360.0, 0.0)
                            for s in ARC_STATIONS])
    s = ARC_QUERIES[ARC_QUERIES <= 600.0]
    a0, a = math.radians(az0), math.radians(az0) + k * s
    expected = COLLAR + np.c_[(math.cos(a0) - np.cos(a)) / k, (np.sin(a) - math.sin(a0)) / k,
                              np.zeros_like(s)]
    got = locate(collars, surveys, "H", s, "mincurv")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)


def _inclined_arc(s):
    """A circle in an inclined plane: t(s) = cos(ks) t0 + sin(ks) n0, 75° over 450 m."""
    k = math.radians(75.0) / 450.0
    t0 = unit(20.0, -70.0)
    w = unit(110.0, -10.0)
    n0 = w - (w @ t0) * t0
    n0 /= np.linalg.norm(n0)
    s = np.asarray(s, float)
    t = np.cos(k * s)[:, None] * t0 + np.sin(k * s)[:, None] * n0
    p = (np.sin(k * s) / k)[:, None] * t0 + ((1 - np.cos(k * s)) / k)[:, None] * n0
    return t, p


def test_inclined_plane_arc_is_exact_with_mincurv():
    stations = np.array([0.0, 20.0, 21.0, 95.0, 180.0, 250.0, 251.0, 330.0, 450.0])
    t, _ = _inclined_arc(stations)
    assert (t[:, 2] < -0.1).all()  # a hole going down all along
    dip = np.degrees(np.arcsin(t[:, 2]))
    az = np.degrees(np.arctan2(t[:, 0], t[:, 1])) % 360.0
    assert np.ptp(az) > 30 and np.ptp(dip) > 20  # both angles change: a truly 3-D arc
    collars = make_collars({"T": tuple(COLLAR)})
    surveys = make_surveys([("T", *row) for row in zip(stations, az, dip)])
    s = np.union1d(np.linspace(0.0, 450.0, 181), stations + 0.5)
    s = s[s <= 450.0]
    _, p = _inclined_arc(s)
    got = locate(collars, surveys, "T", s, "mincurv")
    np.testing.assert_allclose(got, COLLAR + p, rtol=0, atol=1e-8)


# --------------------------------------------------------------------------------------------
# two stations: the three rules written out

T1_AZ_DIP, T2_AZ_DIP = (10.0, -80.0), (50.0, -60.0)


def _two_station_hole():
    collars = make_collars({"two": (100.0, 200.0, 50.0)})
    surveys = make_surveys([("two", 0.0, *T1_AZ_DIP), ("two", 100.0, *T2_AZ_DIP)])
    return collars, surveys


DEPTHS_2 = np.array([0.0, 20.0, 50.0, 70.0, 99.0, 100.0, 130.0])


def test_two_stations_tangent():
    collars, surveys = _two_station_hole()
    t1, t2 = unit(*T1_AZ_DIP), unit(*T2_AZ_DIP)
    exp = [d * t1 if d <= 100 else 100 * t1 + (d - 100) * t2 for d in DEPTHS_2]
    got = locate(collars, surveys, "two", DEPTHS_2, "tangent")
    np.testing.assert_allclose(got, np.array([100.0, 200.0, 50.0]) + exp, atol=1e-9)


def test_two_stations_balanced_tangent():
    """Half the course along t1, the other half (and beyond) along t2."""
    collars, surveys = _two_station_hole()
    t1, t2 = unit(*T1_AZ_DIP), unit(*T2_AZ_DIP)
    exp = [d * t1 if d <= 50 else 50 * t1 + (d - 50) * t2 for d in DEPTHS_2]
    got = locate(collars, surveys, "two", DEPTHS_2, "balanced")
    np.testing.assert_allclose(got, np.array([100.0, 200.0, 50.0]) + exp, atol=1e-9)


def test_two_stations_minimum_curvature():
    """At the station: the textbook ratio factor, (L/2)(t1 + t2) · (2/β) tan(β/2); everywhere:
    the integral of a tangent turning at a uniform rate from t1 to t2 in their plane."""
    collars, surveys = _two_station_hole()
    t1, t2 = unit(*T1_AZ_DIP), unit(*T2_AZ_DIP)
    beta = float(angle_between(t1, t2))
    assert beta > math.radians(15)
    rf = 2 / beta * math.tan(beta / 2)
    collar = np.array([100.0, 200.0, 50.0])
    got = locate(collars, surveys, "two", DEPTHS_2, "mincurv")
    np.testing.assert_allclose(got[DEPTHS_2 == 100][0], collar + 50 * (t1 + t2) * rf, atol=1e-9)
    ref = reference_mincurv(collar, [(0.0, *T1_AZ_DIP), (100.0, *T2_AZ_DIP)], DEPTHS_2)
    np.testing.assert_allclose(got, ref, atol=1e-9)


# --------------------------------------------------------------------------------------------
# convergence as stations get dense

def _arc_error_at_end(h, method):
    """Error at 600 m on the vertical-plane arc surveyed every h metres."""
    k = math.radians(60.0) / 600.0
    st_ = np.arange(0.0, 600.0 + h / 2, h)
    collars = make_collars({"A": (0.0, 0.0, 0.0)})
    surveys = make_surveys([("A", s, 0.0, -90.0 + math.degrees(k * s)) for s in st_])
    exact = np.array([0.0, (1 - math.cos(k * 600)) / k, -math.sin(k * 600) / k])
    return float(np.linalg.norm(locate(collars, surveys, "A", [600.0], method)[0] - exact))


def test_convergence_orders_on_an_arc():
    """On a circle mincurv is exact at any spacing; balanced tangent errs by ≈ Lβ²/12 per
    course (second order), tangent by ≈ Lβ/2 (first order)."""
    hs = [60.0, 30.0, 15.0, 7.5]
    for h in hs:
        assert _arc_error_at_end(h, "mincurv") < 1e-8
    bal = [_arc_error_at_end(h, "balanced") for h in hs]
    tan = [_arc_error_at_end(h, "tangent") for h in hs]
    for a, b in zip(bal, bal[1:]):
        assert 3.6 < a / b < 4.4
    for a, b in zip(tan, tan[1:]):
        assert 1.8 < a / b < 2.2
    # the first-order bound Σ Lβ/2 and the second-order bound Σ Lβ²/12 hold
    total_turn = math.radians(60.0)
    for h, eb, et in zip(hs, bal, tan):
        beta = total_turn * h / 600.0
        assert et <= total_turn * h / 2 + 1e-9
        assert eb <= (600.0 / h) * h * beta**2 / 12 + 1e-9


def _spiral(s):
    """A smooth hole that is not a circle: dip −80° → −40°, azimuth 10° → 100° over 500 m."""
    return 10.0 + 90.0 * s / 500.0, -80.0 + 40.0 * s / 500.0


def test_balanced_and_mincurv_converge_to_the_true_path():
    s_fine = np.linspace(0.0, 500.0, 20001)  # Simpson on 10000 panels of the true tangent
    w = np.ones_like(s_fine)
    w[1:-1:2], w[2:-1:2] = 4, 2
    az, dip = _spiral(s_fine)
    truth = (w[:, None] * np.array([unit(a, d) for a, d in zip(az, dip)])).sum(axis=0) \
        * (500.0 / (3 * (len(s_fine) - 1)))
    collars = make_collars({"S": (0.0, 0.0, 0.0)})
    err = {m: [] for m in METHODS}
    gap = []
    for h in (50.0, 25.0, 12.5, 6.25):
        st_ = np.arange(0.0, 500.0 + h / 2, h)
        surveys = make_surveys([("S", s, *_spiral(s)) for s in st_])
        p = {m: locate(collars, surveys, "S", [500.0], m)[0] for m in METHODS}
        for m in METHODS:
            err[m].append(float(np.linalg.norm(p[m] - truth)))
        gap.append(float(np.linalg.norm(p["balanced"] - p["mincurv"])))
    for m in ("mincurv", "balanced"):  # second order: halving h divides the error by ~4
        assert all(a / b > 3.5 for a, b in zip(err[m], err[m][1:])), (m, err[m])
    assert all(a / b > 1.7 for a, b in zip(err["tangent"], err["tangent"][1:]))
    assert all(a / b > 3.5 for a, b in zip(gap, gap[1:]))
    # at 6.25 m spacing both are within 1e-4 of the length; tangent is far worse
    assert max(err["mincurv"][-1], err["balanced"][-1]) < 1e-4 * 500.0
    assert err["tangent"][-1] > 50 * err["balanced"][-1]


# --------------------------------------------------------------------------------------------
# real curved holes (Copper Creek)

def _stations(surveys, hole):
    sel = surveys.hole == hole
    return sorted(zip(surveys.depth_m[sel], surveys.azimuth_deg[sel], surveys.dip_deg[sel]))


@pytest.fixture(scope="module")
def copper():
    collars, surveys = copper_creek_curved()
    trs = {m: Trajectories.build(collars, surveys, m) for m in METHODS}
    return collars, surveys, trs


def test_real_holes_mincurv_matches_integrated_reference(copper):
    collars, surveys, trs = copper
    assert len(collars) == 5
    for i, hole in enumerate(collars.hole):
        stations = _stations(surveys, hole)
        length = stations[-1][0]
        q = np.union1d(np.linspace(0.0, length + 25.0, 97), [s[0] for s in stations])
        collar = [collars.x[i], collars.y[i], collars.z[i]]
        ref = reference_mincurv(collar, stations, q)
        got = trs["mincurv"].locate(np.full(len(q), hole, object), q)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6 * length, err_msg=hole)


def test_real_holes_methods_agree_within_survey_bounds(copper):
    """At each station, with courses L_i turning by β_i:
    |balanced − mincurv| ≤ Σ L_i β_i²/12 (both steps lie along the bisector of t1 and t2,
    of lengths L cos(β/2) and L sin(β/2)/(β/2)), and |tangent − mincurv| ≤ Σ L_i β_i/2
    (|L t1 − ∫ t| ≤ ∫ |t1 − t| ≤ ∫ turned angle). Overall, on these holes (stations 15–170 m
    apart, up to 18° between stations): balanced within 0.5 % and tangent within 5 % of the
    hole length from mincurv."""
    collars, surveys, trs = copper
    for hole in collars.hole:
        stations = _stations(surveys, hole)
        d = np.array([0.0] + [s[0] for s in stations if s[0] > 0])
        t = np.array([unit(*stations[0][1:])] + [unit(s[1], s[2]) for s in stations if s[0] > 0])
        course, beta = np.diff(d), angle_between(t[:-1], t[1:])
        length = d[-1]
        h = np.full(len(d), hole, object)
        p = {m: trs[m].locate(h, d) for m in METHODS}
        bound_bal = np.concatenate([[0.0], np.cumsum(course * beta**2 / 12)])
        bound_tan = np.concatenate([[0.0], np.cumsum(course * beta / 2)])
        gap_bal = np.linalg.norm(p["balanced"] - p["mincurv"], axis=1)
        gap_tan = np.linalg.norm(p["tangent"] - p["mincurv"], axis=1)
        assert (gap_bal <= bound_bal * (1 + 1e-9) + 1e-9).all(), hole
        assert (gap_tan <= bound_tan * (1 + 1e-9) + 1e-9).all(), hole
        assert gap_bal.max() <= 0.005 * length, hole
        assert gap_tan.max() <= 0.05 * length, hole
        assert gap_tan.max() > gap_bal.max(), hole


def test_real_holes_chords_and_courses(copper):
    """Mincurv: the chord between consecutive stations is L sin(β/2)/(β/2) (an arc of length L
    turning by β), never longer than L; on a 1 m grid the chords add up to the hole length
    (a path at unit speed). Tangent and balanced are straight between their break points."""
    collars, surveys, trs = copper
    for hole in collars.hole:
        stations = _stations(surveys, hole)
        d = np.array([0.0] + [s[0] for s in stations if s[0] > 0])
        t = np.array([unit(*stations[0][1:])] + [unit(s[1], s[2]) for s in stations if s[0] > 0])
        course, beta = np.diff(d), angle_between(t[:-1], t[1:])
        p = trs["mincurv"].locate(np.full(len(d), hole, object), d)
        chord = np.linalg.norm(np.diff(p, axis=0), axis=1)
        expected = course * np.where(beta > 0, np.sin(beta / 2) / np.maximum(beta / 2, 1e-300),
                                     1.0)
        np.testing.assert_allclose(chord, expected, rtol=1e-10, atol=1e-9)
        assert (chord <= course + 1e-9).all()
        length = d[-1]
        grid = {"mincurv": np.union1d(np.arange(0.0, length, 1.0), d),
                "tangent": np.union1d(np.arange(0.0, length, 1.0), d),
                "balanced": np.union1d(np.arange(0.0, length, 1.0),
                                       np.concatenate([d, d[:-1] + course / 2]))}
        for m, q in grid.items():
            xyz = trs[m].locate(np.full(len(q), hole, object), q)
            step = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
            assert (step <= np.diff(q) + 1e-9).all(), (hole, m)
            if m == "mincurv":
                assert step.sum() >= length * (1 - 1e-6), hole
            else:  # every break point is on the grid: each piece is straight
                # (positions are UTM-sized: allow round-off of 1e-8 m on each difference)
                np.testing.assert_allclose(step, np.diff(q), rtol=1e-9, atol=1e-8,
                                           err_msg=f"{hole} {m}")


# --------------------------------------------------------------------------------------------
# properties on random surveys

@st.composite
def survey_sets(draw):
    n = draw(st.integers(1, 7))
    depths = sorted(draw(st.sets(st.integers(0, 5000), min_size=n, max_size=n)))
    rows = []
    for d in depths:
        az = draw(st.floats(0.0, 359.99, allow_nan=False))
        dip = draw(st.floats(-90.0, 30.0, allow_nan=False))
        rows.append(("R", d / 10.0, az, dip))
    q = draw(st.lists(st.floats(-20.0, 600.0, allow_nan=False), min_size=2, max_size=30))
    return rows, np.sort(np.array(q))


@settings(max_examples=75, deadline=None)
@given(survey_sets())
def test_random_surveys_chord_never_longer_than_hole(case):
    rows, q = case
    collars = make_collars({"R": (10.0, 20.0, 30.0)})
    surveys = make_surveys(rows)
    stations = np.array([r[1] for r in rows])
    for method in METHODS:
        tr = Trajectories.build(collars, surveys, method)
        p = tr.locate(np.full(len(q), "R", object), q)
        assert np.isfinite(p).all()
        chord = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=2)
        along = np.abs(q[:, None] - q[None, :])
        assert (chord <= along + 1e-9 * (1 + along)).all(), method
        # continuity across every station (and the collar)
        eps = 1e-6
        near = np.concatenate([[0.0], stations])
        lo = tr.locate(np.full(len(near), "R", object), near - eps)
        hi = tr.locate(np.full(len(near), "R", object), near + eps)
        at = tr.locate(np.full(len(near), "R", object), near)
        assert (np.linalg.norm(hi - lo, axis=1) <= 2 * eps * (1 + 1e-6)).all(), method
        assert (np.linalg.norm(at - lo, axis=1) <= eps * (1 + 1e-6)).all(), method
        np.testing.assert_allclose(at[0], [10.0, 20.0, 30.0], atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(survey_sets())
def test_random_surveys_mincurv_matches_integrated_reference(case):
    rows, q = case
    stations = [r[1:] for r in rows]
    t = [unit(s[1], s[2]) for s in stations]
    # a uniformly turning tangent is undefined between opposite directions
    assume(all(angle_between(a, b) < math.radians(170) for a, b in zip(t, t[1:])))
    collars = make_collars({"R": (10.0, 20.0, 30.0)})
    got = locate(collars, make_surveys(rows), "R", q, "mincurv")
    ref = reference_mincurv([10.0, 20.0, 30.0], stations, q)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-7 * (1 + np.abs(q).max()))


@pytest.mark.parametrize("method", METHODS)
def test_locating_many_holes_at_once_equals_one_by_one(copper, method):
    """One vectorised call over shuffled holes and depths (some above the collar, some past the
    end, some of unknown holes) gives what locating each hole on its own gives."""
    collars, _, trs = copper
    rng = np.random.default_rng(7)
    holes = rng.choice(np.r_[collars.hole, ["nope"]].astype(object), 400)
    depths = rng.uniform(-50.0, 1500.0, 400)
    together = trs[method].locate(holes, depths)
    for h in np.unique(holes):
        k = holes == h
        alone = np.array([trs[method].locate(np.array([h], object), depths[i:i + 1])[0]
                          for i in np.flatnonzero(k)])
        np.testing.assert_array_equal(together[k], alone)
    assert np.isnan(together[holes == "nope"]).all()
    assert np.isfinite(together[holes != "nope"]).all()
