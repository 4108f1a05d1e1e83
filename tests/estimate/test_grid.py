"""BlockGrid: centroids worked out by hand, the rotation convention, locate round trips, GSLIB
xmn and the kt3d block discretisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.estimate.grid import BlockGrid

# -- centroids by hand ------------------------------------------------------------------------


def test_unrotated_centroids_by_hand():
    g = BlockGrid(origin=(100.0, 200.0, 10.0), size=(10.0, 20.0, 5.0), count=(3, 2, 2))
    assert g.n_blocks == 12
    # index = ix + 3·(iy + 2·iz); centroid = origin + (i + ½)·size
    expected = {
        0: (105.0, 210.0, 12.5),   # (0, 0, 0)
        1: (115.0, 210.0, 12.5),   # (1, 0, 0)
        2: (125.0, 210.0, 12.5),   # (2, 0, 0)
        3: (105.0, 230.0, 12.5),   # (0, 1, 0)
        6: (105.0, 210.0, 17.5),   # (0, 0, 1)
        11: (125.0, 230.0, 17.5),  # (2, 1, 1)
    }
    idx = list(expected)
    np.testing.assert_array_equal(g.centroids(idx), np.array(list(expected.values())))
    np.testing.assert_array_equal(g.ijk(idx), [[0, 0, 0], [1, 0, 0], [2, 0, 0], [0, 1, 0],
                                               [0, 0, 1], [2, 1, 1]])
    np.testing.assert_array_equal(g.index_of([[2, 1, 1], [0, 1, 0]]), [11, 3])
    assert g.block_volume_m3 == 1000.0
    assert g.shape == (2, 2, 3)


def test_all_centroids_follow_the_kt3d_loop_order():
    # kt3d's main loop: iz = (index-1)/nxy + 1, iy = (index-(iz-1)nxy-1)/nx + 1, ix = rest;
    # xloc = xmn + (ix-1)·xsiz (1-based index)
    nx, ny, nz, xmn, ymn, zmn, xs, ys, zs = 4, 3, 2, 0.5, 10.0, -5.0, 1.0, 2.0, 2.5
    g = BlockGrid.from_gslib(nx, xmn, xs, ny, ymn, ys, nz, zmn, zs)
    nxy = nx * ny
    rows = []
    for index in range(1, nx * ny * nz + 1):
        iz = (index - 1) // nxy + 1
        iy = (index - (iz - 1) * nxy - 1) // nx + 1
        ix = index - (iz - 1) * nxy - (iy - 1) * nx
        rows.append((xmn + (ix - 1) * xs, ymn + (iy - 1) * ys, zmn + (iz - 1) * zs))
    np.testing.assert_allclose(g.centroids(), rows, rtol=0, atol=1e-12)


def test_rotation_90_by_hand():
    # rotation 90: the grid's Y axis points east, its X axis south
    g = BlockGrid((1000.0, 2000.0, 0.0), (10.0, 20.0, 5.0), (2, 2, 1), rotation=90.0)
    np.testing.assert_allclose(g.centroids([0, 1, 2, 3]),
                               [[1010.0, 1995.0, 2.5],    # local (5, 10)
                                [1010.0, 1985.0, 2.5],    # local (15, 10): 10 m further south
                                [1030.0, 1995.0, 2.5],    # local (5, 30): 20 m further east
                                [1030.0, 1985.0, 2.5]], atol=1e-9)


def test_rotation_30_by_hand():
    # local (5, 10): x = 5 cos30 + 10 sin30, y = -5 sin30 + 10 cos30
    g = BlockGrid((0.0, 0.0, 0.0), (10.0, 20.0, 5.0), (1, 1, 1), rotation=30.0)
    np.testing.assert_allclose(g.centroids([0]), [[9.330127019, 6.160254038, 2.5]], atol=1e-8)


@pytest.mark.parametrize("rotation", [0.0, 17.5, 45.0, 90.0, 135.0, 200.0, -30.0, 359.0])
def test_rotation_is_the_azimuth_of_the_grid_y_axis(rotation):
    g = BlockGrid((500.0, -20.0, 3.0), (4.0, 6.0, 2.0), (3, 3, 3), rotation=rotation)
    c = g.centroids(g.index_of([[0, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]))

    def azimuth(v):  # clockwise from north (Y), degrees
        return math.degrees(math.atan2(v[0], v[1])) % 360.0

    assert azimuth(c[1] - c[0]) == pytest.approx(rotation % 360.0, abs=1e-9)
    assert azimuth(c[2] - c[0]) == pytest.approx((rotation + 90.0) % 360.0, abs=1e-9)
    np.testing.assert_allclose(c[3] - c[0], [0, 0, 2.0], atol=1e-12)  # Z stays vertical
    # right-handed: X × Y = Z
    np.testing.assert_allclose(np.cross(c[2] - c[0], c[1] - c[0]) / (4.0 * 6.0), [0, 0, 1],
                               atol=1e-12)
    # the rotation is about the origin: the first block's corner stays there
    np.testing.assert_allclose(g.to_world([[0.0, 0.0, 0.0]]), [[500.0, -20.0, 3.0]])


# -- locate -----------------------------------------------------------------------------------

grids = st.builds(
    BlockGrid,
    origin=st.tuples(*[st.floats(-1e6, 1e6, allow_nan=False)] * 3),
    size=st.tuples(*[st.floats(0.1, 100.0)] * 3),
    count=st.tuples(*[st.integers(1, 6)] * 3),
    rotation=st.one_of(st.just(0.0), st.floats(-360.0, 360.0)),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(grids, st.floats(0.01, 0.99), st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_locate_round_trip(g, fx, fy, fz):
    every = np.arange(g.n_blocks)
    np.testing.assert_array_equal(g.locate(g.centroids()), every)
    # any point well inside a block (fractions of the block along each grid axis)
    local = (g.ijk(every) + [fx, fy, fz]) * g.size
    np.testing.assert_array_equal(g.locate(g.to_world(local)), every)
    np.testing.assert_array_equal(g.index_of(g.ijk(every)), every)
    # one block beyond each face is outside
    for k in range(3):
        for side in (-0.5, g.count[k] + 0.5):
            p = g.local_centroids([0]).copy()
            p[0, k] = side * g.size[k]
            assert g.locate(g.to_world(p))[0] == -1


def test_locate_faces_and_nan():
    g = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
    pts = [[0.0, 0.0, 0.0],      # lower corner: block 0
           [10.0, 5.0, 5.0],     # shared face: the upper block
           [20.0, 5.0, 5.0],     # upper face of the last block: outside
           [-1e-9, 5.0, 5.0],
           [np.nan, 5.0, 5.0]]
    np.testing.assert_array_equal(g.locate(pts), [0, 1, -1, -1, -1])


def test_ijk_and_index_of_reject_outside():
    g = BlockGrid((0, 0, 0), (1, 1, 1), (3, 2, 2))
    with pytest.raises(ParameterError, match="12"):
        g.ijk([0, 12])
    with pytest.raises(ParameterError, match=r"row 1 \(3, 0, 0\)"):
        g.index_of([[0, 0, 0], [3, 0, 0]])
    with pytest.raises(ParameterError, match="whole numbers"):
        g.ijk([0.5])


# -- GSLIB ------------------------------------------------------------------------------------


def test_gslib_xmn():
    # the grid of GSLIB's kt3d.par: 50 0.5 1.0 / 50 0.5 1.0 / 1 0.5 1.0
    g = BlockGrid.from_gslib(50, 0.5, 1.0, 50, 0.5, 1.0, 1, 0.5, 1.0)
    np.testing.assert_array_equal(g.origin, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g.gslib_xmn, [0.5, 0.5, 0.5])
    assert g.gslib_spec() == (50, 0.5, 1.0, 50, 0.5, 1.0, 1, 0.5, 1.0)
    g2 = BlockGrid((100.0, 200.0, -40.0), (5.0, 10.0, 2.0), (4, 4, 4))
    np.testing.assert_array_equal(g2.gslib_xmn, [102.5, 205.0, -39.0])
    assert BlockGrid.from_gslib(*g2.gslib_spec()) == g2
    np.testing.assert_array_equal(g2.centroids([0])[0], g2.gslib_xmn)


def test_gslib_xmn_refuses_rotated_grids():
    g = BlockGrid((0, 0, 0), (1, 1, 1), (2, 2, 2), rotation=10.0)
    with pytest.raises(ParameterError, match="rotated"):
        _ = g.gslib_xmn
    u = g.unrotated()
    np.testing.assert_allclose(u.centroids(), g.to_local(g.centroids()), atol=1e-12)


# -- block discretisation ---------------------------------------------------------------------


def kt3d_offsets(size, nd, dtype=np.float64):
    """kt3d's loop, written out: offsets from the lower-left corner, then minus size/2."""
    xsiz, ysiz, zsiz = (dtype(s) for s in size)
    nxdis, nydis, nzdis = nd
    xdis = xsiz / dtype(max(nxdis, 1))
    ydis = ysiz / dtype(max(nydis, 1))
    zdis = zsiz / dtype(max(nzdis, 1))
    out = []
    xloc = dtype(-0.5) * (xsiz + xdis)
    for _ in range(nxdis):
        xloc = xloc + xdis
        yloc = dtype(-0.5) * (ysiz + ydis)
        for _ in range(nydis):
            yloc = yloc + ydis
            zloc = dtype(-0.5) * (zsiz + zdis)
            for _ in range(nzdis):
                zloc = zloc + zdis
                # kt3d stores xloc + 0.5·xsiz (from the corner) and shifts the samples the same
                # way; relative to the centroid that is xloc itself
                out.append((float(xloc), float(yloc), float(zloc)))
    return np.array(out)


