"""Estimating a block model pass after pass: each block's pass, nothing lost, the same numbers
as the kriging functions called directly."""

from __future__ import annotations

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.estimate.kriging import ordinary_kriging
from orebook.estimate.run import estimate_blocks
from orebook.estimate.search import Neighbourhood, SearchParams
from orebook.geostats import Structure, VariogramModel

MODEL = VariogramModel(0.1, (Structure("spherical", 0.9, (50.0, 50.0, 50.0)),))


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(7)
    xyz = rng.uniform(0, 100, (300, 3))
    v = np.sin(xyz[:, 0] / 20) + rng.normal(0, 0.1, 300)
    v[::37] = np.nan  # missing values are left out
    grid = BlockGrid((0, 0, 0), (10, 10, 10), (12, 12, 10))
    return xyz, v, BlockModel.from_grid(grid)


def test_one_pass_equals_kriging_called_directly(case):
    xyz, v, bm = case
    p = SearchParams((30.0, 30.0, 30.0), min_samples=2, max_samples=12)
    run = estimate_blocks(bm, xyz, v, [p], model=MODEL, discretisation=(2, 2, 1))
    ok = np.isfinite(v)
    nb = Neighbourhood.build(xyz[ok]).query(bm.centroids(), p)
    direct = ordinary_kriging(xyz[ok], v[ok], bm.centroids(), MODEL, nb.index, nb.count,
                              disc_offsets=bm.grid.discretisation_offsets((2, 2, 1)))
    got = run.model.to_frame()
    np.testing.assert_array_equal(got["estimate"], direct.estimate)  # NaN where unestimated
    np.testing.assert_array_equal(got["variance"], direct.variance)
    np.testing.assert_array_equal(got["nsamples"], np.where(direct.reason == 0,
                                                            direct.nsamples, 0))
    assert ((got["pass"] == 1) == np.isfinite(direct.estimate)).all()


def test_second_pass_takes_exactly_the_blocks_the_first_left(case):
    xyz, v, bm = case
    p1 = SearchParams((12.0, 12.0, 12.0), min_samples=3, max_samples=16)
    p2 = SearchParams((25.0, 25.0, 25.0), min_samples=3, max_samples=32)
    run = estimate_blocks(bm, xyz, v, [p1, p2], model=MODEL)
    df = run.model.to_frame()
    ok = np.isfinite(v)
    c = bm.centroids()
    d = np.linalg.norm(c[:, None, :] - xyz[ok][None, :, :], axis=2)  # brute force
    in1, in2 = (d <= 12.0).sum(axis=1), (d <= 25.0).sum(axis=1)
    np.testing.assert_array_equal(df["pass"] == 1, in1 >= 3)
    np.testing.assert_array_equal(df["pass"] == 2, (in1 < 3) & (in2 >= 3))
    np.testing.assert_array_equal(df["estimate"].isna(), (in1 < 3) & (in2 < 3))
    s = run.summary
    assert s["estimated"].sum() + sum(s.attrs["unestimated"].values()) == len(df)
    assert s["searched"].tolist() == [len(df), int((in1 < 3).sum())]
    assert run.model.runs[-1]["parameters"]["passes"][1]["radii"] == [25.0, 25.0, 25.0]


def test_idw_and_nn_columns(case):
    xyz, v, bm = case
    p = SearchParams((30.0, 30.0, 30.0), max_samples=8)
    idw = estimate_blocks(bm, xyz, v, [p], method="idw", power=2.0, prefix="cu_").model
    nn = estimate_blocks(bm, xyz, v, [p], method="nn").model
    assert "cu_estimate" in idw.columns and "cu_variance" not in idw.columns
    e_nn = nn["estimate"][np.isfinite(nn["estimate"])]
    assert np.isin(e_nn, v[np.isfinite(v)]).all()  # NN takes a sample's value


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "sk", "model": MODEL}, "needs the mean"),
    ({"method": "ok"}, "needs a variogram model"),
    ({"method": "xx"}, "method must be one of"),
])
def test_parameter_errors(case, kwargs, message):
    xyz, v, bm = case
    with pytest.raises(ParameterError, match=message):
        estimate_blocks(bm, xyz, v, [SearchParams((10.0, 10.0, 10.0))], **kwargs)
