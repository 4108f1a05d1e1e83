"""Tiles of a block grid, and the samples each tile's search neighbourhoods can reach.

A tile is a box of block indices ``lo ≤ (ix, iy, iz) < hi`` of a :class:`BlockGrid`. The
samples a tile needs are those within the search ellipsoid of one of its block centroids, for
any search pass. That set lies inside the box of the tile's centroids (in the grid's own frame,
which turns with the grid's ``rotation``) grown, along each grid axis, by the half-width of
the ellipsoid's bounding box along that axis. For an ellipsoid with radii ``r`` and GSLIB
rotation ``R`` (rows: the ellipsoid's axes in world coordinates), seen in a grid with axes
``A`` (columns: the grid's axes in world coordinates), a separation ``d`` (grid frame) is inside
when ``Σ_i ((R A d)_i / r_i)² ≤ 1``, and the half-width along grid axis ``j`` is exactly

    h_j = sqrt(Σ_i (r_i · (R A)_ij)²)

(the support function of the ellipsoid in that direction). :func:`search_half_widths` takes
the largest over the passes; :func:`tile_samples` keeps the samples in the grown box, plus a
margin of rounding. The box is a superset of what any block of the tile may use, and the
extra samples change nothing (the search keeps only those in the ellipsoid).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from orebook.errors import ParameterError
from orebook.geostats.models import rotation_matrix

from .grid import BlockGrid
from .search import SearchParams

__all__ = ["DEFAULT_TILE_BLOCKS", "Tile", "default_tile_shape", "make_tiles",
           "search_half_widths", "tile_box", "tile_samples"]

DEFAULT_TILE_BLOCKS = 262_144
"""Blocks per tile, about, when no tile shape is given (2^18: a few seconds of kriging and
tens of MB of working memory per task)."""

_MARGIN_REL = 1e-9  # of the coordinates' magnitude: the rounding of the search's distances
_MARGIN_ABS = 1e-6  # m


@dataclass(frozen=True)
class Tile:
    """Blocks ``lo[k] ≤ i_k < hi[k]`` along grid axes x, y, z; ``number`` names it.

    >>> t = Tile(3, (0, 10, 0), (10, 20, 5))
    >>> t.name, t.n_blocks
    ('tile-000003', 500)
    """

    number: int
    lo: tuple[int, int, int]
    hi: tuple[int, int, int]

    @property
    def name(self) -> str:
        """``tile-NNNNNN``: the stem of its partition file."""
        return f"tile-{self.number:06d}"

    @property
    def n_blocks(self) -> int:
        """Blocks of the grid inside the tile."""
        return int(np.prod(np.subtract(self.hi, self.lo)))

    def index(self, grid: BlockGrid) -> np.ndarray:
        """(n,) int64 sorted block indices of the grid's blocks in the tile."""
        ix = np.arange(self.lo[0], self.hi[0], dtype=np.int64)
        iy = np.arange(self.lo[1], self.hi[1], dtype=np.int64)
        iz = np.arange(self.lo[2], self.hi[2], dtype=np.int64)
        nx, ny = int(grid.count[0]), int(grid.count[1])
        # z slowest, x fastest: ascending block order
        return (ix[None, None, :] + nx * (iy[None, :, None] + ny * iz[:, None, None])).reshape(-1)

    def to_dict(self) -> dict:
        return {"number": self.number, "lo": list(self.lo), "hi": list(self.hi)}


def default_tile_shape(grid: BlockGrid, blocks: int = DEFAULT_TILE_BLOCKS) -> tuple[int, int, int]:
    """A tile shape of about ``blocks`` blocks: whole rows along x where they fit, then
    square in x and y, then as deep as needed (never more than the grid)."""
    n = [int(c) for c in grid.count]
    if blocks < 1:
        raise ParameterError(f"tile blocks must be ≥ 1, got {blocks}")
    side = max(1, round(blocks ** (1 / 3)))
    tx, ty = min(n[0], side), min(n[1], side)
    tz = min(n[2], max(1, blocks // (tx * ty)))
    if tz == n[2]:  # the grid is shallow: widen the tile in x, then in y
        tx = min(n[0], max(tx, blocks // (ty * tz)))
        ty = min(n[1], max(ty, blocks // (tx * tz)))
    return tx, ty, tz


def make_tiles(grid: BlockGrid, shape: Sequence[int] | None = None) -> list[Tile]:
    """Cut ``grid`` into tiles of ``shape`` (blocks along x, y, z; the last tiles along each
    axis may be smaller), numbered with x fastest, then y, then z."""
    if shape is None:
        shape = default_tile_shape(grid)
    try:
        s = [int(v) for v in shape]
        ok = len(s) == 3 and all(v >= 1 and v == float(w) for v, w in zip(s, shape))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"tile: expected 3 whole numbers ≥ 1 (blocks along x, y, z), "
                             f"got {shape!r}")
    n = [int(c) for c in grid.count]
    starts = [range(0, n[k], s[k]) for k in range(3)]
    tiles = []
    for z0 in starts[2]:
        for y0 in starts[1]:
            for x0 in starts[0]:
                lo = (x0, y0, z0)
                hi = (min(x0 + s[0], n[0]), min(y0 + s[1], n[1]), min(z0 + s[2], n[2]))
                tiles.append(Tile(len(tiles), lo, hi))
    return tiles


def search_half_widths(passes: Iterable[SearchParams], grid: BlockGrid) -> np.ndarray:
    """(3,) m: the half-widths, along the grid's x, y, z axes, of the smallest box (in the
    grid's frame) holding every pass's search ellipsoid (see the module docstring)."""
    h = np.zeros(3)
    any_pass = False
    for p in passes:
        any_pass = True
        ra = rotation_matrix(*p.angles) @ grid.axes  # (ellipsoid axis i, grid axis j)
        h = np.maximum(h, np.sqrt(((np.asarray(p.radii)[:, None] * ra) ** 2).sum(axis=0)))
    if not any_pass:
        raise ParameterError("give at least one search pass")
    return h


def tile_box(tile: Tile, grid: BlockGrid, half_widths: np.ndarray) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """(lo, hi): the box, in the grid's frame (m from the origin along its axes), of the
    tile's block centroids grown by ``half_widths``."""
    size = np.asarray(grid.size)
    lo = (np.asarray(tile.lo) + 0.5) * size - half_widths
    hi = (np.asarray(tile.hi) - 0.5) * size + half_widths
    return lo, hi


def tile_samples(local_xyz: np.ndarray, tile: Tile, grid: BlockGrid,
                 half_widths: np.ndarray) -> np.ndarray:
    """Sorted int64 rows of ``local_xyz`` (samples in the grid's frame, :meth:`BlockGrid.to_local`)
    inside :func:`tile_box`, with a margin for rounding (1e-9 of the coordinates' magnitude
    plus 1 µm)."""
    lo, hi = tile_box(tile, grid, half_widths)
    scale = float(np.abs(grid.origin).max() + np.abs(hi).max() + np.abs(lo).max())
    eps = _MARGIN_REL * scale + _MARGIN_ABS
    inside = ((local_xyz >= lo - eps) & (local_xyz <= hi + eps)).all(axis=1)
    return np.flatnonzero(inside).astype(np.int64)
