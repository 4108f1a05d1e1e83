"""Swath tables and global means by hand on a tiny model; the plot is written atomically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orebook.errors import ParameterError
from orebook.estimate.grid import BlockGrid
from orebook.resources.resources_plots import plot_swath
from orebook.resources.swath import nearest_neighbour_values, swaths

# four blocks of 10 m along X, centroids x = 5, 15, 25, 35 (y = z = 5), estimates 1, 2, 3, 4
GRID = BlockGrid((0, 0, 0), (10, 10, 10), (4, 1, 1))
EST = np.array([1.0, 2.0, 3.0, 4.0])
# composites at x = 1, 8, 31 with values 10, 20, 5 and declustering weights 1, 3, 2
CXYZ = np.array([[1.0, 5, 5], [8.0, 5, 5], [31.0, 5, 5]])
CV = np.array([10.0, 20.0, 5.0])
CW = np.array([1.0, 3.0, 2.0])


def test_swath_by_hand():
    r = swaths(GRID.centroids(), EST, CXYZ, CV, (20, 20, 20), origin=GRID.origin,
               sample_weights=CW, variable="au")
    x = r.table[r.table["axis"] == "x"]
    assert x["from_m"].tolist() == [0.0, 20.0] and x["to_m"].tolist() == [20.0, 40.0]
    assert x["blocks"].tolist() == [2, 2] and x["composites"].tolist() == [2, 1]
    # slice [0, 20): blocks 1 and 2 → 1.5; composites (10·1 + 20·3) / 4 = 17.5
    # slice [20, 40): blocks 3 and 4 → 3.5; composite 5
    assert x["block_mean"].tolist() == [1.5, 3.5]
    assert x["composite_mean"].tolist() == [17.5, 5.0]
    # nearest composite: x=5 → 8 (3 m, not 1 at 4 m): 20; x=15 → 8: 20; x=25, 35 → 31: 5
    assert x["nn_mean"].tolist() == [20.0, 5.0]
    y = r.table[r.table["axis"] == "y"]
    assert y["blocks"].tolist() == [4] and y["block_mean"].tolist() == [2.5]
    g = r.global_means.set_index("source")
    # (10·1 + 20·3 + 5·2) / 6 = 80 / 6; (1 + 2 + 3 + 4) / 4; (20 + 20 + 5 + 5) / 4
    assert g.loc["declustered composites", "mean"] == pytest.approx(80 / 6, rel=1e-15)
    assert g.loc["blocks", "mean"] == 2.5
    assert g.loc["nearest neighbour", "mean"] == 12.5
    assert g.loc["blocks", "difference_pct"] == pytest.approx((2.5 / (80 / 6) - 1) * 100)


def test_swath_unestimated_blocks_and_weights():
    est = np.array([1.0, np.nan, 3.0, 4.0])
    r = swaths(GRID.centroids(), est, CXYZ, CV, 20, origin=GRID.origin,
               block_weights=np.array([1.0, 1.0, 3.0, 1.0]), nn=np.array([7.0, 8, 9, 10]))
    x = r.table[r.table["axis"] == "x"]
    # slice 0 keeps only block 1 (block 2 is unestimated); slice 1: (3·3 + 4·1) / 4 = 3.25
    assert x["blocks"].tolist() == [1, 2]
    assert x["block_mean"].tolist() == [1.0, 3.25]
    # the given nearest-neighbour values, over the same blocks and weights: (9·3 + 10) / 4
    assert x["nn_mean"].tolist() == [7.0, 9.25]
    # equal composite weights: (10 + 20) / 2
    assert x["composite_mean"].tolist() == [15.0, 5.0]


def test_slices_with_composites_only_are_listed():
    cxyz = np.vstack([CXYZ, [[75.0, 5, 5]]])
    r = swaths(GRID.centroids(), EST, cxyz, np.append(CV, 1.0), 20, origin=GRID.origin)
    x = r.table[r.table["axis"] == "x"]
    assert x["slice"].tolist() == [0, 1, 3]
    assert x["blocks"].tolist() == [2, 2, 0] and math.isnan(x["block_mean"].iloc[2])


def test_nearest_neighbour_skips_missing_values():
    v = nearest_neighbour_values(np.array([[0.0, 0, 0]]), np.array([[0.0, 0, 0], [5, 0, 0]]),
                                 np.array([np.nan, 2.0]))
    assert v.tolist() == [2.0]


@pytest.mark.parametrize("kw", [{"widths": 0}, {"widths": (1, 2)}, {"widths": -5},
                                {"sample_weights": np.array([1.0, -1, 1])},
                                {"nn": np.ones(3)}, {"widths": 1e-6}])
def test_bad_options(kw):
    args = {"widths": 20, **kw}
    with pytest.raises(ParameterError):
        swaths(GRID.centroids(), EST, CXYZ, CV, args.pop("widths"), origin=GRID.origin, **args)


def test_plot_is_written(tmp_path):
    r = swaths(GRID.centroids(), EST, CXYZ, CV, 20, origin=GRID.origin)
    p = plot_swath(r, tmp_path / "s.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [f.name for f in tmp_path.iterdir()] == ["s.png"]
    with pytest.raises(ParameterError):
        plot_swath(r, tmp_path / "s.jpg")
