"""The compiled estimation kernels against their NumPy twins.

The twins (``krige_numpy`` and the others in ``orebook.estimate._kernels``) take the model
itself and compute covariances with ``VariogramModel.covariance`` (not the packed arrays), and
solve the full bordered system of every target with ``np.linalg.solve``: a different
algorithm on different code. Random models (nested, anisotropic, every shape), samples,
neighbour lists of varying length (0, 1, …, k, so that the padded SIMD lanes of the kernel
are exercised) and block discretisations come from hypothesis.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.estimate import _kernels as K
from orebook.geostats.models import KINDS, POWER_CMAX, Structure, VariogramModel

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

angles = st.tuples(st.floats(0, 360), st.floats(-90, 90), st.floats(-90, 90))
ranges = st.tuples(*[st.floats(15.0, 300.0)] * 3)


@st.composite
def structures(draw, kinds=KINDS):
    kind = draw(st.sampled_from(kinds))
    # a power structure stays small within the data's 150 m so that its covariance
    # (POWER_CMAX − γ) remains a covariance
    sill = draw(st.floats(0.05, 3.0)) if kind != "power" else draw(st.floats(1e-4, 1e-2))
    return Structure(kind, sill, draw(ranges), draw(angles), draw(st.floats(0.2, 1.5)))


@st.composite
def models(draw, kinds=KINDS):
    s = tuple(draw(st.lists(structures(kinds), min_size=0, max_size=3)))
    nugget = draw(st.floats(0.0, 1.0)) if s else draw(st.floats(0.1, 1.0))
    return VariogramModel(nugget, s)


def neighbour_lists(rng, n: int, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Random distinct samples for each target, 0 … k of them, −1 padded."""
    cnt = rng.integers(0, min(k, n) + 1, m)
    idx = np.full((m, k), -1, dtype=np.int64)
    for t in range(m):
        idx[t, :cnt[t]] = rng.choice(n, cnt[t], replace=False)
    return idx, cnt


def conditioning(model, xyz, idx, cnt) -> np.ndarray:
    """Condition number of each target's covariance matrix (1 without samples)."""
    out = np.ones(len(cnt))
    for t, n in enumerate(cnt):
        if n:
            out[t] = np.linalg.cond(model.covariance(xyz[idx[t, :n]]))
    return out


def assert_twins(a: dict, b: dict, cond: np.ndarray, scale: float = 1.0) -> None:
    """Outputs agree where both estimated, to a tolerance proportional to the condition
    number (both solvers are backward stable); they may disagree on singularity only for a
    matrix that is singular to working precision."""
    differ = a["reason"] != b["reason"]
    assert (cond[differ] > 1e10).all(), (a["reason"][differ], b["reason"][differ])
    np.testing.assert_array_equal(a["nsamples"], b["nsamples"])
    ok = (a["reason"] == K.REASON_OK) & ~differ
    tol = 1e-13 * np.maximum(cond, 10.0)
    for f in K.FIELDS:
        if f in ("nsamples", "reason"):
            continue
        x, y = a[f][ok], b[f][ok]
        assert np.array_equal(np.isnan(x), np.isnan(y)), f
        fin = ~np.isnan(y)
        s = scale if f in ("variance", "lagrange") else 1.0
        err = np.abs(x[fin] - y[fin]) / (s + np.abs(y[fin]))
        assert (err <= tol[ok][fin] * 100).all(), (f, err.max())
    bad = a["reason"] != K.REASON_OK
    for f in ("estimate", "variance", "slope", "efficiency", "negative_weights", "lagrange"):
        assert np.isnan(a[f][bad]).all()


# --------------------------------------------------------------------------- covariance


@SETTINGS
@given(models(), st.integers(0, 2**32 - 1))
def test_packed_covariance_is_the_models(model, seed):
    rng = np.random.default_rng(seed)
    d = rng.normal(0, 80, (200, 3))
    d[:5] = 0.0
    m = K.pack_model(model)
    expected = model.covariance_of(d)
    np.testing.assert_allclose(K.covariance(d, m), expected, rtol=1e-12,
                               atol=1e-12 * model.cmax)
    assert (K.covariance(d[:5], m) == model.cmax).all()  # zero separation: the nugget is in
    # C' (block terms): no nugget, even at zero separation
    np.testing.assert_allclose(K.covariance(d[:5], m, nugget=False), model.cmax - model.nugget)
    np.testing.assert_allclose(K.covariance(d[5:], m, nugget=False), expected[5:], rtol=1e-12,
                               atol=1e-12 * model.cmax)


