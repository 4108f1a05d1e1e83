"""Conversions to and from PyKrige, GSTools and gstat.

Each peer is checked on its own terms: PyKrige through its public kriging classes (estimates
and variances equal to ordinary kriging with the orebook model), GSTools through its
``vario_spatial`` (variogram with rotation and anisotropy) and rotated axes, gstat through the
transcripts of its own test suite (``../shared/data/peer_oracles/gstat``: the meuse ``vdist``
and the ``covtable`` kriging cases, reproduced here with the converted model) and its
documented ``vgm()`` parameterisation.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.geostats.conversions import (GAUSSIAN_K, angles_from_axes, from_gstat,
                                          from_gstools, from_pykrige, to_gstat, to_gstools,
                                          to_gstools_model, to_pykrige)
from orebook.geostats.models import Structure, VariogramModel, rotation_matrix

MEUSE = Path(__file__).parent / "data" / "meuse_155.csv"  # copy of shared/data/meuse


def ordinary_kriging(model: VariogramModel, pts: np.ndarray, vals: np.ndarray,
                     target: np.ndarray) -> tuple[float, float]:
    """Textbook ordinary kriging in the variogram form: estimate and kriging variance."""
    n = len(pts)
    a = np.ones((n + 1, n + 1))
    a[:n, :n] = model.gamma(pts[:, None, :] - pts[None, :, :])
    a[n, n] = 0.0
    b = np.ones(n + 1)
    b[:n] = model.gamma(pts - target)
    w = np.linalg.solve(a, b)
    return float(w[:n] @ vals), float(w @ b)


def random_model(rng: np.random.Generator, kind: str, nugget: float = 0.2) -> VariogramModel:
    angles = (rng.uniform(0, 360), rng.uniform(-90, 90), rng.uniform(-180, 180))
    return VariogramModel(nugget, (Structure(kind, 1.3, tuple(rng.uniform(20, 300, 3)),
                                             angles),))


def same_gamma(m1: VariogramModel, m2: VariogramModel, d: np.ndarray, rtol=1e-9) -> None:
    np.testing.assert_allclose(m1.gamma(d), m2.gamma(d), rtol=rtol, atol=1e-12)


# --------------------------------------------------------------------------- geometry


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.floats(0, 360), st.floats(-90, 90), st.floats(-180, 180))
def test_angles_from_axes_rebuilds_the_axes(a1, a2, a3):
    r = rotation_matrix(a1, a2, a3)
    angles = angles_from_axes(r)
    back = rotation_matrix(*angles)
    # each axis is the same line (sign free)
    np.testing.assert_allclose(np.abs(np.sum(back * r, axis=1)), 1.0, atol=1e-9)
    assert 0 <= angles[0] < 360 and -90 <= angles[1] <= 0 and -90 < angles[2] <= 90


def test_gaussian_k_is_what_the_model_evaluates():
    m = VariogramModel(0.0, (Structure("gaussian", 1.0, (100.0,) * 3),))
    h = np.array([10.0, 30.0, 60.0])
    np.testing.assert_allclose(m.gamma_along(h), 1 - np.exp(-GAUSSIAN_K * (h / 100) ** 2),
                               rtol=1e-12)


# --------------------------------------------------------------------------- PyKrige


def test_to_pykrige_parameters():
    m = VariogramModel(0.1, (Structure("exponential", 2.0, (300.0,) * 3),))
    pk = to_pykrige(m)
    assert pk.variogram_model == "exponential"
    assert pk.variogram_parameters == {"psill": 2.0, "range": 300.0, "nugget": 0.1}
    assert pk.anisotropy == {"anisotropy_scaling": 1.0, "anisotropy_angle": 0.0}
    p = to_pykrige(VariogramModel(0.0, (Structure("power", 0.3, (1, 1, 1), exponent=0.5),)))
    assert (p.variogram_model, p.variogram_parameters) == (
        "power", {"scale": 0.3, "exponent": 0.5, "nugget": 0.0})
    n = to_pykrige(VariogramModel(0.4), dim=3)
    assert (n.variogram_model, n.variogram_parameters) == ("linear", {"slope": 0.0,
                                                                      "nugget": 0.4})
    assert n.anisotropy["anisotropy_scaling_z"] == 1.0


def test_to_pykrige_horizontal_section_of_a_dipping_ellipsoid():
    # major axis north dipping 60°, ranges 100 / 50 / 10: the semi-major axis is horizontal
    # (east, 50 m); along north the distance meets the major axis (cos 60) and the minor axis
    # (sin 60): 1/b² = (0.5/100)² + (0.866/10)²
    m = VariogramModel(0.0, (Structure("spherical", 1.0, (100.0, 50.0, 10.0), (0, -60, 0)),))
    pk = to_pykrige(m)
    b_north = 1 / math.sqrt((0.5 / 100) ** 2 + (math.sqrt(0.75) / 10) ** 2)
    assert pk.variogram_parameters["range"] == pytest.approx(50.0)
    assert pk.anisotropy["anisotropy_angle"] % 180 == pytest.approx(0.0, abs=1e-9)
    assert pk.anisotropy["anisotropy_scaling"] == pytest.approx(50.0 / b_north, rel=1e-12)


@pytest.mark.parametrize("kind", ["spherical", "exponential", "gaussian", "power"])
def test_pykrige_ordinary_kriging_2d_agrees(kind):
    from pykrige.ok import OrdinaryKriging

    rng = np.random.default_rng(11)
    if kind == "power":
        m = VariogramModel(0.1, (Structure("power", 0.01, (10.0, 4.0, 4.0), (35.0, 0, 0),
                                           exponent=1.2),))
    else:
        m = random_model(rng, kind)
    pts = rng.uniform(0, 200, (14, 2))
    vals = rng.normal(size=14)
    targets = rng.uniform(20, 180, (5, 2))
    ok = OrdinaryKriging(pts[:, 0], pts[:, 1], vals, **to_pykrige(m).kwargs)
    z, ss = ok.execute("points", targets[:, 0], targets[:, 1])
    p3 = np.c_[pts, np.zeros(14)]
    for t, zi, si in zip(targets, z, ss):
        est, var = ordinary_kriging(m, p3, vals, np.array([*t, 0.0]))
        assert zi == pytest.approx(est, rel=1e-8, abs=1e-10)
        assert si == pytest.approx(var, rel=1e-8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pykrige_ordinary_kriging_3d_agrees(seed):
    from pykrige.ok3d import OrdinaryKriging3D

    rng = np.random.default_rng(seed)
    m = random_model(rng, ["spherical", "exponential", "gaussian"][seed - 1])
    pts = rng.uniform(0, 150, (16, 3))
    vals = rng.normal(size=16)
    targets = rng.uniform(20, 130, (4, 3))
    ok = OrdinaryKriging3D(pts[:, 0], pts[:, 1], pts[:, 2], vals, **to_pykrige(m, 3).kwargs)
    z, ss = ok.execute("points", targets[:, 0], targets[:, 1], targets[:, 2])
    for t, zi, si in zip(targets, z, ss):
        est, var = ordinary_kriging(m, pts, vals, t)
        assert zi == pytest.approx(est, rel=1e-8, abs=1e-10)
        assert si == pytest.approx(var, rel=1e-8)


def test_pykrige_refuses_nested_structures():
    m = VariogramModel(0.1, (Structure("spherical", 1, (10,) * 3),
                             Structure("spherical", 1, (50,) * 3)))
    with pytest.raises(ParameterError, match="one structure"):
        to_pykrige(m)


def test_from_pykrige_round_trip_and_forms():
    rng = np.random.default_rng(5)
    d = rng.normal(size=(40, 3)) * 80
    for kind in ("spherical", "exponential", "gaussian"):
        m = random_model(rng, kind)
        pk = to_pykrige(m, 3)
        same_gamma(from_pykrige(pk.variogram_model, pk.variogram_parameters, **pk.anisotropy),
                   m, d)
    # PyKrige's other spellings: total "sill" in a dict, [sill, range, nugget] list, linear
    a = from_pykrige("spherical", {"sill": 3.0, "range": 100.0, "nugget": 1.0})
    b = from_pykrige("spherical", [3.0, 100.0, 1.0])
    assert a == b == VariogramModel(1.0, (Structure("spherical", 2.0, (100.0,) * 3),))
    lin = from_pykrige("linear", {"slope": 0.5, "nugget": 0.2})
    assert lin.gamma_along(np.array([4.0]))[0] == pytest.approx(0.2 + 0.5 * 4)
    two_d = from_pykrige("exponential", [1.0, 90.0, 0.0], anisotropy_scaling=3.0,
                         anisotropy_angle=90.0)  # major axis north (90° from east)
    assert two_d.gamma_along(np.array([90.0]), 0.0)[0] == pytest.approx(1 - math.exp(-3))
    assert two_d.gamma_along(np.array([30.0]), 90.0)[0] == pytest.approx(1 - math.exp(-3))


@pytest.mark.parametrize("call, fragment", [
    (lambda: from_pykrige("hole-effect", [1, 2, 0]), "no orebook"),
    (lambda: from_pykrige("spherical", {"range": 2, "nugget": 0}), "'sill'"),
    (lambda: from_pykrige("spherical", [1, 2]), "needs 3"),
    (lambda: from_pykrige("spherical", [1, 2, "x"]), "number"),
    (lambda: from_pykrige("spherical", [1, 2, 0], anisotropy_scaling=2,
                          anisotropy_angle_z=3), "not both"),
    (lambda: from_pykrige("spherical", [1, -2, 0]), "range"),
    (lambda: to_pykrige(VariogramModel(0.1), dim=4), "dim"),
])
def test_pykrige_errors(call, fragment):
    with pytest.raises(ParameterError, match=fragment):
        call()


# --------------------------------------------------------------------------- GSTools


def test_to_gstools_parameters():
    m = VariogramModel(0.1, (Structure("exponential", 2.0, (300.0, 150.0, 30.0)),
                             Structure("spherical", 1.0, (500.0,) * 3)))
    spec = to_gstools(m)
    assert spec["nugget"] == 0.1
    e, s = spec["structures"]
    assert (e["model"], e["var"], e["len_scale"]) == ("Exponential", 2.0, 100.0)
    np.testing.assert_allclose(e["anis"], [0.5, 0.1])
    assert (s["model"], s["len_scale"], s["anis"]) == ("Spherical", 500.0, [1.0, 1.0])
    g = to_gstools(VariogramModel(0, (Structure("gaussian", 1.0, (100.0,) * 3),)))
    # GSTools Gaussian: 1 - exp(-(π/4)(r/ℓ)²) equals 1 - exp(-k (r/a)²)
    assert g["structures"][0]["len_scale"] == pytest.approx(100 * math.sqrt(math.pi / 4 /
                                                                             GAUSSIAN_K))


@pytest.mark.parametrize("kind", ["spherical", "exponential", "gaussian"])
@pytest.mark.parametrize("dim", [2, 3])
def test_gstools_vario_spatial_agrees(kind, dim):
    rng = np.random.default_rng(7 + dim)
    for _ in range(5):
        m = random_model(rng, kind)
        gm = to_gstools_model(m, dim)
        d = rng.normal(size=(60, 3)) * 120
        if dim == 2:
            d[:, 2] = 0.0
        np.testing.assert_allclose(gm.vario_spatial(d[:, :dim].T), m.gamma(d), rtol=1e-9)
        same_gamma(from_gstools(gm), m, d)
        same_gamma(from_gstools(to_gstools(m, dim)), m, d)


def test_gstools_axes_are_the_model_axes():
    import gstools as gs

    s = Structure("spherical", 1.0, (300.0, 100.0, 20.0), (40.0, -25.0, 15.0))
    kw = to_gstools(VariogramModel(0.0, (s,)))["structures"][0]
    axes = gs.tools.rotated_main_axes(3, kw["angles"])
    np.testing.assert_allclose(np.abs(np.sum(axes * s.rotation, axis=1)), 1.0, atol=1e-12)
    np.testing.assert_allclose(kw["anis"], [100 / 300, 20 / 300])


def test_gstools_sum_model_and_nugget():
    import gstools as gs

    rng = np.random.default_rng(2)
    angles = (20.0, -10.0, 5.0)
    m = VariogramModel(0.3, (Structure("spherical", 0.5, (40.0, 20.0, 10.0), angles),
                             Structure("exponential", 1.0, (200.0, 100.0, 50.0), angles)))
    gm = to_gstools_model(m)
    assert type(gm).__name__ == "SumModel"
    d = rng.normal(size=(50, 3)) * 100
    np.testing.assert_allclose(gm.vario_spatial(d.T), m.gamma(d), rtol=1e-9)
    same_gamma(from_gstools(gm), m, d)
    nug = to_gstools_model(VariogramModel(0.7))
    assert isinstance(nug, gs.Nugget) and from_gstools(nug) == VariogramModel(0.7)


def test_gstools_refusals():
    different = VariogramModel(0.0, (Structure("spherical", 1, (40, 20, 10)),
                                     Structure("spherical", 1, (200, 200, 50))))
    with pytest.raises(ParameterError, match="SumModel"):
        to_gstools_model(different)
    assert len(to_gstools(different)["structures"]) == 2  # separate models are fine
    with pytest.raises(ParameterError, match="power"):
        to_gstools(VariogramModel(0.0, (Structure("power", 1, (1, 1, 1), exponent=1),)))
    import gstools as gs

    with pytest.raises(ParameterError, match="Matern"):
        from_gstools(gs.Matern(dim=2))


def test_from_gstools_hand_made_2d_model():
    import gstools as gs

    gm = gs.Gaussian(dim=2, var=2.0, len_scale=30.0, anis=0.4, angles=math.pi / 6, nugget=0.5)
    m = from_gstools(gm)
    d = np.random.default_rng(4).normal(size=(30, 2)) * 40
    np.testing.assert_allclose(m.gamma(np.c_[d, np.zeros(30)]), gm.vario_spatial(d.T),
                               rtol=1e-9)
    # GSTools angle π/6 counter-clockwise from east = azimuth 60°
    assert m.structures[0].angles[0] == pytest.approx(60.0)


# --------------------------------------------------------------------------- gstat


def test_to_gstat_strings():
    m = VariogramModel(0.1, (Structure("exponential", 0.9, (900.0, 9.0, 9.0)),))
    assert to_gstat(m) == 'vgm(0.9, "Exp", 300, 0.1, anis = c(0, 0.01))'
    m3 = VariogramModel(0.1, (Structure("spherical", 0.9, (120.0, 80.0, 20.0),
                                        (30.0, -10.0, 0.0)),))
    # gstat's anis angles live in [0, 360): ang2 = -10 is 350
    assert to_gstat(m3, dim=3) == ('vgm(0.9, "Sph", 120, 0.1, anis = c(30, 350, 0, '
                                   f'{80 / 120!r}, {20 / 120!r}))')
    nested = VariogramModel(0.1, (Structure("spherical", 0.4, (50.0,) * 3),
                                  Structure("exponential", 0.5, (300.0,) * 3)))
    assert to_gstat(nested) == 'vgm(0.5, "Exp", 100, add.to = vgm(0.4, "Sph", 50, 0.1))'
    assert to_gstat(VariogramModel(0.25)) == 'vgm(0.25, "Nug", 0)'
    assert to_gstat(VariogramModel(0.0, (Structure("power", 0.2, (1, 1, 1), exponent=1.5),))
                    ) == 'vgm(0.2, "Pow", 1.5)'


def test_to_gstat_gaussian_range_is_practical_over_sqrt3():
    m = VariogramModel(0.0, (Structure("gaussian", 1.0, (100.0,) * 3),))
    rng = float(re.search(r'"Gau", ([^,)]+)', to_gstat(m)).group(1))
    assert rng == pytest.approx(100 / math.sqrt(3), rel=1e-12)


def test_to_gstat_reorders_axes_when_the_first_range_is_not_the_largest():
    m = VariogramModel(0.0, (Structure("spherical", 1.0, (50.0, 100.0, 20.0)),))
    text = to_gstat(m, dim=3)
    assert text.startswith('vgm(1, "Sph", 100, anis = c(90, 0, ')  # semi-major is east-west
    d = np.random.default_rng(0).normal(size=(40, 3)) * 60
    same_gamma(from_gstat(text), m, d)


def test_gstat_round_trip_random_models():
    rng = np.random.default_rng(9)
    d = rng.normal(size=(60, 3)) * 100
    for kind in ("spherical", "exponential", "gaussian"):
        for _ in range(4):
            m = VariogramModel(0.2, random_model(rng, kind).structures
                               + random_model(rng, "spherical").structures)
            same_gamma(from_gstat(to_gstat(m, dim=3)), m, d)
            flat = d * [1, 1, 0]
            same_gamma(from_gstat(to_gstat(m, dim=2)), m, flat)
    power = VariogramModel(0.1, (Structure("power", 0.05, (10.0, 20.0, 4.0), (10, -30, 20),
                                           exponent=1.3),))
    same_gamma(from_gstat(to_gstat(power, dim=3)), power, d)


def test_gstat_vdist_meuse_kriging_is_reproduced():
    """gstat tests/vdist.Rout.save: krige(log(zinc)~1, meuse, meuse.grid[1500,],
    vgm(1, "Exp", 300, anis=c(0, 0.01)), vdist=FALSE, maxdist=1000, nmax=9) gives
    var1.pred 5.024413, var1.var 1.114475."""
    data = pd.read_csv(MEUSE)
    xy = data[["x", "y"]].to_numpy()
    v = np.log(data["zinc"].to_numpy())
    target = np.array([180260.0, 331300.0])
    dist = np.hypot(*(xy - target).T)
    near = np.argsort(dist)[:9]
    near = near[dist[near] <= 1000]
    m = from_gstat('vgm(1, "Exp", 300, anis = c(0, 0.01))')
    est, var = ordinary_kriging(m, np.c_[xy[near], np.zeros(len(near))], v[near],
                                np.array([*target, 0.0]))
    assert est == pytest.approx(5.024413, abs=5e-7)
    assert var == pytest.approx(1.114475, abs=5e-7)


def test_gstat_covtable_kriging_is_reproduced():
    """gstat tests/covtable.Rout.save: OK with vgm(1, "Sph", 1) from four corners at ±0.5
    (values 1..4) to the origin: 2.5, 1.017767; from the first two corners: 1.5, 1.267767."""
    m = from_gstat('vgm(1, "Sph", 1)')
    pts = np.array([[-0.5, -0.5, 0], [0.5, -0.5, 0], [-0.5, 0.5, 0], [0.5, 0.5, 0]])
    vals = np.array([1.0, 2.0, 3.0, 4.0])
    est, var = ordinary_kriging(m, pts, vals, np.zeros(3))
    assert (est, var) == pytest.approx((2.5, 1.017767), abs=5e-7)
    est, var = ordinary_kriging(m, pts[:2], vals[:2], np.zeros(3))
    assert (est, var) == pytest.approx((1.5, 1.267767), abs=5e-7)


def test_from_gstat_forms():
    # the block-kriging test's spelling: partial argument name ``nug``
    m = from_gstat('vgm(1.34e5, "Sph", 800, nug = 2.42e4)')
    assert m == VariogramModel(2.42e4, (Structure("spherical", 1.34e5, (800.0,) * 3),))
    named = from_gstat("vgm(psill = 1.34e5, model = 'Sph', range = 800, nugget = 2.42e4)")
    assert named == m
    nested = from_gstat('vgm(0.5, "Exp", 100, add.to = vgm(0.4, "Sph", 50, 0.1))')
    assert nested.nugget == 0.1 and [s.kind for s in nested.structures] == [
        "spherical", "exponential"]
    assert nested.structures[1].ranges == (300.0, 300.0, 300.0)  # Exp scale 100 -> 300
    # gstat's 2-D anis c(angle, ratio) is c(angle, 0, 0, ratio, 1): vertical = major
    two_d = from_gstat('vgm(2, "Sph", 100, anis = c(45, 0.5))')
    assert two_d.structures[0].ranges == (100.0, 50.0, 100.0)
    assert two_d.structures[0].angles == (45.0, 0.0, 0.0)
    three_d = from_gstat('vgm(2, "Sph", 100, anis = c(30, 350, 10, 0.5, 0.2))')
    assert three_d.structures[0].ranges == (100.0, 50.0, 20.0)
    assert three_d.structures[0].angles == (30.0, 350.0, 10.0)
    rows = [{"model": "Nug", "psill": 0.1, "range": 0.0},
            {"model": "Sph", "psill": 0.9, "range": 120.0, "ang1": 30.0, "ang2": 0.0,
             "ang3": 0.0, "anis1": 0.5, "anis2": 0.5}]
    assert from_gstat(rows) == VariogramModel(0.1, (Structure("spherical", 0.9,
                                                              (120.0, 60.0, 60.0),
                                                              (30.0, 0.0, 0.0)),))
    lin = from_gstat('vgm(0.5, "Lin", 0)')
    assert lin.gamma_along(np.array([3.0]))[0] == pytest.approx(1.5)
    assert from_gstat('vgm(0.3, "Nug", 0)') == VariogramModel(0.3)


@pytest.mark.parametrize("text, fragment", [
    ('vgm(1, "Mat", 100, kappa = 2)', "no orebook"),
    ('vgm(1, "Lin", 100)', "bounded linear"),
    ('vgm("Sph")', "fitted"),
    ('vgm(1, "Sph", 100, anis = c(1, 2, 3))', "anis"),
    ('vgm(1, "Sph", 100, anis = c(0, 1.5))', r"\(0, 1\]"),
    ('vgm(1, "Sph", 100) + 1', "cannot read|unexpected"),
    ('vgm(1, "Sph", 100', "expected"),
    ('vgm(1, "Sph", x)', "unknown name"),
    ('lm(1)', "unknown function"),
    ('vgm(1, "Sph", -5)', "range"),
    ('vgm(1, "Pow", 2)', "exponent"),
    ("vgm(" * 60 + "1" + ")" * 60, "nested"),
])
def test_from_gstat_errors(text, fragment):
    with pytest.raises(ParameterError, match=fragment):
        from_gstat(text)