@pytest.mark.parametrize("size,nd", [((10.0, 10.0, 20.0), (4, 4, 2)),
                                     ((1.0, 1.0, 1.0), (1, 1, 1)),
                                     ((25.0, 12.5, 3.0), (3, 5, 1)),
                                     ((7.3, 0.9, 11.0), (2, 1, 6))])
def test_discretisation_matches_kt3d(size, nd):
    g = BlockGrid((0, 0, 0), size, (1, 1, 1))
    off = g.discretisation_offsets(nd)
    assert off.shape == (nd[0] * nd[1] * nd[2], 3)
    np.testing.assert_allclose(off, kt3d_offsets(size, nd), rtol=0, atol=1e-12)
    # and GSLIB's own single-precision numbers to their precision
    np.testing.assert_allclose(off, kt3d_offsets(size, nd, np.float32), rtol=0,
                               atol=1e-5 * max(size))
    np.testing.assert_allclose(off.mean(axis=0), 0.0, atol=1e-12)


def test_discretisation_by_hand_and_rotated():
    g = BlockGrid((0, 0, 0), (10.0, 10.0, 20.0), (1, 1, 1))
    off = g.discretisation_offsets((4, 4, 2))
    np.testing.assert_allclose(np.unique(off[:, 0]), [-3.75, -1.25, 1.25, 3.75])
    np.testing.assert_allclose(np.unique(off[:, 2]), [-5.0, 5.0])
    np.testing.assert_allclose(off[:3], [[-3.75, -3.75, -5.0], [-3.75, -3.75, 5.0],
                                         [-3.75, -1.25, -5.0]])   # Z innermost, as kt3d
    r = BlockGrid((0, 0, 0), (10.0, 10.0, 20.0), (1, 1, 1), rotation=90.0)
    rot = r.discretisation_offsets((4, 4, 2))
    # grid X points south, grid Y east: world (x, y) = (local y, -local x)
    np.testing.assert_allclose(rot, np.column_stack([off[:, 1], -off[:, 0], off[:, 2]]),
                               atol=1e-12)
    np.testing.assert_allclose(r.discretisation_offsets((4, 4, 2), world=False), off)
    with pytest.raises(ParameterError, match="nxdis"):
        g.discretisation_offsets((0, 1, 1))