def test_pack_model_arrays():
    model = VariogramModel(0.2, (Structure("spherical", 1.0, (100, 50, 10), (30, -10, 5)),
                                 Structure("power", 0.01, (20, 20, 20), exponent=1.5)))
    m = K.pack_model(model)
    assert m.nugget == 0.2 and m.cmax == pytest.approx(1.2 + POWER_CMAX)
    assert m.kind.tolist() == [K.KIND_CODES["spherical"], K.KIND_CODES["power"]]
    np.testing.assert_array_equal(m.rotation[0], model.structures[0].scaled_rotation)
    assert m.exponent.tolist() == [1.0, 1.5] and m.major.tolist() == [100.0, 20.0]
    pure = K.pack_model(VariogramModel(0.5))
    assert pure.kind.shape == (0,) and pure.rotation.shape == (0, 3, 3)


# --------------------------------------------------------------------------- kriging twins


@SETTINGS
@given(models(), st.integers(0, 2**32 - 1), st.sampled_from(["ok", "sk"]),
       st.sampled_from(["point", "block", "weighted block"]))
def test_krige_matches_numpy_twin(model, seed, kind, support):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(1, 40)), int(rng.integers(1, 150)), int(rng.integers(1, 14))
    xyz = rng.uniform(0, 150, (n, 3))
    values = rng.normal(2.0, 1.0, n)
    targets = rng.uniform(-20, 170, (m, 3))
    targets[: min(m, n) // 3] = xyz[: min(m, n) // 3]  # some targets on samples
    idx, cnt = neighbour_lists(rng, n, m, k)
    offs = wts = None
    if support != "point":
        offs = rng.uniform(-10, 10, (int(rng.integers(2, 10)), 3))
        if support == "weighted block":
            wts = rng.uniform(0.1, 1.0, len(offs))
    mean = rng.normal(2.0, 1.0, m)
    a = K.krige(xyz, values, idx, cnt, targets, K.pack_model(model), kind=kind, mean=mean,
                disc_offsets=offs, disc_weights=wts)
    b = K.krige_numpy(xyz, values, idx, cnt, targets, model, kind=kind, mean=mean,
                      disc_offsets=offs, disc_weights=wts)
    assert_twins(a, b, conditioning(model, xyz, idx, cnt), scale=model.cmax)
    if kind == "sk":
        assert np.isnan(a["lagrange"]).all()


def test_duplicate_samples_are_singular_not_an_error():
    model = VariogramModel(0.3, (Structure("spherical", 1.0, (50.0, 50.0, 50.0)),))
    xyz = np.array([[0.0, 0, 0], [10, 0, 0], [10, 0, 0], [0, 10, 0]])
    v = np.array([1.0, 2.0, 3.0, 4.0])
    # 70 targets: one group of 64 lanes and a partial one; target 5 uses the duplicate pair
    m = 70
    idx = np.tile([0, 1, 3, -1], (m, 1))
    cnt = np.full(m, 3)
    idx[5] = [0, 1, 2, 3]
    cnt[5] = 4
    cnt[6] = 0
    tg = np.full((m, 3), 5.0)
    for kind in ("ok", "sk"):
        a = K.krige(xyz, v, idx, cnt, tg, K.pack_model(model), kind=kind, mean=2.0)
        b = K.krige_numpy(xyz, v, idx, cnt, tg, model, kind=kind, mean=2.0)
        assert a["reason"][5] == b["reason"][5] == K.REASON_SINGULAR
        assert a["reason"][6] == b["reason"][6] == K.REASON_NO_SAMPLES
        assert a["nsamples"][5] == 4 and a["nsamples"][6] == 0
        rest = np.delete(np.arange(m), [5, 6])
        assert (a["reason"][rest] == K.REASON_OK).all()
        # the singular lane leaves its neighbours in the group untouched
        np.testing.assert_allclose(a["estimate"][rest], b["estimate"][rest], rtol=1e-13)
        np.testing.assert_allclose(a["estimate"][rest], a["estimate"][0], rtol=0, atol=0)
        for f in ("estimate", "variance", "slope", "efficiency", "lagrange"):
            assert np.isnan(a[f][[5, 6]]).all()


def test_results_do_not_depend_on_threads_or_grouping():
    rng = np.random.default_rng(7)
    model = VariogramModel(0.1, (Structure("spherical", 0.9, (60, 40, 20), (30, 0, 0)),
                                 Structure("exponential", 0.5, (200, 200, 50))))
    xyz = rng.uniform(0, 200, (300, 3))
    v = rng.normal(size=300)
    tg = rng.uniform(0, 200, (3000, 3))
    idx, cnt = neighbour_lists(rng, 300, 3000, 20)
    m = K.pack_model(model)
    offs = rng.uniform(-5, 5, (4, 3))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = K.krige(xyz, v, idx, cnt, tg, m, disc_offsets=offs)
    finally:
        numba.set_num_threads(before)
    many = K.krige(xyz, v, idx, cnt, tg, m, disc_offsets=offs)
    # a shifted window puts every target in another SIMD group, with other neighbours
    shifted = K.krige(xyz, v, idx[37:], cnt[37:], tg[37:], m, disc_offsets=offs)
    for f in K.FIELDS:
        np.testing.assert_array_equal(one[f], many[f])
        np.testing.assert_array_equal(one[f][37:], shifted[f])


def test_block_covariance_kt3d_rules():
    """kt3d: C̄(V, V) = mean of C over pairs of discretisation points, with c0 removed from
    the i = j terms: the nugget does not enter. Two points 30 m apart, spherical a = 100:
    C'(0) = 1, C'(30) = 1 − (1.5·0.3 − 0.5·0.027) = 0.5635, mean = (2·1 + 2·0.5635)/4."""
    model = VariogramModel(0.4, (Structure("spherical", 1.0, (100.0, 100.0, 100.0)),))
    m = K.pack_model(model)
    offs = np.array([[-15.0, 0, 0], [15.0, 0, 0]])
    assert K.block_covariance(m, offs) == pytest.approx((2 + 2 * 0.5635) / 4, rel=1e-12)
    assert K.block_covariance(m) == pytest.approx(1.4)  # point: C(0), nugget included
    assert K.block_covariance(K.pack_model(VariogramModel(0.4)), offs) == 0.0


# --------------------------------------------------------------------------- IDW and NN


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 4.0), angles, ranges)
def test_inverse_distance_and_nearest_match_numpy_twins(seed, power, ang, rng3):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(1, 40)), int(rng.integers(1, 150)), int(rng.integers(1, 14))
    xyz = rng.uniform(0, 100, (n, 3))
    v = rng.normal(size=n)
    tg = rng.uniform(0, 100, (m, 3))
    tg[: min(m, n) // 4] = xyz[: min(m, n) // 4]
    idx, cnt = neighbour_lists(rng, n, m, k)
    rot = Structure("spherical", 1.0, rng3, ang).scaled_rotation
    a = K.inverse_distance(xyz, v, idx, cnt, tg, power, rot)
    b = K.inverse_distance_numpy(xyz, v, idx, cnt, tg, power, rot)
    for f in a:
        np.testing.assert_allclose(a[f], b[f], rtol=1e-12, atol=1e-12)
    a = K.nearest(xyz, v, idx, cnt, tg, rot)
    b = K.nearest_numpy(xyz, v, idx, cnt, tg, rot)
    for f in a:
        np.testing.assert_allclose(a[f], b[f], rtol=1e-12, atol=1e-14)


def test_inverse_distance_by_hand():
    xyz = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 0]])
    v = np.array([10.0, 20.0, 30.0])
    idx = np.array([[0, 1, -1], [0, 1, 2]])
    cnt = np.array([2, 3])
    out = K.inverse_distance(xyz, v, idx, cnt, np.zeros((2, 3)), 2.0)
    # weights 1/1² and 1/2²: (10 + 20/4) / 1.25 = 12; the second target sits on sample 2
    assert out["estimate"].tolist() == [12.0, 30.0]
    assert out["mean_distance"][0] == 1.5
    out = K.inverse_distance(xyz, v, idx[:1], cnt[:1], np.zeros((1, 3)), 0.0)
    assert out["estimate"][0] == 15.0  # power 0: the plain mean
