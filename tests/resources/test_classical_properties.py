"""Properties of the classical methods that hold for any data: the polygons of influence tile
their outline, each polygon is the region nearest its hole, totals are the sums of their
parts, and every intercept built under the conditions meets them."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import InputError
from orebook.resources.classical import (
    Block,
    Conditions,
    Intercepts,
    clip_halfplane,
    geological_blocks,
    influence_polygons,
    is_simple,
    ore_intercepts,
    points_in_polygon,
    polygon_area,
    polygons_method,
    summary_table,
    triangles_method,
)

PROPS = settings(deadline=None, max_examples=60, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])


@st.composite
def star_outline(draw):
    """A simple outline, often concave (vertices in order of angle around a centre, kept when
    no edges cross), far or near the origin, with 3 to 12 vertices."""
    k = draw(st.integers(3, 12))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi, exclude_max=True),
                                            min_size=k, max_size=k, unique=True))))
    radii = np.array(draw(st.lists(st.floats(5, 100), min_size=k, max_size=k)))
    centre = np.array(draw(st.sampled_from([(0.0, 0.0), (500000.0, 7000000.0), (-30.0, 12.5)])))
    ring = centre + np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    if abs(polygon_area(ring)) < 1.0 or not is_simple(ring):
        ring = centre + np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    return ring


@st.composite
def points_in(draw, ring, n_max=25):
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    n = draw(st.integers(1, n_max))
    raw = draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=n, max_size=n))
    pts = lo + np.array(raw) * (hi - lo)
    pts = np.round(pts, 3)
    return np.unique(pts, axis=0)


@PROPS
@given(data=st.data())
def test_polygon_areas_sum_to_the_outline_and_match_all_pairs_clipping(data):
    ring = data.draw(star_outline())
    pts = data.draw(points_in(ring))
    cells = influence_polygons(pts, ring)
    areas = np.array([abs(polygon_area(c)) for c in cells])
    total = abs(polygon_area(ring))
    assert math.fsum(areas) == np.float64(total) or \
        abs(math.fsum(areas) - total) <= 1e-9 * total
    # a second, simpler construction: clip by the bisector with every other point
    origin = ring.mean(axis=0)
    p, r = pts - origin, ring - origin
    for i in range(len(p)):
        cell = r
        for j in range(len(p)):
            if j != i and len(cell):
                cell = clip_halfplane(cell, 2 * (p[j] - p[i]), p[j] @ p[j] - p[i] @ p[i])
        assert abs(abs(polygon_area(cell)) - areas[i]) <= 1e-9 * total


def test_each_polygon_is_the_region_nearest_its_hole():
    # brute force: a 400 × 400 grid of cell centres over a concave outline, each given to its
    # nearest hole; the share of each hole approaches its polygon's area
    ring = np.array([[0.0, 0], [100, 0], [100, 100], [60, 100], [60, 40], [40, 40], [40, 100],
                     [0, 100]])
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 100, (12, 2))
    cells = influence_polygons(pts, ring)
    g = (np.arange(400) + 0.5) / 4.0
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid = grid[points_in_polygon(grid, ring)]
    nearest = np.argmin(((grid[:, None, :] - pts[None]) ** 2).sum(-1), axis=1)
    counted = np.bincount(nearest, minlength=len(pts)) * 0.25 ** 2
    areas = np.array([abs(polygon_area(c)) for c in cells])
    assert abs(polygon_area(ring)) == 100 * 100 - 20 * 60
    np.testing.assert_allclose(areas, counted, atol=0.25 * 60)  # a few cells along each edge


@st.composite
def blocks_and_holes(draw):
    """A row of 1 to 4 rectangular blocks of random categories, each with 1 to 6 holes."""
    nb = draw(st.integers(1, 4))
    blocks, hole, u, v, m, c, blk = [], [], [], [], [], [], []
    x0 = 0.0
    for b in range(nb):
        w, h = draw(st.floats(5, 200)), draw(st.floats(5, 200))
        cat = draw(st.sampled_from(["A", "B", "C1", "C2", "P1"]))
        blocks.append(Block(f"B{b}", cat, np.array([[x0, 0], [x0 + w, 0], [x0 + w, h], [x0, h]]),
                            draw(st.floats(1.5, 4.5))))
        k = draw(st.integers(1, 6))
        for j in range(k):
            hole.append(f"H{b}-{j}")
            u.append(x0 + w * (j + 0.5) / k)
            v.append(draw(st.floats(0.01, 0.99)) * h)
            m.append(draw(st.floats(0, 30)))
            c.append(draw(st.floats(0, 10)))
            blk.append(f"B{b}")
        x0 += w
    return blocks, Intercepts.build(hole, u, v, m, c, None, blk)


@PROPS
@given(case=blocks_and_holes(), method=st.sampled_from(["blocks", "polygons", "triangles"]))
def test_totals_are_the_sums_of_their_parts(case, method):
    blocks, holes = case
    if method == "blocks":
        res = geological_blocks(holes, blocks, grade_unit="g/t", metal_unit="kg")
    elif method == "polygons":
        res = polygons_method(holes, blocks, grade_unit="g/t", metal_unit="kg")
        # the polygons of a block tile it
        for b in blocks:
            part = res.elements[res.elements.block == b.id]
            assert abs(math.fsum(part.area_m2) - b.area_m2) <= 1e-9 * b.area_m2
    else:
        if any((holes.block == b.id).sum() < 3 for b in blocks):
            return
        try:
            res = triangles_method(holes, blocks, grade_unit="g/t", metal_unit="kg")
        except InputError as exc:  # holes on one line: refused with a message
            assert "triangle" in str(exc)
            return
    e = res.elements
    # metal = ore × grade × 1e-3 (g/t → kg per t), ore = volume × density, element by element
    np.testing.assert_allclose(e.metal, e.ore_t * e.grade * 1e-3, rtol=1e-15)
    np.testing.assert_allclose(e.ore_t, e.volume_m3 * e.density_tpm3, rtol=1e-15)
    rep = summary_table(res)
    blk = rep[rep.level == "block"]
    cat = rep[rep.level == "category"]
    total = rep[rep.level == "total"].iloc[0]
    for q in ("ore_t", "metal_kg", "volume_m3"):
        # every category is the exact sum of its blocks' elements; the total of the balance
        # categories is the exact sum of theirs
        for _, row in cat.iterrows():
            parts = e[e.category == row.category]
            assert row[q] == math.fsum(parts[q if q != "metal_kg" else "metal"])
        balance = e[~e.category.isin(["P1", "P2", "P3"])]
        assert total[q] == math.fsum(balance[q if q != "metal_kg" else "metal"])
        assert math.isclose(math.fsum(blk[~blk.category.isin(["P1"])][q]), total[q],
                            rel_tol=1e-12, abs_tol=1e-9)


@PROPS
@given(grades=st.lists(st.floats(0, 10), min_size=1, max_size=15),
       lengths=st.lists(st.floats(0.1, 3), min_size=15, max_size=15),
       cut=st.floats(0, 5), step=st.floats(0, 3), m_min=st.floats(0, 4))
def test_the_metre_grade_kept_never_exceeds_the_samples_and_rule4_holds(grades, lengths, cut,
                                                                          step, m_min):
    n = len(grades)
    to = np.cumsum(lengths[:n])
    frm = np.r_[0.0, to[:-1]]
    cond = Conditions(cut, m_min, step)
    parts = ore_intercepts(frm, to, grades, np.ones(n), cond)
    for top, bottom, t, c in parts:
        assert t >= m_min - 1e-12
        assert c >= cut - 1e-9 * max(1.0, cut)   # every intercept grades at least the cut-off
        # metal kept never exceeds the metal of the samples inside the intercept
        inside = (frm >= top) & (to <= bottom)
        assert c * t <= math.fsum(np.array(grades)[inside] * (to - frm)[inside]) \
            * (1 + 1e-12) + 1e-12
    # intercepts do not overlap and keep the order of the hole
    for a, b in itertools.pairwise(parts):
        assert a[1] <= b[0]