# -- validation, sub-sets, conversions -------------------------------------------------------


@pytest.mark.parametrize("kwargs,words", [
    ({"size": (10, 0, 5)}, ["size", "> 0", "y is 0.0"]),
    ({"size": (10, -1, 5)}, ["size", "-1.0"]),
    ({"size": (10, 5)}, ["size", "3 numbers", "got 2"]),
    ({"count": (10, 2.5, 1)}, ["count", "whole numbers", "ny is 2.5"]),
    ({"count": (10, 0, 1)}, ["count", "ny is 0"]),
    ({"count": (10, 10, "a")}, ["count", "'a'"]),
    ({"origin": (0, np.nan, 0)}, ["origin", "finite", "nan"]),
    ({"rotation": float("inf")}, ["rotation", "inf"]),
    ({"rotation": "north"}, ["rotation", "'north'"]),
    ({"count": (10**6, 10**6, 10**6)}, ["count", "blocks"]),
])
def test_bad_parameters_say_which_and_what(kwargs, words):
    args = {"origin": (0, 0, 0), "size": (10, 10, 5), "count": (2, 2, 2)} | kwargs
    with pytest.raises(ParameterError) as err:
        BlockGrid(**args)
    for w in words:
        assert w in str(err.value)


def test_counts_from_files_may_be_whole_floats():
    assert BlockGrid((0, 0, 0), (1, 1, 1), (2.0, 3.0, 1.0)).count.tolist() == [2, 3, 1]


def test_subset_by_mask_and_domain_code():
    g = BlockGrid((0, 0, 0), (1, 1, 1), (3, 2, 2))
    codes = np.array([1, 2, 3] * 4)
    np.testing.assert_array_equal(g.subset(codes == 2), [1, 4, 7, 10])
    np.testing.assert_array_equal(g.subset((codes == 3).reshape(g.shape)), [2, 5, 8, 11])
    with pytest.raises(ParameterError, match="12 values"):
        g.subset(np.ones(5, dtype=bool))
    with pytest.raises(ParameterError, match="booleans"):
        g.subset(codes)


def test_dict_round_trip_and_equality():
    g = BlockGrid((1.5, -2.0, 3.0), (1.0, 2.0, 0.5), (3, 4, 5), rotation=12.5)
    d = g.to_dict()
    assert d == {"origin": [1.5, -2.0, 3.0], "size": [1.0, 2.0, 0.5], "count": [3, 4, 5],
                 "rotation": 12.5}
    assert BlockGrid.from_dict(d) == g and hash(BlockGrid.from_dict(d)) == hash(g)
    assert g != BlockGrid((1.5, -2.0, 3.0), (1.0, 2.0, 0.5), (3, 4, 5))
    with pytest.raises(ParameterError, match="missing size"):
        BlockGrid.from_dict({"origin": [0, 0, 0], "count": [1, 1, 1]})
    with pytest.raises(ParameterError, match="unknown keys nx"):
        BlockGrid.from_dict(d | {"nx": 3})
    with pytest.raises(ValueError, match="read-only"):
        g.origin[0] = 5.0
