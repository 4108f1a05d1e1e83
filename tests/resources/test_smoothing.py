"""The majority filter: hand-made grids (isolated blocks, edges, ties, iterations, domains,
unestimated blocks) and a brute-force reference on random grids."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.estimate import BlockGrid
from orebook.resources.smoothing import SmoothingParams, smooth


def _flat(a3: np.ndarray) -> np.ndarray:
    """(nz, ny, nx) → block order (X fastest)."""
    return np.ascontiguousarray(a3).reshape(-1)


def _reference(codes, count, index=None, window=(3, 3, 3), max_same=None, domain=None,
               iterations=1):
    """The filter written block by block from its definition (docs/classification.md)."""
    nx, ny, nz = count
    n_all = nx * ny * nz
    idx = np.arange(n_all) if index is None else np.asarray(index)
    cls = {int(i): int(c) for i, c in zip(idx, codes)}
    dom = {int(i): d for i, d in zip(idx, domain)} if domain is not None else None
    rx, ry, rz = (w // 2 for w in window)
    for _ in range(iterations):
        new = dict(cls)
        for i, c in cls.items():
            if c < 0:
                continue
            x, y, z = i % nx, (i // nx) % ny, i // (nx * ny)
            counts: dict[int, int] = {}
            for dx, dy, dz in itertools.product(range(-rx, rx + 1), range(-ry, ry + 1),
                                                range(-rz, rz + 1)):
                if (dx, dy, dz) == (0, 0, 0):
                    continue
                X, Y, Z = x + dx, y + dy, z + dz
                if not (0 <= X < nx and 0 <= Y < ny and 0 <= Z < nz):
                    continue
                j = X + nx * (Y + ny * Z)
                if j not in cls or cls[j] < 0:
                    continue
                if dom is not None and dom[j] != dom[i]:
                    continue
                counts[cls[j]] = counts.get(cls[j], 0) + 1
            total = sum(counts.values())
            if max_same is not None and counts.get(c, 0) > max_same:
                continue
            for k, m in counts.items():
                if k != c and 2 * m > total:
                    new[i] = k
        if new == cls:
            break
        cls = new
    return np.array([cls[int(i)] for i in idx])


def test_an_isolated_block_takes_the_class_around_it():
    a = np.zeros((3, 3, 3), dtype=np.int8)
    a[1, 1, 1] = 2
    s = smooth(_flat(a), (3, 3, 3))
    assert s.classes.tolist() == [0] * 27
    assert s.changes == {(2, 0): 1} and s.n_changed == 1
    # a corner block (7 neighbours) with 3 of class 0 and 4 of class 1 takes class 1 (4 > 3.5)
    b = np.zeros((3, 3, 3), dtype=np.int8)
    b[0, 0, 0] = 2
    b[0, 0, 1] = b[0, 1, 0] = b[1, 0, 0] = b[1, 1, 1] = 1   # 4 of the corner's 7 neighbours
    s = smooth(_flat(b), BlockGrid((0, 0, 0), (1, 1, 1), (3, 3, 3)))
    assert s.classes[0] == 1


def test_edge_blocks_have_fewer_neighbours():
    # a line of three blocks along X: the ends have one neighbour each, the middle two
    s = smooth(np.array([0, 1, 0]), (3, 1, 1))
    # middle: 2 neighbours of class 0 → 0; each end: its only neighbour (class 1) is a
    # majority of one → 1. Every block decides from the same old classes.
    assert s.classes.tolist() == [1, 0, 1]
    assert s.changes == {(0, 1): 2, (1, 0): 1}
    # a corner of a 4 x 4 x 1 slab has 3 neighbours: 2 of class 2 hold the majority
    a = np.zeros((1, 4, 4), dtype=np.int8)
    a[0, 0, 0] = 1
    a[0, 0, 1] = a[0, 1, 1] = 2
    out = smooth(_flat(a), (4, 4, 1)).classes.reshape(1, 4, 4)
    assert out[0, 0, 0] == 2


def test_ties_change_nothing():
    # two classes with half the neighbours each
    s = smooth(np.array([0, 1, 2]), (3, 1, 1), window=(3, 1, 1))
    assert s.classes[1] == 1
    # the centre of 3 x 3 x 3: 13 neighbours of class 0 and 13 of class 2
    a = np.zeros(27, dtype=np.int8)
    others = [i for i in range(27) if i != 13]
    a[others[:13]] = 2
    a[13] = 1
    assert smooth(a, (3, 3, 3)).classes[13] == 1
    # its own class as frequent as another: 13 of its own class, 13 of class 0
    a[others[:13]] = 1
    assert smooth(a, (3, 3, 3)).classes[13] == 1


def test_unestimated_blocks_never_change_nor_vote():
    a = np.full(27, -1, dtype=np.int8)
    a[13] = 1
    assert smooth(a, (3, 3, 3)).classes.tolist() == a.tolist()     # no neighbour at all
    b = np.zeros(27, dtype=np.int8)
    b[13] = -1
    s = smooth(b, (3, 3, 3))
    assert s.classes[13] == -1 and s.n_changed == 0
    # 20 unestimated neighbours, 6 of class 0, 0 of its own: 6 of 6 → changes
    c = np.full(27, -1, dtype=np.int8)
    c[[4, 10, 12, 14, 16, 22]] = 0          # the six face neighbours of the centre
    c[13] = 3
    assert smooth(c, (3, 3, 3)).classes[13] == 0


def test_max_same_keeps_blocks_that_are_not_isolated():
    a = np.zeros(27, dtype=np.int8)
    a[13] = 1
    a[14] = 1                               # one neighbour shares the centre's class
    assert smooth(a, (3, 3, 3), max_same=0).classes[13] == 1
    assert smooth(a, (3, 3, 3), max_same=1).classes[13] == 0
    assert smooth(a, (3, 3, 3)).classes[13] == 0


def test_domains_keep_neighbours_apart():
    a = np.zeros(27, dtype=np.int8)
    a[13] = 1
    dom = np.array(["ox"] * 27, dtype=object)
    dom[13] = "sx"
    assert smooth(a, (3, 3, 3), domain=dom).classes[13] == 1   # no neighbour in its domain
    assert smooth(a, (3, 3, 3)).classes[13] == 0


def test_iterations_repeat_the_filter_and_stop_when_nothing_changes():
    s = smooth(np.array([0, 1, 0]), (3, 1, 1), iterations=2)   # flips, then flips back
    assert s.classes.tolist() == [0, 1, 0] and s.changes == {}
    assert s.changed_per_iteration == (3, 3)
    a = np.zeros(27, dtype=np.int8)
    a[13] = 1
    s = smooth(a, (3, 3, 3), iterations=5)
    assert s.changed_per_iteration == (1, 0)                  # stopped after a quiet one
    # a bar of class 1 along X, one block thick, in a 5 x 5 x 1 slab of class 0: the bar's
    # inner blocks have 2 of 8 neighbours of their class; its end blocks 1 of 5
    b = np.zeros((1, 5, 5), dtype=np.int8)
    b[0, 2, :] = 1
    one = smooth(_flat(b), (5, 5, 1))
    assert one.classes.tolist() == [0] * 25 and one.changes == {(1, 0): 5}
    assert smooth(_flat(b), (5, 5, 1), iterations=0).classes.tolist() == _flat(b).tolist()


def test_a_model_subset_is_smoothed_as_if_the_missing_blocks_were_unestimated():
    rng = np.random.default_rng(3)
    full = rng.integers(0, 3, 6 * 5 * 4).astype(np.int8)
    keep = rng.random(full.size) < 0.6
    idx = np.flatnonzero(keep)
    sub = smooth(full[keep], (6, 5, 4), idx)
    holes = np.where(keep, full, -1).astype(np.int8)
    dense = smooth(holes, (6, 5, 4))
    assert sub.classes.tolist() == dense.classes[keep].tolist()
    assert sub.changes == dense.changes
    # the same blocks given in another order
    order = rng.permutation(idx.size)
    shuffled = smooth(full[keep][order], (6, 5, 4), idx[order])
    assert shuffled.classes.tolist() == sub.classes[order].tolist()


@settings(deadline=None, max_examples=60, derandomize=True)
@given(data=st.data())
def test_agrees_with_the_block_by_block_reference(data):
    count = tuple(data.draw(st.integers(1, 5)) for _ in range(3))
    n = int(np.prod(count))
    k = data.draw(st.integers(1, 4))
    codes = np.array(data.draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)),
                     dtype=np.int8)
    window = data.draw(st.sampled_from([(3, 3, 3), (3, 3, 1), (5, 3, 1), (1, 1, 3),
                                        (5, 5, 3)]))
    max_same = data.draw(st.one_of(st.none(), st.integers(0, 4)))
    domain = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(["a", "b"]),
                                                     min_size=n, max_size=n)))
    subset = data.draw(st.booleans())
    iterations = data.draw(st.integers(0, 3))
    idx = np.arange(n)
    if subset:
        keep = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        idx, codes = idx[keep], codes[keep]
        domain = None if domain is None else list(np.array(domain, dtype=object)[keep])
    got = smooth(codes, count, idx, iterations=iterations, window=window, max_same=max_same,
                 domain=domain)
    want = _reference(codes, count, idx, window, max_same, domain, iterations)
    assert got.classes.tolist() == want.tolist()
    # the counts are the differing blocks, per transition
    differ = got.classes != codes
    assert got.n_changed == int(differ.sum())
    for (a, b), m in got.changes.items():
        assert a != b and m == int(((codes == a) & (got.classes == b)).sum())
    assert (got.classes[codes < 0] == codes[codes < 0]).all()


@settings(deadline=None, max_examples=40, derandomize=True)
@given(data=st.data())
def test_a_block_whose_neighbourhood_agrees_never_changes(data):
    count = tuple(data.draw(st.integers(2, 6)) for _ in range(3))
    n = int(np.prod(count))
    codes = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
                     dtype=np.int8)
    s = smooth(codes, count, iterations=1)
    a3 = codes.reshape(count[2], count[1], count[0])
    for i in range(n):
        x, y, z = i % count[0], (i // count[0]) % count[1], i // (count[0] * count[1])
        block = a3[max(z - 1, 0):z + 2, max(y - 1, 0):y + 2, max(x - 1, 0):x + 2]
        if (block == codes[i]).all():
            assert s.classes[i] == codes[i]
    assert s.n_changed == int((s.classes != codes).sum())


def test_one_iteration_twice_is_two_iterations():
    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 4, 7 * 6 * 5).astype(np.int8)
    once = smooth(codes, (7, 6, 5))
    twice = smooth(once.classes, (7, 6, 5))
    both = smooth(codes, (7, 6, 5), iterations=2)
    assert both.classes.tolist() == twice.classes.tolist()


@pytest.mark.parametrize("kwargs, message", [
    ({"window": (2, 3, 3)}, "odd"),
    ({"window": (3, 3)}, "odd"),
    ({"window": (1, 1, 1)}, "no neighbour"),
    ({"iterations": -1}, "iterations"),
    ({"iterations": 1.5}, "iterations"),
    ({"max_same": -1}, "max_same"),
    ({"classes": np.array([0.5] * 8)}, "whole-number"),
    ({"classes": np.zeros(7, dtype=int)}, "give index"),
    ({"index": np.array([0, 0, 1, 2, 3, 4, 5, 6])}, "twice"),
    ({"index": np.arange(1, 9)}, "0..7"),
    ({"grid": (2, 2)}, "BlockGrid"),
    ({"domain": ["a"] * 3}, "domain"),
])
def test_bad_parameters_are_named(kwargs, message):
    args = {"classes": np.zeros(8, dtype=int), "grid": (2, 2, 2)}
    args.update(kwargs)
    with pytest.raises(ParameterError, match=message):
        smooth(args.pop("classes"), args.pop("grid"), **args)


def test_smoothing_params_check_themselves():
    assert SmoothingParams().window == (3, 3, 3)
    with pytest.raises(ParameterError, match="within_domains"):
        SmoothingParams(within_domains="yes")
    assert SmoothingParams(window=[5, 5, 1]).to_dict()["window"] == [5, 5, 1]
