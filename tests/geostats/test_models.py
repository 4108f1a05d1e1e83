"""Variogram model formulas and rotation.

References: scikit-gstat's published model values (its tests/test_models.py, copied into
../shared/data/peer_oracles/NOTES.md), PyKrige's and GSTools' own variogram functions evaluated
at parameters converted by hand from their documented formulas, GSLIB's ``cova3`` (Gaussian:
exp(−3 (h/a)²)) and the GSLIB definition of the three angles.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.geostats.models import (KINDS, POWER_CMAX, Structure, VariogramModel,
                                     rotation_matrix)

H = np.array([5.0, 10.0, 30.0, 50.0, 100.0])  # scikit-gstat's test distances


def iso(kind: str, sill: float, a: float, nugget: float = 0.0, **kw) -> VariogramModel:
    return VariogramModel(nugget, (Structure(kind, sill, (a, a, a), **kw),))


# --------------------------------------------------------------------------- scikit-gstat


def test_spherical_matches_scikit_gstat():
    # skgstat spherical(h, r=10, c0=20): effective range r, c0 partial sill
    got = iso("spherical", 20.0, 10.0).gamma_along(H, azimuth=37.0, dip=-12.0)
    np.testing.assert_allclose(got, [13.75, 20, 20, 20, 20], atol=0.005)


def test_spherical_with_nugget_matches_scikit_gstat():
    # skgstat spherical(h, r=15, c0=30, b=[1, 2, 3, 4, 5]) -> one nugget per distance
    got = [iso("spherical", 30.0, 15.0, nugget=b).gamma_along(np.array([h]))[0]
           for h, b in zip(H, [1, 2, 3, 4, 5])]
    np.testing.assert_allclose(got, [15.44, 27.56, 33, 34, 35], atol=0.005)


def test_exponential_matches_scikit_gstat():
    # skgstat exponential: c0 (1 - exp(-3h/r)): r is the practical range, as in GSLIB
    got = iso("exponential", 20.0, 50.0).gamma_along(H)
    np.testing.assert_allclose(got, [5.18, 9.02, 16.69, 19.0, 19.95], atol=0.005)
    got = [iso("exponential", 30.0, 60.0, nugget=b).gamma_along(np.array([h]))[0]
           for h, b in zip(H, [1, 2, 3, 4, 5])]
    np.testing.assert_allclose(got, [7.64, 13.8, 26.31, 31.54, 34.8], atol=0.005)


def test_gaussian_is_gslib_cova3():
    """GSLIB cova3: cova = cc * exp(-3 (h/a)^2), so γ reaches 95 % of cc at the practical range
    a (1 - e^-3 = 0.9502)."""
    m = iso("gaussian", 1.0, 100.0)
    assert m.gamma_along(np.array([100.0]))[0] == pytest.approx(1 - math.exp(-3), rel=1e-12)
    # skgstat gaussian(h, r=45, c0=20) = c0 (1 - exp(-(2h/r)^2)): 4/r^2 = 3/a^2, a = r √3 / 2
    got = iso("gaussian", 20.0, 45.0 * math.sqrt(3) / 2).gamma_along(H)
    np.testing.assert_allclose(got, [0.96, 3.58, 16.62, 19.86, 20.0], atol=0.005)
    # PyKrige gaussian: psill (1 - exp(-d^2 / (4 range / 7)^2)): 49/(16 range^2) = 3/a^2
    from pykrige.variogram_models import gaussian_variogram_model

    a = 100.0
    r_pk = 7 * a / (4 * math.sqrt(3))
    np.testing.assert_allclose(m.gamma_along(H), gaussian_variogram_model([1.0, r_pk, 0.0], H),
                               rtol=1e-12)


# --------------------------------------------------------------------------- PyKrige, GSTools


@pytest.mark.parametrize("nugget", [0.0, 0.25])
def test_spherical_and_exponential_match_pykrige(nugget):
    from pykrige.variogram_models import (exponential_variogram_model,
                                          spherical_variogram_model)

    h = np.linspace(1.0, 400.0, 57)
    # PyKrige spherical and exponential both use the practical range (exp(-3 d / range))
    np.testing.assert_allclose(iso("spherical", 2.0, 150.0, nugget).gamma_along(h),
                               spherical_variogram_model([2.0, 150.0, nugget], h), rtol=1e-12)
    np.testing.assert_allclose(iso("exponential", 2.0, 150.0, nugget).gamma_along(h),
                               exponential_variogram_model([2.0, 150.0, nugget], h), rtol=1e-12)


def test_power_matches_pykrige():
    from pykrige.variogram_models import power_variogram_model

    h = np.linspace(0.5, 300.0, 40)
    m = iso("power", 0.02, 1.0, nugget=0.3, exponent=1.5)
    np.testing.assert_allclose(m.gamma_along(h, 200.0, -40.0),
                               power_variogram_model([0.02, 1.5, 0.3], h), rtol=1e-12)


def test_spherical_and_exponential_match_gstools():
    import gstools as gs

    h = np.linspace(1.0, 400.0, 57)
    # GSTools: var (1 - cor(r / len_scale)) + nugget; Spherical len_scale = range,
    # Exponential cor = exp(-r / len_scale): len_scale = practical range / 3
    sph = gs.Spherical(dim=3, var=2.0, len_scale=150.0, nugget=0.25)
    expo = gs.Exponential(dim=3, var=2.0, len_scale=50.0, nugget=0.25)
    np.testing.assert_allclose(iso("spherical", 2.0, 150.0, 0.25).gamma_along(h),
                               sph.variogram(h), rtol=1e-12)
    np.testing.assert_allclose(iso("exponential", 2.0, 150.0, 0.25).gamma_along(h),
                               expo.variogram(h), rtol=1e-12)


# --------------------------------------------------------------------------- rotation


def gslib_axes(ang1: float, ang2: float, ang3: float) -> np.ndarray:
    """Major, semi-major and minor axes built from the definitions, not from setrot's matrix:
    the major axis points to azimuth ang1 (clockwise from north) with dip ang2 (negative down);
    at ang3 = 0 the semi-major axis is horizontal (to the left looking along the major axis) and
    the minor axis lies in the vertical plane of the major axis, pointing up; ang3 turns both
    about the major axis, from the horizontal one towards the upper one."""
    a1, a2, a3 = map(math.radians, (ang1, ang2, ang3))
    major = np.array([math.cos(a2) * math.sin(a1), math.cos(a2) * math.cos(a1), math.sin(a2)])
    z = np.array([0.0, 0.0, 1.0])
    up = z - (z @ major) * major
    up /= np.linalg.norm(up)
    left = np.cross(up, major)
    semi = math.cos(a3) * left + math.sin(a3) * up
    minor = -math.sin(a3) * left + math.cos(a3) * up
    return np.array([major, semi, minor])


def spherical(t):
    t = np.asarray(t)
    return np.where(t < 1, 1.5 * t - 0.5 * t**3, 1.0)


ANGLES = st.tuples(st.floats(0.0, 360.0, exclude_max=True), st.floats(-89.0, 89.0),
                   st.floats(-180.0, 180.0))
RANGES = st.tuples(*[st.floats(1.0, 1000.0)] * 3)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(ANGLES, RANGES)
def test_model_reaches_the_sill_at_each_range_along_its_axes(angles, ranges):
    m = VariogramModel(0.2, (Structure("spherical", 1.3, ranges, angles),))
    axes = gslib_axes(*angles)
    for axis, a in zip(axes, ranges):
        # exactly at the range: the sill; just before it: below; beyond: the sill
        assert m.gamma(a * axis) == pytest.approx(1.5, rel=1e-9)
        assert m.gamma(0.999 * a * axis) < 1.5 - 1e-7
        assert m.gamma(-1.7 * a * axis) == pytest.approx(1.5, rel=1e-12)
        # the whole profile along the axis is the isotropic spherical with that range
        t = np.linspace(0.05, 1.5, 30) * a
        np.testing.assert_allclose(m.gamma(t[:, None] * axis), 0.2 + 1.3 * spherical(t / a),
                                   rtol=1e-9)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(ANGLES)
def test_rotation_rows_are_the_axes(angles):
    r = rotation_matrix(*angles)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(r, gslib_axes(*angles), atol=1e-12)


def test_rotation_hand_cases():
    s2 = math.sqrt(0.5)
    # azimuth 90: the major axis points east; with ang2 = -45 it goes down to the east
    np.testing.assert_allclose(rotation_matrix(90, 0, 0)[0], [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(rotation_matrix(90, -45, 0)[0], [s2, 0, -s2], atol=1e-15)
    # a vertical major axis (dip -90)
    np.testing.assert_allclose(np.abs(rotation_matrix(0, -90, 0)[0]), [0, 0, 1], atol=1e-15)
    # GSLIB setrot with ang1 = ang2 = 0, ang3 = 30: semi-major (-cos 30, 0, sin 30),
    # minor (sin 30, 0, cos 30)
    m = VariogramModel(0.0, (Structure("spherical", 1.0, (100.0, 50.0, 10.0), (0, 0, 30)),))
    assert m.gamma_along(np.array([100.0]), 0.0, 0.0)[0] == pytest.approx(1.0)
    assert m.gamma_along(np.array([50.0]), 90.0, -30.0)[0] == pytest.approx(1.0)
    assert m.gamma_along(np.array([49.0]), 90.0, -30.0)[0] < 0.9999
    assert m.gamma_along(np.array([10.0]), 270.0, -60.0)[0] == pytest.approx(1.0)
    # the mirror direction (east and up 30°) is neither axis: inside the ellipsoid at 10 m
    assert m.gamma_along(np.array([10.0]), 90.0, 30.0)[0] < 0.99


def test_ang1_beyond_270_is_the_same_direction():
    # GSLIB takes alpha = 450 - ang1 for ang1 >= 270; same trigonometry as 90 - ang1
    np.testing.assert_allclose(rotation_matrix(300, -20, 10), rotation_matrix(-60, -20, 10),
                               atol=1e-12)


def test_nested_structures_rotate_independently():
    m = VariogramModel(0.0, (Structure("spherical", 1.0, (100.0, 20.0, 20.0), (0, 0, 0)),
                             Structure("spherical", 2.0, (300.0, 30.0, 30.0), (90, 0, 0))))
    # north at 100 m: first at its major range (1.0), second beyond its 30 m semi-major (2.0)
    assert m.gamma_along(np.array([100.0]), 0.0)[0] == pytest.approx(1.0 + 2.0)
    # east at 300 m: first beyond 20 m (1.0), second at its major range (2.0)
    assert m.gamma_along(np.array([300.0]), 90.0)[0] == pytest.approx(3.0)
    # east at 150 m: second structure half way along its major axis
    assert m.gamma_along(np.array([150.0]), 90.0)[0] == pytest.approx(
        1.0 + 2.0 * (1.5 * 0.5 - 0.5 * 0.125))


# --------------------------------------------------------------------------- identities


def one_of_each(kind: str) -> VariogramModel:
    extra = {"exponent": 1.4} if kind == "power" else {}
    return VariogramModel(0.3, (Structure(kind, 0.8, (120.0, 60.0, 15.0), (40.0, -20.0, 10.0),
                                          **extra),
                                Structure("spherical", 0.5, (40.0, 40.0, 40.0))))


@pytest.mark.parametrize("kind", KINDS)
def test_covariance_is_cmax_minus_gamma(kind):
    rng = np.random.default_rng(3)
    m = one_of_each(kind)
    a, b = rng.uniform(-100, 100, (6, 3)), rng.uniform(-100, 100, (4, 3))
    c = m.covariance(a, b)
    assert c.shape == (6, 4)
    np.testing.assert_allclose(c, m.cmax - m.gamma(a[:, None, :] - b[None, :, :]), rtol=1e-14)
    np.testing.assert_allclose(m.covariance_of(a - b[0]), m.cmax - m.gamma(a - b[0]))
    caa = m.covariance(a)
    np.testing.assert_allclose(caa, caa.T)
    np.testing.assert_allclose(np.diag(caa), m.cmax)  # C(0) includes the nugget
    bounded = 0.3 + 0.5 + (0.8 if kind != "power" else 0.0)
    if kind == "power":
        assert m.cmax == pytest.approx(bounded + POWER_CMAX)
        assert not m.bounded and m.sill == math.inf
    else:
        assert m.cmax == pytest.approx(1.6) and m.sill == pytest.approx(1.6) and m.bounded


@pytest.mark.parametrize("kind", KINDS)
def test_gamma_is_zero_at_zero_and_jumps_to_the_nugget(kind):
    m = one_of_each(kind)
    assert m.gamma(np.zeros(3)) == 0.0
    assert m.gamma_along(np.array([0.0]), 77.0, -5.0)[0] == 0.0
    tiny = m.gamma_along(np.array([1e-6]), 77.0, -5.0)[0]
    assert tiny == pytest.approx(0.3, abs=1e-4)
    d = np.random.default_rng(0).normal(size=(20, 3)) * 50
    np.testing.assert_allclose(m.gamma(d), m.gamma(-d))  # γ(h) = γ(-h)


@pytest.mark.parametrize("kind", ["spherical", "exponential", "gaussian"])
def test_bounded_kinds_rise_monotonically_to_the_sill(kind):
    m = one_of_each(kind)
    g = m.gamma_along(np.linspace(0.0, 2000.0, 400), 40.0, -20.0)
    assert np.all(np.diff(g) >= -1e-15)
    assert g[-1] == pytest.approx(m.sill, rel=1e-6)


def test_exponential_reaches_95_percent_at_the_practical_range():
    m = iso("exponential", 1.0, 80.0)
    assert m.gamma_along(np.array([80.0]))[0] == pytest.approx(1 - math.exp(-3), rel=1e-12)


def test_power_model():
    s = Structure("power", 0.05, (10.0, 5.0, 2.0), (90.0, 0.0, 0.0), exponent=1.5)
    m = VariogramModel(0.1, (s,))
    t = np.array([1.0, 8.0, 64.0])
    # along the major axis (east): cc t^ω; along the semi-major (north): distances stretched by
    # a1/a2 = 2; vertical: by a1/a3 = 5
    np.testing.assert_allclose(m.gamma_along(t, 90.0), 0.1 + 0.05 * t**1.5)
    np.testing.assert_allclose(m.gamma_along(t, 0.0), 0.1 + 0.05 * (2 * t) ** 1.5)
    np.testing.assert_allclose(m.gamma_along(t, 0.0, -90.0), 0.1 + 0.05 * (5 * t) ** 1.5)
    # only the ratios of the ranges matter
    s10 = Structure("power", 0.05, (100.0, 50.0, 20.0), (90.0, 0.0, 0.0), exponent=1.5)
    d = np.random.default_rng(1).normal(size=(10, 3)) * 30
    np.testing.assert_allclose(s.gamma(d), s10.gamma(d))


# --------------------------------------------------------------------------- parameter errors


@pytest.mark.parametrize("args, kwargs, fragment", [
    (("cubic", 1.0, (1, 1, 1)), {}, "kind"),
    (("spherical", -1.0, (1, 1, 1)), {}, "sill"),
    (("spherical", float("nan"), (1, 1, 1)), {}, "sill"),
    (("spherical", 1.0, (0.0, 1, 1)), {}, "major range"),
    (("spherical", 1.0, (1, -2, 1)), {}, "semi-major range"),
    (("spherical", 1.0, (1, 1, float("inf"))), {}, "minor range"),
    (("spherical", 1.0, (1, 1)), {}, "ranges must be 3 numbers"),
    (("spherical", 1.0, (1, 1, 1), (0, 0)), {}, "angles must be 3 numbers"),
    (("power", 1.0, (1, 1, 1)), {"exponent": 2.0}, "exponent"),
    (("power", 1.0, (1, 1, 1)), {"exponent": 0.0}, "exponent"),
])
def test_structure_parameter_errors(args, kwargs, fragment):
    with pytest.raises(ParameterError, match=fragment):
        Structure(*args, **kwargs)


def test_model_parameter_errors():
    with pytest.raises(ParameterError, match="nugget"):
        VariogramModel(-0.1, ())
    with pytest.raises(ParameterError, match="nugget or at least one structure"):
        VariogramModel()
    assert VariogramModel(0.5).gamma_along(np.array([0.0, 3.0])).tolist() == [0.0, 0.5]


def test_non_numeric_parameters_raise_parameter_error():
    for args in [("spherical", "abc", (1, 1, 1)), ("spherical", 1.0, 100.0),
                 ("spherical", None, (1, 1, 1))]:
        with pytest.raises(ParameterError):
            Structure(*args)
