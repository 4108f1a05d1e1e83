"""Smoothing of a block classification: a majority filter on the block grid.

Classes are whole-number codes, one per block (``0, 1, …``); a negative code is a block that
has no class (unestimated) — it never changes and never counts as a neighbour.

The filter, precisely
---------------------
- The **neighbours** of a block are the other blocks of the window centred on it (default
  3 × 3 × 3, i.e. up to 26 neighbours; the window is counted in blocks along X, Y, Z) that lie
  inside the grid, are held by the model, have a class (code ≥ 0) and, when ``domain`` is
  given, belong to the block's domain. The grid's edges are not padded: an edge or corner
  block simply has fewer neighbours.
- A block **takes class k** when more than half of its neighbours are of class k (k not its
  own class): ``2·count_k > neighbours``. Only one class can hold such a majority, so there
  is never a choice to make. A tie — two classes with exactly half each, or the block's own
  class as frequent as another — leaves the block as it is; so does a block with no
  neighbours.
- With ``max_same`` the block must also be *isolated*: at most ``max_same`` of its neighbours
  share its class (``max_same=0``: only blocks with no neighbour of their own class change).
- One **iteration** decides every block at once from the classes the previous iteration
  left; iterations stop early when one changes nothing.

The result counts the blocks changed per transition (class before → class after, from the
input to the final classes), so the counts add up to the number of blocks that differ.

>>> codes = np.zeros(27, dtype=np.int8)
>>> codes[13] = 1                     # the centre block of a 3 x 3 x 3 grid, alone in class 1
>>> s = smooth(codes, (3, 3, 3))
>>> int(s.classes[13]), s.changes
(0, {(1, 0): 1})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orebook.errors import ParameterError

__all__ = ["Smoothed", "SmoothingParams", "smooth"]


@dataclass(frozen=True)
class SmoothingParams:
    """How to smooth: ``iterations`` (0: not at all), ``window`` (odd block counts along X, Y,
    Z), ``max_same`` (``None``: no isolation condition), ``within_domains`` (neighbours only in
    the block's domain, when the model has a domain column)."""

    iterations: int = 1
    window: tuple[int, int, int] = (3, 3, 3)
    max_same: int | None = None
    within_domains: bool = True

    def __post_init__(self) -> None:
        _check_iterations(self.iterations)
        object.__setattr__(self, "window", _check_window(self.window))
        _check_max_same(self.max_same)
        if not isinstance(self.within_domains, bool):
            raise ParameterError(f"within_domains: expected true or false, got "
                                 f"{self.within_domains!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "window": list(self.window),
                "max_same": self.max_same, "within_domains": self.within_domains}


@dataclass(frozen=True)
class Smoothed:
    """The smoothed classes and what changed.

    Attributes
    ----------
    classes : (n,) int8 codes after smoothing, in the order of the input.
    changes : (code before, code after) → number of blocks, over the blocks whose final class
        differs from their input class (transitions with no block are left out).
    changed_per_iteration : blocks that changed in each iteration run (the last is 0 when the
        filter stopped early because nothing changed).
    """

    classes: np.ndarray
    changes: dict[tuple[int, int], int] = field(default_factory=dict)
    changed_per_iteration: tuple[int, ...] = ()

    @property
    def n_changed(self) -> int:
        """Blocks whose class differs from the input."""
        return int(sum(self.changes.values()))


def _check_iterations(iterations: Any) -> int:
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) \
            or iterations < 0:
        raise ParameterError(f"iterations: expected a whole number ≥ 0, got {iterations!r}")
    return int(iterations)


def _check_window(window: Any) -> tuple[int, int, int]:
    try:
        w = tuple(window)
    except TypeError:
        raise ParameterError(f"window: expected three odd block counts (X, Y, Z), got "
                             f"{window!r}") from None
    if len(w) != 3 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                          or v < 1 or v % 2 == 0 for v in w):
        raise ParameterError(f"window: expected three odd block counts ≥ 1 (X, Y, Z), e.g. "
                             f"[3, 3, 3], got {window!r}")
    w = tuple(int(v) for v in w)
    if w == (1, 1, 1):
        raise ParameterError("window: [1, 1, 1] holds no neighbour; use e.g. [3, 3, 3]")
    if int(np.prod(w)) > 32767:
        raise ParameterError(f"window: {w} holds too many blocks (at most 32767)")
    return w  # type: ignore[return-value]


