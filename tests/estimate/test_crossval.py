"""Cross-validation equals kriging each sample from the others, computed directly."""

from __future__ import annotations

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.estimate.crossval import cross_validate
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
    xyz, v, hole = data
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
    xyz, v, hole = data
    p = SearchParams((10.0, 10.0, 10.0))
    with pytest.raises(ParameterError, match="needs the hole ids"):
        cross_validate(xyz, v, MODEL, p, by_hole=True)
    with pytest.raises(ParameterError, match="needs the mean"):
        cross_validate(xyz, v, MODEL, p, kind="sk")
