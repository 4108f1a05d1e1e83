"""Neighbourhood search: every answer checked against an independent brute force.

The reference (``brute``) takes every sample-target pair with NumPy, computes the anisotropic
distance from :func:`orebook.geostats.models.rotation_matrix` and the radii, sorts by
(distance, x, y, z, input row) and applies the selection rules one sample at a time, GSLIB's
octant rule written out as in ``srchsupr`` (1-based quadrants, ties on the axes). Coordinates
come from a seeded continuous distribution, so that no two distances tie (exact ties have their
own tests). The hand-worked octant case and the boundary cases do not use the reference.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.estimate.search import NO_SAMPLES, OK, TOO_FEW_SAMPLES, Neighbourhood, SearchParams
from orebook.geostats.models import rotation_matrix

# --------------------------------------------------------------------------- the reference


def gslib_octant(dx: float, dy: float, dz: float) -> int:
    """srchsupr: iq = 1..4 upper (dz ≥ 0), 5..8 lower."""
    iq = 4
    if dx <= 0.0 and dy > 0.0:
        iq = 1
    if dx > 0.0 and dy >= 0.0:
        iq = 2
    if dx < 0.0 and dy <= 0.0:
        iq = 3
    return iq + (4 if dz < 0.0 else 0)


def brute(coords, targets, p: SearchParams, hole=None, sdom=None, tdom=None, allowed=None,
          exclude=None, exclude_hole=None):
    coords = np.asarray(coords, float)
    targets = np.asarray(targets, float)
    n, m, w = len(coords), len(targets), p.max_samples
    rot = rotation_matrix(*p.angles)
    radii = np.asarray(p.radii)
    rank = np.empty(n, dtype=int)
    rank[np.lexsort((np.arange(n), coords[:, 2], coords[:, 1], coords[:, 0]))] = np.arange(n)
    res = {"index": np.full((m, w), -1), "distance": np.full((m, w), np.nan),
           "count": np.zeros(m, int), "found": np.zeros(m, int), "reason": np.zeros(m, int),
           "holes": np.full(m, 0 if hole is not None else -1), "octants": np.zeros(m, int),
           "mean": np.full(m, np.nan)}
    for i, t in enumerate(targets):
        d = coords - t
        u = d @ rot.T  # along the major, semi-major and minor axes
        a = np.sqrt(((u / radii) ** 2).sum(axis=1))
        ok = a <= 1.0
        if tdom is not None:
            own = str(tdom[i])
            usable = (allowed or {}).get(own, [own])
            ok &= np.isin(np.asarray(sdom).astype(str), [str(x) for x in usable])
        if exclude is not None and exclude[i] >= 0:
            ok[exclude[i]] = False
        if exclude_hole is not None:
            ok &= np.asarray(hole) != exclude_hole[i]
        cand = np.flatnonzero(ok)
        cand = cand[np.lexsort((rank[cand], a[cand]))]
        chosen, octs, per_hole = [], Counter(), Counter()
        for j in cand:
            if p.octant_frame == "world":
                q = gslib_octant(*d[j])
            else:
                q = gslib_octant(-u[j, 1], u[j, 0], u[j, 2])
            if p.max_per_octant and octs[q] >= p.max_per_octant:
                continue
            if p.max_per_hole and per_hole[hole[j]] >= p.max_per_hole:
                continue
            chosen.append(j)
            octs[q] += 1
            if hole is not None:
                per_hole[hole[j]] += 1
            if len(chosen) == w or (p.max_per_octant and len(chosen) == 8 * p.max_per_octant):
                break
        res["found"][i] = len(chosen)
        if len(chosen) < p.min_samples:
            res["reason"][i] = TOO_FEW_SAMPLES
            continue
        if not chosen:
            continue
        k = len(chosen)
        res["index"][i, :k] = chosen
        res["distance"][i, :k] = a[chosen]
        res["count"][i] = k
        res["octants"][i] = len(octs)
        if hole is not None:
            res["holes"][i] = len(per_hole)
        res["mean"][i] = np.linalg.norm(d[chosen], axis=1).mean()
    return res


def assert_same(got, want):
    np.testing.assert_array_equal(got.index, want["index"])
    np.testing.assert_array_equal(got.count, want["count"])
    np.testing.assert_array_equal(got.found, want["found"])
    np.testing.assert_array_equal(got.reason, want["reason"])
    np.testing.assert_array_equal(got.holes, want["holes"])
    np.testing.assert_array_equal(got.octants, want["octants"])
    np.testing.assert_allclose(got.distance, want["distance"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.mean_distance_m, want["mean"], rtol=1e-10)


def drill_holes(rng, nholes, per_hole, box):
    """Samples along straight holes (clustered, as real composites are). The spacing along a
    hole is jittered: with a regular one, the two neighbours of a sample are at equal
    distances, and which comes first is decided by rounding (in orebook and in the
    reference alike, but not in the same way)."""
    starts = rng.uniform([0, 0, 0], box, (nholes, 3))
    dirs = rng.normal(size=(nholes, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    step = rng.uniform(0.5, 0.1 * max(box), nholes)
    t = np.cumsum(rng.uniform(0.8, 1.2, (nholes, per_hole)), axis=1)
    xyz = starts[:, None, :] + (t[:, :, None] * step[:, None, None]) * dirs[:, None, :]
    hole = np.repeat(np.arange(nholes), per_hole)
    return xyz.reshape(-1, 3), hole


# --------------------------------------------------------------------------- random cases

angles = st.tuples(st.floats(0, 360), st.floats(-90, 90), st.floats(-90, 90))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), m=st.integers(1, 40),
       radii=st.tuples(st.floats(5, 80), st.floats(5, 80), st.floats(2, 40)), ang=angles,
       max_samples=st.integers(1, 24), min_samples=st.integers(0, 6),
       noct=st.integers(0, 3), per_hole=st.integers(0, 3),
       frame=st.sampled_from(["ellipsoid", "world"]), holes=st.booleans(),
       clustered=st.booleans())
def test_matches_brute_force(seed, n, m, radii, ang, max_samples, min_samples, noct, per_hole,
                             frame, holes, clustered):
    rng = np.random.default_rng(seed)
    box = np.array([100.0, 80.0, 40.0])
    if clustered:
        coords, hole = drill_holes(rng, max(1, n // 20), 20, box)
    else:
        coords = rng.uniform(0, box, (n, 3))
        hole = rng.integers(0, max(1, n // 10), len(coords))
    # targets inside, around and outside the samples' box
    targets = rng.uniform(-0.5 * box, 1.5 * box, (m, 3))
    hole = hole if holes else None
    p = SearchParams(radii, ang, min_samples=min(min_samples, max_samples),
                     max_samples=max_samples, max_per_octant=noct,
                     max_per_hole=per_hole if holes else 0, octant_frame=frame)
    got = Neighbourhood.build(coords, hole=hole).query(targets, p)
    assert_same(got, brute(coords, targets, p, hole=hole))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), m=st.integers(1, 40),
       soft=st.booleans(), noct=st.integers(0, 2), domain_kind=st.sampled_from(["int", "str"]))
def test_domains_match_brute_force(seed, n, m, soft, noct, domain_kind):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 100, (n, 3))
    targets = rng.uniform(0, 100, (m, 3))
    sdom = rng.integers(1, 4, n)
    tdom = rng.integers(1, 5, m)  # domain 4 has no samples
    allowed = {"1": ["1", "2"], "3": ["2"]} if soft else None  # 2 and 4 keep hard boundaries
    if domain_kind == "str":
        sdom = np.array([f"d{v}" for v in sdom])
        tdom = np.array([f"d{v}" for v in tdom])
        allowed = {"d1": ["d1", "d2"], "d3": ["d2"]} if soft else None
    p = SearchParams((40, 30, 20), (30, 10, 0), max_samples=8, max_per_octant=noct)
    got = Neighbourhood.build(coords, domain=sdom).query(targets, p, target_domain=tdom,
                                                         allowed=allowed)
    want = brute(coords, targets, p, sdom=sdom, tdom=tdom, allowed=allowed)
    # a target whose usable domains hold no sample at all: NO_SAMPLES rather than too few
    present = set(np.asarray(sdom).astype(str))
    for i, d in enumerate(np.asarray(tdom).astype(str)):
        if not present & set((allowed or {}).get(d, [d])):
            want["reason"][i] = NO_SAMPLES
    assert_same(got, want)


def test_issue_sized_case_matches_brute_force():
    # the benchmark's density (5,000 samples in 1000 × 1000 × 200 m, 32 within 150 m) on a
    # block of targets; both the k-nearest path and the scan-everything path (octants)
    rng = np.random.default_rng(7)
    coords = rng.uniform([0, 0, 0], [1000, 1000, 200], (5000, 3))
    g = np.arange(5, 400, 10.0)
    targets = np.stack(np.meshgrid(g, g[:20], [10.0, 110.0, 190.0], indexing="ij"),
                       axis=-1).reshape(-1, 3)
    nb = Neighbourhood.build(coords)
    for p in (SearchParams((150, 150, 150)), SearchParams((150, 100, 50), (60, -20, 10)),
              SearchParams((150, 150, 150), max_per_octant=4)):
        assert_same(nb.query(targets, p), brute(coords, targets, p))


def test_dense_samples_many_candidates():
    # thousands of samples within the radius: the gathering buffers grow
    rng = np.random.default_rng(3)
    coords = rng.uniform(0, 50, (6000, 3))
    targets = rng.uniform(0, 50, (30, 3))
    p = SearchParams((60, 60, 60), max_samples=40, max_per_octant=5)
    assert_same(Neighbourhood.build(coords).query(targets, p), brute(coords, targets, p))


@pytest.mark.parametrize("layout", ["one", "same_point", "flat", "line", "on_samples"])
@pytest.mark.parametrize("noct", [0, 1])
def test_degenerate_layouts_match_brute_force(layout, noct):
    rng = np.random.default_rng(4)
    if layout == "one":
        coords = np.array([[5.0, 5.0, 5.0]])
    elif layout == "same_point":
        coords = np.full((7, 3), 3.0)
    elif layout == "flat":
        coords = np.c_[rng.uniform(0, 50, (200, 2)), np.zeros(200)]
    elif layout == "line":
        coords = np.c_[rng.uniform(0, 50, 100), np.zeros(100), np.zeros(100)]
    else:
        coords = rng.uniform(0, 50, (100, 3))
    # targets on samples (several at one place: a tile of radius 0) and around them
    targets = np.r_[coords[:5], coords[:5], rng.uniform(-5, 55, (40, 3))]
    for ms in (1, 3):
        p = SearchParams((20, 15, 10), (10, -5, 0), max_samples=ms, max_per_octant=noct)
        assert_same(Neighbourhood.build(coords).query(targets, p), brute(coords, targets, p))


# --------------------------------------------------------------------------- the ellipsoid


@pytest.mark.parametrize("ang", [(0, 0, 0), (90, 0, 0), (45, 0, 0), (30, -60, 0),
                                 (123, 37, -71), (200, -10, 45), (315, 89, 10)])
def test_just_inside_and_just_outside_along_each_axis(ang):
    radii = (120.0, 45.0, 8.0)
    axes = rotation_matrix(*ang)  # rows: major, semi-major, minor directions
    t = np.array([1000.0, 2000.0, 300.0])
    pts = []
    for a in range(3):
        for sign in (1.0, -1.0):
            pts.append(t + sign * (1 - 1e-7) * radii[a] * axes[a])  # inside
            pts.append(t + sign * (1 + 1e-7) * radii[a] * axes[a])  # outside
    res = Neighbourhood.build(np.array(pts)).query(
        t[None, :], SearchParams(radii, ang, max_samples=12))
    assert res.count[0] == 6
    assert sorted(res.index[0, :6].tolist()) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_allclose(res.distance[0, :6], 1 - 1e-7, rtol=1e-9)


def test_distance_is_one_on_the_ellipsoid_and_zero_at_the_target():
    p = SearchParams((100.0, 50.0, 10.0), (45.0, 0.0, 0.0), max_samples=3)
    # azimuth 45°: the major axis points north-east, the semi-major axis north-west
    s = np.sqrt(0.5)
    pts = [[0, 0, 0], [60 * s, 60 * s, 0], [-50 * s * 0.5, 50 * s * 0.5, 0]]
    res = Neighbourhood.build(pts).query([[0.0, 0.0, 0.0]], p)
    assert res.index[0].tolist() == [0, 2, 1]
    np.testing.assert_allclose(res.distance[0], [0.0, 0.5, 0.6], atol=1e-12)
    np.testing.assert_allclose(res.mean_distance_m[0], (0 + 25 + 60) / 3)


# --------------------------------------------------------------------------- order, minimum


def test_nearest_first_and_at_most_max_samples():
    rng = np.random.default_rng(11)
    coords = rng.uniform(0, 100, (500, 3))
    targets = rng.uniform(0, 100, (200, 3))
    res = Neighbourhood.build(coords).query(targets, SearchParams((30, 30, 30), max_samples=10))
    d = res.distance
    assert (res.count <= 10).all()
    for i in range(len(targets)):
        k = res.count[i]
        assert np.all(np.diff(d[i, :k]) >= 0)
        assert np.all(res.index[i, k:] == -1) and np.all(np.isnan(d[i, k:]))
        # nothing left out was nearer than the last one kept
        all_d = np.linalg.norm(coords - targets[i], axis=1) / 30
        left = np.setdiff1d(np.flatnonzero(all_d <= 1), res.index[i, :k])
        if k == 10 and len(left):
            assert all_d[left].min() >= d[i, k - 1]
        if k < 10:
            assert len(left) == 0


def test_min_samples_leaves_target_unestimated():
    coords = np.array([[0.0, 0, 0], [10, 0, 0], [20, 0, 0], [200, 0, 0]])
    targets = np.array([[5.0, 0, 0], [200.0, 1, 0], [1000.0, 0, 0]])
    res = Neighbourhood.build(coords).query(targets, SearchParams((50, 50, 50), min_samples=2))
    assert res.reason.tolist() == [OK, TOO_FEW_SAMPLES, TOO_FEW_SAMPLES]
    assert res.count.tolist() == [3, 0, 0]
    assert res.found.tolist() == [3, 1, 0]
    assert (res.index[1:] == -1).all() and np.isnan(res.distance[1:]).all()
    assert np.isnan(res.mean_distance_m[1:]).all()
    assert res.estimated.tolist() == [True, False, False]
    # min_samples 0: a target with no sample is "estimated" from none (simple kriging's mean)
    res0 = Neighbourhood.build(coords).query(targets, SearchParams((50, 50, 50), min_samples=0))
    assert res0.reason.tolist() == [OK, OK, OK] and res0.count.tolist() == [3, 1, 0]


# --------------------------------------------------------------------------- cross-validation


def test_leave_one_out_equals_search_without_that_sample():
    rng = np.random.default_rng(5)
    coords = rng.uniform(0, 100, (150, 3))
    p = SearchParams((40, 40, 20), (20, 0, 0), max_samples=12, max_per_octant=2)
    nb = Neighbourhood.build(coords)
    res = nb.query(coords, p, exclude=np.arange(150))
    for i in range(150):
        keep = np.delete(np.arange(150), i)
        alone = Neighbourhood.build(coords[keep]).query(coords[i:i + 1], p)
        want = np.where(alone.index[0] >= 0, keep[alone.index[0]], -1)
        np.testing.assert_array_equal(res.index[i], want)
    # without the octant limit (the k-nearest path, one more sample asked for)
    p = SearchParams((40, 40, 20), max_samples=12)
    res = nb.query(coords, p, exclude=np.arange(150))
    assert not (res.index == np.arange(150)[:, None]).any()
    full = nb.query(coords, p)
    # without exclusion each sample is its own nearest, at distance 0
    assert (full.index[:, 0] == np.arange(150)).all() and (full.distance[:, 0] == 0).all()
    np.testing.assert_array_equal(res.index[:, :11], full.index[:, 1:12])


def test_leave_one_hole_out_equals_search_without_that_hole():
    rng = np.random.default_rng(9)
    coords, hole = drill_holes(rng, 12, 15, np.array([100.0, 100.0, 50.0]))
    names = np.array([f"DH{h:03d}" for h in hole])
    p = SearchParams((60, 60, 30), max_samples=16, max_per_hole=4)
    res = Neighbourhood.build(coords, hole=names).query(coords, p, exclude_hole=names)
    for i in range(0, len(coords), 7):
        keep = np.flatnonzero(names != names[i])
        alone = Neighbourhood.build(coords[keep], hole=names[keep]).query(coords[i:i + 1], p)
        want = np.where(alone.index[0] >= 0, keep[alone.index[0]], -1)
        np.testing.assert_array_equal(res.index[i], want)
        assert names[i] not in names[res.index[i, :res.count[i]]]
    # an id that no sample has leaves nothing out
    other = Neighbourhood.build(coords, hole=names).query(coords[:5], p, exclude_hole=["X"] * 5)
    plain = Neighbourhood.build(coords, hole=names).query(coords[:5], p)
    np.testing.assert_array_equal(other.index, plain.index)


def test_max_per_hole_keeps_the_nearest_of_each_hole():
    # two holes along x, one sample every metre; target between them
    xs = np.arange(10.0)
    coords = np.r_[np.c_[xs, np.zeros(10), np.zeros(10)], np.c_[xs, np.full(10, 3.0),
                                                                 np.zeros(10)]]
    hole = np.repeat(["A", "B"], 10)
    res = Neighbourhood.build(coords, hole=hole).query(
        [[0.0, 1.0, 0.0]], SearchParams((50, 50, 50), max_samples=10, max_per_hole=2))
    assert res.index[0, :4].tolist() == [0, 1, 10, 11]  # A0, A1 (d 1, 1.41), B0, B1
    assert res.count[0] == 4 and res.holes[0] == 2


# --------------------------------------------------------------------------- octants by hand


def test_gslib_octant_rule_worked_by_hand():
    # target at the origin, one octant at most (noct = 1), GSLIB's world frame.
    # sample: position -> GSLIB octant (srchsupr): distance
    #   A ( 0, 2, 0): dx ≤ 0, dy > 0, dz ≥ 0 -> 1   d 2
    #   B ( 0, 3, 0): octant 1 again, farther -> dropped
    #   C ( 2, 0, 0): dx > 0, dy ≥ 0 -> 2          d 2   (tie with A: x then y order: A first)
    #   D (-4, 0, 0): dx < 0, dy ≤ 0 -> 3          d 4
    #   E ( 0,-5, 0): dx = 0, dy < 0 -> 4          d 5
    #   F ( 0, 0,-6): dx = dy = 0, dz < 0 -> 8     d 6
    #   G ( 0, 0, 7): dx = dy = 0, dz ≥ 0 -> 4, already taken by E -> dropped
    #   H ( 1, 1,-1): dx > 0, dy ≥ 0, dz < 0 -> 6  d 1.73
    #   I (-1, 1,-8): octant 5 d 8.1; J (-9, -1, -1): octant 7 d 9.1
    pts = {"A": (0, 2, 0), "B": (0, 3, 0), "C": (2, 0, 0), "D": (-4, 0, 0), "E": (0, -5, 0),
           "F": (0, 0, -6), "G": (0, 0, 7), "H": (1, 1, -1), "I": (-1, 1, -8),
           "J": (-9, -1, -1)}
    names = list(pts)
    nb = Neighbourhood.build(np.array(list(pts.values()), float))
    p = SearchParams((20, 20, 20), max_samples=32, max_per_octant=1, octant_frame="world")
    res = nb.query([[0.0, 0.0, 0.0]], p)
    got = [names[j] for j in res.index[0, :res.count[0]]]
    assert got == ["H", "A", "C", "D", "E", "F", "I", "J"]
    assert res.octants[0] == 8
    # with every angle 0 the ellipsoid's frame is the world's
    p0 = SearchParams((20, 20, 20), max_samples=32, max_per_octant=1)
    np.testing.assert_array_equal(nb.query([[0.0, 0.0, 0.0]], p0).index, res.index)
    # max 5 in all: the 5 nearest of the 8 octant winners
    p5 = SearchParams((20, 20, 20), max_samples=5, max_per_octant=1, octant_frame="world")
    assert [names[j] for j in nb.query([[0.0, 0.0, 0.0]], p5).index[0]] == got[:5]
    # two per octant: B joins A, G joins E
    p2 = SearchParams((20, 20, 20), max_samples=32, max_per_octant=2, octant_frame="world")
    got2 = [names[j] for j in nb.query([[0.0, 0.0, 0.0]], p2).index[0] if j >= 0]
    assert got2 == ["H", "A", "C", "B", "D", "E", "F", "G", "I", "J"]


def test_octants_turn_with_the_ellipsoid():
    # azimuth 45°: the major axis points north-east, the semi-major axis north-west. P (5, 1)
    # and Q (1, 6) are both in GSLIB's world octant 2 (dx > 0, dy ≥ 0), but on either side of
    # the major axis: P has −semi-major > 0 (ellipsoid octant 2), Q < 0 (ellipsoid octant 1).
    pts = np.array([[5.0, 1, 0], [1.0, 6, 0]])
    t = [[0.0, 0.0, 0.0]]
    nb = Neighbourhood.build(pts)
    ell = nb.query(t, SearchParams((20, 20, 20), (45, 0, 0), max_per_octant=1))
    world = nb.query(t, SearchParams((20, 20, 20), (45, 0, 0), max_per_octant=1,
                                     octant_frame="world"))
    zero = nb.query(t, SearchParams((20, 20, 20), max_per_octant=1))
    assert ell.index[0, :ell.count[0]].tolist() == [0, 1]
    assert world.index[0, :world.count[0]].tolist() == [0]
    assert zero.index[0, :zero.count[0]].tolist() == [0]  # angles 0: the world's octants
    assert ell.octants[0] == 2 and world.octants[0] == 1


# --------------------------------------------------------------------------- invariance, ties


def test_permutation_of_samples_changes_nothing():
    # a regular grid of samples: many exact distance ties, broken by the coordinates
    g = np.arange(0.0, 50.0, 5.0)
    coords = np.stack(np.meshgrid(g, g, g[:4], indexing="ij"), axis=-1).reshape(-1, 3)
    hole = (coords[:, 0] * 100 + coords[:, 1]).astype(int)  # vertical holes
    targets = np.stack(np.meshgrid(g + 2.5, g, [2.5, 7.5], indexing="ij"),
                       axis=-1).reshape(-1, 3)
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(coords))
    for p in (SearchParams((12, 12, 12), max_samples=8),
              SearchParams((12, 12, 12), max_samples=8, max_per_octant=1),
              SearchParams((20, 12, 12), (30, 0, 0), max_samples=9, max_per_hole=2)):
        a = Neighbourhood.build(coords, hole=hole).query(targets, p)
        b = Neighbourhood.build(coords[perm], hole=hole[perm]).query(targets, p)
        ia = np.where(a.index >= 0, a.index, -1)
        ib = np.where(b.index >= 0, perm[b.index], -1)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(a.distance, b.distance)
        np.testing.assert_array_equal(a.holes, b.holes)
        np.testing.assert_array_equal(a.octants, b.octants)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), noct=st.integers(0, 2),
       per_hole=st.integers(0, 2))
def test_permutation_of_random_samples_changes_nothing(seed, n, noct, per_hole):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0, 60, (n, 3))
    hole = rng.integers(0, 6, n)
    targets = rng.uniform(-10, 70, (30, 3))
    p = SearchParams((25, 20, 15), (70, 20, -30), max_samples=10, max_per_octant=noct,
                     max_per_hole=per_hole)
    perm = rng.permutation(n)
    a = Neighbourhood.build(coords, hole=hole).query(targets, p)
    b = Neighbourhood.build(coords[perm], hole=hole[perm]).query(targets, p)
    np.testing.assert_array_equal(a.index, np.where(b.index >= 0, perm[b.index], -1))
    np.testing.assert_array_equal(a.distance, b.distance)
    np.testing.assert_array_equal(a.mean_distance_m, b.mean_distance_m)


def test_utm_sized_coordinates_give_the_same_neighbours():
    # the search works on coordinates relative to the samples' centre: a translation to
    # UTM-sized coordinates changes no choice and the distances by rounding only
    rng = np.random.default_rng(8)
    coords = rng.uniform(0, 500, (2000, 3))
    targets = rng.uniform(0, 500, (500, 3))
    shift = np.array([512_345.678, 7_012_345.678, 1_234.5])
    for p in (SearchParams((80, 50, 20), (35, -15, 5)),
              SearchParams((80, 50, 20), (35, -15, 5), max_per_octant=3)):
        a = Neighbourhood.build(coords).query(targets, p)
        b = Neighbourhood.build(coords + shift).query(targets + shift, p)
        np.testing.assert_array_equal(a.index, b.index)
        np.testing.assert_allclose(a.distance, b.distance, rtol=0, atol=1e-9)


def test_clusters_far_apart_and_a_tiny_radius():
    # 10^9 m between two clusters, 1 m radius: too many tiles for one integer key
    rng = np.random.default_rng(0)
    far = np.array([1e9, 1e9, 1e8])
    coords = np.r_[rng.uniform(0, 5, (50, 3)), rng.uniform(0, 5, (50, 3)) + far]
    targets = np.r_[rng.uniform(0, 5, (20, 3)), rng.uniform(0, 5, (20, 3)) + far]
    p = SearchParams((1.0, 1.0, 1.0), max_samples=4)
    got = Neighbourhood.build(coords).query(targets, p)
    np.testing.assert_array_equal(got.index, brute(coords, targets, p)["index"])
    assert got.count[:20].sum() > 0 and got.count[20:].sum() > 0


def test_ties_are_broken_by_x_then_y_then_z():
    # four samples at distance 1 of the target; max 2: the two with the smallest (x, y, z)
    pts = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [-1.0, 0, 0], [0, 0, 1.0]])
    res = Neighbourhood.build(pts).query([[0.0, 0, 0]], SearchParams((5, 5, 5), max_samples=2))
    assert res.index[0].tolist() == [3, 2]  # (−1, 0, 0), then (0, −1, 0)
    # duplicates (same place): the input order
    dup = np.array([[1.0, 0, 0], [1.0, 0, 0], [1.0, 0, 0]])
    res = Neighbourhood.build(dup).query([[0.0, 0, 0]], SearchParams((5, 5, 5), max_samples=2))
    assert res.index[0].tolist() == [0, 1]


# --------------------------------------------------------------------------- passes, chunks


def test_query_of_a_subset_equals_the_subset_of_the_query():
    # passes query again only the targets left: same answer as in the full query
    rng = np.random.default_rng(2)
    coords = rng.uniform(0, 300, (800, 3))
    targets = rng.uniform(-50, 350, (3000, 3))
    nb = Neighbourhood.build(coords)
    p1 = SearchParams((30, 30, 15), min_samples=6, max_samples=16)
    p2 = SearchParams((60, 60, 30), min_samples=6, max_samples=16)
    first = nb.query(targets, p1)
    left = np.flatnonzero(first.reason != OK)
    assert 0 < len(left) < len(targets)
    second = nb.query(targets[left], p2)
    full2 = nb.query(targets, p2)
    for f in ("index", "count", "distance", "reason", "holes", "octants", "mean_distance_m"):
        np.testing.assert_array_equal(getattr(second, f), getattr(full2.subset(left), f))
    # chunked (small kernel calls, and iter_query) gives the same answer
    small = nb.query(targets, p2, chunk_size=97)
    np.testing.assert_array_equal(small.index, full2.index)
    parts = list(nb.iter_query(targets, p2, chunk_size=1000))
    assert [r.start for r, _ in parts] == [0, 1000, 2000]
    np.testing.assert_array_equal(np.concatenate([q.index for _, q in parts]), full2.index)


def test_targets_far_from_every_sample_and_no_domain_samples():
    nb = Neighbourhood.build([[0.0, 0, 0], [1, 1, 1]], domain=["ox", "ox"])
    p = SearchParams((10, 10, 10))
    res = nb.query([[1e9, 0, 0], [0.5, 0.5, 0.5]], p)
    assert res.reason.tolist() == [TOO_FEW_SAMPLES, OK]
    res = nb.query([[0.0, 0, 0], [0, 0, 0], [0, 0, 0]], p,
                   target_domain=np.array(["ox", "fresh", None], dtype=object))
    assert res.reason.tolist() == [OK, NO_SAMPLES, NO_SAMPLES]
    # soft boundary to the oxide: the fresh target may use it
    res = nb.query([[0.0, 0, 0]], p, target_domain=["fresh"], allowed={"fresh": ["ox"]})
    assert res.count.tolist() == [2]


def test_domain_codes_compare_as_text():
    nb = Neighbourhood.build([[0.0, 0, 0], [1, 0, 0]], domain=np.array([1, 2]))
    p = SearchParams((10, 10, 10))
    res = nb.query([[0.0, 0, 0]], p, target_domain=np.array([2.0]))
    assert res.index[0, :res.count[0]].tolist() == [1]
    res = nb.query([[0.0, 0, 0]], p, target_domain=["1"], allowed={1: [1, 2]})
    assert res.count[0] == 2


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("kwargs, match", [
    ({"radii": (0, 1, 1)}, "radii must be > 0"),
    ({"radii": (1, 1)}, "3 numbers"),
    ({"radii": (1, 1, np.nan)}, "finite"),
    ({"radii": (1, 1, 1), "max_samples": 0}, "max_samples"),
    ({"radii": (1, 1, 1), "min_samples": 5, "max_samples": 4}, "must not exceed"),
    ({"radii": (1, 1, 1), "max_per_octant": -1}, "max_per_octant"),
    ({"radii": (1, 1, 1), "max_per_hole": 1.5}, "max_per_hole"),
    ({"radii": (1, 1, 1), "octant_frame": "grid"}, "octant_frame"),
])
def test_bad_parameters_say_what_was_expected(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        SearchParams(**kwargs)


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ParameterError, match=r"\(n, 3\)"):
        Neighbourhood.build(np.zeros((4, 2)))
    with pytest.raises(ParameterError, match="finite"):
        Neighbourhood.build([[0.0, 0, np.nan]])
    nb = Neighbourhood.build(np.zeros((3, 3)))
    p = SearchParams((1, 1, 1))
    with pytest.raises(ParameterError, match="max_per_hole needs hole ids"):
        nb.query(np.zeros((1, 3)), SearchParams((1, 1, 1), max_per_hole=1))
    with pytest.raises(ParameterError, match="exclude_hole needs hole ids"):
        nb.query(np.zeros((1, 3)), p, exclude_hole=["A"])
    with pytest.raises(ParameterError, match="target_domain needs sample domains"):
        nb.query(np.zeros((1, 3)), p, target_domain=["A"])
    with pytest.raises(ParameterError, match="allowed .* needs target_domain"):
        nb.query(np.zeros((1, 3)), p, allowed={"A": ["A"]})
    with pytest.raises(ParameterError, match=r"in \[0, 3\)"):
        nb.query(np.zeros((1, 3)), p, exclude=[3])
    with pytest.raises(ParameterError, match="one value per row"):
        nb.query(np.zeros((2, 3)), p, exclude=[0])