def _check_max_same(max_same: Any) -> int | None:
    if max_same is None:
        return None
    if isinstance(max_same, bool) or not isinstance(max_same, (int, np.integer)) \
            or max_same < 0:
        raise ParameterError(f"max_same: expected a whole number ≥ 0 or none, got "
                             f"{max_same!r}")
    return int(max_same)


def _sum_along(a: np.ndarray, axis: int, r: int) -> np.ndarray:
    """Sum of ``a`` over ``[i − r, i + r]`` along ``axis``, nothing beyond the edges."""
    if r == 0:
        return a
    out = a.copy()
    n = a.shape[axis]

    def sl(lo: int, hi: int) -> tuple[slice, ...]:
        s = [slice(None)] * a.ndim
        s[axis] = slice(lo, hi)
        return tuple(s)

    for s in range(1, min(r, n - 1) + 1):
        out[sl(0, n - s)] += a[sl(s, n)]
        out[sl(s, n)] += a[sl(0, n - s)]
    return out


def _box_count(mask: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """Number of True cells in the window around each cell (the cell included); ``mask`` is
    (nz, ny, nx), ``window`` (wx, wy, wz)."""
    a = mask.astype(np.int8 if window[0] * window[1] * window[2] <= 127 else np.int16)
    for axis, w in ((2, window[0]), (1, window[1]), (0, window[2])):
        a = _sum_along(a, axis, w // 2)
    return a


def _step(dense: np.ndarray, k_max: int, window: tuple[int, int, int], max_same: int | None,
          dom: np.ndarray | None) -> np.ndarray:
    """One iteration of the filter on the (nz, ny, nx) codes ``dense``; with ``dom``, each
    domain on its own, on the bounding box of its blocks."""
    new = dense.copy()
    present = dense >= 0
    if dom is None:
        _decide(dense, present, new, k_max, window, max_same)
        return new
    for g in np.unique(dom[present]).tolist():
        inside = present & (dom == g)
        box = tuple(slice(int(a[0]), int(a[-1]) + 1) for a in (
            np.flatnonzero(inside.any(axis=(1, 2))), np.flatnonzero(inside.any(axis=(0, 2))),
            np.flatnonzero(inside.any(axis=(0, 1)))))
        _decide(dense[box], inside[box], new[box], k_max, window, max_same)
    return new


def _decide(dense: np.ndarray, inside: np.ndarray, new: np.ndarray, k_max: int,
            window: tuple[int, int, int], max_same: int | None) -> None:
    """Write into ``new`` the class each block of ``inside`` takes (its neighbours: the
    blocks of ``inside``)."""
    counts = [_box_count((dense == k) & inside, window) for k in range(k_max + 1)]
    total = counts[0].copy()
    for c in counts[1:]:
        total += c
    neighbours = total - 1                       # the block itself is counted once
    own = None
    if max_same is not None:
        own = np.zeros_like(total)
        for k, c in enumerate(counts):
            np.copyto(own, c, where=dense == k)
        own -= 1
    for k, c in enumerate(counts):
        take = inside & (dense != k) & (c > (neighbours >> 1))  # 2·c > neighbours
        if own is not None:
            take &= own <= max_same
        new[take] = k


def smooth(classes: Any, grid: Any, index: Any = None, *, iterations: int = 1,
           window: Sequence[int] = (3, 3, 3), max_same: int | None = None,
           domain: Any = None) -> Smoothed:
    """Apply the majority filter (see the module docstring) to a block classification.

    Parameters
    ----------
    classes : (n,) whole-number class codes, one per block; negative: no class (unestimated).
    grid : the :class:`~orebook.estimate.BlockGrid`, or its block counts ``(nx, ny, nz)``.
    index : (n,) block indices in the grid (GSLIB order, X fastest) of ``classes``; ``None``:
        every block of the grid, in order.
    iterations : how many times to apply the filter (it stops early when nothing changes).
    window : odd block counts along X, Y, Z of the neighbourhood.
    max_same : a block changes only when at most this many neighbours share its class
        (``None``: no such condition).
    domain : (n,) domain of each block (numbers or text); neighbours count only within the
        block's domain. ``None``: no domains.

    Returns
    -------
    Smoothed : the new codes, the blocks changed per transition, the changes per iteration.
    """
    iterations = _check_iterations(iterations)
    window = _check_window(window)
    max_same = _check_max_same(max_same)
    count = _grid_count(grid)
    codes = np.asarray(classes)
    if codes.ndim != 1 or codes.dtype == bool or not (np.issubdtype(codes.dtype, np.integer)
                                                      or codes.size == 0):
        raise ParameterError(f"classes: expected a 1-D array of whole-number class codes, "
                             f"got {codes.dtype} of shape {codes.shape}")
    n = codes.size
    if n and (codes.max() > 126 or codes.min() < -128):
        raise ParameterError(f"classes: codes from -128 to 126 are supported, got "
                             f"{int(codes.min())}..{int(codes.max())}")
    n_blocks = int(np.prod(count))
    if index is None:
        if n != n_blocks:
            raise ParameterError(f"classes: {n} codes for a grid of {n_blocks} blocks; give "
                                 "index (the blocks' indices in the grid)")
        idx = None
    else:
        idx = np.asarray(index)
        if idx.shape != (n,) or idx.dtype == bool or not (np.issubdtype(idx.dtype, np.integer)
                                                          or n == 0):
            raise ParameterError(f"index: expected {n} block indices (whole numbers), got "
                                 f"{idx.dtype} of shape {idx.shape}")
        idx = idx.astype(np.int64, copy=False)
        if n and (idx.min() < 0 or idx.max() >= n_blocks):
            raise ParameterError(f"index: block indices must lie in 0..{n_blocks - 1}")
        if n > 1 and not bool(np.all(idx[1:] > idx[:-1])):   # not sorted: sort to check
            srt = np.sort(idx)
            if not bool(np.all(srt[1:] > srt[:-1])):
                raise ParameterError("index: a block index is given twice")
    dom_codes = None
    if domain is not None:
        d = np.asarray(domain)
        if d.shape != (n,):
            raise ParameterError(f"domain: expected {n} values (one per block), got shape "
                                 f"{d.shape}")
        import pandas as pd

        dom_codes = pd.factorize(d, use_na_sentinel=False)[0].astype(np.int32)

    out = codes.astype(np.int8)
    per_iteration: list[int] = []
    if n and iterations and codes.max() >= 0:
        dense, dom, where = _densify(out, dom_codes, count, idx)
        k_max = int(codes.max())
        for _ in range(iterations):
            new = _step(dense, k_max, window, max_same, dom)
            changed = int(np.count_nonzero(new != dense))
            per_iteration.append(changed)
            dense = new
            if changed == 0:
                break
        out = dense.reshape(-1) if where is None else dense.reshape(-1)[where]
        out = np.ascontiguousarray(out, dtype=np.int8)
    diff = out != codes
    changes: dict[tuple[int, int], int] = {}
    if diff.any():
        width = 128
        pair = (np.maximum(codes[diff], -1).astype(np.int64) + 1) * width \
            + (out[diff].astype(np.int64) + 1)
        num = np.bincount(pair, minlength=width * width)
        changes = {(int(p // width) - 1, int(p % width) - 1): int(num[p])
                   for p in np.flatnonzero(num)}
    return Smoothed(out, changes, tuple(per_iteration))


def _grid_count(grid: Any) -> tuple[int, int, int]:
    count = grid.count if hasattr(grid, "n_blocks") else grid   # a BlockGrid, or counts
    try:
        c = tuple(int(v) for v in count)
        ok = len(c) == 3 and all(v >= 1 for v in c) and all(
            float(v) == float(w) for v, w in zip(c, count))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"grid: expected a BlockGrid or its block counts (nx, ny, nz), "
                             f"got {grid!r}")
    return c  # type: ignore[return-value]


def _densify(codes: np.ndarray, dom: np.ndarray | None, count: tuple[int, int, int],
             idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The codes (and domains) on a dense (nz, ny, nx) array over the bounding box of the
    blocks, −1 where the model holds no block; and where each block lies in it (``None``: the
    array is the whole grid in block order)."""
    nx, ny, nz = count
    if idx is None or (idx.size == nx * ny * nz and bool(np.all(idx[1:] > idx[:-1]))):
        shape = (nz, ny, nx)
        return (codes.reshape(shape).copy(), None if dom is None else dom.reshape(shape),
                None)
    ix = idx % nx
    rest = idx // nx
    iy, iz = rest % ny, rest // ny
    lo = [int(a.min()) for a in (ix, iy, iz)]
    sx, sy, sz = (int(a.max()) - m + 1 for a, m in zip((ix, iy, iz), lo))
    where = ((iz - lo[2]) * sy + (iy - lo[1])) * sx + (ix - lo[0])
    dense = np.full(sz * sy * sx, -1, dtype=np.int8)
    dense[where] = codes
    dd = None
    if dom is not None:
        dd = np.full(sz * sy * sx, -1, dtype=np.int32)
        dd[where] = dom
        dd = dd.reshape(sz, sy, sx)
    return dense.reshape(sz, sy, sx), dd, where
