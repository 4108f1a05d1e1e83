"""Fitting variogram models.

External reference: gstat's tests/fit.Rout.save (fit.variogram of a spherical model with
gstat's default weights N/h² to the meuse lags with γ replaced by 0.5, 1, 2, 3, 3: psill
7.878195, range 1567.77, nugget held at zero). The rest fits synthetic experimental variograms
computed from a known model (plus seeded noise) and checks that the model comes back.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from orebook.errors import ParameterError
from orebook.geostats.fitting import FitTarget, auto_start, fit_model
from orebook.geostats.models import Structure, VariogramModel

MEUSE = Path(__file__).parent / "data" / "meuse_155.csv"  # copy of shared/data/meuse
H = np.arange(10.0, 301.0, 10.0)


def synthetic(model: VariogramModel, azimuth: float = 0.0, dip: float = 0.0, h=H,
              noise: float = 0.0, seed: int = 0) -> FitTarget:
    """The model along a direction, times (1 + noise · N(0, 1)); fewer pairs at long lags."""
    rng = np.random.default_rng(seed)
    g = model.gamma_along(h, azimuth, dip) * (1 + noise * rng.standard_normal(h.size))
    pairs = np.round(400 * np.exp(-h / h.max())) + 30
    return FitTarget(h, g, pairs, azimuth, dip)


def sph(nugget, sill, ranges, angles=(0.0, 0.0, 0.0)) -> VariogramModel:
    ranges = (ranges,) * 3 if np.isscalar(ranges) else ranges
    return VariogramModel(nugget, (Structure("spherical", sill, ranges, angles),))


# --------------------------------------------------------------------------- gstat


def test_gstat_fit_variogram_is_reproduced():
    data = pd.read_csv(MEUSE)
    xy = data[["x", "y"]].to_numpy()
    i, j = np.triu_indices(len(xy), 1)
    d = np.hypot(*(xy[i] - xy[j]).T)
    # variogram(log(zinc)~1, ~x+y, meuse, cutoff=500, width=100): classes (0,100], ...
    edges = np.arange(0.0, 501.0, 100.0)
    cls = [(d > lo) & (d <= hi) for lo, hi in zip(edges[:-1], edges[1:])]
    target = FitTarget(np.array([d[c].mean() for c in cls]), np.array([0.5, 1, 2, 3, 3]),
                       np.array([c.sum() for c in cls]))
    assert target.pairs.tolist() == [52, 263, 381, 430, 475]
    # fit.variogram(v, vgm(1, "Sph", 300, 0)) -> Nug 0, Sph psill 7.878195 range 1567.77
    fit = fit_model(target, sph(0.0, 1.0, 300.0), weights="pairs/h2")
    s = fit.model.structures[0]
    assert fit.model.nugget == 0.0
    assert s.sill == pytest.approx(7.878195, rel=2e-6)
    assert s.ranges[0] == pytest.approx(1567.77, abs=0.01)
    row = fit.parameters.set_index("name").loc["nugget"]
    assert row["at_bound"] and row["status"] == "fitted"


# --------------------------------------------------------------------------- recovery


def test_exact_data_are_recovered_exactly():
    truth = sph(0.2, 1.0, 150.0)
    fit = fit_model(synthetic(truth), sph(0.5, 0.5, 50.0))
    assert fit.model.nugget == pytest.approx(0.2, abs=1e-7)
    assert fit.model.structures[0].sill == pytest.approx(1.0, rel=1e-7)
    assert fit.model.structures[0].ranges == pytest.approx((150.0,) * 3, rel=1e-7)
    assert fit.residual == pytest.approx(0.0, abs=1e-10)
    assert fit.success


@pytest.mark.parametrize("kind", ["spherical", "exponential", "gaussian"])
def test_single_structure_with_noise(kind):
    truth = VariogramModel(0.2, (Structure(kind, 1.0, (150.0,) * 3),))
    start = VariogramModel(0.05, (Structure(kind, 2.0, (60.0,) * 3),))
    fit = fit_model(synthetic(truth, noise=0.01, seed=1), start)
    s = fit.model.structures[0]
    assert fit.model.nugget == pytest.approx(0.2, abs=0.02)
    assert s.sill == pytest.approx(1.0, rel=0.03)
    assert s.ranges[0] == pytest.approx(150.0, rel=0.04)


def test_nested_isotropic():
    truth = VariogramModel(0.1, (Structure("spherical", 0.4, (30.0,) * 3),
                                 Structure("spherical", 0.6, (200.0,) * 3)))
    h = np.arange(5.0, 301.0, 7.5)
    start = VariogramModel(0.05, (Structure("spherical", 0.5, (60.0,) * 3),
                                  Structure("spherical", 0.5, (150.0,) * 3)))
    fit = fit_model(synthetic(truth, h=h, noise=0.005, seed=2), start)
    s1, s2 = fit.model.structures
    assert fit.model.nugget == pytest.approx(0.1, abs=0.01)
    assert (s1.sill, s2.sill) == pytest.approx((0.4, 0.6), abs=0.02)
    assert (s1.ranges[0], s2.ranges[0]) == pytest.approx((30.0, 200.0), rel=0.05)


def test_two_directions_at_once():
    truth = sph(0.1, 0.9, (200.0, 80.0, 20.0), (30.0, 0.0, 0.0))
    targets = [synthetic(truth, 30.0, noise=0.01, seed=3),
               synthetic(truth, 120.0, noise=0.01, seed=4)]
    fit = fit_model(targets, sph(0.2, 0.5, (100.0, 100.0, 100.0), (30.0, 0.0, 0.0)))
    s = fit.model.structures[0]
    assert s.ranges[0] == pytest.approx(200.0, rel=0.03)
    assert s.ranges[1] == pytest.approx(80.0, rel=0.03)
    assert s.angles == (30.0, 0.0, 0.0)  # angles held
    p = fit.parameters.set_index("name")
    # no direction looks along the vertical axis: its range is tied (start ratio 1) to a seen
    # axis equally close in dip (both horizontal), the semi-major rather than the major
    assert p.loc["s1.range_minor", "status"] == "tied to s1.range_semi"
    assert s.ranges[2] == s.ranges[1]


def test_three_directions_free_the_vertical_range():
    truth = sph(0.1, 0.9, (200.0, 80.0, 20.0), (30.0, 0.0, 0.0))
    targets = [synthetic(truth, 30.0), synthetic(truth, 120.0),
               synthetic(truth, 0.0, -90.0, h=np.arange(2.0, 40.0, 2.0))]
    fit = fit_model(targets, sph(0.2, 0.5, (100.0, 100.0, 100.0), (30.0, 0.0, 0.0)))
    assert fit.model.structures[0].ranges == pytest.approx((200.0, 80.0, 20.0), rel=1e-6)


def test_free_angle_is_found():
    truth = sph(0.1, 0.9, (200.0, 70.0, 70.0), (40.0, 0.0, 0.0))
    targets = [synthetic(truth, az) for az in (0.0, 45.0, 90.0, 135.0)]
    fit = fit_model(targets, sph(0.1, 0.9, (150.0, 100.0, 100.0), (20.0, 0.0, 0.0)),
                    free=["s1.ang1"])
    s = fit.model.structures[0]
    assert s.angles[0] == pytest.approx(40.0, abs=1e-3)
    assert s.ranges[:2] == pytest.approx((200.0, 70.0), rel=1e-4)


def test_power_structure():
    truth = VariogramModel(0.1, (Structure("power", 0.02, (1.0,) * 3, exponent=1.4),))
    start = VariogramModel(0.3, (Structure("power", 0.1, (1.0,) * 3, exponent=1.0),))
    fit = fit_model(synthetic(truth), start, weights="equal")
    s = fit.model.structures[0]
    assert (fit.model.nugget, s.sill, s.exponent) == pytest.approx((0.1, 0.02, 1.4), rel=1e-5)
    # only the ratios of a power structure's ranges matter: the major range is held
    assert fit.parameters.set_index("name").loc["s1.range_major", "status"] == "fixed"


# --------------------------------------------------------------------------- fixed, bounds


def test_fixed_parameters_stay_fixed():
    truth = sph(0.2, 1.0, 150.0)
    target = synthetic(truth, noise=0.01, seed=5)
    fit = fit_model(target, sph(0.5, 0.5, 50.0), fixed={"nugget": 0.15, "s1.ranges": 170.0})
    assert fit.model.nugget == 0.15
    assert fit.model.structures[0].ranges == (170.0, 170.0, 170.0)
    p = fit.parameters.set_index("name")
    assert p.loc["nugget", "status"] == "fixed" and p.loc["s1.sill", "status"] == "fitted"
    # names only: held at the start model's values
    fit2 = fit_model(target, sph(0.5, 0.5, 50.0), fixed="s1.sill")
    assert fit2.model.structures[0].sill == 0.5


def test_bounds_are_respected():
    truth = sph(0.2, 1.0, 150.0)
    target = synthetic(truth, noise=0.01, seed=6)
    fit = fit_model(target, sph(0.5, 0.5, 50.0),
                    bounds={"s1.range_major": (10.0, 120.0), "nugget": (0.3, 1.0)})
    s = fit.model.structures[0]
    assert s.ranges[0] == 120.0 and fit.model.nugget == 0.3
    p = fit.parameters.set_index("name")
    assert p.loc["s1.range_major", "at_bound"] and p.loc["nugget", "at_bound"]
    assert p.loc["s1.range_major", "high"] == 120.0


# --------------------------------------------------------------------------- automatic


def test_automatic_fit_isotropic_spherical():
    truth = sph(0.2, 1.0, 150.0)
    fit = fit_model(synthetic(truth, noise=0.01, seed=7))
    chosen = fit.candidates[fit.candidates["chosen"]]["structures"].tolist()
    assert chosen == ["spherical"]
    s = fit.model.structures[0]
    assert fit.model.sill == pytest.approx(1.2, rel=0.05)
    assert fit.model.nugget == pytest.approx(0.2, abs=0.05)
    assert s.ranges[0] == pytest.approx(150.0, rel=0.10)
    np.testing.assert_allclose(fit.model.gamma_along(H), truth.gamma_along(H), atol=0.03 * 1.2)


def test_automatic_fit_exponential():
    truth = VariogramModel(0.1, (Structure("exponential", 2.0, (250.0,) * 3),))
    fit = fit_model(synthetic(truth, noise=0.005, seed=8))
    assert fit.model.structures[0].kind == "exponential"
    assert fit.model.structures[0].ranges[0] == pytest.approx(250.0, rel=0.10)
    np.testing.assert_allclose(fit.model.gamma_along(H), truth.gamma_along(H), atol=0.03 * 2.1)


def test_automatic_fit_two_directions():
    truth = sph(0.1, 0.9, (200.0, 80.0, 80.0), (120.0, 0.0, 0.0))
    targets = [synthetic(truth, 30.0, noise=0.01, seed=9),
               synthetic(truth, 120.0, noise=0.01, seed=10)]
    start = auto_start(targets)
    assert start.structures[0].angles[0] == pytest.approx(120.0)  # furthest-reaching first
    fit = fit_model(targets, kinds=("spherical", "exponential"), structures=(1,))
    for t in targets:
        np.testing.assert_allclose(fit.model.gamma_along(t.distance, t.azimuth),
                                   truth.gamma_along(t.distance, t.azimuth), atol=0.03)
    assert fit.model.structures[0].ranges[:2] == pytest.approx((200.0, 80.0), rel=0.10)


def test_auto_start_reads_the_curve():
    truth = sph(0.25, 1.0, 120.0)
    start = auto_start(synthetic(truth))
    assert start.nugget == pytest.approx(0.25, abs=0.1)
    assert start.sill == pytest.approx(1.25, rel=0.05)
    assert start.structures[0].ranges[0] == pytest.approx(120.0, rel=0.25)


# --------------------------------------------------------------------------- inputs, outputs


def test_duck_typed_experimental_variograms():
    truth = sph(0.1, 0.9, (200.0, 80.0, 20.0), (30.0, 0.0, 0.0))
    plain = [synthetic(truth, 30.0), synthetic(truth, 120.0)]
    ducks = [SimpleNamespace(distance=list(t.distance), value=t.value, pairs=t.pairs,
                             direction=SimpleNamespace(azimuth=t.azimuth, dip=t.dip))
             for t in plain]
    start = sph(0.2, 0.5, (100.0,) * 3, (30.0, 0.0, 0.0))
    assert fit_model(ducks, start).model == fit_model(plain, start).model


def test_weights_and_residual_follow_their_definitions():
    truth = sph(0.2, 1.0, 150.0)
    target = synthetic(truth, noise=0.03, seed=11)
    start = sph(0.3, 0.8, 100.0)
    fits = {w: fit_model(target, start, weights=w) for w in ("pairs/h", "pairs", "pairs/h2",
                                                             "equal", "cressie")}
    n, h = target.pairs, target.distance
    expected_w = {"pairs/h": n / h, "pairs": n, "pairs/h2": n / h**2, "equal": np.ones_like(h)}
    for w, fit in fits.items():
        t = fit.table
        gm = fit.model.gamma_along(h)
        np.testing.assert_allclose(t["model"], gm, rtol=1e-12)
        if w == "cressie":
            assert fit.residual == pytest.approx(np.sum(n * (target.value / gm - 1) ** 2))
            np.testing.assert_allclose(t["weight"], n / gm**2)
        else:
            np.testing.assert_allclose(t["weight"], expected_w[w])
            assert fit.residual == pytest.approx(np.sum(expected_w[w] * (target.value - gm) ** 2))
    nuggets = {round(f.model.nugget, 6) for f in fits.values()}
    assert len(nuggets) == len(fits)  # the weights make a difference on noisy data
    custom = fit_model(target, start, weights=[n / h])
    assert custom.model == fits["pairs/h"].model


def test_table_marks_unused_lags():
    truth = sph(0.2, 1.0, 150.0)
    t = synthetic(truth)
    g, n = t.value.copy(), t.pairs.copy()
    g[3], n[5] = np.nan, 0
    h = t.distance.copy()
    h[0] = 0.0
    fit = fit_model(FitTarget(h, g, n), sph(0.5, 0.5, 50.0))
    used = fit.table["used"].to_numpy()
    assert used.sum() == len(h) - 3 and not used[[0, 3, 5]].any()
    assert fit.model.structures[0].ranges[0] == pytest.approx(150.0, rel=1e-6)
    assert list(fit.table.columns) == ["direction", "azimuth", "dip", "distance", "pairs",
                                       "experimental", "model", "weight", "used"]


@pytest.mark.parametrize("call, fragment", [
    (lambda t: fit_model(t, sph(0.1, 1, 50), weights="pairs/h3"), "weights must be"),
    (lambda t: fit_model(t, sph(0.1, 1, 50), fixed={"s2.sill": 1}), "unknown parameter"),
    (lambda t: fit_model(t, sph(0.1, 1, 50), fixed=["nugget", "s1.sill", "s1.ranges"]),
     "nothing to fit"),
    (lambda t: fit_model(t, sph(0.1, 1, 50), bounds={"nugget": (1, 0.5)}), "low must be"),
    (lambda t: fit_model(t, fixed=["nugget"]), "need values"),
    (lambda t: fit_model(t, kinds=("power",), structures=(1,)), "power"),
    (lambda t: fit_model(t, sph(0.1, 1, 50), weights=[np.ones(3)]), "one array"),
    (lambda t: fit_model(FitTarget([1.0, 2.0], [1.0], [3, 4]), sph(0.1, 1, 50)), "length"),
    (lambda t: fit_model(FitTarget([0.0, 2.0], [1.0, 1.0], [0, 4])), "usable lags"),
    (lambda t: fit_model([], sph(0.1, 1, 50)), "no experimental"),
    (lambda t: fit_model(SimpleNamespace(distance=[1.0], value=[1.0], pairs=[1]),
                         sph(0.1, 1, 50)), "direction"),
    (lambda t: fit_model(t, "model"), "start must be"),
    (lambda t: fit_model(SimpleNamespace(distance=t.distance, value=t.value, pairs=t.pairs,
                                         kind="covariance", direction=t.direction)),
     "semivariograms"),
])
def test_errors(call, fragment):
    with pytest.raises(ParameterError, match=fragment):
        call(synthetic(sph(0.2, 1.0, 150.0)))


def test_zero_variogram_has_no_automatic_model():
    with pytest.raises(ParameterError, match="zero everywhere"):
        fit_model(FitTarget(H, np.zeros(H.size), np.full(H.size, 10.0)))


def test_degrees_of_a_fit_are_reported():
    fit = fit_model(synthetic(sph(0.2, 1.0, 150.0)), sph(0.5, 0.5, 50.0))
    assert math.isfinite(fit.residual)
    assert set(fit.parameters["name"]) >= {"nugget", "s1.sill", "s1.range_major", "s1.ang1"}
    assert fit.candidates is None
